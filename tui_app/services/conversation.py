"""The conversation: building a case's view, and the patient's side (read, reply)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from tui_app.core.clock import as_utc, fmt_remaining
from tui_app.core.errors import NotFound, UserError
from tui_app.core.rules import case_state, check_patient_text, check_reply_open
from tui_app.services import audit
from tui_app.services.context import Context
from tui_app.services.guard import refusals_logged
from tui_app.services.identity import Actor
from tui_app.services.views import CaseView, MessageView, PatientInfo
from tui_app.store.db import read_scope, session_scope
from tui_app.store.models import Case, Message, Patient, Unit


def build_case_view(s: Session, now: datetime, case: Case, unit: Unit, p: Patient) -> CaseView:
    """Assemble the whole case from its rows."""
    assert case.id is not None and unit.id is not None and p.id is not None
    msgs = s.exec(
        select(Message)
        .where(Message.case_id == case.id)
        .order_by(col(Message.sent_at), col(Message.id))
    ).all()
    from tui_app.services.files import file_views

    files = file_views(s, case.id)
    patient_name = f"{p.first_name} {p.last_name}"
    views = []
    for m in msgs:
        assert m.id is not None
        author = patient_name if m.from_patient else (m.signature or "Vården")
        views.append(
            MessageView(m.id, m.from_patient, author, m.body, m.sent_at, tuple(files.get(m.id, ())))
        )
    state = case_state(
        deadline=case.deadline_at,
        now=now,
        patient_messages=case.patient_messages,
        handled=case.handled_at is not None,
    )
    from tui_app.core.pnr import Pnr

    return CaseView(
        case_id=case.id,
        unit_id=unit.id,
        unit_code=unit.code,
        unit_name=unit.name,
        patient=PatientInfo(p.id, p.pnr, Pnr(p.pnr).display, patient_name, p.activated_1177),
        state=state,
        sent_at=case.sent_at,
        deadline=case.deadline_at,
        remaining=fmt_remaining(case.deadline_at - now),
        accepts_reply=as_utc(now) < as_utc(case.deadline_at) and case.handled_at is None,
        patient_read_at=case.patient_read_at,
        sender_first_name=views[0].author if views else "",
        messages=tuple(views),
        handled_at=case.handled_at,
        handled_by=case.handled_by,
        closed_reason=case.closed_reason,
    )


def patient_cases(ctx: Context, actor: Actor) -> list[CaseView]:
    """The demo patient's own cases, newest first (what 1177's inbox would list)."""
    with read_scope(ctx.engine) as s:
        out = []
        rows = s.exec(
            select(Case, Unit)
            .join(Unit, col(Unit.id) == col(Case.unit_id))
            .where(Case.patient_id == actor.patient_id)
            .order_by(col(Case.sent_at).desc())
        ).all()
        p = s.get(Patient, actor.patient_id)
        assert p is not None
        for case, unit in rows:
            out.append(build_case_view(s, ctx.now(), case, unit, p))
        return out


def _patient_case(s: Session, actor: Actor, case_id: int) -> tuple[Case, Unit, Patient]:
    case = s.get(Case, case_id)
    if case is None or case.patient_id != actor.patient_id:
        raise NotFound("Ärendet finns inte.")
    unit = s.get(Unit, case.unit_id)
    p = s.get(Patient, case.patient_id)
    assert unit is not None and p is not None
    return case, unit, p


def patient_open_case(ctx: Context, actor: Actor, case_id: int) -> CaseView:
    """The patient reads the case; the first reading is recorded for staff to see."""
    with refusals_logged(ctx, actor, "patient läser"), session_scope(ctx.engine) as s:
        case, unit, p = _patient_case(s, actor, case_id)
        if case.patient_read_at is None:
            case.patient_read_at = ctx.now()
            s.add(case)
        return build_case_view(s, ctx.now(), case, unit, p)


def patient_reply(
    ctx: Context, actor: Actor, case_id: int, text: str, uploads: list[object] | None = None
) -> int:
    """Store the patient's message and its files all-or-nothing (R07, R08, R11); return its id."""
    uploads = uploads or []
    reserved = {}
    if uploads:
        from tui_app.services.files import reserve_storage

        with refusals_logged(ctx, actor, "patientsvar"):
            reserved = reserve_storage(ctx, uploads)
    with refusals_logged(ctx, actor, "patientsvar"), session_scope(ctx.engine) as s:
        case, unit, p = _patient_case(s, actor, case_id)
        try:
            check_reply_open(case.deadline_at, ctx.now(), case.closed_reason)
            body = check_patient_text(text, has_files=bool(uploads))
            now = ctx.now()
            msg = Message(
                case_id=case_id, from_patient=True, body=body, sent_at=now, signature=p.first_name
            )
            s.add(msg)
            s.flush()
            assert msg.id is not None
            n_files = 0
            if uploads:
                from tui_app.services.files import attach_uploads

                n_files = attach_uploads(ctx, s, case, msg.id, uploads, reserved)
        except UserError as exc:
            raise exc.concerning(unit_code=unit.code, patient_pnr=p.pnr, case_id=case_id)
        # Counted in SQL, so two messages at once never lose one; a reply reopens a handled case
        # so that nobody misses what came in after it was marked done.
        s.execute(
            update(Case)
            .where(col(Case.id) == case_id)
            .values(
                patient_messages=col(Case.patient_messages) + 1,
                file_count=col(Case.file_count) + n_files,
                handled_at=None,
                handled_by=None,
                patient_read_at=func.coalesce(col(Case.patient_read_at), now),
            )
        )
        audit.append(
            s,
            at=now,
            actor=actor.audit_name,
            action="patientsvar",
            unit_code=unit.code,
            patient_pnr=p.pnr,
            case_id=case_id,
            detail=f"{n_files} filer",
        )
        return msg.id
