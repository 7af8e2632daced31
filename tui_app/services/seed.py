"""Load units, staff, patients and (demo) cases from a readable JSON file such as data/demo.json.

The file is checked in full first (services.loadschema): any error anywhere and nothing is
stored. A staff entry is the whole truth about that person: its flags, whether the account is
`active`, and `units`, the complete list of their units (a unit left out is a membership
removed). Staff the file does not mention are left as they are. Changes of access are logged.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from tui_app.core.errors import InvalidInput
from tui_app.core.rules import deadline_for
from tui_app.core.template import DEFAULT_TEXT
from tui_app.services.context import Context
from tui_app.store.db import read_scope, session_scope
from tui_app.store.models import CareRelation, Case, Membership, Message, Patient, Staff, Unit

if TYPE_CHECKING:
    from sqlmodel import Session

    from tui_app.services.loadschema import LoadFile


def _id(value: int | None) -> int:
    """A flushed row's primary key (the models type it optional until the row is stored)."""
    assert value is not None
    return value


def require_loader(ctx: Context) -> None:
    """`tui-app load` changes who may do what: only an active administrator, or anyone on a
    database that has no administrator at all (the first set-up)."""
    from tui_app.services.audit import log_refusal
    from tui_app.services.identity import os_login

    login = os_login()
    with read_scope(ctx.engine) as s:
        admins = s.exec(select(Staff).where(Staff.is_admin == True)).all()  # noqa: E712
    # A deactivated administrator may not load, but still counts: deactivating every
    # administrator must not open loading to anyone.
    if admins and login not in {a.login for a in admins if a.active}:
        exc = InvalidInput(
            f"Bara en administratör får läsa in personal och enheter; ”{login}” är inte "
            "administratör. Be administrationsgruppen 1177 e-tjänster."
        )
        log_refusal(
            ctx,
            actor=login,
            action="läsa in personal",  # R05, R24
            detail=f"tui-app load: {exc.message}",
        )
        raise exc


def load_file(ctx: Context, path: Path, *, with_cases: bool = False) -> dict[str, int]:
    """Read the JSON file and add what it describes; existing logins/codes/numbers are updated."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"Filen {path} är inte sparad som UTF-8 (byte {exc.start}). Spara "
            "den som UTF-8 och försök igen."
        ) from exc
    except OSError as exc:
        from tui_app.services.errors import explain

        raise InvalidInput(f"Filen {path} kunde inte läsas. {explain(exc)}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"Filen {path} är inte giltig JSON: rad {exc.lineno}, kolumn "
            f"{exc.colno}. Rätta filen och försök igen."
        ) from exc
    except RecursionError:
        raise InvalidInput(
            f"Filen {path} är för djupt nästlad för att kunna läsas; inget har lästs in."
        ) from None
    return load(ctx, data, base_dir=path.parent, with_cases=with_cases, where=f"Filen {path}")


def load(
    ctx: Context, data: Any, *, base_dir: Path, with_cases: bool, where: str = "Filen"
) -> dict[str, int]:
    """Add the units, staff, patients and optionally cases described by data, in one
    transaction, after checking all of it (InvalidInput lists every error; nothing stored)."""
    from tui_app.services import loadschema

    f, errors = loadschema.validate(data)
    pending_files: list[tuple[int, int, list[Path]]] = []
    log_changes = not with_cases  # a deployment's staff list changes access: logged (R24)
    with session_scope(ctx.engine) as s:
        errors += loadschema.cross_check(
            data,
            known_units=set(s.exec(select(Unit.code)).all()),
            known_logins=set(s.exec(select(Staff.login)).all()),
            known_pnrs=set(s.exec(select(Patient.pnr)).all()),
            with_cases=with_cases,
        )
        if errors or f is None:
            raise loadschema.refuse(where, loadschema.by_path(errors))
        changes = _store(s, f)
        counts = {
            "units": len(f.units),
            "staff": len(f.staff),
            "patients": len(f.patients),
            "cases": 0,
        }
        if with_cases:
            counts["cases"] = _store_cases(ctx, s, f, base_dir, pending_files)
        if log_changes:
            _log(ctx, s, counts, changes)
    if pending_files:
        from tui_app.services.files import attach_demo_files

        for case_id, msg_id, paths in pending_files:
            attach_demo_files(ctx, case_id, msg_id, paths)
    return counts


def _store(s: Session, f: LoadFile) -> list[tuple[str | None, str]]:
    """Write units, staff and patients; return the changes of existing staff members' access
    as (unit code, detail). New staff are counted in the load's own log entry."""
    changes: list[tuple[str | None, str]] = []
    for u in f.units:
        unit = s.exec(select(Unit).where(Unit.code == u.code)).first() or Unit(code=u.code, name="")
        unit.name = u.name
        unit.activated_1177 = u.activated_1177
        unit.template_installed = u.template_installed
        s.add(unit)
    s.flush()
    units = {u.code: u for u in s.exec(select(Unit)).all()}
    by_id = {_id(u.id): u for u in units.values()}
    for st in f.staff:
        row = s.exec(select(Staff).where(Staff.login == st.login)).first()
        new = row is None
        if row is None:
            row = Staff(login=st.login, first_name="", last_name="")
        elif row.active != st.active:
            changes.append((None, f"{st.login} {'aktiverad' if st.active else 'avaktiverad'}"))
        row.first_name, row.last_name = st.first_name, st.last_name
        row.shared_account = st.shared_account
        row.picsara_permission = st.picsara_permission
        row.is_admin = st.is_admin
        row.active = st.active
        s.add(row)
        s.flush()
        staff_id = _id(row.id)
        have = set(s.exec(select(Membership.unit_id).where(Membership.staff_id == staff_id)).all())
        want = {_id(units[code].id) for code in st.units}
        for uid in sorted(want - have):
            s.add(Membership(staff_id=staff_id, unit_id=uid))
            if not new:
                changes.append((by_id[uid].code, f"{st.login}: enhet tillagd"))
        for uid in sorted(have - want):
            s.delete(s.get(Membership, (staff_id, uid)))
            changes.append((by_id[uid].code, f"{st.login}: enhet borttagen"))
    for p in f.patients:
        person = s.exec(select(Patient).where(Patient.pnr == p.pnr)).first() or Patient(
            pnr=p.pnr, first_name="", last_name="", search_name=""
        )
        person.first_name, person.last_name = p.first_name, p.last_name
        person.search_name = f"{person.first_name} {person.last_name}".casefold()
        person.activated_1177 = p.activated_1177
        s.add(person)
        s.flush()
        patient_id = _id(person.id)
        for code in p.care_relations:
            unit_id = _id(units[code].id)
            if s.get(CareRelation, (unit_id, patient_id)) is None:
                s.add(CareRelation(unit_id=unit_id, patient_id=patient_id))
    s.flush()
    return changes


