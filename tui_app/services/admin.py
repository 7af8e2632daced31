"""What a 1177 administrator does: activate units, install the template, permissions, relations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from tui_app.core.errors import InvalidInput, NotFound, RuleViolation
from tui_app.core.pnr import parse_pnr
from tui_app.services import audit
from tui_app.services.context import Context
from tui_app.services.guard import refusals_logged
from tui_app.services.identity import Actor, UnitInfo, require_admin
from tui_app.store.db import read_scope, session_scope
from tui_app.store.models import CareRelation, Membership, Patient, Staff, Unit


@dataclass(frozen=True)
class StaffRow:
    """A staff member as the administrator sees them."""

    id: int
    login: str
    name: str
    shared_account: bool
    picsara_permission: bool
    is_admin: bool
    active: bool = True
    unit_ids: tuple[int, ...] = ()  # the units they belong to (R05)


def units(ctx: Context) -> list[UnitInfo]:
    """All units."""
    with read_scope(ctx.engine) as s:
        return [
            UnitInfo(u.id, u.code, u.name, u.activated_1177, u.template_installed)
            for u in s.exec(select(Unit).order_by(Unit.name)).all()
            if u.id is not None
        ]


def staff_rows(ctx: Context) -> list[StaffRow]:
    """All staff members."""
    with read_scope(ctx.engine) as s:
        member: dict[int, list[int]] = {}
        for staff_id, unit_id in s.exec(select(Membership.staff_id, Membership.unit_id)).all():
            member.setdefault(staff_id, []).append(unit_id)
        return [
            StaffRow(
                st.id,
                st.login,
                f"{st.first_name} {st.last_name}",
                st.shared_account,
                st.picsara_permission,
                st.is_admin,
                st.active,
                tuple(sorted(member.get(st.id, []))),
            )
            for st in s.exec(select(Staff).order_by(Staff.first_name)).all()
            if st.id is not None
        ]


def set_unit_flag(ctx: Context, actor: Actor, unit_id: int, flag: str, value: bool) -> None:
    """Activate/deactivate a unit for 1177 (R01) or install/remove the template (R02)."""
    if flag not in ("activated_1177", "template_installed"):
        raise ValueError(flag)
    with refusals_logged(ctx, actor, "administrera enhet"), session_scope(ctx.engine) as s:
        require_admin(s, actor)
        unit = s.get(Unit, unit_id)
        if unit is None:
            raise NotFound("Enheten finns inte.")
        setattr(unit, flag, value)
        s.add(unit)
        what = {
            "activated_1177": ("aktiverad för 1177", "avaktiverad för 1177"),
            "template_installed": ("mall upplagd", "mall borttagen"),
        }[flag]
        audit.append(
            s,
            at=ctx.now(),
            actor=actor.audit_name,
            action="administrera enhet",
            unit_code=unit.code,
            detail=what[0] if value else what[1],
        )


def set_picsara_permission(ctx: Context, actor: Actor, staff_id: int, value: bool) -> None:
    """Give or take a staff member's Picsara permission (R15)."""
    with refusals_logged(ctx, actor, "behörighet"), session_scope(ctx.engine) as s:
        require_admin(s, actor)
        st = s.get(Staff, staff_id)
        if st is None:
            raise NotFound("Personen finns inte.")
        if value and st.shared_account:
            raise RuleViolation(
                "R16",
                f"{st.login} är ett GK-konto (gemensamt konto) och får inte "
                "ladda ner filer, så Picsara-behörighet kan inte ges. Ge den till "
                "personens eget konto.",
            )
        st.picsara_permission = value
        s.add(st)
        audit.append(
            s,
            at=ctx.now(),
            actor=actor.audit_name,
            action="behörighet",
            detail=f"Picsara {'given' if value else 'borttagen'} för {st.login}",
        )


def set_active(ctx: Context, actor: Actor, staff_id: int, value: bool) -> None:
    """Deactivate a staff member (refused at sign-in and on their next action, R05), or
    activate them again."""
    with refusals_logged(ctx, actor, "behörighet"), session_scope(ctx.engine) as s:
        require_admin(s, actor)
        st = s.get(Staff, staff_id)
        if st is None:
            raise NotFound("Personen finns inte.")
        if not value and st.id == actor.staff_id:
            raise InvalidInput(
                "Du kan inte avaktivera ditt eget konto. Be en annan administratör göra det."
            )
        if st.active == value:
            return
        st.active = value
        s.add(st)
        audit.append(
            s,
            at=ctx.now(),
            actor=actor.audit_name,
            action="behörighet",
            detail=f"{st.login} {'aktiverad' if value else 'avaktiverad'}",
        )


def set_memberships(ctx: Context, actor: Actor, staff_id: int, unit_ids: set[int]) -> int:
    """Make unit_ids the staff member's units: memberships left out are removed at once (their
    cases vanish from that person's inbox, R05); each change is logged. Returns the changes."""
    with refusals_logged(ctx, actor, "behörighet"), session_scope(ctx.engine) as s:
        require_admin(s, actor)
        st = s.get(Staff, staff_id)
        if st is None:
            raise NotFound("Personen finns inte.")
        units = {u.id: u for u in s.exec(select(Unit)).all()}
        unknown = set(unit_ids) - set(units)
        if unknown:
            raise NotFound("En av enheterna finns inte längre. Läs om listan och försök igen.")
        have = set(s.exec(select(Membership.unit_id).where(Membership.staff_id == staff_id)).all())
        for uid in sorted(unit_ids - have):
            s.add(Membership(staff_id=staff_id, unit_id=uid))
            audit.append(
                s,
                at=ctx.now(),
                actor=actor.audit_name,
                action="behörighet",
                unit_code=units[uid].code,
                detail=f"{st.login}: enhet tillagd",
            )
        for uid in sorted(have - unit_ids):
            s.delete(s.get(Membership, (staff_id, uid)))
            audit.append(
                s,
                at=ctx.now(),
                actor=actor.audit_name,
                action="behörighet",
                unit_code=units[uid].code,
                detail=f"{st.login}: enhet borttagen",
            )
        return len(unit_ids ^ have)


def add_care_relation(ctx: Context, actor: Actor, unit_id: int, pnr_text: str) -> str:
    """Register a care relationship between a unit and a patient (R04); returns the patient's name."""
    with refusals_logged(ctx, actor, "vårdrelation"):
        pnr = parse_pnr(pnr_text, ctx.now().date())
        with session_scope(ctx.engine) as s:
            require_admin(s, actor)
            unit = s.get(Unit, unit_id)
            p = s.exec(select(Patient).where(Patient.pnr == pnr.digits)).first()
            if unit is None:
                raise NotFound("Enheten finns inte.")
            if p is None:
                raise NotFound(f"Det finns ingen patient med personnummer {pnr.display}.")
            if s.get(CareRelation, (unit_id, p.id)) is not None:
                raise InvalidInput(f"{unit.name} har redan vårdrelation med {pnr.display}.")
            assert p.id is not None
            s.add(CareRelation(unit_id=unit_id, patient_id=p.id))
            audit.append(
                s,
                at=ctx.now(),
                actor=actor.audit_name,
                action="vårdrelation",
                unit_code=unit.code,
                patient_pnr=p.pnr,
                detail="vårdrelation tillagd",
            )
            return f"{p.first_name} {p.last_name}"


__all__ = [
    "RuleViolation",
    "StaffRow",
    "units",
    "staff_rows",
    "set_unit_flag",
    "set_picsara_permission",
    "set_active",
    "set_memberships",
    "add_care_relation",
]
