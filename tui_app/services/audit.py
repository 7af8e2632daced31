"""The access log (R24): append-only entries chained by SHA-256, written in the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tui_app.core.clock import as_utc
from tui_app.services.context import Context
from tui_app.store.db import session_scope
from tui_app.store.models import AuditEntry, AuditHead

GENESIS = "0" * 64
OK = "ok"
REFUSED = "nekad"


def entry_hash(prev_hash: str, e: AuditEntry) -> str:
    """The hash of an entry over its content and its predecessor's hash."""
    payload = json.dumps(
        [e.seq, e.at.isoformat(), e.actor, e.unit_code, e.patient_pnr, e.case_id,
         e.action, e.outcome, e.detail, prev_hash],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def append(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    outcome: str = OK,
    unit_code: str | None = None,
    patient_pnr: str | None = None,
    case_id: int | None = None,
    detail: str = "",
) -> AuditEntry:
    """Add one entry to the chain inside the given session (committed with the action)."""
    # The head row is locked (FOR UPDATE on PostgreSQL; SQLite's write lock is already held),
    # so concurrent writers append one after the other instead of colliding on seq.
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    entry = AuditEntry(
        seq=head.seq + 1, at=as_utc(at), actor=actor, unit_code=unit_code,
        patient_pnr=patient_pnr, case_id=case_id, action=action, outcome=outcome,
        detail=detail[:2000], prev_hash=head.hash, hash="",
    )
    entry.hash = entry_hash(head.hash, entry)
    head.seq, head.hash = entry.seq, entry.hash
    session.add(entry)
    session.add(head)
    session.flush()
    return entry


def log_refusal(ctx: Context, **fields: object) -> None:
    """Record a refusal in its own transaction (the refused action itself stored nothing)."""
    with session_scope(ctx.engine) as s:
        append(s, at=ctx.now(), outcome=REFUSED, **fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ChainReport:
    """The outcome of verifying the chain."""

    ok: bool
    entries: int
    broken_at: int | None = None
    problem: str = ""


def verify(ctx: Context) -> ChainReport:
    """Walk the whole chain and report the first place where it breaks."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    with session_scope(ctx.engine) as s:
        rows = s.exec(select(AuditEntry).order_by(col(AuditEntry.seq))).yield_per(1000)
        for e in rows:
            count += 1
            if e.seq != expected_seq:
                return ChainReport(False, count, e.seq,
                                   f"post {expected_seq} saknas (nästa är {e.seq})")
            if e.prev_hash != prev:
                return ChainReport(False, count, e.seq,
                                   "länken till föregående post stämmer inte")
            if entry_hash(prev, e) != e.hash:
                return ChainReport(False, count, e.seq, "postens innehåll har ändrats")
            prev = e.hash
            expected_seq += 1
        head = s.get(AuditHead, 1)
        if head is None or (head.seq, head.hash) != (expected_seq - 1, prev):
            return ChainReport(False, count, expected_seq,
                               "loggens sista poster saknas (kedjans huvud stämmer inte)")
    return ChainReport(True, count)
