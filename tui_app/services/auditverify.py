"""Verifying the access log's chain (R24): incremental from the newest signed checkpoint, or in full.

Full (`tui-app audit verify --full`, and the first check of a log): SQLite's own check of the
database file, then every entry hashed again from entry 1, streamed in one read snapshot
(plain rows from a server-side cursor; memory stays the same for any length of log).

Incremental (the default once a checkpoint exists, see services.anchor): the entries after the
checkpoint are hashed again, starting from the checkpoint's hash. That the entries up to the
checkpoint are the ones it saw is shown cheaply: entry 1 and the checkpoint's entry still hold
the hashes it signed (so the chain was not rebuilt or replaced), none of them is missing (a count
over the seq index), and a random sample of them is hashed again. What it does NOT prove: that
an old entry was not edited in place with its stored hash left alone (only a full walk hashes
every entry), nor that the database file is sound. Run `--full` regularly (weekly, say).

Neither takes the write lock: both read one snapshot, so staff work on meanwhile.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from tui_app.services.anchor import Checkpoint
from tui_app.services import audit
from tui_app.services.audit import GENESIS, ChainReport, _as_int
from tui_app.services.context import Context
from tui_app.store.db import read_scope

#: Rows fetched at a time from the cursor.
STREAM = 5000
#: Entries up to the checkpoint hashed again in an incremental check (all when fewer).
SAMPLE = 256
_COLUMNS = (
    "seq, at, actor, unit_code, patient_pnr, case_id, action, outcome, detail, prev_hash, hash"
)


def at_text(value: object) -> str:
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


def entry_fault(row: Sequence[Any], expected_seq: int, prev: str, count: int) -> ChainReport | None:
    """Why one entry breaks the chain (missing, wrong link, bad time, changed), or None."""
    seq, at, actor, unit, pnr, case_id, action, outcome, detail, prev_hash, h = row
    if seq != expected_seq:
        return ChainReport(
            False, count, _as_int(seq), f"post {expected_seq} saknas (nästa är {seq})"
        )
    if prev_hash != prev:
        return ChainReport(False, count, seq, "länken till föregående post stämmer inte")
    try:
        at_iso = at_text(at)
    except (ValueError, TypeError, OverflowError):
        return ChainReport(
            False,
            count,
            seq,
            f"postens tidpunkt är ingen tid (”{str(at)[:30]}”): den har ändrats",
        )
    try:
        ok = audit._hash(prev, seq, at_iso, actor, unit, pnr, case_id, action, outcome, detail) == h
    except (TypeError, ValueError):
        ok = False
    if not ok:
        return ChainReport(False, count, seq, "postens innehåll har ändrats")
    return None


def _when(cp: Checkpoint) -> str:
    return f"kontrollpunkten {cp.at[:16].replace('T', ' ')} UTC"


def _checkpoint_fault(
    cp: Checkpoint, count: int, n: int, first: str, at_checkpoint: str | None
) -> ChainReport | None:
    """Why a chain that is whole in itself is not the one the checkpoint saw, or None."""
    if n and first != cp.first:
        return ChainReport(
            False, count, 1, f"loggen har bytts ut: post 1 är inte den som {_when(cp)} gäller"
        )
    if n < cp.seq:
        return ChainReport(
            False,
            count,
            n + 1,
            f"loggen har kortats: {_when(cp)} visade {cp.seq} poster, nu finns {n}",
        )
    if at_checkpoint != cp.hash:
        return ChainReport(
            False,
            count,
            cp.seq,
            f"posterna till och med {cp.seq} har ändrats och kedjan byggts om efter {_when(cp)}",
        )
    return None


def stream(conn: Connection, after: int) -> Iterator[Sequence[Any]]:
    """The entries after seq `after`, in seq order, as plain rows from one streamed query."""
    result = conn.execution_options(stream_results=True, yield_per=STREAM).execute(
        text(f"SELECT {_COLUMNS} FROM audit_entry WHERE seq > :after ORDER BY seq"),
        {"after": after},
    )
    for part in result.partitions():
        yield from part


class Chain:
    """The walk's state: the next seq expected, the last hash, what was seen on the way."""

    def __init__(self, after: int, prev: str, watch: int | None) -> None:
        self.expected, self.prev, self.count = after + 1, prev, 0
        self.first = prev if after else GENESIS
        self.watch, self.at_watch = watch, None if watch != after else prev

    def walk(self, rows: Iterable[Sequence[Any]]) -> ChainReport | None:
        """Hash every row in order against the last; the first fault, or None."""
        for row in rows:
            self.count += 1
            fault = entry_fault(row, self.expected, self.prev, self.count)
            if fault is not None:
                return fault
            seq, h = row[0], row[-1]
            if seq == 1:
                self.first = h
            if seq == self.watch:
                self.at_watch = h
            self.prev = h
            self.expected += 1
        return None

    def end(self, conn: Connection, entries: int) -> ChainReport:
        """The head row must name the last entry walked."""
        head = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
        n = self.expected - 1
        if head is None or (head[0], head[1]) != (n, self.prev):
            return ChainReport(
                False,
                entries,
                self.expected,
                "loggens sista poster saknas (kedjans huvud stämmer inte)",
            )
        return ChainReport(True, entries, head_seq=n, head_hash=self.prev, rehashed=self.count)


