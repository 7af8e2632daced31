"""Services against a temporary SQLite database: sending, the inbox, replies, closing, R05."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.conftest import ANNA, ELIN, JOHAN, MARCO, SARA, patient, send, staff, unit_id
from tui_app.core.clock import FixedClock
from tui_app.core.errors import InvalidInput, NotFound, RuleViolation
from tui_app.core.rules import CaseState
from tui_app.core.template import DEFAULT_TEXT
from tui_app.services import admin, audit
from tui_app.services.cases import draft_message, inbox, open_case, send_case
from tui_app.services.context import Context
from tui_app.services.conversation import patient_cases, patient_open_case, patient_reply
from tui_app.services.sweep import close_expired
from tui_app.store.models import AuditEntry, Case, Message, Patient


def refusals(ctx: Context) -> list[AuditEntry]:
    with Session(ctx.engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.outcome == audit.REFUSED)).all())


def test_r06_sent_message_is_signed_dated_and_in_the_inbox(ctx: Context) -> None:
    number = send(ctx)
    dan = staff(ctx, "danan12")
    rows = inbox(ctx, dan)
    assert [r.case_id for r in rows] == [number]
    assert rows[0].state is CaseState.WAITING and rows[0].remaining == "2 d 0 h"
    view = open_case(ctx, dan, number)
    assert view.question.body == DEFAULT_TEXT
    assert view.question.author == "Daniel"
    assert view.unit_name == "Reumatologi - testenhet för 1177, Skövde"
    assert view.deadline - view.sent_at == timedelta(hours=48)


@pytest.mark.parametrize(
    "pnr,code,rule",
    [
        (ANNA, "BARN-FAL", "R01"),  # unit not activated
        (ANNA, "ORT-LID", "R02"),  # template not installed
        (SARA, "REUM-SKO", "R03"),  # patient not activated on 1177
        (JOHAN, "REUM-SKO", "R04"),  # no care relationship
    ],
)
def test_r01_to_r04_refusals_name_the_rule_and_are_logged(
    ctx: Context, pnr: str, code: str, rule: str
) -> None:
    login = "karjo7" if code in ("BARN-FAL", "ORT-LID") else "danan12"
    a = staff(ctx, login)
    with pytest.raises(RuleViolation) as e:
        draft_message(ctx, a, unit_id(a, code), pnr)
    assert e.value.rule == rule
    logged = refusals(ctx)
    assert logged and logged[-1].detail.startswith(rule) and logged[-1].patient_pnr == pnr


def test_r01_r02_become_possible_when_the_admin_fixes_the_unit(ctx: Context) -> None:
    karin, lena = staff(ctx, "karjo7"), staff(ctx, "lenjo54")
    ort = unit_id(karin, "ORT-LID")
    with pytest.raises(RuleViolation):
        draft_message(ctx, karin, ort, ANNA)
    admin.set_unit_flag(ctx, lena, ort, "template_installed", True)
    assert draft_message(ctx, staff(ctx, "karjo7"), ort, ANNA).unit_name.startswith("Ortoped")


def test_r04_admin_adds_care_relation(ctx: Context) -> None:
    dan, lena = staff(ctx, "danan12"), staff(ctx, "lenjo54")
    reum = unit_id(dan, "REUM-SKO")
    with pytest.raises(RuleViolation):
        draft_message(ctx, dan, reum, JOHAN)
    admin.add_care_relation(ctx, lena, reum, "19780308-2374")
    assert draft_message(ctx, dan, reum, JOHAN).patient.pnr == JOHAN


def test_only_admins_administer(ctx: Context) -> None:
    dan = staff(ctx, "danan12")
    with pytest.raises(Exception, match="administrationsgruppen"):
        admin.set_unit_flag(ctx, dan, unit_id(dan, "REUM-SKO"), "activated_1177", False)


def test_impossible_pnr_is_refused_and_nothing_is_stored(ctx: Context) -> None:
    dan = staff(ctx, "danan12")
    with pytest.raises(InvalidInput, match="kontrollsiffran"):
        draft_message(ctx, dan, unit_id(dan, "REUM-SKO"), "199002222398")
    with Session(ctx.engine) as s:
        assert s.exec(select(Case)).all() == []


def test_r06_empty_or_gutted_message_stores_nothing(ctx: Context) -> None:
    dan = staff(ctx, "danan12")
    d = draft_message(ctx, dan, unit_id(dan, "REUM-SKO"), ELIN)
    for bad in ["", "Hej!", "x" * 5000 + DEFAULT_TEXT]:
        with pytest.raises((InvalidInput, RuleViolation)):
            send_case(ctx, dan, d.unit_id, d.patient.id, bad)
    with Session(ctx.engine) as s:
        assert s.exec(select(Case)).all() == [] and s.exec(select(Message)).all() == []


def test_r05_staff_never_see_other_units_cases(ctx: Context) -> None:
    number = send(ctx, "danan12", ANNA, "HUD-SKO")
    maria = staff(ctx, "marsv3")  # Reumatologi only
    assert inbox(ctx, maria) == []
    assert inbox(ctx, maria, query=ANNA) == []
    assert inbox(ctx, maria, query=str(number)) == []
    with pytest.raises(NotFound) as e:
        open_case(ctx, maria, number)
    assert e.value.rule == "R05"
    assert "finns inte bland dina enheters" in e.value.message
    last = refusals(ctx)[-1]
    assert last.actor == "marsv3" and last.case_id == number and last.unit_code == "HUD-SKO"


def test_r05_cannot_send_from_a_unit_one_does_not_belong_to(ctx: Context) -> None:
    maria, dan = staff(ctx, "marsv3"), staff(ctx, "danan12")
    with pytest.raises(RuleViolation) as e:
        draft_message(ctx, maria, unit_id(dan, "HUD-SKO"), ANNA)
    assert e.value.rule == "R05"


def test_inbox_search_by_pnr_name_and_filter_by_state(ctx: Context, clock: FixedClock) -> None:
    a = send(ctx, pnr=ELIN)
    clock.advance(timedelta(hours=1))
    b = send(ctx, pnr=MARCO)
    dan = staff(ctx, "danan12")
    assert [r.case_id for r in inbox(ctx, dan, query="20000125-2386")] == [a]
    assert [r.case_id for r in inbox(ctx, dan, query="000125-2386")] == [a]
    assert [r.case_id for r in inbox(ctx, dan, query="rossi")] == [b]
    assert [r.case_id for r in inbox(ctx, dan, query="Marco Ro")] == [b]
    assert [r.case_id for r in inbox(ctx, dan)] == [b, a]  # newest first
    patient_reply(ctx, patient(ctx, MARCO), b, "Hej")
    assert [r.case_id for r in inbox(ctx, dan, state=CaseState.ANSWERED)] == [b]
    assert [r.case_id for r in inbox(ctx, dan, state=CaseState.WAITING)] == [a]


def test_patient_reads_and_replies_several_times(ctx: Context, clock: FixedClock) -> None:
    number = send(ctx)
    elin = patient(ctx, ELIN)
    assert [c.case_id for c in patient_cases(ctx, elin)] == [number]
    dan = staff(ctx, "danan12")
    assert open_case(ctx, dan, number).patient_read_at is None
    clock.advance(timedelta(minutes=5))
    patient_open_case(ctx, elin, number)
    assert open_case(ctx, dan, number).patient_read_at == clock.now()
    patient_reply(ctx, elin, number, "Första svaret")
    clock.advance(timedelta(hours=2))
    patient_reply(ctx, elin, number, "En fråga till")
    view = open_case(ctx, dan, number)
    assert [m.from_patient for m in view.messages] == [False, True, True]
    assert view.messages[2].body == "En fråga till" and view.messages[2].author == "Elin Lund"
    assert view.state is CaseState.ANSWERED


def test_patient_cannot_reach_another_patients_case(ctx: Context) -> None:
    number = send(ctx, pnr=ELIN)
    with pytest.raises(NotFound):
        patient_reply(ctx, patient(ctx, MARCO), number, "hej")


def test_empty_and_too_long_replies_are_refused(ctx: Context) -> None:
    number = send(ctx)
    elin = patient(ctx, ELIN)
    with pytest.raises(InvalidInput, match="tomt"):
        patient_reply(ctx, elin, number, "  ")
    with pytest.raises(InvalidInput, match="högst"):
        patient_reply(ctx, elin, number, "x" * 4001)
    with Session(ctx.engine) as s:
        assert len(s.exec(select(Message)).all()) == 1


def test_r07_reply_after_48_hours_is_refused(ctx: Context, clock: FixedClock) -> None:
    number = send(ctx)
    elin = patient(ctx, ELIN)
    clock.advance(timedelta(hours=47, minutes=59))
    patient_reply(ctx, elin, number, "Precis i tid")
    clock.advance(timedelta(minutes=1))
    with pytest.raises(RuleViolation) as e:
        patient_reply(ctx, elin, number, "För sent")
    assert e.value.rule == "R07" and "tar inte emot fler svar" in e.value.message
    view = open_case(ctx, staff(ctx, "danan12"), number)
    assert view.state is CaseState.CLOSED and not view.accepts_reply
    assert len(view.messages) == 2


def test_r12_case_closes_automatically_without_any_sweep(ctx: Context, clock: FixedClock) -> None:
    number = send(ctx)
    dan = staff(ctx, "danan12")
    clock.advance(timedelta(hours=48))
    # Nobody ran the sweep: the state is still right, from the clock alone.
    assert inbox(ctx, dan)[0].state is CaseState.CLOSED_AUTO
    assert [r.case_id for r in inbox(ctx, dan, state=CaseState.CLOSED_AUTO)] == [number]


def test_r12_sweep_persists_closing_once(ctx: Context, clock: FixedClock) -> None:
    waiting = send(ctx, pnr=ELIN)
    answered = send(ctx, pnr=MARCO)
    patient_reply(ctx, patient(ctx, MARCO), answered, "svar")
    assert close_expired(ctx).closed_auto == 0
    clock.advance(timedelta(days=2, seconds=1))
    report = close_expired(ctx)
    assert (report.closed_auto, report.closed_answered) == (1, 1)
    assert close_expired(ctx).closed_auto == 0  # idempotent
    with Session(ctx.engine) as s:
        c = s.get(Case, waiting)
        assert c is not None and c.closed_reason == "auto" and c.closed_at == c.deadline_at


def test_r24_chain_verifies_after_a_day_of_work(ctx: Context) -> None:
    number = send(ctx)
    open_case(ctx, staff(ctx, "danan12"), number)
    with pytest.raises(NotFound):
        open_case(ctx, staff(ctx, "karjo7"), number)
    report = audit.verify(ctx)
    assert report.ok and report.entries == 4  # load of the staff list, send, open, refusal


def test_search_wildcards_are_literal(ctx: Context) -> None:
    send(ctx, pnr=ELIN)
    dan = staff(ctx, "danan12")
    assert inbox(ctx, dan, query="%") == []
    assert inbox(ctx, dan, query="_") == []
    assert len(inbox(ctx, dan, query="elin")) == 1


def test_older_database_is_upgraded_on_start_without_losing_data(tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from alembic.config import Config

    from tui_app.services.context import open_context
    from tui_app.store.db import current_revision, make_engine, sqlite_url
    from tui_app.store.migrations import HEAD_REVISION

    url = sqlite_url(tmp_path / "old.sqlite")
    engine = make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", "tui_app/store/migrations")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")  # a database from the first release
    with engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(
            text(
                "INSERT INTO unit (code, name, activated_1177, template_installed) "
                "VALUES ('U1', 'Gammal enhet', 1, 1)"
            )
        )
    engine.dispose()
    c = open_context(url, tmp_path / "data", clock=clock)
    assert current_revision(c.engine) == HEAD_REVISION
    from tui_app.services import admin

    assert [u.name for u in admin.units(c)] == ["Gammal enhet"]


def test_draft_warns_about_a_case_still_open_for_the_patient(ctx: Context) -> None:
    first = send(ctx, pnr=ELIN)
    dan = staff(ctx, "danan12")
    d = draft_message(ctx, dan, unit_id(dan, "REUM-SKO"), ELIN)
    assert d.open_cases == (first,)


def test_r16_a_gk_account_cannot_be_given_picsara_permission(ctx: Context) -> None:
    lena = staff(ctx, "lenjo54")
    gk = next(r for r in admin.staff_rows(ctx) if r.login == "reumgk")
    with pytest.raises(RuleViolation) as e:
        admin.set_picsara_permission(ctx, lena, gk.id, True)
    assert e.value.rule == "R16"


def test_r16_shared_account_cannot_start_a_case(ctx: Context) -> None:
    """The inbox does not offer n to a GK account; the service refuses it too, and logs it."""
    gk = staff(ctx, "reumgk")
    unit = unit_id(gk, "REUM-SKO")
    with pytest.raises(RuleViolation) as e:
        draft_message(ctx, gk, unit, ELIN)
    assert e.value.rule == "R16" and "GK-konto" in e.value.message
    with Session(ctx.engine) as s:
        patient_id = s.exec(select(Patient.id).where(Patient.pnr == ELIN)).one()
    assert patient_id is not None
    with pytest.raises(RuleViolation) as e:
        send_case(ctx, gk, unit, patient_id, DEFAULT_TEXT)
    assert e.value.rule == "R16"
    with Session(ctx.engine) as s:
        assert s.exec(select(Case)).all() == []
    assert [r.action for r in refusals(ctx)][-2:] == ["nytt ärende", "skicka meddelande"]
