"""Concurrency: N staff sessions refreshing and M writers on one database, through the use cases.

Run: .venv/bin/python bench/concurrency.py [--sessions 50] [--writers 2] [--seconds 60]
        [--procs P] [--pace 0.5 2.0] [--open 0.2] [--writer-pause 0.1 0.5] [--seed 1] [--live]
        [--db PATH [--logins bench_n{:02d}] [--writer-login bench_nurse]] [--cases 300]
        [--url URL] [--no-verify]

The database: `--db PATH` is a generated database (bench/gen.py; pass a COPY, the bench writes
into it); `--db postgresql+psycopg://…/DB?host=…` is one generated on PostgreSQL (gen.py --url;
used as it is, never dropped, and the bench writes into it: make it again, or accept the few
hundred cases a run adds; its files folder is `--data-dir`, default a temporary one), else a fresh one is made in a temporary folder (the demo people of data/demo.json and
`--cases` cases; SQLite, or with `--url postgresql+psycopg://…/postgres?host=…` a fresh database
`bench_…` on that server, dropped after).

A session is a nurse with the inbox open, as the UI runs it on its timer and on live notices but
as fast as a busy ward: every U(pace) seconds (seeded) a refresh, i.e. the inbox's first page
(`api.inbox_page`, 50 rows; `cases.inbox` on code without it) and the counts per status
(`api.inbox_counts` where it exists), and with probability `--open` it opens a case from the page
(which logs the access: a short write). Each session also runs the live watcher the inbox runs
(services/live.py), whose polling counts; with `--live` a session also refreshes on each of
its notices, as the inbox does (one refresh at a time). A writer loops with a pause of U(writer-pause) seconds:
send a case, the patient replies with a file (the intake's check is timed apart, as
"intag"), and the writer decides on that file.

Sessions and writers are spread over `--procs` processes (default: one each, as staff on a shared
server over SSH are); `--procs 1` runs them all as threads of one process. Every session and
writer has a context (engine) of its own.

Printed per role and operation: how many ran, errors by kind, median, p95 and worst latency; the
floor in the same run (a raw sqlite3 `SELECT 1` on its own connection, SQLite only) and each
role's p95 as a multiple of it. Afterwards: no lost update (every case and decision there), the
access log without gaps in its sequence, and (unless --no-verify) the chain verifies. The
target: zero errors, reader p95 ≤ 50 ms, writer p95 ≤ 100 ms. Only functions that exist on main
are required, so main and a branch are measured alike (PYTHONPATH decides which code runs).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if "PYTHONPATH" not in __import__("os").environ:  # PYTHONPATH decides which code runs
    sys.path.insert(0, str(ROOT))
DEMO = ROOT / "data" / "demo.json"
SAMPLE = ROOT / "data" / "samples" / "handled.jpg"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from concurrency_report import (  # noqa: E402
    CURRENT,
    Times,
    _check,
    _before,
    _drop_database,
    _floor,
    _new_database,
    _report,
    _time_lock_holds,
    _time_lock_waits,
)

FAILED = object()  # what Worker.timed returns for an operation that raised


def _generate(url: str, data_dir: Path, cases: int) -> None:
    """A fresh database: the demo people and `cases` cases in danan12's unit."""
    from tui_app.core.clock import SystemClock
    from tui_app.services.cases import draft_message, send_case
    from tui_app.services.context import close_context, open_context
    from tui_app.services.identity import staff_by_login
    from tui_app.services.seed import load_file

    ctx = open_context(url, data_dir, clock=SystemClock())
    load_file(ctx, DEMO, with_cases=False)
    dan = staff_by_login(ctx, "danan12")
    unit_id = next(u.id for u in dan.units if u.code == "REUM-SKO")
    for i in range(cases):
        d = draft_message(ctx, dan, unit_id, ("199002222397", "200001252386")[i % 2])
        send_case(ctx, dan, d.unit_id, d.patient.id, d.text)
    close_context(ctx)


class Worker:
    """One session or writer: its context, its seeded random, its timings and errors."""

    def __init__(self, role: str, index: int, args: argparse.Namespace) -> None:
        self.role, self.index, self.args = role, index, args
        self.rng = random.Random(args.seed * 100003 + index * 7919 + (role == "writer"))
        self.times: Times = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.ctx: Any = None

    def timed(self, name: str, fn: Any, *a: Any, **kw: Any) -> Any:
        outer, CURRENT.op = getattr(CURRENT, "op", "annat"), name
        t0 = time.perf_counter()
        try:
            return fn(*a, **kw)
        except Exception as exc:  # counted by kind: the point of the bench
            msg = getattr(exc, "message", None) or str(exc)
            self.errors[f"{name}: {type(exc).__name__}: {' '.join(msg.split()[:7])[:80]}"] += 1
            return FAILED
        finally:
            self.times[name].append(time.perf_counter() - t0)
            CURRENT.op = outer

    def login(self) -> str:
        if self.role == "writer":
            return self.args.writer_login or ("danan12", "marsv3")[self.index % 2]
        pattern = self.args.logins or "{}"
        if self.args.logins:
            return pattern.format(1 + self.index % self.args.login_count)
        return ("danan12", "marsv3")[self.index % 2]

    def start(self, url: str, data_dir: str) -> bool:
        """Open the database and sign in, as the app does at start (timed as "start")."""
        from tui_app.core.clock import SystemClock
        from tui_app.services.context import open_context
        from tui_app.services.identity import staff_by_login

        def begin() -> Any:
            self.ctx = open_context(url, Path(data_dir), clock=SystemClock())
            self.actor = staff_by_login(self.ctx, self.login())
            return self.actor

        return self.timed("start", begin) is not FAILED