def walk_all(ctx: Context, cp: object, *, check_file: bool) -> tuple[ChainReport, str]:
    """Every entry from 1 (and the file first, `check_file`) in one read snapshot, compared with
    the checkpoint `cp` (or None); returns (report, hash of entry 1)."""
    assert cp is None or isinstance(cp, Checkpoint)
    chain = Chain(0, GENESIS, cp.seq if cp is not None else None)
    with read_scope(ctx.engine) as s:
        conn = s.connection()
        damage = _damaged(conn) if check_file else ""
        if damage:
            return ChainReport(False, 0, None, f"databasfilen är skadad ({damage[:200]})"), GENESIS
        fault = chain.walk(stream(conn, 0))
        if fault is not None:
            return fault, chain.first
        report = chain.end(conn, chain.count)
    if report.ok and cp is not None:
        n = chain.expected - 1
        fault = _checkpoint_fault(cp, chain.count, n, chain.first, chain.at_watch)
        if fault is not None:
            return fault, chain.first
    return report, chain.first


def walk_from(ctx: Context, cp: Checkpoint) -> tuple[ChainReport, str]:
    """The incremental check (see the module): the prefix up to `cp` shown unchanged cheaply,
    the entries after it hashed again; in one read snapshot. Returns (report, hash of entry 1)."""
    with read_scope(ctx.engine) as s:
        conn = s.connection()
        fault = _prefix_fault(conn, cp)
        if fault is not None:
            return fault, cp.first
        sampled = _sample_fault(conn, cp)
        if isinstance(sampled, ChainReport):
            return sampled, cp.first
        chain = Chain(cp.seq, cp.hash, None)
        chain.first = cp.first
        fault = chain.walk(stream(conn, cp.seq))
        if fault is not None:
            return fault, cp.first
        report = chain.end(conn, cp.seq + chain.count)
    if not report.ok:
        return report, cp.first
    done = ChainReport(
        True,
        report.entries,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        rehashed=chain.count + sampled,
        scope=_scope(cp, report.head_seq, sampled),
    )
    return done, cp.first


def _scope(cp: Checkpoint, head: int, sampled: int) -> str:
    """What an incremental check proved, and what it did not (Swedish)."""
    prefix = (
        f"för posterna 1–{cp.seq} visades att post 1 och post {cp.seq} är oförändrade, att "
        f"ingen saknas och att ett stickprov på {sampled} poster stämmer"
    )
    new = (
        f"posterna {cp.seq + 1}–{head} räknades om från {_when(cp)}"
        if cp.seq < head
        else f"inga nya poster sedan {_when(cp)}"
    )
    return (
        f"inkrementell: {new}; {prefix}. En äldre post som ändrats utan att dess hash ändrats, "
        "och skador i databasfilen, hittas bara av tui-app audit verify --full (kör den "
        "regelbundet, till exempel varje vecka)"
    )


