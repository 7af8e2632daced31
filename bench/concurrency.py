"""Concurrency: N reader and M writer processes on one SQLite database, through the use cases.

Run: .venv/bin/python bench/concurrency.py [--readers 20] [--writers 2] [--seconds 60]
                                           [--log-entries 20000] [--cases 300]

A fresh database is generated in a temporary folder (the demo people of data/demo.json, `--cases`
cases and an access log of `--log-entries` entries). Each reader and each writer is its own
process with its own engine, as staff on a shared server are. For `--seconds` they loop:

- a reader, as a nurse reading: the inbox (45 %), opening a case (45 %; this logs the access),
  the access-log search as an administrator (5 %; logged too) and `audit verify` (5 %);
- a writer: sending a new case (70 %) and changing a Picsara permission as an administrator (30 %).

Before that, every process opens the database and signs its people in, all at about the same
moment, as the app does at start; a failure there ends that process and is counted as an error.

It prints, per role and per operation: how many ran, errors by kind (exception class and the
first words of its message) and the median, p95 and worst latency. The target is zero errors.
The script only uses functions that exist on main too, so it measures a branch and main alike
(PYTHONPATH decides which code runs).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo.json"
UNIT = "REUM-SKO"
PATIENTS = ("199002222397", "200001252386", "196109732393")


def _generate(db: Path, data_dir: Path, cases: int, log_entries: int) -> None:
    """The shared database: demo people, cases, and a long access log."""
    from tui_app.core.clock import SystemClock
    from tui_app.services import audit
    from tui_app.services.cases import draft_message, send_case
    from tui_app.services.context import close_context, open_context
    from tui_app.services.identity import staff_by_login
    from tui_app.services.seed import load_file
    from tui_app.store.db import session_scope, sqlite_url

    ctx = open_context(sqlite_url(db), data_dir, clock=SystemClock())
    load_file(ctx, DEMO, with_cases=False)
    dan = staff_by_login(ctx, "danan12")
    unit_id = next(u.id for u in dan.units if u.code == UNIT)
    for i in range(cases):
        d = draft_message(ctx, dan, unit_id, PATIENTS[i % len(PATIENTS)])
        send_case(ctx, dan, d.unit_id, d.patient.id, d.text)
    with session_scope(ctx.engine) as s:
        for i in range(log_entries):
            audit.append(
                s,
                at=ctx.now(),
                actor="danan12",
                action="öppna ärende",
                unit_code=UNIT,
                patient_pnr=PATIENTS[i % 3],
                case_id=1 + i % cases,
            )
    close_context(ctx)


def _worker(
    role: str, index: int, db: str, data_dir: str, start: float, seconds: float, out: mp.Queue
) -> None:  # type: ignore[type-arg]
    """One process: loop over the role's operations until the time is up; report by queue."""
    from tui_app.core.clock import SystemClock
    from tui_app.services import admin, audit, auditlog
    from tui_app.services.cases import draft_message, inbox, open_case, send_case
    from tui_app.services.context import open_context
    from tui_app.services.identity import staff_by_login
    from tui_app.store.db import sqlite_url

    rng = random.Random(index * 7919 + (1 if role == "writer" else 0))
    times: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()

    def count(exc: Exception) -> None:
        msg = getattr(exc, "message", None) or str(exc)
        errors[f"{type(exc).__name__}: {' '.join(msg.split()[:6])[:70]}"] += 1

    while time.time() < start - 4:  # all processes open the database at about the same time
        time.sleep(0.01)
    t0 = time.perf_counter()
    try:  # opening the database and signing in, as the app does at start, counts too
        ctx = open_context(sqlite_url(Path(db)), Path(data_dir), clock=SystemClock())
        nurse = staff_by_login(ctx, "danan12" if index % 2 else "marsv3")
        lena = staff_by_login(ctx, "lenjo54")
        target = staff_by_login(ctx, "marsv3")
        unit_id = next(u.id for u in nurse.units if u.code == UNIT)
        case_ids = [row.case_id for row in inbox(ctx, nurse)]
    except Exception as exc:  # this process cannot go on: report and stop
        count(exc)
        times["start (fel)"].append(time.perf_counter() - t0)
        out.put((role, dict(times), dict(errors)))
        return
    times["start"].append(time.perf_counter() - t0)

    def read() -> str:
        r = rng.random()
        if r < 0.45:
            inbox(ctx, nurse)
            return "inkorg"
        if r < 0.90:
            open_case(ctx, nurse, rng.choice(case_ids))
            return "öppna ärende"
        if r < 0.95:
            auditlog.search(ctx, lena, staff="danan12")
            return "loggsökning"
        report = audit.verify(ctx)
        if not report.ok:
            raise RuntimeError(f"kedjan bruten: {report.problem}")
        return "verify"

    def write() -> str:
        if rng.random() < 0.70:
            d = draft_message(ctx, nurse, unit_id, rng.choice(PATIENTS))
            send_case(ctx, nurse, d.unit_id, d.patient.id, d.text)
            return "skicka ärende"
        admin.set_picsara_permission(ctx, lena, target.staff_id, rng.random() < 0.5)
        return "behörighet"

    op = read if role == "reader" else write
    while time.time() < start:
        time.sleep(0.01)
    end = start + seconds
    while time.time() < end:
        t0 = time.perf_counter()
        try:
            name = op()
        except Exception as exc:  # counted by kind: the point of the bench
            name = "fel"
            count(exc)
        times[name].append(time.perf_counter() - t0)
    out.put((role, dict(times), dict(errors)))


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--writers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--log-entries", type=int, default=20000)
    ap.add_argument("--cases", type=int, default=300)
    args = ap.parse_args()
    import tui_app

    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as tmp:
        db, data_dir = Path(tmp) / "bench.sqlite", Path(tmp) / "data"
        t0 = time.perf_counter()
        _generate(db, data_dir, args.cases, args.log_entries)
        print(f"code: {Path(tui_app.__file__).parent}")
        print(
            f"database: {args.cases} cases, {args.log_entries} log entries "
            f"(generated in {time.perf_counter() - t0:.1f} s)"
        )
        spawn = mp.get_context("spawn")
        out: mp.Queue = spawn.Queue()  # type: ignore[type-arg]
        start = time.time() + 10 + 0.3 * (args.readers + args.writers)  # all imported by then
        procs = [
            spawn.Process(
                target=_worker, args=(role, i, str(db), str(data_dir), start, args.seconds, out)
            )
            for role, n in (("reader", args.readers), ("writer", args.writers))
            for i in range(n)
        ]
        for p in procs:
            p.start()
        results = []
        for _ in procs:  # a process that died without reporting is counted below
            try:
                results.append(out.get(timeout=args.seconds + 300))
            except Exception:
                break
        for p in procs:
            p.join()
        failed_procs = sum(1 for p in procs if p.exitcode != 0)
    print(f"{args.readers} readers + {args.writers} writers for {args.seconds:g} s")
    total_ops = total_err = 0
    for role in ("reader", "writer"):
        times: dict[str, list[float]] = defaultdict(list)
        errors: Counter[str] = Counter()
        for r, t, e in results:
            if r == role:
                for k, v in t.items():
                    times[k].extend(v)
                errors.update(e)
        every = [x for k, v in times.items() if not k.startswith("start") for x in v]
        n_err = sum(errors.values())
        total_ops += len(every)
        total_err += n_err
        tries = sum(len(v) for v in times.values())  # the operations and each process's start
        print(
            f"\n{role}s: {len(every)} operations, {n_err} errors in {tries} tries "
            f"({100 * n_err / max(1, tries):.2f} %), p95 {1000 * _pct(every, 0.95):.0f} ms"
        )
        for name in sorted(times):
            v = times[name]
            print(
                f"  {name:<14} {len(v):>6}  median {1000 * statistics.median(v):>7.1f} ms  "
                f"p95 {1000 * _pct(v, 0.95):>7.1f} ms  max {1000 * max(v):>7.1f} ms"
            )
        for kind, n in errors.most_common():
            print(f"  error {n:>5} × {kind}")
    print(
        f"\ntotal: {total_ops} operations, {total_err} errors"
        + (f"; {failed_procs} processes failed" if failed_procs else "")
    )
    return 0 if total_err == 0 and not failed_procs else 1


if __name__ == "__main__":
    sys.exit(main())
