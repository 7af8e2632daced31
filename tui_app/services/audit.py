"""The access log (R24): append-only entries chained by SHA-256, written in the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, SupportsInt

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from tui_app.core.clock import as_utc
from tui_app.services.context import Context
from tui_app.store.db import read_scope, session_scope
from tui_app.store.models import AuditEntry, AuditHead

if TYPE_CHECKING:
    from tui_app.services.anchor import Checkpoint

GENESIS = "0" * 64
OK = "ok"
REFUSED = "nekad"


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
    """Add one entry to the chain inside the given session (committed with the action)."""
    # The head row is locked (FOR UPDATE on PostgreSQL; SQLite's write lock is already held),
    # so concurrent writers append one after the other instead of colliding on seq.
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    entry = AuditEntry(
        seq=head.seq + 1,
        at=as_utc(at),
        actor=actor,
        unit_code=unit_code,
        patient_pnr=patient_pnr,
        case_id=case_id,
        action=action,
        outcome=outcome,
        detail=detail[:2000],
        prev_hash=head.hash,
        hash="",
    )
    entry.hash = entry_hash(head.hash, entry)
    head.seq, head.hash = entry.seq, entry.hash
    session.add(entry)
    session.add(head)
    session.flush()
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


BATCH = 2000
_COLUMNS = (
    "seq, at, actor, unit_code, patient_pnr, case_id, action, outcome, detail, prev_hash, hash"
)


def _at_text(value: object) -> str:
    """The stored time as the hash saw it (aware UTC, ISO); ValueError when it is no time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise ValueError(value)
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat()


def _damaged(conn: Connection) -> str:
    """What SQLite's own check finds wrong with the database file; "" when it is sound."""
    if conn.dialect.name != "sqlite":
        return ""
    rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    return "" if rows == ["ok"] else "; ".join(rows[:3])


def verify(ctx: Context, *, checkpoint: bool = True) -> ChainReport:
    """Check the database file, walk the whole chain, and compare it with the newest signed
    checkpoint outside the database; when all holds, sign a new checkpoint (`checkpoint`).

    It reads in one snapshot and never takes the write lock, so staff work on meanwhile; the
    log is read in batches of plain rows, so memory stays the same for any length of log."""
    from sqlalchemy.exc import DatabaseError

    from tui_app.services import anchor

    try:
        cp, anchor_note = anchor.latest(ctx), ""
    except anchor.AnchorTampered as exc:
        return ChainReport(False, 0, None, f"kontrollpunkterna utanför databasen är ändrade: {exc}")
    except anchor.AnchorUnavailable as exc:
        cp, anchor_note = None, f"ingen jämförelse med kontrollpunkter: {exc}"
    try:
        report, first = _walk(ctx, cp)
    except DatabaseError as exc:  # a damaged file can fail the walk before quick_check saw it
        return ChainReport(
            False,
            0,
            None,
            f"databasen kan inte läsas, filen är skadad ({' '.join(str(exc.orig).split()[:8])})",
        )
    if not report.ok:
        return report
    note = anchor_note
    if cp is not None:
        note = f"stämmer med kontrollpunkten {cp.at[:16].replace('T', ' ')} UTC (post {cp.seq})"
    if checkpoint and report.entries:
        try:
            path = anchor.write(
                ctx,
                report.head_seq,
                report.head_hash,
                first,
                datetime.now(UTC).isoformat(timespec="seconds"),
            )
            note = (note + "; " if note else "") + f"kontrollpunkt sparad i {path}"
        except (anchor.AnchorUnavailable, anchor.AnchorTampered) as exc:
            note = (note + "; " if note else "") + f"ingen ny kontrollpunkt: {exc}"
    elif cp is None and not note:
        note = "ingen kontrollpunkt finns ännu"
    return ChainReport(
        True, report.entries, head_seq=report.head_seq, head_hash=report.head_hash, anchor=note
    )


