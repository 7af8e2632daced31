"""The access log (R24): append-only entries chained by SHA-256, written in the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import SupportsInt

from sqlalchemy import Table, bindparam, insert, select, update
from sqlmodel import Session

from tui_app.core.clock import as_utc
from tui_app.services.context import Context
from tui_app.store.db import session_scope
from tui_app.store.models import AuditEntry, AuditHead

GENESIS = "0" * 64
OK = "ok"
REFUSED = "nekad"

_ENTRY: Table = AuditEntry.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
_HEAD: Table = AuditHead.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
_ENTRY_COLUMNS = (
    "seq",
    "at",
    "actor",
    "unit_code",
    "patient_pnr",
    "case_id",
    "action",
    "outcome",
    "detail",
    "prev_hash",
    "hash",
)
_HEAD_FOR_UPDATE = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def entry_hash(prev_hash: str, e: AuditEntry) -> str:
    """The hash of an entry over its content and its predecessor's hash."""
    return _hash(
        prev_hash,
        e.seq,
        e.at.isoformat(),
        e.actor,
        e.unit_code,
        e.patient_pnr,
        e.case_id,
        e.action,
        e.outcome,
        e.detail,
    )


def _hash(prev_hash: str, *fields: object) -> str:
    payload = json.dumps([*fields, prev_hash], ensure_ascii=False, separators=(",", ":"))
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
    """Add one entry to the chain inside the given session (committed with the action).

    Written as three Core statements on the session's connection (read the head, insert the
    entry, move the head) rather than through the ORM's unit of work: opening a case appends
    one entry while holding the write lock, and the ORM's flush was most of that hold."""
    # The head row is locked (FOR UPDATE on PostgreSQL; SQLite's write lock is already held),
    # so concurrent writers append one after the other instead of colliding on seq.
    conn = session.connection()
    head_seq, head_hash = conn.execute(_HEAD_FOR_UPDATE).one()
    entry = AuditEntry(
        seq=head_seq + 1,
        at=as_utc(at),
        actor=actor,
        unit_code=unit_code,
        patient_pnr=patient_pnr,
        case_id=case_id,
        action=action,
        outcome=outcome,
        detail=detail[:2000],
        prev_hash=head_hash,
        hash="",
    )
    entry.hash = entry_hash(head_hash, entry)
    row = {name: getattr(entry, name) for name in _ENTRY_COLUMNS}
    key = conn.execute(insert(_ENTRY).values(row)).inserted_primary_key
    entry.id = key[0] if key else None
    conn.execute(_MOVE_HEAD, {"new_seq": entry.seq, "new_hash": entry.hash})
    return entry


def log_refusal(
    ctx: Context,
    *,
    actor: str,
    action: str,
    unit_code: str | None = None,
    patient_pnr: str | None = None,
    case_id: int | None = None,
    detail: str = "",
) -> None:
    """Record a refusal in its own transaction (the refused action itself stored nothing)."""
    with session_scope(ctx.engine) as s:
        append(
            s,
            at=ctx.now(),
            outcome=REFUSED,
            actor=actor,
            action=action,
            unit_code=unit_code,
            patient_pnr=patient_pnr,
            case_id=case_id,
            detail=detail,
        )


@dataclass(frozen=True)
class ChainReport:
    """The outcome of verifying the chain (and the database file, and the checkpoints)."""

    ok: bool
    entries: int
    broken_at: int | None = None
    problem: str = ""
    head_seq: int = 0
    head_hash: str = GENESIS
    anchor: str = ""  # what the checkpoints outside the database say (Swedish)
    scope: str = ""  # what this check proved and what it did not (Swedish)
    rehashed: int = 0  # entries whose hash was computed again


def verify(ctx: Context, *, checkpoint: bool = True, full: bool = False) -> ChainReport:
    """Verify the chain: from the newest signed checkpoint on (incremental), or every entry
    and the database file (`full`); see services.auditverify."""
    from tui_app.services.auditverify import verify as run

    return run(ctx, checkpoint=checkpoint, full=full)


def _walk(ctx: Context, cp: object) -> tuple[ChainReport, str]:
    """The whole walk (file check and every entry) against `cp`: (report, hash of entry 1)."""
    from tui_app.services.auditverify import walk_all

    return walk_all(ctx, cp, check_file=True)


def _as_int(value: object) -> int | None:
    # A tampered row may hold anything in seq; whatever int() takes is shown as a number.
    if not isinstance(value, (str, bytes, SupportsInt)):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
