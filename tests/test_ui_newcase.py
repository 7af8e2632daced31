"""Pilot at 80x24: the new-case screen offers the right unit, says how to change it, confirms
before sending, and its editor's Home/End keys work on whole paragraphs (no half sentences)."""

from __future__ import annotations

from sqlmodel import Session, select
from textual.widgets import Input, Select, TextArea

from tests.conftest import ELIN, send, staff, unit_id
from tests.test_snapshots import screen_text
from tests.test_ui_flow import settle, status
from tui_app.core.template import DEFAULT_TEXT
from tui_app.services.context import Context
from tui_app.services.lastunit import last_used_unit
from tui_app.store.models import Case
from tui_app.ui.app import build_app


def case_count(ctx: Context) -> int:
    with Session(ctx.engine) as s:
        return len(s.exec(select(Case)).all())


async def open_new_case(ctx: Context, login: str):  # type: ignore[no-untyped-def]
    app = build_app(ctx, staff(ctx, login))
    return app


def test_last_used_unit_is_the_unit_of_the_newest_case_sent_by_that_person(ctx: Context) -> None:
    dan = staff(ctx, "danan12")
    assert last_used_unit(ctx, dan) is None
    send(ctx, "danan12", ELIN, "REUM-SKO")
    assert last_used_unit(ctx, dan) == unit_id(dan, "REUM-SKO")
    send(ctx, "marsv3", ELIN, "REUM-SKO")  # someone else's case says nothing about Daniel
    assert last_used_unit(ctx, staff(ctx, "marsv3")) == unit_id(dan, "REUM-SKO")


async def test_new_case_offers_the_unit_last_sent_from_not_the_first_alphabetically(
    ctx: Context,
) -> None:
    send(ctx, "danan12", ELIN, "REUM-SKO")  # Reumatologi comes after Hudmottagningen
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one("#unit", Select).value == unit_id(app.actor, "REUM-SKO")
        assert app.screen.query_one("#pnr", Input).has_focus
        shown = screen_text(app)
        assert "F4 öppnar listan" in shown and "Reumatologi" in shown
        assert "f4 enhet" in shown.splitlines()[-1].lower(), shown


async def test_new_case_with_one_unit_has_it_chosen(ctx: Context) -> None:
    app = build_app(ctx, staff(ctx, "marsv3"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one("#unit", Select).value == unit_id(app.actor, "REUM-SKO")


async def test_new_case_without_history_asks_for_the_unit_first(ctx: Context) -> None:
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        sel = app.screen.query_one("#unit", Select)
        assert sel.is_blank() and sel.has_focus  # no unit is guessed for the nurse
        assert "Välj först vilken enhet" in status(app)
        app.screen.query_one("#pnr", Input).focus()
        await pilot.press(*ELIN, "enter")
        await settle(pilot)
        assert "Välj enhet först" in status(app) and sel.expanded  # the list opens
        await pilot.press("escape")
        await pilot.press("f4")  # the key the screen names opens the list of units
        assert sel.has_focus_within and sel.expanded
        await pilot.press("end", "enter")  # the last of Hudmottagningen, Reumatologi
        await settle(pilot)
        assert sel.value == unit_id(app.actor, "REUM-SKO")
        assert app.screen.query_one("#pnr", Input).has_focus


async def test_r06_f2_asks_with_patient_and_unit_and_only_j_sends(ctx: Context) -> None:
    send(ctx, "danan12", "199002222397", "REUM-SKO")
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*ELIN, "enter")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        shown = screen_text(app)
        assert "Elin Lund, 20000125-2386" in shown
        assert "Reumatologi - testenhet för 1177, Skövde" in shown
        assert f"{len(DEFAULT_TEXT)} tecken" in shown and "slutar ”Vänliga hälsningar”" in shown
        assert "j = Ja" in shown
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "NewCaseScreen" and case_count(ctx) == 1
        assert "Inte skickat" in status(app)
        await pilot.press("f2", "j")
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen" and case_count(ctx) == 2


async def test_r06_shift_end_and_typing_replace_the_whole_paragraph_not_a_screen_line(
    ctx: Context,
) -> None:
    app = build_app(ctx, staff(ctx, "marsv3"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*ELIN, "enter")
        await settle(pilot)
        area = app.screen.query_one("#text", TextArea)
        long_row = 1  # "Här kan du skicka in …": wraps over several screen lines at 80 columns
        paragraph = area.document[long_row]
        assert area.wrapped_document.get_offsets(long_row), "the paragraph wraps on screen"
        area.move_cursor((long_row, 0))
        await pilot.press("shift+end")
        assert area.selected_text == paragraph  # the whole sentence, not one screen line
        await pilot.press(*"Skicka gärna en bild.")
        assert area.document[long_row] == "Skicka gärna en bild."  # no half sentence left behind
        await pilot.press("home")
        assert area.cursor_location == (long_row, 0)
        await pilot.press("end")
        assert area.cursor_location == (long_row, len("Skicka gärna en bild."))
        # The limits sentence was in that paragraph: sending is refused, nothing goes (R06).
        await pilot.press("f2", "j")
        await settle(pilot)
        assert case_count(ctx) == 0 and "5 filer" in status(app)
