"""Pilot at 80x24: on the patient's page what the patient types and sends is where they can see it."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import TextArea

from tests.conftest import ELIN, patient, send
from tests.test_snapshots import screen_text
from tests.test_ui_flow import settle, status
from tui_app.services.context import Context
from tui_app.ui.app import build_app


def in_view(app, selector: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether the widget lies wholly inside the page's visible part."""
    page = app.screen.query_one("#page")
    widget = app.screen.query_one(selector)
    return bool(widget.region) and page.region.contains_region(widget.region)


async def open_page(ctx: Context, pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def test_r06_typing_brings_the_reply_form_into_view_at_80x24(ctx: Context) -> None:
    send(ctx, pnr=ELIN)
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_page(ctx, pilot)
        assert "Fråga" in screen_text(app)  # the page opens at the question
        assert app.screen.query_one("#reply", TextArea).has_focus
        assert not in_view(app, "#reply"), "at 80x24 the box starts below the fold"
        await pilot.press(*"Här kommer bilden")
        await pilot.pause()
        shown = screen_text(app)
        assert "Här kommer bilden" in shown, shown  # typed text is seen where it is typed
        assert in_view(app, "#reply") and in_view(app, "#reply-head")
        assert in_view(app, "#send"), "SKICKA is in sight with the box"
        assert in_view(app, "#attach")


async def test_r06_after_skicka_the_own_message_is_in_view(ctx: Context) -> None:
    send(ctx, pnr=ELIN)
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_page(ctx, pilot)
        await pilot.press(*"Tack, bilderna kommer i morgon.")
        await pilot.press("f2")
        await settle(pilot)
        await pilot.pause()
        assert "Ditt svar är skickat" in status(app)
        assert in_view(app, ".earlier.-own")
        shown = screen_text(app)
        assert "Ditt svar ·" in shown and "Tack, bilderna kommer i morgon." in shown, shown


async def test_r07_closed_notice_is_at_the_top_of_the_page(ctx: Context, clock) -> None:  # type: ignore[no-untyped-def]
    send(ctx, pnr=ELIN)
    clock.advance(timedelta(hours=49))
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_page(ctx, pilot)
        await pilot.pause()
        page = app.screen.query_one("#page")
        assert page.children[0].id == "closed-note"
        assert in_view(app, "#closed-note")
        assert "Ärendet är avslutat sedan" in screen_text(app)
