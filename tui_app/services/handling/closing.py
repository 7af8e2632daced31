"""Mark a case handled once nothing is left to do, or reopen it."""

from __future__ import annotations

from sqlmodel import Session, select

from tui_app.core.clock import as_utc
from tui_app.core.errors import UserError
from tui_app.core import routine
from tui_app.core.rules import HANDLED_EARLY
from tui_app.services import audit
from tui_app.services.cases import load_case_for_staff
from tui_app.services.context import Context
from tui_app.services.guard import refusals_logged
from tui_app.services.actor import Actor
from tui_app.store.db import session_scope
from tui_app.store.models import Attachment
from tui_app.services.handling.common import (
    _refuse_shared_account,
    live_copies,
)


def missing_for_handled(s: Session, case_id: int) -> list[str]:
    """What still stands between the case and 'handled', in words (empty when nothing)."""
    from tui_app.services.files import file_facts

    files = s.exec(select(Attachment).where(Attachment.case_id == case_id)).all()
    return routine.missing_for_handled(file_facts(f, len(live_copies(s, f.id or 0))) for f in files)


def mark_handled(ctx: Context, actor: Actor, case_id: int) -> None:
    """Close the case as handled when every file is decided, archived and cleaned up.

    Handling also ends the patient's reply window at that moment, if it was still open: a reply
    arriving after staff are done would lie unseen under "Klart". The deadline becomes the
    handled time, so staff and patient both see the true date it closed (closed_reason says why).
    """
    _refuse_shared_account(ctx, actor, "hanterat", "markera ärenden som hanterade", case_id=case_id)
    with refusals_logged(ctx, actor, "hanterat"), session_scope(ctx.engine) as s:
        case, unit, p = load_case_for_staff(s, actor, case_id)
        about = {"unit_code": unit.code, "patient_pnr": p.pnr, "case_id": case_id}
        if case.handled_at:
            raise UserError("Ärendet är redan markerat som hanterat.").concerning(**about)
        if case.patient_messages == 0:
            raise UserError(
                "Patienten har inte svarat; ett ärende utan svar avslutas automatiskt "
                "efter 2 dagar och behöver inte markeras."
            ).concerning(**about)
        missing = missing_for_handled(s, case_id)
        if missing:
            raise UserError(
                "Ärendet kan inte markeras som hanterat än: " + "; ".join(missing) + "."
            ).concerning(**about)
        now = ctx.now()
        case.handled_at, case.handled_by = now, actor.login
        detail = ""
        if as_utc(now) < as_utc(case.deadline_at):
            case.deadline_at = now
            case.closed_at, case.closed_reason = now, HANDLED_EARLY
            detail = "tar inte emot fler svar"
        s.add(case)
        audit.append(
            s,
            at=now,
            actor=actor.audit_name,
            action="hanterat",
            unit_code=unit.code,
            patient_pnr=p.pnr,
            case_id=case_id,
            detail=detail,
        )


def reopen(ctx: Context, actor: Actor, case_id: int) -> None:
    """Take a handled case up again on purpose (logged), e.g. to download a file once more.

    The patient's reply window stays closed: what the patient was told remains true.
    """
    _refuse_shared_account(ctx, actor, "återöppna", "återöppna ärenden", case_id=case_id)
    with refusals_logged(ctx, actor, "återöppna"), session_scope(ctx.engine) as s:
        case, unit, p = load_case_for_staff(s, actor, case_id)
        if not case.handled_at:
            raise UserError("Ärendet är inte markerat som hanterat.").concerning(
                unit_code=unit.code, patient_pnr=p.pnr, case_id=case_id
            )
        case.handled_at, case.handled_by = None, None
        s.add(case)
        audit.append(
            s,
            at=ctx.now(),
            actor=actor.audit_name,
            action="återöppna",
            unit_code=unit.code,
            patient_pnr=p.pnr,
            case_id=case_id,
        )