def _first_page(ctx: Any, actor: Any) -> list[Any]:
    from tui_app.services import api

    if hasattr(api, "inbox_page"):
        return list(api.inbox_page(ctx, actor, limit=50).rows)
    from tui_app.services.cases import inbox

    return inbox(ctx, actor)[:50]


def _counts(ctx: Any, actor: Any) -> object:
    from tui_app.services import api

    return api.inbox_counts(ctx, actor) if hasattr(api, "inbox_counts") else None


def _session(w: Worker, end: float, stop: threading.Event) -> None:
    """A nurse with the inbox open: refresh on a seeded timer (and, with --live, on each live
    notice, as the inbox does), now and then open a case."""
    from tui_app.services.cases import open_case
    from tui_app.services.live import Watcher

    notices = [0]
    changed = threading.Event()

    def notice() -> None:
        notices[0] += 1
        changed.set()

    watcher = Watcher(lambda: w.ctx.engine, notice).start()
    lo, hi = w.args.pace
    tick = time.time() + w.rng.uniform(lo, hi)
    while not stop.is_set() and time.time() < end:
        if w.args.live and changed.wait(max(0.0, tick - time.time())):
            changed.clear()  # a notice: refresh now, the timer keeps its beat
        elif not w.args.live and stop.wait(max(0.0, tick - time.time())):
            break
        else:
            tick = time.time() + w.rng.uniform(lo, hi)
        t0 = time.perf_counter()
        rows = w.timed("inkorg", _first_page, w.ctx, w.actor)
        w.timed("antal", _counts, w.ctx, w.actor)
        w.times["uppdatering"].append(time.perf_counter() - t0)
        if rows is not FAILED and rows and w.rng.random() < w.args.open:
            w.timed("öppna ärende", open_case, w.ctx, w.actor, w.rng.choice(rows).case_id)
    watcher.stop()
    w.times["livenotiser"].append(float(notices[0]))


def _writer(w: Worker, end: float, stop: threading.Event) -> None:
    """Send a case, the patient replies with a file, the writer decides on it; pause; again."""
    from sqlmodel import col, select

    from tui_app.services import handling
    from tui_app.services.cases import draft_message, send_case
    from tui_app.services.conversation import patient_reply
    from tui_app.services.files import stage_files
    from tui_app.services.identity import patient_actor
    from tui_app.store.db import read_scope
    from tui_app.store.models import Attachment

    from tui_app.store.models import Case, Patient

    units = [u.id for u in w.actor.units]
    # The units and patients of the actor's latest cases, of those a message can be sent to
    # (activated on 1177: sending to another one is refused, rightly, and is not a load error).
    with read_scope(w.ctx.engine) as s:
        recent = select(Case.unit_id, Patient.pnr).join(Patient, col(Case.patient_id) == Patient.id)
        pairs = s.exec(
            recent.where(col(Case.unit_id).in_(units), col(Patient.activated_1177))
            .order_by(col(Case.id).desc())
            .limit(40)
        ).all()
    unit = pairs[w.index % len(pairs)][0] if pairs else units[0]
    pnrs = sorted({pnr for u, pnr in pairs if u == unit}) or [w.args.pnr]
    lo, hi = w.args.writer_pause
    while not stop.wait(w.rng.uniform(lo, hi)) and time.time() < end:
        draft = w.timed("utkast", draft_message, w.ctx, w.actor, unit, w.rng.choice(pnrs))
        if draft is FAILED:
            continue
        number = w.timed(
            "skicka ärende", send_case, w.ctx, w.actor, unit, draft.patient.id, draft.text
        )
        staged = w.timed("intag", stage_files, w.ctx, [SAMPLE])
        if number is FAILED or staged is FAILED:
            continue
        w.times["skickat ok"].append(1.0)
        patient = patient_actor(w.ctx, draft.patient.id)
        reply = w.timed("patientsvar", patient_reply, w.ctx, patient, number, "Bilden.", staged)
        if reply is FAILED:
            continue
        with read_scope(w.ctx.engine) as s:
            files = s.exec(select(Attachment).where(Attachment.case_id == number)).all()
        for f in files:
            decide = handling.decide
            if (
                w.timed("beslut", decide, w.ctx, w.actor, f.id, True, expected_version=f.version)
                is not FAILED
            ):
                w.times["beslut ok"].append(1.0)


