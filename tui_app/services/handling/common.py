"""What every handling step shares: the file with its case, the routine's refusal, the log,
the compare-and-set write, the GK refusal, and the staff member's copies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col, select

from tui_app.core.errors import NotFound, RuleViolation, UserError
from tui_app.core import routine
from tui_app.core.routine import Action, Decision, Person, Target
from tui_app.services import audit
from tui_app.services.cases import load_case_for_staff
from tui_app.services.context import Context
from tui_app.services.guard import refusals_logged
from tui_app.services.actor import Actor
from tui_app.store.db import changed_rows, session_scope
from tui_app.store.models import Attachment, Case, Download, Patient, Staff, Unit


JOURNAL = Decision.JOURNAL  # kept for callers; the routine's words live in core/routine
NOT_JOURNAL = Decision.NOT_JOURNAL
REFRESH = f"Uppdatera ärendet ({Action.REFRESH_CASE.hint})"


@dataclass(frozen=True)
class FileContext:
    """A file with its case, unit and patient, loaded for one action."""

    file: Attachment
    case: Case
    unit: Unit
    patient: Patient


def load_file(s: Session, actor: Actor, file_id: int) -> FileContext:
    """The file if its case belongs to one of the actor's units (R05), else NotFound."""
    a = s.get(Attachment, file_id)
    if a is None:
        raise NotFound("Filen finns inte längre. Den kan ha gallrats; uppdatera ärendet.")
    case, unit, p = load_case_for_staff(s, actor, a.case_id)
    return FileContext(a, case, unit, p)


def _about(fc: FileContext) -> dict[str, object]:
    return {"unit_code": fc.unit.code, "patient_pnr": fc.patient.pnr, "case_id": fc.case.id}


def _refuse(s: Session, ctx: Context, actor: Actor, fc: FileContext, action: Action) -> None:
    """Refuse what the routine forbids now (core/routine), with the file's patient attached
    for the access log; what it only advises against (a key the screen hides) is allowed."""
    from tui_app.services.files import file_facts

    f = fc.file
    mine = len(live_copies(s, f.id or 0, actor.login))
    who = Person(
        shared_account=actor.shared_account or _require_staff_flag(s, actor, "shared_account"),
        picsara_permission=_require_staff_flag(s, actor, "picsara_permission"),
    )
    case = routine.CaseFacts(
        routine.case_state(
            deadline=fc.case.deadline_at,
            now=ctx.now(),
            patient_messages=fc.case.patient_messages,
            handled=fc.case.handled_at is not None,
        )
    )
    b = routine.blocker(action, case, file_facts(f, mine), who)
    if b is None or b.advice:
        return
    if b.code == "pending":
        _refuse_if_pending(s, fc, "vänta tills den är bekräftad")  # who and since when
    raise b.error().concerning(**_about(fc))


def _log(s: Session, ctx: Context, actor: Actor, fc: FileContext, action: str, detail: str) -> None:
    audit.append(
        s,
        at=ctx.now(),
        actor=actor.audit_name,
        action=action,
        unit_code=fc.unit.code,
        patient_pnr=fc.patient.pnr,
        case_id=fc.case.id,
        detail=f"fil {fc.file.id}: {detail}" if detail else f"fil {fc.file.id}",
    )


def _bump(s: Session, fc: FileContext, **values: object) -> None:
    """Write values only if nobody changed the file since it was read (two staff at once)."""
    result = s.execute(
        update(Attachment)
        .where(col(Attachment.id) == fc.file.id, col(Attachment.version) == fc.file.version)
        .values(version=fc.file.version + 1, **values)
    )
    if changed_rows(result) != 1:
        raise UserError(f"Någon annan ändrade filen samtidigt. {REFRESH} och försök igen.")


def _refuse_shared_account(
    ctx: Context,
    actor: Actor,
    action: str,
    doing: str,
    *,
    file_id: int | None = None,
    case_id: int | None = None,
) -> None:
    """A GK account reads: it records nothing a person must answer for, and touches no one's
    copies (R16); the refusal is logged with the patient it concerned (R24)."""
    with refusals_logged(ctx, actor, action), session_scope(ctx.engine) as s:
        if not (actor.shared_account or _require_staff_flag(s, actor, "shared_account")):
            return
        if file_id is not None:
            about = _about(load_file(s, actor, file_id))
        else:
            case, unit, p = load_case_for_staff(s, actor, case_id or 0)
            about = {"unit_code": unit.code, "patient_pnr": p.pnr, "case_id": case.id}
        raise RuleViolation(
            "R16",
            f"Du är inloggad med ett GK-konto (gemensamt konto), som bara får läsa. Att "
            f"{doing} måste kunna spåras till en person: logga in med ditt eget VGR-ID.",
        ).concerning(**about)


def _who(s: Session, login: str | None) -> str:
    """A colleague as staff know them: their name, else their login."""
    if not login:
        return "en kollega"
    st = s.exec(select(Staff).where(Staff.login == login)).first()
    return f"{st.first_name} {st.last_name}" if st else login


def _refuse_if_sent(s: Session, fc: FileContext, what: str) -> None:
    """Refuse while the file is on its way to Picsara or E-arkiv, or once it got there."""
    _refuse_if_pending(s, fc, what)
    if fc.file.picsara_at or fc.file.printed_at:
        raise UserError(
            "Filen har redan sparats i Picsara eller skrivits ut; beslutet kan inte ändras här."
        ).concerning(**_about(fc))


def _refuse_if_pending(s: Session, fc: FileContext, what: str) -> None:
    """Refuse while a send of the file awaits confirmation (its own, a colleague's or a crash's)."""
    from tui_app.core.clock import local

    f = fc.file
    if f.pending_action:
        since = f" sedan kl. {local(f.pending_at):%H:%M}" if f.pending_at else ""
        where = (
            "sparas i Picsara" if f.pending_action == Target.PICSARA else "skrivs ut för E-arkiv"
        )
        raise UserError(
            f"Filen {where} av {_who(s, f.pending_by)}{since} och väntar på "
            f"bekräftelse; {what}. {REFRESH} om en stund."
        ).concerning(**_about(fc))


def live_copies(s: Session, file_id: int, login: str | None = None) -> list[Download]:
    """Downloaded copies of a file not yet cleaned up (optionally by one staff member)."""
    stmt = select(Download).where(
        Download.attachment_id == file_id, col(Download.cleaned_at).is_(None)
    )
    if login:
        stmt = stmt.where(Download.staff_login == login)
    return list(s.exec(stmt).all())


def _my_copy(s: Session, actor: Actor, fc: FileContext) -> Path:
    """The actor's downloaded copy, still intact: Picsara and printing use that copy (R19, R20)."""
    from tui_app.adapters._fs import digest_regular_file

    for d in live_copies(s, fc.file.id or 0, actor.login):
        p = Path(d.path)
        digest = digest_regular_file(p)
        if digest is not None and digest.sha256 == d.sha256:
            return p
    raise UserError(routine.NO_COPY_TEXT).concerning(**_about(fc))


def _require_staff_flag(s: Session, actor: Actor, flag: str) -> bool:
    """A permission as it stands in the database now, not as it was at sign-in."""
    st = s.get(Staff, actor.staff_id) if actor.staff_id is not None else None
    return bool(st is not None and getattr(st, flag))
