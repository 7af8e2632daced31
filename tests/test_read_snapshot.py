"""Reads never block work (R24's verify, the inbox, a case): only writing transactions take the
write lock; a database that stays busy is a clear Swedish message, never an OperationalError."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func
from sqlmodel import select

from tests import pg
from tests.conftest import ELIN, send, staff, unit_id
from tui_app.services import audit, auditlog
from tui_app.services.cases import draft_message, inbox, open_case, send_case
from tui_app.services.context import Context
from tui_app.services.errors import explain
from tui_app.store.models import AuditEntry, Case


#: A colleague holding SQLite's write lock is a raw sqlite3 connection to the file.
sqlite_only = pytest.mark.skipif(pg.enabled(), reason="SQLite's file lock, taken with sqlite3")


def db_file(ctx: Context) -> Path:
    return Path(ctx.engine.url.database or "")


@contextmanager
def colleague_writing(ctx: Context) -> Iterator[sqlite3.Connection]:
    """Another process in the middle of a write: it holds SQLite's write lock until the end."""
    conn = sqlite3.connect(db_file(ctx), timeout=0, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO setting (key, value) VALUES ('colleague', 'busy')")
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def log_count(ctx: Context) -> int:
    from tui_app.store.db import read_scope

    with read_scope(ctx.engine) as s:
        return s.exec(select(func.count()).select_from(AuditEntry)).one()


@sqlite_only
def test_r24_verify_runs_while_a_colleague_is_writing(ctx: Context) -> None:
    send(ctx)
    with colleague_writing(ctx):
        report = audit.verify(ctx)  # main: 5 s wait, then "database is locked"
    assert report.ok and report.entries >= 1


@sqlite_only
def test_r24_verify_never_holds_the_write_lock(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        send(ctx)
    wrote: list[int] = []
    real_hash = audit._hash

    def hash_and_write(*args: object) -> str:
        if not wrote:  # in the middle of the walk, a colleague writes and must not wait at all
            conn = sqlite3.connect(db_file(ctx), timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO setting (key, value) VALUES ('during', 'verify')")
                conn.execute("COMMIT")
                wrote.append(1)
            finally:
                conn.close()
        return real_hash(*args)

    monkeypatch.setattr(audit, "_hash", hash_and_write)
    assert audit.verify(ctx, checkpoint=False).ok
    assert wrote == [1]


def test_r24_verify_reads_plain_rows_in_batches(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        send(ctx)
    from tui_app.services import auditverify

    monkeypatch.setattr(auditverify, "STREAM", 2)  # several pages, each read and dropped
    loaded: list[object] = []

    def on_load(target: object, _context: object) -> None:
        loaded.append(target)

    event.listen(AuditEntry, "load", on_load)
    try:
        report = audit.verify(ctx, checkpoint=False)
    finally:
        event.remove(AuditEntry, "load", on_load)
    assert report.ok and report.entries == log_count(ctx)
    assert loaded == []  # no ORM object per entry


@sqlite_only
def test_r05_staff_reads_go_on_while_a_colleague_is_writing(ctx: Context) -> None:
    number = send(ctx)
    dan, lena = staff(ctx, "danan12"), staff(ctx, "lenjo54")
    with colleague_writing(ctx):
        assert [r.case_id for r in inbox(ctx, dan)] == [number]
        assert open_case(ctx, dan, number, log_access=False).case_id == number
        assert draft_message(ctx, dan, unit_id(dan, "REUM-SKO"), ELIN).patient.pnr == ELIN
        assert staff(ctx, "marsv3").login == "marsv3"
        assert auditlog.reviews(ctx) == []
        assert auditlog.patient_extract(ctx, ELIN)
    assert lena.is_admin


def test_a_read_is_one_snapshot_and_cannot_write(ctx: Context) -> None:
    from tui_app.store.db import read_scope, session_scope
    from tui_app.store.models import Setting

    send(ctx)
    with read_scope(ctx.engine) as r:
        before = r.exec(select(func.count()).select_from(Case)).one()
        send(ctx)  # a colleague's case, committed meanwhile
        assert r.exec(select(func.count()).select_from(Case)).one() == before
    with read_scope(ctx.engine) as r:
        assert r.exec(select(func.count()).select_from(Case)).one() == before + 1
    with pytest.raises(Exception, match="readonly|read-only|query_only|attempt to write"):
        with read_scope(ctx.engine) as r:
            r.add(Setting(key="x", value="y"))
    with session_scope(ctx.engine) as w:
        assert w.get(Setting, "x") is None


def busy_context(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Context:
    """The same database with a short busy timeout, so the test does not wait 5 s."""
    from tui_app.store import db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    short = Context(db.make_engine(str(ctx.engine.url)), ctx.clock, ctx.data_dir, config=ctx.config)
    short.downloads, short.trash = ctx.downloads, ctx.trash
    short.picsara, short.earkiv = ctx.picsara, ctx.earkiv
    return short


@sqlite_only
def test_r05_a_busy_database_is_a_clear_swedish_message_and_no_refusal(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    dan = staff(ctx, "danan12")
    d = draft_message(ctx, dan, unit_id(dan, "REUM-SKO"), ELIN)
    short = busy_context(ctx, monkeypatch)
    before = log_count(ctx)
    try:
        with colleague_writing(ctx):
            with pytest.raises(Exception) as caught:
                send_case(short, dan, d.unit_id, d.patient.id, d.text)
    finally:
        short.engine.dispose()
    said = explain(caught.value)  # what the UI and the CLI show
    assert "Databasen är upptagen" in said and "just nu" in said and "försök igen" in said
    assert log_count(ctx) == before  # nothing sent, and it is not logged as a refusal


@sqlite_only
async def test_r05_the_nurse_sees_the_busy_message_not_an_operational_error(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_app.ui.app import build_app
    from tui_app.ui.base import StatusLine

    send(ctx)
    short = busy_context(ctx, monkeypatch)
    dan = staff(short, "danan12")
    app = build_app(short, dan)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            with colleague_writing(ctx):  # the case is read, its access cannot be logged now
                await pilot.press("enter")
                await app.workers.wait_for_complete()
                await pilot.pause()
                shown = str(screen.query_one(StatusLine).render())
            assert app.screen is screen  # the case is not shown: its access was not logged
    finally:
        short.engine.dispose()
    assert "Databasen är upptagen" in shown and "just nu" in shown
    assert "OperationalError" not in shown and "Något gick fel" not in shown


def test_r05_the_inbox_read_is_one_snapshot_and_returns_its_connection_clean(
    ctx: Context,
) -> None:
    """store.db.read_connection (the inbox's pages and counts): a write committed by a
    colleague after the read began is not seen inside it; after the read, and after a read
    that failed, the pooled connection holds no transaction (so it never pins an old WAL
    snapshot, nor hands one to the next reader)."""
    from tui_app.store.db import _reader, read_connection

    send(ctx, pnr=ELIN)
    count = "SELECT count(*) FROM cases"

    def rows(conn: object, statement: str) -> list[tuple[object, ...]]:
        raw = conn.dbapi  # type: ignore[attr-defined]
        if conn.dialect == "sqlite":  # type: ignore[attr-defined]
            return list(raw.execute(statement).fetchall())
        with raw.cursor() as cur:
            cur.execute(statement)
            return list(cur.fetchall())

    with read_connection(ctx.engine) as conn:
        before = rows(conn, count)[0][0]
        send(ctx, pnr=ELIN)  # committed by another session meanwhile
        assert rows(conn, count)[0][0] == before  # still the read's own snapshot
    with read_connection(ctx.engine) as conn:
        assert rows(conn, count)[0][0] == before + 1
    with pytest.raises(RuntimeError), read_connection(ctx.engine) as conn:
        rows(conn, count)
        raise RuntimeError("a read that failed half-way")
    if ctx.engine.dialect.name == "sqlite":
        proxied = _reader(ctx.engine).raw_connection()
        try:
            assert not proxied.dbapi_connection.in_transaction  # type: ignore[union-attr]
        finally:
            proxied.close()
    with read_connection(ctx.engine) as conn:  # and the next read works as before
        assert rows(conn, count)[0][0] == before + 1


@sqlite_only
def test_r24_the_inbox_read_cannot_write(ctx: Context) -> None:
    """The raw read path runs on the read-only twin (PRAGMA query_only): a write is refused."""
    from tui_app.store.db import read_connection

    with pytest.raises(sqlite3.OperationalError), read_connection(ctx.engine) as conn:
        conn.dbapi.execute("INSERT INTO setting (key, value) VALUES ('x', 'y')")
