"""Typing ahead into the inbox search: "/" and the name typed at once (a fast typist, a paste,
keys that arrive in one SSH packet) all land in the field.

Before, "/" moved the focus through the message queue, so keys already queued behind it went
to the list: "/Lund" typed at once left "nd" in the field (seen at 80x24 over the 1M database;
the lost "L" and "u" acted as list keys). The keys are queued together here, as the terminal
driver queues one read's keys, with no timing.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from tests.conftest import ELIN, send, staff
from tests.test_ui_flow import settle
from tui_app.services.context import Context
from tui_app.ui.app import build_app


async def test_r05_slash_and_a_name_typed_at_once_all_reach_the_search(ctx: Context) -> None:
    send(ctx, pnr=ELIN)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key, char in [("slash", "/"), ("L", "L"), ("u", "u"), ("n", "n"), ("d", "d")]:
            app.post_message(events.Key(key, char))  # one read's keys, queued together
        await settle(pilot)
        search = app.screen.query_one("#search", Input)
        assert search.has_focus
        assert search.value == "Lund"
        assert type(app.screen).__name__ == "InboxScreen"


async def test_a_field_key_queued_just_before_esc_still_acts_on_the_field(ctx: Context) -> None:
    """ctrl+u then Esc in one read (seen in tmux: `send-keys C-u Escape`): the field's own
    ctrl+u was looked up only once the key had bubbled up to the app, when Esc had already
    handed the focus to the list, so the text stayed and the list got nothing either."""
    send(ctx, pnr=ELIN)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"Lund")
        search = app.screen.query_one("#search", Input)
        assert search.value == "Lund"
        for key in ("ctrl+u", "escape"):
            app.post_message(events.Key(key, None))  # one read's keys, queued together
        await settle(pilot)
        assert search.value == ""
        assert not search.has_focus
        await pilot.press("slash", *"Lund", "left", "left")
        for key, char in [("backspace", None), ("escape", None)]:
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert search.value == "Lnd"