def _guarded(w: Worker, end: float, stop: threading.Event) -> None:
    """A session's or writer's loop; anything it did not count itself is an error too."""
    w.timed("loop", _session if w.role == "reader" else _writer, w, end, stop)
    w.times.pop("loop", None)


def _process(
    jobs: list[tuple[str, int]],
    args: argparse.Namespace,
    url: str,
    data_dir: str,
    out: Any,
    barrier: Any,
) -> None:
    """One process: its sessions and writers as threads; results by queue."""
    workers = [Worker(role, i, args) for role, i in jobs]
    waits: Times = defaultdict(list)
    holds: Times = defaultdict(list)
    _time_lock_waits(waits)
    _time_lock_holds(holds)
    started = [w for w in workers if w.start(url, data_dir)]
    barrier.wait()  # the window starts when every process has started
    end = time.time() + args.seconds
    stop = threading.Event()
    threads = [threading.Thread(target=_guarded, args=(w, end, stop)) for w in started]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(
        [(w.role, dict(w.times), dict(w.errors)) for w in workers]
        + [("lock", waits, {}), ("hold", holds, {})]
    )


def _parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--writers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--procs", type=int, help="processes (default: one per session and writer)")
    ap.add_argument("--pace", type=float, nargs=2, default=(0.5, 2.0))
    ap.add_argument("--writer-pause", type=float, nargs=2, default=(0.1, 0.5))
    ap.add_argument("--open", type=float, default=0.2)
    ap.add_argument("--live", action="store_true", help="refresh on live notices too")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument(
        "--db", help="a COPY of a generated SQLite database, or a generated PostgreSQL one's URL"
    )
    ap.add_argument("--data-dir", type=Path, help="its data folder (default: <db>.data)")
    ap.add_argument("--logins", help="session logins, a format with one number (1…)")
    ap.add_argument("--login-count", type=int, default=50)
    ap.add_argument("--writer-login")
    ap.add_argument("--pnr", default="199002222397")
    ap.add_argument("--url", help="a PostgreSQL server's URL (default: a SQLite file)")
    ap.add_argument("--no-verify", action="store_true")
    return ap.parse_args()


def _run(args: argparse.Namespace, url: str, data_dir: Path) -> tuple[list[Any], list[float]]:
    jobs = [("reader", i) for i in range(args.sessions)] + [
        ("writer", i) for i in range(args.writers)
    ]
    n_procs = min(len(jobs), args.procs or len(jobs))
    random.Random(args.seed).shuffle(jobs)
    spawn = mp.get_context("spawn")
    out = spawn.Queue()
    barrier = spawn.Barrier(n_procs + 1)
    procs = [
        spawn.Process(
            target=_process, args=(jobs[k::n_procs], args, url, str(data_dir), out, barrier)
        )
        for k in range(n_procs)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    floor, wal = _floor(url, args.seconds)
    results: list[Any] = [("lock", {"WAL max MB": [wal / 1e6]}, {})]
    for _ in procs:
        try:
            results.extend(out.get(timeout=args.seconds + 300))
        except Exception:
            break
    for p in procs:
        p.join()
    failed = sum(1 for p in procs if p.exitcode != 0)
    if failed:
        results.append(("reader", {}, {f"{failed} processes failed": 1}))
    return results, floor


def main() -> int:
    args = _parse()
    import tui_app

    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as tmp:
        data_dir = Path(tmp) / "data"
        if args.db and "://" in args.db:  # generated on PostgreSQL: no files of its own
            url = args.db
            data_dir = (args.data_dir or data_dir).absolute()
            args.writer_login = args.writer_login or "bench_nurse"
        elif args.db:
            db = Path(args.db)
            url = f"sqlite:///{db.absolute()}"
            data_dir = (args.data_dir or Path(f"{db.with_suffix('')}.data")).absolute()
            args.writer_login = args.writer_login or "bench_nurse"
        else:
            url = _new_database(args.url) if args.url else f"sqlite:///{Path(tmp) / 'b.sqlite'}"
            t0 = time.perf_counter()
            _generate(url, data_dir, args.cases)
            print(f"generated {args.cases} cases in {time.perf_counter() - t0:.1f} s")
        print(f"engine: {url.split(':', 1)[0]}; code: {Path(tui_app.__file__).parent}")
        before = _before(url, data_dir)
        results, floor = _run(args, url, data_dir)
        problems = _check(url, data_dir, before, results, verify=not args.no_verify)
        if args.url and not args.db:
            _drop_database(args.url, url)
    print(
        f"{args.sessions} sessions + {args.writers} writers for {args.seconds:g} s in "
        f"{args.procs or args.sessions + args.writers} processes; pace {args.pace}, "
        f"open {args.open}, writer pause {args.writer_pause}, seed {args.seed}"
    )
    errors = _report(results, floor)
    for line in problems:
        print(f"PROBLEM: {line}")
    print(f"\ntotal errors: {errors}; problems: {len(problems)}")
    return 0 if errors == 0 and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