def _prefix_fault(conn: Connection, cp: Checkpoint) -> ChainReport | None:
    """Entry 1 and entry cp.seq hold the hashes the checkpoint signed, and none is missing."""

    def hash_at(seq: int) -> str | None:
        row = conn.execute(text("SELECT hash FROM audit_entry WHERE seq = :s"), {"s": seq}).first()
        return None if row is None else str(row[0])

    last = conn.execute(text("SELECT MAX(seq) FROM audit_entry")).scalar()
    fault = _checkpoint_fault(cp, 0, int(last or 0), hash_at(1) or "", hash_at(cp.seq))
    if fault is not None:
        return fault
    present = conn.execute(
        text("SELECT COUNT(*) FROM audit_entry WHERE seq >= 1 AND seq <= :s"), {"s": cp.seq}
    ).scalar()
    if int(present or 0) != cp.seq:
        return ChainReport(
            False,
            0,
            None,
            f"{cp.seq - int(present or 0)} av posterna 1–{cp.seq} saknas ({_when(cp)} "
            f"visade {cp.seq})",
        )
    return None


def _sample_fault(conn: Connection, cp: Checkpoint) -> ChainReport | int:
    """A random sample of the entries up to the checkpoint hashed again against their
    predecessors; the first fault, or how many were checked."""
    picks = sorted(random.sample(range(1, cp.seq + 1), min(SAMPLE, cp.seq)))
    wanted = sorted({*picks, *(p - 1 for p in picks if p > 1)})
    rows: dict[int, Sequence[Any]] = {}
    for i in range(0, len(wanted), 400):
        chunk = wanted[i : i + 400]
        marks = ", ".join(f":s{j}" for j in range(len(chunk)))
        for row in conn.execute(
            text(f"SELECT {_COLUMNS} FROM audit_entry WHERE seq IN ({marks})"),
            {f"s{j}": v for j, v in enumerate(chunk)},
        ):
            rows[int(row[0])] = row
    for seq in picks:
        prev = GENESIS if seq == 1 else str(rows[seq - 1][-1])
        fault = entry_fault(rows[seq], seq, prev, 0)
        if fault is not None:
            return fault
    return len(picks)


def verify(ctx: Context, *, checkpoint: bool = True, full: bool = False) -> ChainReport:
    """Check the chain against the newest signed checkpoint outside the database (incremental
    from it, or everything and the file when `full` or when there is no checkpoint yet); when
    all holds, sign a new checkpoint (`checkpoint`)."""
    from dataclasses import replace

    from sqlalchemy.exc import DatabaseError

    from tui_app.services import anchor

    try:
        cp, anchor_note = anchor.latest(ctx), ""
    except anchor.AnchorTampered as exc:
        return ChainReport(False, 0, None, f"kontrollpunkterna utanför databasen är ändrade: {exc}")
    except anchor.AnchorUnavailable as exc:
        cp, anchor_note = None, f"ingen jämförelse med kontrollpunkter: {exc}"
    try:
        if cp is not None and not full and cp.seq > SAMPLE:
            report, first = walk_from(ctx, cp)
        else:
            report, first = walk_all(ctx, cp, check_file=full or cp is None)
            if report.ok:
                what = "hela kedjan räknades om från post 1"
                file = (
                    " och databasfilen kontrollerades"
                    if full or cp is None
                    else " (databasfilen kontrolleras av tui-app audit verify --full)"
                )
                report = replace(report, scope=what + file)
    except DatabaseError as exc:  # a damaged file can fail the walk before quick_check saw it
        return ChainReport(
            False,
            0,
            None,
            f"databasen kan inte läsas, filen är skadad ({' '.join(str(exc.orig).split()[:8])})",
        )
    if not report.ok:
        return report
    return replace(report, anchor=_sign(ctx, report, first, cp, anchor_note, checkpoint))


def _sign(
    ctx: Context,
    report: ChainReport,
    first: str,
    cp: Checkpoint | None,
    note: str,
    checkpoint: bool,
) -> str:
    """What the checkpoints say, after signing a new one at the verified head (`checkpoint`)."""
    from tui_app.services import anchor

    if cp is not None:
        note = f"stämmer med {_when(cp)} (post {cp.seq})"
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
    return note
