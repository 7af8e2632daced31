"""The measuring half of bench/concurrency.py: the floor, the write lock's waits and holds, the
report, the checks after the window, and PostgreSQL's throw-away database."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

Times = dict[str, list[float]]
#: The operation each thread is in (Worker.timed sets it): what a write transaction is for.
CURRENT = threading.local()


def _floor(url: str, seconds: float) -> tuple[list[float], int]:
    """The 50 newest cases read with raw sqlite3 by primary key, every 50 ms through the
    window, in this process (so the machine's load shows in it too); and the largest size the
    WAL file reached (a checkpoint starved by readers lets it grow). SQLite only."""
    from tui_app.store.quick import sqlite_path

    path = sqlite_path(url)
    if path is None:
        return [], 0
    import os
    import sqlite3

    conn = sqlite3.connect(path)
    wal = f"{path}-wal"
    out, end, biggest = [], time.time() + seconds, 0
    while time.time() < end:
        t0 = time.perf_counter()
        conn.execute("SELECT * FROM cases ORDER BY id DESC LIMIT 50").fetchall()
        out.append(time.perf_counter() - t0)
        biggest = max(biggest, os.path.getsize(wal) if os.path.exists(wal) else 0)
        time.sleep(0.05)
    conn.close()
    return out, biggest


def _time_lock_waits(times: Times) -> None:
    """Record how long each writer waited for SQLite's write lock (store.db: the writers' gate
    and BEGIN IMMEDIATE where the code has a gate, else BEGIN IMMEDIATE alone)."""
    from tui_app.store import db

    name = "_take_write_lock" if hasattr(db, "_take_write_lock") else "_begin_immediate"
    real = getattr(db, name, None)
    if real is None:
        return

    def timed(*a: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return real(*a, **kw)
        finally:
            times["skrivlås"].append(time.perf_counter() - t0)

    setattr(db, name, timed)


def _time_lock_holds(times: Times) -> None:
    """Record how long each write transaction held SQLite's write lock, from the moment it had
    it (after the wait _time_lock_waits records) to the end of its COMMIT or ROLLBACK, under
    the operation its thread was in (Worker.timed): "öppna ärende" is the access-log append."""
    from sqlalchemy.engine import default

    from tui_app.store import db

    name = "_take_write_lock" if hasattr(db, "_take_write_lock") else "_begin_immediate"
    real = getattr(db, name, None)
    if real is None:
        return
    held: dict[int, tuple[float, str]] = {}

    def take(raw: Any, *a: Any, **kw: Any) -> Any:
        result = real(raw, *a, **kw)
        held[id(raw)] = (time.perf_counter(), getattr(CURRENT, "op", "annat"))
        return result

    def ending(end: Any) -> Any:
        def wrapped(self: Any, dbapi_connection: Any) -> None:
            try:
                end(self, dbapi_connection)
            finally:
                # SQLAlchemy passes the pool's proxy; the lock was taken on what it wraps.
                raw = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
                started = held.pop(id(raw), None)
                if started is not None:
                    times[started[1]].append(time.perf_counter() - started[0])

        return wrapped

    setattr(db, name, take)
    default.DefaultDialect.do_commit = ending(default.DefaultDialect.do_commit)  # type: ignore[method-assign]
    default.DefaultDialect.do_rollback = ending(default.DefaultDialect.do_rollback)  # type: ignore[method-assign]


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


LABELS = {
    "lock": "write-lock waits (BEGIN IMMEDIATE)",
    "hold": "write-lock holds (lock taken to COMMIT/ROLLBACK done), per operation",
}
READS = ("inkorg", "antal", "öppna ärende")
WRITES = ("utkast", "skicka ärende", "patientsvar", "beslut")


def _report(results: list[tuple[str, Times, dict[str, int]]], floor: list[float]) -> int:
    """Per role and operation; returns the number of errors."""
    total_err = 0
    f95 = _pct(floor, 0.95)
    if floor:
        print(
            f"floor (raw sqlite3, 50 newest cases): median {1000 * statistics.median(floor):.2f} ms  "
            f"p95 {1000 * f95:.2f} ms  ({len(floor)} samples)"
        )
    roles = (("reader", READS), ("writer", WRITES), ("lock", ("skrivlås",)), ("hold", ()))
    for role, ops in roles:
        times: Times = defaultdict(list)
        errors: Counter[str] = Counter()
        for r, t, e in results:
            if r == role:
                for k, v in t.items():
                    times[k].extend(v)
                errors.update(e)
        every = [x for k in ops or tuple(times) for x in times.get(k, [])]
        n_err = sum(errors.values())
        total_err += n_err
        p95 = _pct(every, 0.95)
        ratio = f", {p95 / f95:.0f}× the floor's p95" if floor and f95 else ""
        label = LABELS.get(role, f"{role}s")
        print(f"\n{label}: {len(every)} operations, {n_err} errors, p95 {1000 * p95:.1f} ms{ratio}")
        for name in sorted(times):
            v = times[name]
            if name in ("livenotiser", "beslut ok", "skickat ok", "WAL max MB"):
                print(f"  {name:<14} {max(v) if 'MB' in name else int(sum(v)):>6g}")
                continue
            print(
                f"  {name:<14} {len(v):>6}  median {1000 * statistics.median(v):>7.1f} ms  "
                f"p95 {1000 * _pct(v, 0.95):>7.1f} ms  max {1000 * max(v):>7.1f} ms"
            )
        for kind, n in errors.most_common():
            print(f"  error {n:>5} × {kind}")
    return total_err


def _before(url: str, data_dir: Path) -> tuple[int, int, int]:
    """(cases, the newest case number, the access log's head seq) before the window."""
    from sqlalchemy import func
    from sqlmodel import select

    from tui_app.services.context import close_context, open_context
    from tui_app.store.db import read_scope
    from tui_app.store.models import AuditHead, Case

    ctx = open_context(url, data_dir)
    try:
        with read_scope(ctx.engine) as s:
            n = s.exec(select(func.count()).select_from(Case)).one()
            newest = s.exec(select(func.max(Case.id))).one() or 0
            seq = s.exec(select(AuditHead.seq)).one()
    finally:
        close_context(ctx)
    return n, newest, seq


def _check(
    url: str, data_dir: Path, before: tuple[int, int, int], results: list[Any], verify: bool
) -> list[str]:
    """No lost update, no gap or duplicate in the access log's sequence, the chain verifies."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from tui_app.services import audit
    from tui_app.services.context import close_context, open_context
    from tui_app.store.db import read_scope
    from tui_app.store.models import Attachment, AuditEntry, AuditHead, Case

    def done(what: str) -> int:
        return sum(int(sum(t.get(what, []))) for r, t, _ in results if r == "writer")

    sent, decided = done("skickat ok"), done("beslut ok")
    n_cases, newest, seq0 = before
    ctx = open_context(url, data_dir)
    try:
        with read_scope(ctx.engine) as s:
            new = s.exec(select(func.count()).select_from(Case).where(col(Case.id) > newest)).one()
            head = s.exec(select(AuditHead.seq)).one()
            seqs = select(func.count(func.distinct(AuditEntry.seq)))
            logged = s.exec(seqs.where(col(AuditEntry.seq) > seq0)).one()
            with_decision = s.exec(
                select(func.count())
                .select_from(Attachment)
                .where(col(Attachment.case_id) > newest, col(Attachment.decision).is_not(None))
            ).one()
        ok = audit.verify(ctx).ok if verify else True
    finally:
        close_context(ctx)
    print(
        f"\nchecks: {new} new cases ({sent} sent), {with_decision} files decided ({decided} "
        f"decisions); {head - seq0} log entries appended, {logged} distinct seq; chain "
        + ("verifies" if ok else "BROKEN")
        + ("" if verify else " (not verified: --no-verify)")
    )
    problems = []
    if new != sent:
        problems.append(f"lost update: {new} new cases, {sent} sends succeeded")
    if with_decision != decided:
        problems.append(f"lost update: {with_decision} files decided, {decided} decisions")
    if logged != head - seq0:
        problems.append(f"access log: {head - seq0} appended but {logged} distinct seq")
    if not ok:
        problems.append("the access log's chain is broken")
    return problems


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
