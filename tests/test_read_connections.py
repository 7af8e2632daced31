"""The SQLite connections the inbox reads on are kept between reads, outside the pool
(store.db._RawReads): a pool checkout and return cost more than a page by case number. Kept,
they must still behave as pooled ones did: read-only, no snapshot held between reads, nothing
left of a failed read, closed with their engine, safe from many threads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests import pg
from tests.conftest import ELIN, send, staff
from tui_app.services import inbox
from tui_app.services.context import Context
from tui_app.store import db

pytestmark = pytest.mark.skipif(pg.enabled(), reason="SQLite's own read connections")


def _kept(ctx: Context) -> list[Any]:
    kept = db._RAW_READS.get(ctx.engine)
    return [] if kept is None else list(kept._idle)


def test_inbox_pages_take_no_connection_from_the_pool_once_one_is_kept(ctx: Context) -> None:
    """main checked a connection out of the read engine's pool for every page (~14 us)."""
    dan = staff(ctx, "danan12")
    send(ctx, pnr=ELIN)
    checkouts: list[object] = []

    def checked_out(*args: object) -> None:
        checkouts.append(args)

    pool = db._reader(ctx.engine).pool
    event.listen(pool, "checkout", checked_out)
    try:
        for _ in range(5):
            assert inbox.page(ctx, dan).rows
    finally:
        event.remove(pool, "checkout", checked_out)
    assert len(checkouts) <= 1, checkouts


def test_a_kept_connection_is_read_only_and_holds_no_snapshot_between_reads(
    ctx: Context,
) -> None:
    dan = staff(ctx, "danan12")
    send(ctx, pnr=ELIN)
    inbox.page(ctx, dan)
    (raw,) = _kept(ctx)
    assert not raw.in_transaction
    with pytest.raises(sqlite3.OperationalError):  # PRAGMA query_only, as the pool's had
        raw.execute("INSERT INTO setting (key, value) VALUES ('x', 'y')")
    writer = sqlite3.connect(Path(ctx.engine.url.database or ""), isolation_level=None)
    try:
        writer.execute("INSERT INTO setting (key, value) VALUES ('colleague', 'was here')")
        busy, _log, _done = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0  # no reader pins the WAL: it could be checkpointed and truncated
    finally:
        writer.close()
    assert len(inbox.page(ctx, dan).rows) == 1  # and the next read sees the new state


def test_a_failed_read_leaves_no_transaction_on_the_connection_kept(ctx: Context) -> None:
    send(ctx, pnr=ELIN)
    with pytest.raises(RuntimeError), db.read_connection(ctx.engine) as conn:
        conn.dbapi.execute("SELECT count(*) FROM cases").fetchall()
        raise RuntimeError("a read that failed half-way")
    assert [raw.in_transaction for raw in _kept(ctx)] == [False]
    with pytest.raises(sqlite3.OperationalError), db.read_connection(ctx.engine) as conn:
        conn.dbapi.execute("SELECT no_such_column FROM cases")
    assert [raw.in_transaction for raw in _kept(ctx)] == [False]
    send(ctx, pnr=ELIN)
    with db.read_connection(ctx.engine) as conn:
        assert conn.dbapi.execute("SELECT count(*) FROM cases").fetchone()[0] == 2


def test_a_read_whose_connection_was_closed_under_it_is_not_kept(ctx: Context) -> None:
    with pytest.raises(sqlite3.ProgrammingError), db.read_connection(ctx.engine) as conn:
        conn.dbapi.close()  # what an engine disposed mid-read does to it
        conn.dbapi.execute("SELECT 1")
    assert _kept(ctx) == []
    with db.read_connection(ctx.engine) as conn:  # a new one is opened
        assert conn.dbapi.execute("SELECT 1").fetchone() == (1,)


def test_disposing_the_engine_closes_the_kept_connections(ctx: Context) -> None:
    with db.read_connection(ctx.engine) as conn:
        raw = conn.dbapi
    assert _kept(ctx) == [raw]
    ctx.engine.dispose()
    with pytest.raises(sqlite3.ProgrammingError):  # closed
        raw.execute("SELECT 1")
    with db.read_connection(ctx.engine) as conn:  # the engine still reads afterwards
        assert conn.dbapi is not raw and conn.dbapi.execute("SELECT 1").fetchone() == (1,)


def test_reads_from_many_threads_at_once_each_get_their_own_connection(ctx: Context) -> None:
    dan = staff(ctx, "danan12")
    send(ctx, pnr=ELIN)
    start = threading.Barrier(12)
    inside = threading.Barrier(12)
    seen: list[int] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            start.wait(timeout=60)
            with db.read_connection(ctx.engine) as conn:
                seen.append(id(conn.dbapi))
                inside.wait(timeout=60)  # all twelve hold a connection at the same time
            for _ in range(20):
                assert len(inbox.page(ctx, dan).rows) == 1
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(set(seen)) == 12  # never one connection in two reads at once
    assert len(_kept(ctx)) <= db._RawReads.KEEP  # the rest were closed