def _entry_fault(
    row: Sequence[Any], expected_seq: int, prev: str, count: int
) -> ChainReport | None:
    """Why one entry breaks the chain (missing, wrong link, bad time, changed), or None."""
    seq, at, actor, unit, pnr, case_id, action, outcome, detail, prev_hash, h = row
    if seq != expected_seq:
        return ChainReport(
            False, count, _as_int(seq), f"post {expected_seq} saknas (nästa är {seq})"
        )
    if prev_hash != prev:
        return ChainReport(False, count, seq, "länken till föregående post stämmer inte")
    try:
        at_text = _at_text(at)
    except (ValueError, TypeError, OverflowError):
        return ChainReport(
            False,
            count,
            seq,
            f"postens tidpunkt är ingen tid (”{str(at)[:30]}”): den har ändrats",
        )
    try:
        ok = _hash(prev, seq, at_text, actor, unit, pnr, case_id, action, outcome, detail) == h
    except (TypeError, ValueError):
        ok = False
    if not ok:
        return ChainReport(False, count, seq, "postens innehåll har ändrats")
    return None


def _checkpoint_fault(
    cp: Checkpoint, count: int, n: int, first: str, at_checkpoint: str | None
) -> ChainReport | None:
    """Why a chain that is whole in itself is not the one the checkpoint saw, or None."""
    when = f"kontrollpunkten {cp.at[:16].replace('T', ' ')} UTC"
    if n and first != cp.first:
        return ChainReport(
            False, count, 1, f"loggen har bytts ut: post 1 är inte den som {when} gäller"
        )
    if n < cp.seq:
        return ChainReport(
            False,
            count,
            n + 1,
            f"loggen har kortats: {when} visade {cp.seq} poster, nu finns {n}",
        )
    if at_checkpoint != cp.hash:
        return ChainReport(
            False,
            count,
            cp.seq,
            f"posterna till och med {cp.seq} har ändrats och kedjan byggts om efter {when}",
        )
    return None


def _walk(ctx: Context, cp: object) -> tuple[ChainReport, str]:
    """The file check and the chain walk in one read snapshot; returns (report, hash of entry 1)."""
    from tui_app.services.anchor import Checkpoint

    assert cp is None or isinstance(cp, Checkpoint)
    prev = first = GENESIS
    expected_seq = 1
    count = 0
    at_checkpoint: str | None = None
    with read_scope(ctx.engine) as s:
        conn = s.connection()
        damage = _damaged(conn)
        if damage:
            return ChainReport(False, 0, None, f"databasfilen är skadad ({damage[:200]})"), first
        last: object = -(2**63)
        while True:
            rows = conn.execute(
                text(  # keyset pages: each batch is read and dropped
                    f"SELECT {_COLUMNS} FROM audit_entry WHERE seq > :last ORDER BY seq LIMIT :n"
                ),
                {"last": last, "n": BATCH},
            ).fetchall()
            if not rows:
                break
            for row in rows:
                count += 1
                fault = _entry_fault(row, expected_seq, prev, count)
                if fault is not None:
                    return fault, first
                seq, h = row[0], row[-1]
                if seq == 1:
                    first = h
                if cp is not None and seq == cp.seq:
                    at_checkpoint = h
                prev = h
                expected_seq += 1
            last = rows[-1][0]
        head = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    n = expected_seq - 1
    if head is None or (head[0], head[1]) != (n, prev):
        return ChainReport(
            False, count, expected_seq, "loggens sista poster saknas (kedjans huvud stämmer inte)"
        ), first
    if cp is not None:
        fault = _checkpoint_fault(cp, count, n, first, at_checkpoint)
        if fault is not None:
            return fault, first
    return ChainReport(True, count, head_seq=n, head_hash=prev), first


def _as_int(value: object) -> int | None:
    # A tampered row may hold anything in seq; whatever int() takes is shown as a number.
    if not isinstance(value, (str, bytes, SupportsInt)):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
