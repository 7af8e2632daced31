"""Messages that say what is wrong and give nothing away (R04, R24), and one place that explains
failures (database, disk) in Swedish for the CLI and the UI alike."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.conftest import ANNA, JOHAN, staff, unit_id
from tui_app.core.errors import RuleViolation
from tui_app.services import audit
from tui_app.services.cases import draft_message, inbox
from tui_app.services.context import Context
from tui_app.store.models import AuditEntry, Patient

UNKNOWN = "19121212-1212"  # a valid number nobody registered


def _refusals(ctx: Context) -> list[AuditEntry]:
    with Session(ctx.engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.outcome == audit.REFUSED)
                           .order_by(AuditEntry.seq)).all())


def test_r04_unknown_number_and_other_units_patient_get_the_same_answer(ctx: Context) -> None:
    dan = staff(ctx, "danan12")
    reum = unit_id(dan, "REUM-SKO")
    answers = []
    for pnr in (UNKNOWN, JOHAN):  # nobody; a registered patient of Hudmottagningen only
        with pytest.raises(RuleViolation) as e:
            draft_message(ctx, dan, reum, pnr)
        answers.append((type(e.value), e.value.rule, e.value.message))
    assert answers[0] == answers[1]
    assert answers[0][1] == "R04"
    assert "19121212" not in answers[0][2] and "ingen patient" not in answers[0][2].lower()


def test_r24_both_refusals_are_logged_with_the_number_asked_for(ctx: Context) -> None:
    dan = staff(ctx, "danan12")
    reum = unit_id(dan, "REUM-SKO")
    for pnr in (UNKNOWN, JOHAN):
        with pytest.raises(RuleViolation):
            draft_message(ctx, dan, reum, pnr)
    logged = _refusals(ctx)[-2:]
    assert [e.patient_pnr for e in logged] == ["191212121212", JOHAN]
    assert [e.detail for e in logged][0] == [e.detail for e in logged][1]
    assert all(e.actor == "danan12" and e.unit_code == "REUM-SKO" and e.action == "nytt ärende"
               for e in logged)


def test_r04_unit_checks_come_first_for_an_unknown_number_too(ctx: Context) -> None:
    karin = staff(ctx, "karjo7")
    with pytest.raises(RuleViolation) as e:
        draft_message(ctx, karin, unit_id(karin, "BARN-FAL"), UNKNOWN)
    assert e.value.rule == "R01"


def test_pnr_in_other_digits_never_creates_a_second_patient(ctx: Context) -> None:
    from tui_app.core.errors import InvalidInput

    dan = staff(ctx, "danan12")
    with pytest.raises(InvalidInput):
        draft_message(ctx, dan, unit_id(dan, "REUM-SKO"), "١٩٩٠٠٢٢٢٢٣٩٧")
    with Session(ctx.engine) as s:
        assert len(s.exec(select(Patient).where(Patient.first_name == "Anna")).all()) == 1


@pytest.mark.parametrize("query", ["²", "²³", "١٢", "１２", "١٩٩٠٠٢٢٢٢٣٩٧"])
def test_r05_search_with_other_digits_is_text_not_a_crash(ctx: Context, query: str) -> None:
    from tests.conftest import send

    send(ctx, pnr=ANNA)
    # Only 0-9 are digits: these are text, matching no name (and never a case number).
    assert inbox(ctx, staff(ctx, "danan12"), query=query) == []
    assert [r.patient_name for r in inbox(ctx, staff(ctx, "danan12"), query="1²")] == ["Anna Berg"]


@pytest.mark.parametrize("typed", ["²", "١٢", "１２"])
async def test_r05_goto_dialog_refuses_other_digits_and_the_app_keeps_running(
    ctx: Context, typed: str
) -> None:
    from tests.test_ui_flow import settle
    from textual.widgets import Static

    from tui_app.ui.app import build_app
    from tui_app.ui.dialogs import AskDialog

    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", *typed, "enter")
        await settle(pilot)
        assert isinstance(app.screen, AskDialog)  # still asking; nothing crashed
        error = str(app.screen.query_one("#dialog-error", Static).render())
        assert "inte ett ärendenummer" in error and "siffror" in error
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "InboxScreen"
