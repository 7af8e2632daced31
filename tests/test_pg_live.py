"""The live inbox across servers (services/live.py): a commit in another process is noticed
without the 30-second timer; on PostgreSQL through NOTIFY sent inside the writing transaction
(none for a rollback), on SQLite through PRAGMA data_version."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from tests import pg
from tests.conftest import ROOT
from tui_app.services.context import Context

WAIT = 60.0  # generous: the machine may be loaded; the bench measures the real delay


def _send_in_another_process(ctx: Context) -> None:
    url = ctx.engine.url.render_as_string(hide_password=False)
    script = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(ROOT)!r})
from tests.conftest import send
from tui_app.services.context import open_context
ctx = open_context({url!r}, Path({str(ctx.data_dir)!r}))
send(ctx)
"""
    env = {k: v for k, v in os.environ.items() if k != "TUI_APP_KILLPOINT"}
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=300)


def test_r05_a_case_sent_on_another_server_is_noticed(ctx: Context) -> None:
    from tui_app.services.live import watch

    changed = threading.Event()
    w = watch(ctx, changed.set)
    try:
        assert w.ready.wait(WAIT)
        assert not changed.is_set()
        _send_in_another_process(ctx)
        assert changed.wait(WAIT)
    finally:
        w.stop()


@pytest.mark.skipif(not pg.enabled(), reason="NOTIFY is PostgreSQL's")
def test_a_rolled_back_write_notifies_nobody_and_a_committed_one_does(ctx: Context) -> None:
    """The NOTIFY is part of the writing transaction: a rollback takes it back. Notices come
    in commit order, so a marker sent after the rollback must be the first one heard; then
    the committed write's notice follows."""
    import psycopg
    from sqlalchemy import update

    from tui_app.services.live import CHANNEL
    from tui_app.store.db import session_scope
    from tui_app.store.models import Unit

    url = ctx.engine.url
    info = {"dbname": url.database, "user": url.username, **dict(url.query)}
    with psycopg.connect(autocommit=True, **info) as listener:  # type: ignore[arg-type]
        listener.execute(f"LISTEN {CHANNEL}")
        try:
            with session_scope(ctx.engine) as s:
                s.execute(update(Unit).values(name="Ändrad"))
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        with psycopg.connect(autocommit=True, **info) as other:  # type: ignore[arg-type]
            other.execute(f"NOTIFY {CHANNEL}, 'marker'")
        with session_scope(ctx.engine) as s:
            s.execute(update(Unit).where(Unit.code == "REUM-SKO").values(name="Reumatologi"))
        heard = [n.payload for n in listener.notifies(timeout=WAIT, stop_after=2)]
    assert heard == ["marker", ""]


async def test_r05_an_open_inbox_shows_a_case_sent_on_another_server_by_itself(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key pressed, and the screen's timer set to an hour: the new case appears."""
    import asyncio

    import tui_app.ui.screens.inbox as inbox_screen
    from tests.conftest import staff
    from tui_app.ui.app import build_app
    from tui_app.ui.screens.inbox import InboxScreen

    monkeypatch.setattr(inbox_screen, "REFRESH_SECONDS", 3600)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(600):
            await pilot.pause(0.1)
            if isinstance(app.screen, InboxScreen) and app.screen._live.ready.is_set():
                break
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        before = {r.case_id for r in screen.rows}
        await asyncio.to_thread(_send_in_another_process, ctx)
        for _ in range(int(WAIT * 10)):
            await pilot.pause(0.1)
            if {r.case_id for r in screen.rows} - before:
                break
        assert {r.case_id for r in screen.rows} - before
