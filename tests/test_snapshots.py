"""Text snapshots of key screens at 80x24, reviewed by a person before they are updated.

Update after a deliberate change with `UPDATE_SNAPSHOTS=1 python -m pytest tests/test_snapshots.py`
and read the diff of tests/snapshots/ before committing it.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from textual.widgets import DataTable

from tests.conftest import ELIN, patient, send, staff
from tests.handling_fixtures import Places, case_with_files
from tests.test_ui_flow import settle
from tui_app.services.context import Context
from tui_app.ui.app import build_app

SNAPSHOTS = Path(__file__).parent / "snapshots"


async def painted(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until the screen is laid out and painted as it stands: no message queued for it or
    its widgets, no layout or repaint pending. A layout posts Resize to the widgets it resized,
    and their answer can ask for another; on an idle machine Pilot's idle wait lets those
    rounds run, on a loaded one it returns at once, so the rounds are counted here instead."""
    for _ in range(200):
        await pilot.pause()  # handles what is queued, then runs the screen's pending update
        app = pilot.app
        screen = app.screen
        quiet = all(w._message_queue.empty() for w in [app, *screen.walk_children(with_self=True)])
        pending = (
            screen._layout_required
            or screen._scroll_required
            or screen._repaint_required
            or screen._recompose_required
            or screen._dirty_widgets
            or any(  # a DataTable measures its new rows when idle: cells wrap until then
                t._require_update_dimensions or t._updated_cells for t in screen.query(DataTable)
            )
        )
        if quiet and not pending:
            return
    raise AssertionError("the screen kept changing: 200 rounds without a still picture")


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """What the terminal shows, as plain text (the compositor's strips of the top screen);
    after `painted`."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips) + "\n"


def check(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not os.environ.get("UPDATE_SNAPSHOTS"):
            pytest.fail(f"new snapshot {path.name} written: review it, then run again")
    want = path.read_text(encoding="utf-8")
    if text != want:
        diff = "".join(
            difflib.unified_diff(
                want.splitlines(keepends=True), text.splitlines(keepends=True), "kept", "shown"
            )
        )
        pytest.fail(f"{name} changed; see {path}:\n{diff}")


async def test_snapshot_signin(ctx: Context) -> None:
    ctx.demo = True
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await painted(pilot)
        check("signin", screen_text(app))


async def test_snapshot_inbox_and_case(ctx: Context, places: Places) -> None:
    case_with_files(ctx)
    send(ctx, pnr="196109732393")
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await painted(pilot)
        check("inbox", screen_text(app))
        await pilot.press("down", "enter")
        await settle(pilot)
        await painted(pilot)
        check("case", screen_text(app))


async def test_snapshot_patient_page(ctx: Context) -> None:
    send(ctx, pnr=ELIN)
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#page").scroll_home(animate=False)
        await painted(pilot)
        check("patient_page", screen_text(app))


async def test_snapshot_admin(ctx: Context) -> None:
    app = build_app(ctx, staff(ctx, "lenjo54"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await painted(pilot)
        check("admin", screen_text(app))
