"""Reviewing the access log (logguppföljning), sample checks, the patient's extract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

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
    """Log entries matching the filters (staff: the login; patient: the personal identity
    number; unit: the code or its beginning; since/until: the time), newest first, at most
    PAGE; the review, or its refusal, is logged (R05, R24). The reading is a snapshot that
    never waits for staff at work, and reads its page from an index fitting the filters."""
    with refusals_logged(ctx, actor, "logguppföljning"):
        return _search(ctx, actor, staff, patient, unit, since, until, since_text)


#: How far an entry's time may lag behind the order of the log (seq): `at` is taken when the
#: action is built, the seq when it commits, so a slow transaction's entry can land a little
#: after a newer one. The time filters become seq bounds through the `at` index, widened by
#: this much; the exact time test is kept on every row.
SKEW = timedelta(days=1)


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
        rows = _page(s, staff.strip(), pnr, unit.strip().upper(), since, until)
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


def _page(
    s: Session,
    staff: str,
    pnr: str,
    unit: str,
    since: datetime | None,
    until: datetime | None,
) -> list[LogRow]:
    """The newest PAGE entries matching every filter, read from one index in seq order: the
    patient's (patient_pnr, seq), else the staff member's (actor, seq), else one (unit_code,
    seq) range per unit whose code starts with `unit`, else seq itself. The other filters are
    tests on the rows read (written so no other index is taken instead)."""
    where: list[ColumnElement[bool]] = []
    # The exact time tests are written so that no index serves them: the page is read down a
    # seq range (or the leading filter's index), never sorted from a range of the at index.
    at = func.coalesce(col(AuditEntry.at), col(AuditEntry.at))
    # The seq bounds assume an entry's time lags its seq order by at most SKEW. Each bound is
    # checked against an entry known to match (the first at or after `since`, the last before
    # `until`); a log that breaks the assumption there (a clock set back) is read unbounded.
    if since is not None:
        where.append(at >= since)
        low = _seq_before_time(s, since - SKEW)
        first = _seq_from_time(s, since)
        if first is not None and first > low:
            where.append(col(AuditEntry.seq) > low)
    if until is not None:
        where.append(at < until)
        bound = _seq_from_time(s, until + SKEW)
        if bound is not None and bound > _seq_before_time(s, until):
            where.append(col(AuditEntry.seq) < bound)
    codes = _unit_codes(s, unit) if unit else []
    if pnr:
        where.append(col(AuditEntry.patient_pnr) == pnr)
    if staff:
        where.append(_plain(AuditEntry.actor, staff, indexed=not pnr))
    if unit and (pnr or staff):
        where.append(func.coalesce(AuditEntry.unit_code, "").in_(codes))
    if not unit or pnr or staff:
        return _rows(s, where)
    if len(codes) == 1:
        return _rows(s, [*where, col(AuditEntry.unit_code) == codes[0]])
    # By unit: each matching code's newest PAGE seqs (from the index alone), merged; then the
    # rows of the newest PAGE of them.
    seqs: list[int] = []
    for code in codes:
        seqs.extend(
            s.exec(
                select(AuditEntry.seq)
                .where(*where, col(AuditEntry.unit_code) == code)
                .order_by(col(AuditEntry.seq).desc())
                .limit(PAGE)
            ).all()
        )
    top = sorted(seqs, reverse=True)[:PAGE]
    return _rows(s, [col(AuditEntry.seq).in_(top)]) if top else []


def _plain(column: Any, value: str, *, indexed: bool) -> ColumnElement[bool]:
    """column = value; when not `indexed`, written as an expression no index serves, so the
    planner reads the leading filter's index (the most selective) and tests this on its rows."""
    if indexed:
        return cast("ColumnElement[bool]", column == value)
    return func.coalesce(column, "") == value


def _rows(s: Session, where: list[ColumnElement[bool]]) -> list[LogRow]:
    """Plain rows, not ORM objects: a page is read and shown, never changed."""
    e = AuditEntry
    stmt = (
        sa_select(
            col(e.seq),
            col(e.at),
            col(e.actor),
            col(e.unit_code),
            col(e.patient_pnr),
            col(e.case_id),
            col(e.action),
            col(e.outcome),
            col(e.detail),
        )
        .where(*where)
        .order_by(col(e.seq).desc())
    )
    return [
        LogRow(r[0], r[1], r[2], r[3] or "", r[4] or "", r[5], r[6], r[7], r[8])
        for r in s.connection().execute(stmt.limit(PAGE))
    ]


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


def _seq_before_time(s: Session, t: datetime) -> int:
    """The seq of the newest entry (by time) written before `t`; 0 when none was."""
    row = s.exec(
        select(AuditEntry.seq)
        .where(col(AuditEntry.at) < t)
        .order_by(col(AuditEntry.at).desc())
        .limit(1)
    ).first()
    return int(row) if row is not None else 0


def _seq_from_time(s: Session, t: datetime) -> int | None:
    """The seq of the oldest entry (by time) written at or after `t`; None when none was."""
    row = s.exec(
        select(AuditEntry.seq).where(col(AuditEntry.at) >= t).order_by(col(AuditEntry.at)).limit(1)
    ).first()
    return int(row) if row is not None else None


def _unit_codes(s: Session, typed: str) -> list[str]:
    """The unit codes that start with what was typed (the unit filter matches the code or its
    beginning, never the middle: each code is one index range), from the units (every logged
    code is a unit's); the typed code itself too, so a code no unit has now is found in full."""
    from tui_app.store.models import Unit

    codes = {c for c in s.exec(select(Unit.code)).all() if c.upper().startswith(typed)}
    return sorted(codes | {typed})


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