def _store_cases(
    ctx: Context,
    s: Session,
    f: LoadFile,
    base_dir: Path,
    pending_files: list[tuple[int, int, list[Path]]],
) -> int:
    now = ctx.now()
    units = {u.code: u for u in s.exec(select(Unit)).all()}
    staff = {st.login: st for st in s.exec(select(Staff)).all()}
    patients = {
        p.pnr: p
        for p in s.exec(
            select(Patient).where(col(Patient.pnr).in_({c.patient for c in f.cases}))
        ).all()
    }
    for c in f.cases:
        sender, p = staff[c.sender], patients[c.patient]
        sent = now - timedelta(hours=c.sent_hours_ago)
        case = Case(
            unit_id=_id(units[c.unit].id),
            patient_id=_id(p.id),
            created_by=_id(sender.id),
            sent_at=sent,
            deadline_at=deadline_for(sent),
        )
        if c.read_hours_ago is not None:
            case.patient_read_at = now - timedelta(hours=c.read_hours_ago)
        s.add(case)
        s.flush()
        s.add(
            Message(
                case_id=_id(case.id),
                from_patient=False,
                staff_id=sender.id,
                signature=sender.first_name,
                body=DEFAULT_TEXT,
                sent_at=sent,
            )
        )
        for r in c.replies:
            msg = Message(
                case_id=_id(case.id),
                from_patient=True,
                signature=p.first_name,
                body=r.text,
                sent_at=now - timedelta(hours=r.hours_ago),
            )
            s.add(msg)
            s.flush()
            case.patient_messages += 1
            if r.files:
                pending_files.append((_id(case.id), _id(msg.id), [base_dir / x for x in r.files]))
        s.add(case)
    return len(f.cases)


def _log(
    ctx: Context, s: Session, counts: dict[str, int], changes: list[tuple[str | None, str]]
) -> None:
    """The load itself, and each change of access, in the same transaction as the changes."""
    from tui_app.services import audit
    from tui_app.services.identity import os_login

    who = os_login()
    for unit_code, detail in changes:
        audit.append(
            s,
            at=ctx.now(),
            actor=who,
            action="behörighet",
            unit_code=unit_code,
            detail=f"inläsning: {detail}",
        )
    audit.append(
        s,
        at=ctx.now(),
        actor=who,
        action="läs in personal",
        detail=", ".join(f"{k}: {v}" for k, v in counts.items()),
    )
