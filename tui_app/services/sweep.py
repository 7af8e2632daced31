"""The cron job: close cases whose deadline has passed (R07, R12) and remove old cases (R23)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from tui_app.services import audit
from tui_app.services.context import Context
from tui_app.store.db import session_scope
from tui_app.core.limits import RETENTION
from tui_app.store.models import (
    Attachment,
    Case,
    Download,
    Message,
    Patient,
    Unit,
    UploadIntent,
)

#: Cases closed per write transaction (one update and one log entry each).
BATCH = 500
#: Cases removed per write transaction (each with its messages, files and downloads): small,
#: so staff never wait behind the sweep for longer than one such batch.
REMOVE_BATCH = 100


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    closed_auto: int
    closed_answered: int


def close_expired(ctx: Context) -> SweepReport:
    """Persist the closing of every case past its deadline, in small batches.

    The due cases are a range of the (closed_at, deadline_at) index, read in its order, so a
    sweep with nothing to close costs one index probe whatever the size of the database."""
    now = ctx.now()
    auto = answered = 0
    while True:
        with session_scope(ctx.engine) as s:
            rows = s.exec(
                select(Case, Unit, Patient)
                .join(Unit, col(Unit.id) == col(Case.unit_id))
                .join(Patient, col(Patient.id) == col(Case.patient_id))
                .where(col(Case.closed_at).is_(None), col(Case.deadline_at) <= now)
                .order_by(col(Case.deadline_at), col(Case.id))
                .limit(BATCH)
            ).all()
            for case, unit, p in rows:
                case.closed_at = case.deadline_at
                case.closed_reason = "auto" if case.patient_messages == 0 else "deadline"
                s.add(case)
                if case.patient_messages == 0:
                    auto += 1
                else:
                    answered += 1
                audit.append(
                    s,
                    at=now,
                    actor="system",
                    action="avsluta ärende",
                    unit_code=unit.code,
                    patient_pnr=p.pnr,
                    case_id=case.id,
                    detail="avslutat automatiskt (inget svar)"
                    if case.patient_messages == 0
                    else "avslutat (svarstiden slut)",
                )
        if len(rows) < BATCH:
            return SweepReport(auto, answered)


@dataclass(frozen=True)
class RetentionReport:
    """What the retention sweep removed, and downloaded copies that were still lying around."""

    removed_cases: int
    removed_files: int
    still_downloaded: list[str] = field(default_factory=list)


def _remove_case(
    ctx: Context,
    s: Session,
    case: Case,
    unit: Unit,
    p: Patient,
    now: datetime,
    doomed: list[str],
    reported: list[str],
) -> int:
    """Delete one expired case's rows in the caller's transaction and log it; its storage keys
    go to `doomed` (deleted once committed), copies still lying around to `reported`. Returns
    how many files the case had."""
    atts = s.exec(select(Attachment).where(Attachment.case_id == case.id)).all()
    live = s.exec(
        select(Download).where(Download.case_id == case.id, col(Download.cleaned_at).is_(None))
    ).all()
    sizes = {a.id: a.size for a in atts}
    for d in live:
        reported.append(f"ärende {case.id}: {d.path} ({d.staff_login})")
        # The copy is still lying around: keep its row (path, checksum, owner) so
        # `leftovers` and the clean-up can still find it (R21); only the links to
        # the removed case go.
        d.size = sizes.get(d.attachment_id)
        d.attachment_id = None
        d.case_id = None
        d.clean_note = f"ärende {case.id} gallrat {now:%Y-%m-%d}; kopian fanns kvar"
        s.add(d)
    for d in s.exec(
        select(Download).where(Download.case_id == case.id, col(Download.cleaned_at).is_not(None))
    ).all():
        s.delete(d)
    s.flush()  # no relationships are mapped: delete children before parents
    for a in atts:
        doomed.append(a.storage_key)
        if a.thumb_key:
            doomed.append(a.thumb_key)
        s.delete(a)
    s.flush()
    for m in s.exec(select(Message).where(Message.case_id == case.id)).all():
        s.delete(m)
    s.flush()
    s.delete(case)
    audit.append(
        s,
        at=ctx.now(),
        actor="system",
        action="gallring",
        unit_code=unit.code,
        patient_pnr=p.pnr,
        case_id=case.id,
        detail=f"ärendet och {len(atts)} filer gallrade efter 2 år"
        + (f"; {len(live)} nedladdade kopior fanns kvar" if live else ""),
    )
    return len(atts)


def remove_expired(ctx: Context) -> RetentionReport:
    """R23: remove cases older than two years with their stored files; log each removal.

    The due cases are found unit by unit as a range of the (unit_id, sent_at) index, oldest
    first, REMOVE_BATCH per short write transaction: the cost follows what is due (and the
    number of units), never the number of cases kept."""
    from tui_app.services.storeid import check_store

    check_store(ctx)  # never delete files on behalf of a database that does not own them
    now = ctx.now()
    cutoff = now - RETENTION
    cases = files = 0
    reported: list[str] = []
    with session_scope(ctx.engine) as s:
        unit_ids = [u for u in s.exec(select(Unit.id).order_by(col(Unit.id))).all() if u]
    for unit_id in unit_ids:
        while True:
            n_cases, n_files = _remove_batch(ctx, unit_id, cutoff, now, reported)
            cases += n_cases
            files += n_files
            if n_cases < REMOVE_BATCH:
                break
    return RetentionReport(cases, files, reported)


def _remove_batch(
    ctx: Context, unit_id: int, cutoff: datetime, now: datetime, reported: list[str]
) -> tuple[int, int]:
    """Remove up to REMOVE_BATCH of one unit's cases sent before `cutoff` in one transaction,
    then their stored files; (cases, files) removed."""
    from tui_app.services.files import file_store

    doomed: list[str] = []
    files = 0
    with session_scope(ctx.engine) as s:
        rows = s.exec(
            select(Case, Unit, Patient)
            .join(Unit, col(Unit.id) == col(Case.unit_id))
            .join(Patient, col(Patient.id) == col(Case.patient_id))
            .where(col(Case.unit_id) == unit_id, col(Case.sent_at) < cutoff)
            .order_by(col(Case.sent_at), col(Case.id))
            .limit(REMOVE_BATCH)
        ).all()
        for case, unit, p in rows:
            files += _remove_case(ctx, s, case, unit, p, now, doomed, reported)
        # The doomed keys are declared abandoned in the same transaction: a crash before
        # their files are gone leaves intents that collect_garbage follows, never a row
        # pointing at nothing, nor a file nobody declared.
        declared = datetime.now(UTC)  # wall time, as every intent: the collector's clock
        for key in doomed:
            if s.get(UploadIntent, key) is None:
                s.add(UploadIntent(storage_key=key, created_at=declared))
    if not doomed:
        return len(rows), files
    # Only once the rows are gone for good are the files removed.
    store = file_store(ctx)
    for key in doomed:
        store.delete(key)
    with session_scope(ctx.engine) as s:
        for key in doomed:
            if (intent := s.get(UploadIntent, key)) is not None:
                s.delete(intent)
    return len(rows), files
