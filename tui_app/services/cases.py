"""Staff use cases of the conversation: draft and send the template, the inbox, open a case."""

from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from tui_app.core.errors import InvalidInput, NotFound, RuleViolation
from tui_app.core import routine
from tui_app.core.limits import INBOX_LIMIT
from tui_app.core.pnr import Pnr, parse_pnr
from tui_app.core.routine import Person
from tui_app.core.rules import CaseState, check_eligibility, check_staff_message, deadline_for
from tui_app.core.template import DEFAULT_TEXT
from tui_app.services import audit
from tui_app.services.context import Context
from tui_app.services.conversation import build_case_view
from tui_app.services.guard import refusals_logged
from tui_app.services.identity import Actor, deactivated
from tui_app.services.views import CaseView, Draft, InboxRow, PatientInfo
from tui_app.store.db import read_scope, session_scope
from tui_app.store.models import CareRelation, Case, Membership, Message, Patient, Staff, Unit

log = logging.getLogger(__name__)


def patient_info(p: Patient) -> PatientInfo:
    """The display form of a patient row."""
    assert p.id is not None
    return PatientInfo(
        p.id, p.pnr, Pnr(p.pnr).display, f"{p.first_name} {p.last_name}", p.activated_1177
    )


def require_active(s: Session, actor: Actor) -> None:
    """Refuse a staff member whose account was deactivated, also in a session already running."""
    st = s.get(Staff, actor.staff_id) if actor.staff_id is not None else None
    if st is not None and not st.active:
        raise deactivated(st.login)


def member_of(s: Session, actor: Actor, unit_id: int) -> bool:
    """R05 as it stands in the database now (a membership removed today counts at once); a
    deactivated account is refused outright."""
    if actor.staff_id is None:
        return False
    require_active(s, actor)
    return s.get(Membership, (actor.staff_id, unit_id)) is not None


def _own_unit(s: Session, actor: Actor, unit_id: int) -> None:
    if not member_of(s, actor, unit_id):
        raise RuleViolation("R05", "Du hör inte till den enheten och kan inte skicka härifrån.")


def _refuse_shared_account(s: Session, actor: Actor, unit_id: int) -> None:
    """A message to a patient is signed by the one who sends it: never a GK account (R16). The
    flag is read as it stands in the database now, as the routine's other GK refusals do."""
    st = s.get(Staff, actor.staff_id) if actor.staff_id is not None else None
    who = Person(shared_account=actor.shared_account or bool(st and st.shared_account))
    b = routine.new_case_blocker(who)
    if b is not None:
        unit = s.get(Unit, unit_id)
        raise b.error().concerning(unit_code=unit.code if unit else None)


def draft_message(ctx: Context, actor: Actor, unit_id: int, pnr_text: str) -> Draft:
    """Check R01–R05 for sending to this patient from this unit, and return the template to edit."""
    with refusals_logged(ctx, actor, "nytt ärende"):
        pnr = parse_pnr(pnr_text, ctx.now().date())
        with read_scope(ctx.engine) as s:
            _own_unit(s, actor, unit_id)
            _refuse_shared_account(s, actor, unit_id)
            unit = s.get(Unit, unit_id)
            assert unit is not None
            p = s.exec(select(Patient).where(Patient.pnr == pnr.digits)).first()
            # A number nobody registered and a patient of another unit get the same answer
            # (R04): a unit without a care relationship must not learn whether the number
            # belongs to a registered patient. Both refusals are logged with the number (R24).
            try:
                check_eligibility(
                    unit_name=unit.name,
                    unit_activated=unit.activated_1177,
                    template_installed=unit.template_installed,
                    patient_activated=p is not None and p.activated_1177,
                    care_relation=p is not None
                    and s.get(CareRelation, (unit_id, p.id)) is not None,
                )
            except RuleViolation as exc:
                raise exc.concerning(unit_code=unit.code, patient_pnr=pnr.digits)
            assert p is not None  # no patient means no care relation: refused above
            still_open = s.exec(
                select(Case.id).where(
                    Case.unit_id == unit_id,
                    Case.patient_id == p.id,
                    col(Case.deadline_at) > ctx.now(),
                    col(Case.handled_at).is_(None),
                )
            ).all()
            return Draft(
                unit_id,
                unit.name,
                patient_info(p),
                DEFAULT_TEXT,
                actor.first_name,
                tuple(i for i in still_open if i is not None),
            )


