"""Reviewing the access log (logguppföljning), sample checks, the patient's extract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from tui_app.core.errors import UserError
from tui_app.core.pnr import parse_pnr
from tui_app.services import audit
from tui_app.services.context import Context
from tui_app.services.guard import refusals_logged
from tui_app.services.actor import Actor
from tui_app.services.identity import require_admin
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


def extract_for(ctx: Context, login: str, pnr_text: str) -> list[LogRow]:
    """A patient's log extract for the administrator signed in as `login` (PDL 8 kap.); a
    refusal (not an administrator, not staff at all) is logged with whose log was asked for
    (R05, R24). Record the extract with `record_extract` once it has been handed over."""
    from tui_app.services.identity import staff_by_login

    try:
        me = staff_by_login(ctx, login)
        with read_scope(ctx.engine) as s:
            require_admin(s, me)  # a patient's log extract is not for everyone
    except UserError as exc:  # who tried to read whose log is itself logged (R05, R24)
        audit.log_refusal(
            ctx,
            actor=login,
            action="loggutdrag",
            patient_pnr=_pnr_or_none(pnr_text),
            detail=f"tui-app audit export: {exc.message}",
        )
        raise
    return patient_extract(ctx, pnr_text)


def record_extract(ctx: Context, login: str, pnr_text: str, count: int) -> None:
    """Log that `login` took out a patient's log extract of `count` entries (R24)."""
    with session_scope(ctx.engine) as s:
        audit.append(
            s,
            at=ctx.now(),
            actor=login,
            action="loggutdrag",
            patient_pnr=parse_pnr(pnr_text).digits,
            detail=f"{count} poster",
        )


def _pnr_or_none(text: str) -> str | None:
    try:
        return parse_pnr(text).digits
    except UserError:
        return None
