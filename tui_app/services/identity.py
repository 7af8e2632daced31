"""Who is using the app: a staff member (by OS login), an administrator, or a demo patient."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from tui_app.core.errors import NotFound, RuleViolation, UserError
from tui_app.core.pnr import Pnr

# Re-exported: callers have always imported these names from here.
from tui_app.services.actor import Actor as Actor
from tui_app.services.actor import UnitInfo as UnitInfo
from tui_app.services.actor import os_login as os_login
from tui_app.services.actor import staff_actor as staff_actor
from tui_app.services.context import Context
from tui_app.store.db import read_scope
from tui_app.store.models import Membership, Patient, Staff, Unit


def _staff_actor(session: Session, staff: Staff) -> Actor:
    units = session.exec(
        select(Unit)
        .join(Membership, col(Membership.unit_id) == col(Unit.id))
        .where(Membership.staff_id == staff.id)
        .order_by(Unit.name)
    ).all()
    return staff_actor(
        staff.id,
        staff.login,
        staff.first_name,
        staff.last_name,
        staff.shared_account,
        staff.picsara_permission,
        staff.is_admin,
        [
            (u.id, u.code, u.name, u.activated_1177, u.template_installed)
            for u in units
            if u.id is not None
        ],
    )


def staff_by_login(ctx: Context, login: str) -> Actor:
    """The staff member with this login, or NotFound with a clear refusal."""
    with read_scope(ctx.engine) as s:
        staff = s.exec(select(Staff).where(Staff.login == login)).first()
        if staff is None:
            raise NotFound(
                f"Inloggningen ”{login}” är inte registrerad som personal i tui_app. "
                "Kontakta administrationsgruppen 1177 e-tjänster för att få behörighet."
            )
        if not staff.active:
            raise deactivated(login)
        return _staff_actor(s, staff)


def patient_actor(ctx: Context, patient_id: int) -> Actor:
    """A demo patient acting in 1177's patient view."""
    with read_scope(ctx.engine) as s:
        p = s.get(Patient, patient_id)
        if p is None:
            raise NotFound("Patienten finns inte.")
        return Actor(
            login=f"patient:{p.pnr}",
            display_name=f"{p.first_name} {p.last_name}",
            first_name=p.first_name,
            patient_id=p.id,
            patient_pnr=p.pnr,
        )


@dataclass(frozen=True)
class SignInChoice:
    """One row of the demo sign-in picker."""

    kind: str  # "staff" | "admin" | "patient"
    key: str  # login, or patient id as text
    label: str
    detail: str


def sign_in_choices(ctx: Context) -> list[SignInChoice]:
    """Everyone a trainer may act as in demo mode."""
    out: list[SignInChoice] = []
    with read_scope(ctx.engine) as s:
        for st in s.exec(select(Staff).order_by(col(Staff.is_admin), Staff.first_name)).all():
            actor = _staff_actor(s, st)
            units = ", ".join(u.name for u in actor.units) or "ingen enhet"
            marks = []
            if not st.active:
                marks.append("avaktiverad")
            if st.shared_account:
                marks.append("GK-konto")
            if not st.picsara_permission and not st.is_admin:
                marks.append("utan Picsara")
            if st.picsara_permission:
                marks.append("Picsara")
            kind = "admin" if st.is_admin else "staff"
            label = f"{st.first_name} {st.last_name} ({st.login})"
            detail = "Administratör 1177 e-tjänster" if st.is_admin else units
            if marks:  # first, so a long list of units never hides them
                detail = ", ".join(marks) + " · " + detail
            out.append(SignInChoice(kind, st.login, label, detail))
        for p in s.exec(select(Patient).order_by(Patient.last_name)).all():
            notes = [] if p.activated_1177 else ["ej aktiverad på 1177"]
            out.append(
                SignInChoice(
                    "patient",
                    str(p.id),
                    f"Patient: {p.first_name} {p.last_name}",
                    Pnr(p.pnr).display + (" · " + ", ".join(notes) if notes else ""),
                )
            )
    return out


def deactivated(login: str) -> RuleViolation:
    """The refusal for an account an administrator has deactivated (R05)."""
    return RuleViolation(
        "R05",
        f"Kontot ”{login}” är avaktiverat och har inte längre åtkomst "
        "till tui_app. Kontakta administrationsgruppen 1177 e-tjänster om det "
        "är fel.",
    )


def require_admin(s: Session, actor: Actor) -> None:
    """Refuse unless the actor is a 1177 administrator now (read from the database, not sign-in)."""
    st = s.get(Staff, actor.staff_id) if actor.staff_id is not None else None
    if st is None or not st.is_admin or not st.active:
        raise UserError("Bara administrationsgruppen 1177 e-tjänster får göra det här.")


__all__ = [
    "Actor",
    "SignInChoice",
    "UnitInfo",
    "deactivated",
    "os_login",
    "patient_actor",
    "require_admin",
    "sign_in_choices",
    "staff_actor",
    "staff_by_login",
]