def send_case(ctx: Context, actor: Actor, unit_id: int, patient_id: int, text: str) -> int:
    """Send the template message and open a case; return its number (R01–R06)."""
    with refusals_logged(ctx, actor, "skicka meddelande"), session_scope(ctx.engine) as s:
        _own_unit(s, actor, unit_id)
        _refuse_shared_account(s, actor, unit_id)
        unit = s.get(Unit, unit_id)
        p = s.get(Patient, patient_id)
        if unit is None or p is None:
            raise NotFound("Enheten eller patienten finns inte längre.")
        try:
            check_eligibility(
                unit_name=unit.name,
                unit_activated=unit.activated_1177,
                template_installed=unit.template_installed,
                patient_activated=p.activated_1177,
                care_relation=s.get(CareRelation, (unit_id, patient_id)) is not None,
            )
            body = check_staff_message(text)
        except (RuleViolation, InvalidInput) as exc:
            raise exc.concerning(unit_code=unit.code, patient_pnr=p.pnr)
        now = ctx.now()
        case = Case(
            unit_id=unit_id,
            patient_id=patient_id,
            created_by=actor.staff_id or 0,
            sent_at=now,
            deadline_at=deadline_for(now),
        )
        s.add(case)
        s.flush()
        assert case.id is not None
        s.add(
            Message(
                case_id=case.id,
                from_patient=False,
                staff_id=actor.staff_id,
                signature=actor.first_name,
                body=body,
                sent_at=now,
            )
        )
        audit.append(
            s,
            at=now,
            actor=actor.audit_name,
            action="skicka meddelande",
            unit_code=unit.code,
            patient_pnr=p.pnr,
            case_id=case.id,
            detail="Bifoga bild/fil till vården",
        )
        return case.id


def inbox(
    ctx: Context, actor: Actor, state: CaseState | None = None, query: str = ""
) -> list[InboxRow]:
    """The first INBOX_LIMIT cases of the actor's own units (R05), newest first, filtered and
    searched: the first page of services.inbox (the one inbox query)."""
    from tui_app.services import inbox as inbox_query

    return inbox_query.first_rows(ctx, actor, state, query, INBOX_LIMIT)


def load_case_for_staff(s: Session, actor: Actor, case_id: int) -> tuple[Case, Unit, Patient]:
    """The case if it belongs to one of the actor's units; otherwise NotFound (R05)."""
    case = s.get(Case, case_id)
    if case is None or not member_of(s, actor, case.unit_id):
        exc = NotFound(
            f"Ärende {case_id} finns inte bland dina enheters ärenden. Kontrollera ärendenumret."
        )
        exc.rule = "R05"
        if case is not None:
            unit = s.get(Unit, case.unit_id)
            p = s.get(Patient, case.patient_id)
            exc.concerning(
                case_id=case_id,
                unit_code=unit.code if unit else None,
                patient_pnr=p.pnr if p else None,
            )
        raise exc
    unit = s.get(Unit, case.unit_id)
    p = s.get(Patient, case.patient_id)
    assert unit is not None and p is not None
    return case, unit, p


def open_case(ctx: Context, actor: Actor, case_id: int, *, log_access: bool = True) -> CaseView:
    """Open a case of one's own units; logs the access (R05, R24).

    `log_access=False` is for redrawing a case already open after the actor's own logged action.
    """
    with refusals_logged(ctx, actor, "öppna ärende"):
        with read_scope(ctx.engine) as s:  # the reading never waits for writers
            case, unit, p = load_case_for_staff(s, actor, case_id)
            view = build_case_view(s, ctx.now(), case, unit, p)
        if log_access:  # then a short write; shown only once the access is logged (R24)
            with session_scope(ctx.engine) as s:
                audit.append(
                    s,
                    at=ctx.now(),
                    actor=actor.audit_name,
                    action="öppna ärende",
                    unit_code=unit.code,
                    patient_pnr=p.pnr,
                    case_id=case.id,
                )
        return view
