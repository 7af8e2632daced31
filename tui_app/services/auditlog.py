"""Reviewing the access log (logguppföljning), sample checks, the patient's extract, and the CLI."""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import col, select

from tui_app.core.clock import fmt_datetime
from tui_app.core.errors import UserError
from tui_app.core.pnr import parse_pnr
from tui_app.services import audit
from tui_app.services.context import Context
from tui_app.services.guard import refusals_logged
from tui_app.services.identity import Actor, require_admin
from tui_app.store.db import read_scope, session_scope
from tui_app.store.models import AuditEntry, AuditReview

PAGE = 500


@dataclass(frozen=True)
class LogRow:
    """One access-log entry for display."""

    seq: int
    at: datetime
    actor: str
    unit_code: str
    patient_pnr: str
    case_id: int | None
    action: str
    outcome: str
    detail: str


def parse_day(text: str) -> datetime | None:
    """A date typed as YYYY-MM-DD, taken as the start of that day in Swedish time."""
    from datetime import date

    from tui_app.core.clock import SWEDISH_TZ

    if not text.strip():
        return None
    try:
        d = date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"”{text.strip()[:20]}” är inget datum. Skriv ÅÅÅÅ-MM-DD, till exempel 2026-11-01."
        ) from None
    return datetime(d.year, d.month, d.day, tzinfo=SWEDISH_TZ)


def search(
    ctx: Context,
    actor: Actor,
    *,
    staff: str = "",
    patient: str = "",
    unit: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    since_text: str = "",
) -> list[LogRow]:
    """Log entries matching the filters, newest first; the review, or its refusal, is logged
    (R05, R24). The reading is a snapshot that never waits for staff at work."""
    with refusals_logged(ctx, actor, "logguppföljning"):
        return _search(ctx, actor, staff, patient, unit, since, until, since_text)


def _search(
    ctx: Context,
    actor: Actor,
    staff: str,
    patient: str,
    unit: str,
    since: datetime | None,
    until: datetime | None,
    since_text: str,
) -> list[LogRow]:
    pnr = parse_pnr(patient).digits if patient.strip() else ""
    since = since or parse_day(since_text)
    with read_scope(ctx.engine) as s:
        require_admin(s, actor)
        stmt = select(AuditEntry)
        if staff.strip():
            stmt = stmt.where(AuditEntry.actor == staff.strip())
        if pnr:
            stmt = stmt.where(AuditEntry.patient_pnr == pnr)
        if unit.strip():
            stmt = stmt.where(
                col(AuditEntry.unit_code).contains(unit.strip().upper(), autoescape=True)
            )
        if since:
            stmt = stmt.where(col(AuditEntry.at) >= since)
        if until:
            stmt = stmt.where(col(AuditEntry.at) < until)
        rows = [
            _row(e) for e in s.exec(stmt.order_by(col(AuditEntry.seq).desc()).limit(PAGE)).all()
        ]
    with session_scope(ctx.engine) as s:  # shown only once the review is logged (R24)
        audit.append(
            s,
            at=ctx.now(),
            actor=actor.audit_name,
            action="logguppföljning",
            patient_pnr=pnr or None,
            detail=f"sökning personal={staff!r} patient={pnr!r} enhet={unit!r}",
        )
    return rows


def _row(e: AuditEntry) -> LogRow:
    return LogRow(
        e.seq,
        e.at,
        e.actor,
        e.unit_code or "",
        e.patient_pnr or "",
        e.case_id,
        e.action,
        e.outcome,
        e.detail,
    )


def record_review(ctx: Context, actor: Actor, scope: str, finding: str) -> None:
    """Record a systematic sample check: reviewer, date, what was checked, the finding."""
    if not finding.strip():
        raise UserError("Skriv vad granskningen visade (till exempel 'inga avvikelser').")
    with refusals_logged(ctx, actor, "stickprov"), session_scope(ctx.engine) as s:
        require_admin(s, actor)
        s.add(
            AuditReview(
                reviewer=actor.login,
                reviewed_at=ctx.now(),
                scope=scope[:300],
                finding=finding.strip()[:2000],
            )
        )
        audit.append(
            s,
            at=ctx.now(),
            actor=actor.audit_name,
            action="stickprov",
            detail=f"{scope[:200]}: {finding.strip()[:200]}",
        )


def reviews(ctx: Context) -> list[AuditReview]:
    """Recorded sample checks, newest first."""
    with read_scope(ctx.engine) as s:
        return list(s.exec(select(AuditReview).order_by(col(AuditReview.reviewed_at).desc())).all())


def patient_extract(ctx: Context, pnr_text: str) -> list[LogRow]:
    """Every logged access to one patient's data (unit and time), oldest first (PDL 8 kap.)."""
    pnr = parse_pnr(pnr_text).digits
    with read_scope(ctx.engine) as s:
        return [
            _row(e)
            for e in s.exec(
                select(AuditEntry)
                .where(AuditEntry.patient_pnr == pnr)
                .order_by(col(AuditEntry.seq))
            ).all()
        ]


def run_audit_cli(ctx: Context, args: argparse.Namespace, out=sys.stdout) -> int:  # type: ignore[no-untyped-def]
    """`tui-app audit verify` and `tui-app audit export --patient PNR [--output FILE]`."""
    if args.audit_command == "verify":
        return _verify_cli(ctx, out)
    from tui_app.services.identity import os_login, staff_by_login

    login = os_login()
    try:
        me = staff_by_login(ctx, login)
        with read_scope(ctx.engine) as s:
            require_admin(s, me)  # a patient's log extract is not for everyone
    except UserError as exc:  # who tried to read whose log is itself logged (R05, R24)
        audit.log_refusal(
            ctx,
            actor=login,
            action="loggutdrag",
            patient_pnr=_pnr_or_none(args.patient),
            detail=f"tui-app audit export: {exc.message}",
        )
        raise
    rows = patient_extract(ctx, args.patient)
    target = args.output.open("w", newline="", encoding="utf-8") if args.output else out
    w = csv.writer(target, delimiter=";")
    w.writerow(["tid", "enhet", "vem", "åtgärd", "utfall", "ärende"])
    for r in rows:
        w.writerow([fmt_datetime(r.at), r.unit_code, r.actor, r.action, r.outcome, r.case_id or ""])
    if args.output:
        target.close()
        print(f"Loggutdrag med {len(rows)} poster skrivet till {Path(args.output)}.", file=out)
    with session_scope(ctx.engine) as s:
        audit.append(
            s,
            at=ctx.now(),
            actor=os_login(),
            action="loggutdrag",
            patient_pnr=parse_pnr(args.patient).digits,
            detail=f"{len(rows)} poster",
        )
    return 0


def _pnr_or_none(text: str) -> str | None:
    try:
        return parse_pnr(text).digits
    except UserError:
        return None


def _verify_cli(ctx: Context, out) -> int:  # type: ignore[no-untyped-def]
    """`tui-app audit verify`: the verdict, the head to keep elsewhere, and the checkpoints."""
    r = audit.verify(ctx)
    if not r.ok:
        where = f" vid post {r.broken_at}" if r.broken_at is not None else ""
        print(f"Loggkedjan är BRUTEN{where}: {r.problem}.", file=out)
        return 1
    print(f"Loggkedjan är obruten: {r.entries} poster.", file=out)
    print(f"Huvud: post {r.head_seq}, hash {r.head_hash}", file=out)
    print(f"Kontrollpunkter: {r.anchor}.", file=out)
    print(
        "Spara raden Huvud någon annanstans: en senare kontroll ska visa samma post och hash "
        "eller en längre logg.",
        file=out,
    )
    return 0
