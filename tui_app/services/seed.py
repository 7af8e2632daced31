"""Load units, staff, patients and (demo) cases from a readable JSON file such as data/demo.json."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from tui_app.core.errors import InvalidInput
from tui_app.core.pnr import parse_pnr
from tui_app.core.rules import deadline_for
from tui_app.core.template import DEFAULT_TEXT
from tui_app.services.context import Context
from tui_app.store.db import read_scope, session_scope
from tui_app.store.models import CareRelation, Case, Membership, Message, Patient, Staff, Unit


def require_loader(ctx: Context) -> None:
    """`tui-app load` changes who may do what: only an administrator, or anyone on an empty database."""
    from tui_app.services.audit import log_refusal
    from tui_app.services.identity import os_login

    login = os_login()
    with read_scope(ctx.engine) as s:
        admins = s.exec(select(Staff).where(Staff.is_admin == True)).all()  # noqa: E712
    if admins and login not in {a.login for a in admins}:
        exc = InvalidInput(
            f"Bara en administratör får läsa in personal och enheter; ”{login}” är inte "
            "administratör. Be administrationsgruppen 1177 e-tjänster.")
        log_refusal(ctx, actor=login, action="läsa in personal",  # R05, R24
                    detail=f"tui-app load: {exc.message}")
        raise exc


def load_file(ctx: Context, path: Path, *, with_cases: bool = False) -> dict[str, int]:
    """Read the JSON file and add what it describes; existing logins/codes/numbers are updated."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"Filen {path} kunde inte läsas: {exc}") from exc
    return load(ctx, data, base_dir=path.parent, with_cases=with_cases)


def load(ctx: Context, data: dict[str, Any], *, base_dir: Path, with_cases: bool) -> dict[str, int]:
    """Add the units, staff, patients and optionally cases described by data, in one transaction."""
    counts = {"units": 0, "staff": 0, "patients": 0, "cases": 0}
    pending_files: list[tuple[int, int, list[Path]]] = []
    with session_scope(ctx.engine) as s:
        units: dict[str, Unit] = {}
        for u in data.get("units", []):
            row = s.exec(select(Unit).where(Unit.code == u["code"])).first() or Unit(code=u["code"], name="")
            row.name = u["name"]
            row.activated_1177 = bool(u.get("activated_1177", False))
            row.template_installed = bool(u.get("template_installed", False))
            s.add(row)
            units[row.code] = row
            counts["units"] += 1
        s.flush()
        for u in s.exec(select(Unit)).all():
            units.setdefault(u.code, u)
        staff: dict[str, Staff] = {}
        for st in data.get("staff", []):
            row = s.exec(select(Staff).where(Staff.login == st["login"])).first() or Staff(
                login=st["login"], first_name="", last_name="")
            row.first_name, row.last_name = st["first_name"], st["last_name"]
            row.shared_account = bool(st.get("shared_account", False))
            row.picsara_permission = bool(st.get("picsara_permission", False))
            row.is_admin = bool(st.get("is_admin", False))
            s.add(row)
            s.flush()
            for code in st.get("units", []):
                if s.get(Membership, (row.id, units[code].id)) is None:
                    s.add(Membership(staff_id=row.id, unit_id=units[code].id))  # type: ignore[arg-type]
            staff[row.login] = row
            counts["staff"] += 1
        patients: dict[str, Patient] = {}
        for p in data.get("patients", []):
            pnr = parse_pnr(p["pnr"]).digits
            row = s.exec(select(Patient).where(Patient.pnr == pnr)).first() or Patient(
                pnr=pnr, first_name="", last_name="", search_name="")
            row.first_name, row.last_name = p["first_name"], p["last_name"]
            row.search_name = f"{row.first_name} {row.last_name}".casefold()
            row.activated_1177 = bool(p.get("activated_1177", False))
            s.add(row)
            s.flush()
            for code in p.get("care_relations", []):
                if s.get(CareRelation, (units[code].id, row.id)) is None:
                    s.add(CareRelation(unit_id=units[code].id, patient_id=row.id))  # type: ignore[arg-type]
            patients[pnr] = row
            counts["patients"] += 1
        if with_cases:
            now = ctx.now()
            for c in data.get("cases", []):
                sender = staff[c["sender"]]
                p = patients[parse_pnr(c["patient"]).digits]
                sent = now - timedelta(hours=c["sent_hours_ago"])
                case = Case(unit_id=units[c["unit"]].id, patient_id=p.id, created_by=sender.id,  # type: ignore[arg-type]
                            sent_at=sent, deadline_at=deadline_for(sent))
                if "read_hours_ago" in c:
                    case.patient_read_at = now - timedelta(hours=c["read_hours_ago"])
                s.add(case)
                s.flush()
                s.add(Message(case_id=case.id, from_patient=False, staff_id=sender.id,  # type: ignore[arg-type]
                              signature=sender.first_name, body=DEFAULT_TEXT, sent_at=sent))
                for r in c.get("replies", []):
                    msg = Message(case_id=case.id, from_patient=True, signature=p.first_name,  # type: ignore[arg-type]
                                  body=r["text"], sent_at=now - timedelta(hours=r["hours_ago"]))
                    s.add(msg)
                    s.flush()
                    case.patient_messages += 1
                    if r.get("files"):
                        pending_files.append((case.id, msg.id, [base_dir / f for f in r["files"]]))  # type: ignore[arg-type]
                s.add(case)
                counts["cases"] += 1
    if not with_cases:  # a deployment's staff list changes permissions: that is logged (R24)
        from tui_app.services import audit
        from tui_app.services.identity import os_login

        with session_scope(ctx.engine) as s:
            audit.append(s, at=ctx.now(), actor=os_login(), action="läs in personal",
                         detail=", ".join(f"{k}: {v}" for k, v in counts.items()))
    if pending_files:
        from tui_app.services.files import attach_demo_files

        for case_id, msg_id, paths in pending_files:
            attach_demo_files(ctx, case_id, msg_id, paths)
    return counts
