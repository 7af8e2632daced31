"""Issue 11.4 leftover: q (and x) on the administrator's access-log screen said nothing; now
they say in one Swedish line where to quit or sign out, and the screen stays."""

from __future__ import annotations

import pytest

from tests.conftest import staff
from tests.test_snapshots import screen_text
from tests.test_ui_flow import settle, status
from tui_app.services.context import Context
from tui_app.ui.app import build_app


@pytest.mark.parametrize("key", ["q", "x"])
async def test_q_and_x_on_the_access_log_say_why(ctx: Context, key: str) -> None:
    app = build_app(ctx, staff(ctx, "lenjo54"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert type(app.screen).__name__ == "AuditScreen"
        await pilot.press(key)
        await settle(pilot)
        assert app.is_running and type(app.screen).__name__ == "AuditScreen"  # q did not quit
        said = status(app)
        assert said.startswith("✗") and "Esc" in said and "\n" not in said.strip(), said
        assert said.strip() in [line.strip() for line in screen_text(app).splitlines()]
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "AdminScreen"


async def test_q_typed_in_a_filter_is_text(ctx: Context) -> None:
    app = build_app(ctx, staff(ctx, "lenjo54"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        app.screen.query_one("#f-staff").focus()
        await pilot.press("q", "x")
        await pilot.pause()
        assert app.screen.query_one("#f-staff").value == "qx"
