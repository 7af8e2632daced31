"""Pilot: the demo sign-in picker at 80x24 shows every unit of a person and its own keys."""

from __future__ import annotations

from tests.test_snapshots import screen_text
from tests.test_ui_flow import settle
from tui_app.services.context import Context
from tui_app.services.identity import sign_in_choices
from tui_app.ui.app import build_app


def footer_text(app) -> str:  # type: ignore[no-untyped-def]
    """The footer line as the terminal shows it (the last row)."""
    return screen_text(app).rstrip("\n").splitlines()[-1]


async def test_signin_picker_shows_every_unit_and_its_keys_at_80x24(ctx: Context) -> None:
    ctx.demo = True
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        # Every unit of every member of staff is there in full, wrapped on lines within 80 columns.
        flat = " ".join(line.strip(" ▊▎") for line in shown.splitlines())
        for choice in sign_in_choices(ctx):
            if choice.kind == "staff":
                assert choice.detail in flat, (choice.detail, shown)
        assert "…" not in shown
        assert all(len(line) <= 80 for line in shown.splitlines())
        footer = footer_text(app)
        assert "↑↓" in footer and "Enter Logga in" in footer.replace("enter", "Enter"), footer


async def test_signin_enter_and_arrows_sign_in_as_the_highlighted_person(ctx: Context) -> None:
    ctx.demo = True
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")  # Daniel → Karin → Maria
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "InboxScreen"
        assert app.actor.login == "marsv3"
