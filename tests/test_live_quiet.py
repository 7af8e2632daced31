"""The live inbox is told of changes an inbox can show, not of the access log's appends: every
case a nurse opens is logged (R24), and with 50 staff signed in a notice for each of those
would make every open inbox refresh about twice a second for nothing (services/live.py)."""

from __future__ import annotations

import threading

import pytest

from tests import pg
from tests.conftest import send, staff
from tui_app.services.cases import open_case
from tui_app.services.context import Context

WAIT = 60.0  # generous: the machine may be loaded; nothing here is timed


@pytest.mark.skipif(pg.enabled(), reason="SQLite's data_version; PostgreSQL: the NOTIFY test")
def test_r24_opening_a_case_is_logged_but_wakes_no_inbox(ctx: Context) -> None:
    from tui_app.services.live import watch

    number = send(ctx)
    notices: list[int] = []
    changed = threading.Event()
    w = watch(ctx, lambda: (notices.append(1), changed.set()))
    try:
        assert w.ready.wait(WAIT)
        open_case(ctx, staff(ctx, "danan12"), number)  # a write: the access is logged
        assert w.examined.wait(WAIT)  # the watcher has seen the database change ...
        assert notices == []  # ... and told nobody: no inbox shows the access log
        send(ctx)  # a new case is what an inbox shows
        assert changed.wait(WAIT)
    finally:
        w.stop()


@pytest.mark.skipif(not pg.enabled(), reason="NOTIFY is PostgreSQL's")
def test_r24_opening_a_case_sends_no_notify_and_a_new_case_does(ctx: Context) -> None:
    """Notices come in commit order: a marker sent after the opened case must be the first
    one heard, then the new case's."""
    import psycopg

    from tui_app.services.live import CHANNEL

    number = send(ctx)
    url = ctx.engine.url
    info = {"dbname": url.database, "user": url.username, **dict(url.query)}
    with psycopg.connect(autocommit=True, **info) as listener:  # type: ignore[arg-type]
        listener.execute(f"LISTEN {CHANNEL}")
        open_case(ctx, staff(ctx, "danan12"), number)
        with psycopg.connect(autocommit=True, **info) as other:  # type: ignore[arg-type]
            other.execute(f"NOTIFY {CHANNEL}, 'marker'")
        send(ctx)
        heard = [n.payload for n in listener.notifies(timeout=WAIT, stop_after=2)]
    assert heard == ["marker", ""]


def test_which_writes_an_inbox_can_show() -> None:
    from tui_app.store.db import shown_write

    assert shown_write("INSERT INTO cases (unit_id) VALUES (?)")
    assert shown_write("UPDATE attachment SET version=? WHERE attachment.id = ?")
    assert shown_write("DELETE FROM download WHERE download.id = ?")
    assert shown_write('INSERT INTO "message" (case_id) VALUES (%(case_id)s)')
    assert not shown_write("INSERT INTO audit_entry (seq, at) VALUES (?, ?)")
    assert not shown_write("UPDATE audit_head SET seq=?, hash=? WHERE audit_head.id = ?")
    assert not shown_write("SELECT audit_head.id FROM audit_head FOR UPDATE")
    assert shown_write("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)")
    assert not shown_write("SELECT cases.id FROM cases")
