"""Concurrency: N reader and M writer processes on one database, through the use cases.

Run: .venv/bin/python bench/concurrency.py [--readers 20] [--writers 2] [--seconds 60]
                                           [--log-entries 20000] [--cases 300] [--url URL]

SQLite by default; `--url postgresql+psycopg://user@/postgres?host=/run/postgresql` runs on a
PostgreSQL server instead (a fresh database `bench_…` is created there and dropped after).

A fresh database is generated in a temporary folder (the demo people of data/demo.json, `--cases`
cases and an access log of `--log-entries` entries). Each reader and each writer is its own
process with its own engine, as staff on a shared server are. For `--seconds` they loop:

- a reader, as a nurse reading: the inbox (45 %), opening a case (45 %; this logs the access),
  the access-log search as an administrator (5 %; logged too) and `audit verify` (5 %);
- a writer: sending a new case (50 %), changing a Picsara permission as an administrator
  (20 %) and deciding on one of the two files every writer shares (30 %; two staff on the same
  file: the decision names the version the writer read, a colleague's decision in between is
  a refusal counted as "beslut (krock)", never an error).

Afterwards the database is checked: no lost update (every send that succeeded is a case, every
decision that succeeded is one version step of its file), no duplicate audit sequence number,
and the access log's chain verifies.

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

from sqlmodel import select

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo.json"
UNIT = "REUM-SKO"
PATIENTS = ("199002222397", "200001252386", "196109732393")


def _generate(url: str, data_dir: Path, cases: int, log_entries: int) -> int:
    """The shared database: demo people, cases, and a long access log."""
    from tui_app.core.clock import SystemClock
    from tui_app.services import audit
    from tui_app.services.cases import draft_message, send_case
    from tui_app.services.context import close_context, open_context
    from tui_app.services.identity import staff_by_login
    from tui_app.services.seed import load_file
    from tui_app.services.conversation import patient_reply
    from tui_app.services.files import stage_files
    from tui_app.services.identity import patient_actor
    from tui_app.store.db import session_scope

    ctx = open_context(url, data_dir, clock=SystemClock())
    load_file(ctx, DEMO, with_cases=False)
    dan = staff_by_login(ctx, "danan12")
    unit_id = next(u.id for u in dan.units if u.code == UNIT)
    for i in range(cases):
        d = draft_message(ctx, dan, unit_id, PATIENTS[i % len(PATIENTS)])
        number = send_case(ctx, dan, d.unit_id, d.patient.id, d.text)
    samples = ROOT / "data" / "samples"
    staged = stage_files(ctx, [samples / "handled.jpg", samples / "remiss-brev.pdf"])
    patient_reply(ctx, patient_actor(ctx, d.patient.id), number, "Filerna.", staged)
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
    from tui_app.store.models import Attachment

    with session_scope(ctx.engine) as s:
        versions = sum(a.version for a in s.exec(select(Attachment)).all())
    close_context(ctx)
    return versions  # the shared files' versions before the writers start


def _worker(
    role: str,
    index: int,
    url: str,
    data_dir: str,
    start: float,
    seconds: float,
    out: mp.Queue,  # type: ignore[type-arg]
    ready: object,
) -> None:
    """One process: loop over the role's operations until the time is up; report by queue."""
    from tui_app.core.clock import SystemClock
    from tui_app.services import admin, audit, auditlog
    from tui_app.services.cases import draft_message, inbox, open_case, send_case
    from tui_app.services.context import open_context
    from tui_app.core.errors import UserError
    from tui_app.services import handling
    from tui_app.services.identity import staff_by_login
    from tui_app.store.db import read_scope
    from tui_app.store.models import Attachment

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
        ctx = open_context(url, Path(data_dir), clock=SystemClock())
        nurse = staff_by_login(ctx, "danan12" if index % 2 else "marsv3")
        lena = staff_by_login(ctx, "lenjo54")
        target = staff_by_login(ctx, "marsv3")
        unit_id = next(u.id for u in nurse.units if u.code == UNIT)
        case_ids = [row.case_id for row in inbox(ctx, nurse)]
        with read_scope(ctx.engine) as s:
            shared_files = [a.id for a in s.exec(select(Attachment)).all()]
    except Exception as exc:  # this process cannot go on: report and stop
        count(exc)
        times["start (fel)"].append(time.perf_counter() - t0)
        out.put((role, dict(times), dict(errors)))
        ready.wait()  # type: ignore[attr-defined]  # the others must not wait for this one
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
        r = rng.random()
        if r < 0.50:
            d = draft_message(ctx, nurse, unit_id, rng.choice(PATIENTS))
            send_case(ctx, nurse, d.unit_id, d.patient.id, d.text)
            return "skicka ärende"
        if r < 0.70:
            admin.set_picsara_permission(ctx, lena, target.staff_id, rng.random() < 0.5)
            return "behörighet"
        file_id = rng.choice(shared_files)
        with read_scope(ctx.engine) as s:  # the version this writer's screen shows
            seen = s.get(Attachment, file_id).version  # type: ignore[union-attr]
        try:
            handling.decide(ctx, nurse, file_id, rng.random() < 0.5, "bench", expected_version=seen)
        except UserError as exc:
            if "sparades inte" not in exc.message:  # not a colleague's decision first
                raise
            return "beslut (krock)"
        return "beslut"

    op = read if role == "reader" else write
    # The window starts when every process has started (on a loaded machine start-up alone
    # can take longer than the planned head start), so it always measures `seconds` of work.
    ready.wait()  # type: ignore[attr-defined]
    end = time.time() + seconds
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
    ap.add_argument("--url", help="a PostgreSQL server's URL (default: a SQLite file)")
    args = ap.parse_args()
    import tui_app

    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as tmp:
        data_dir = Path(tmp) / "data"
        db = _new_database(args.url) if args.url else f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        t0 = time.perf_counter()
        before = _generate(db, data_dir, args.cases, args.log_entries)
        print(f"engine: {db.split(':', 1)[0]}")
        print(f"code: {Path(tui_app.__file__).parent}")
        print(
            f"database: {args.cases} cases, {args.log_entries} log entries "
            f"(generated in {time.perf_counter() - t0:.1f} s)"
        )
        spawn = mp.get_context("spawn")
        out: mp.Queue = spawn.Queue()  # type: ignore[type-arg]
        start = time.time() + 10 + 0.3 * (args.readers + args.writers)  # all imported by then
        ready = spawn.Barrier(args.readers + args.writers)
        procs = [
            spawn.Process(
                target=_worker,
                args=(role, i, str(db), str(data_dir), start, args.seconds, out, ready),
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
        problems = _check(db, data_dir, args.cases, before, results)
        if args.url:
            _drop_database(args.url, db)
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
    for line in problems:
        print(f"PROBLEM: {line}")
    return 0 if total_err == 0 and not failed_procs and not problems else 1


def _new_database(server_url: str) -> str:
    """A fresh database on the server; its URL."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(server_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def _check(url: str, data_dir: Path, cases: int, before: int, results: list) -> list[str]:  # type: ignore[type-arg]
    """No lost update, no duplicate audit sequence number, the chain verifies."""
    from sqlalchemy import func

    from tui_app.services import audit
    from tui_app.services.context import close_context, open_context
    from tui_app.store.db import read_scope
    from tui_app.store.models import Attachment, AuditEntry, Case

    sent = sum(len(t.get("skicka ärende", [])) for r, t, _ in results if r == "writer")
    decided = sum(len(t.get("beslut", [])) for r, t, _ in results if r == "writer")
    clashes = sum(len(t.get("beslut (krock)", [])) for r, t, _ in results if r == "writer")
    ctx = open_context(url, data_dir)
    problems = []
    try:
        with read_scope(ctx.engine) as s:
            n_cases = s.exec(select(func.count()).select_from(Case)).one()
            versions = sum(a.version for a in s.exec(select(Attachment)).all())
            dup = s.exec(
                select(AuditEntry.seq).group_by(AuditEntry.seq).having(func.count() > 1)
            ).all()
            n_log = s.exec(select(func.count()).select_from(AuditEntry)).one()
        report = audit.verify(ctx)
    finally:
        close_context(ctx)
    print(
        f"\nchecks: {n_cases} cases = {cases} generated + {sent} sent; file versions "
        f"{versions} = {before} + {decided} decisions ({clashes} refused as a colleague's "
        f"first); {n_log} log entries, {len(dup)} duplicate seq; chain "
        f"{'verifies' if report.ok else 'BROKEN'}"
    )
    if n_cases != cases + sent:
        problems.append(f"lost update: {n_cases} cases, expected {cases + sent}")
    if versions != before + decided:
        problems.append(f"lost update: file versions {versions}, expected {before + decided}")
    if dup:
        problems.append(f"duplicate audit seq: {dup[:5]}")
    if not report.ok:
        problems.append(f"chain broken: {report.problem}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
