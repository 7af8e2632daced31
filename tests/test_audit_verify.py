"""`tui-app audit verify` at millions of entries (issue 14): incremental from the newest signed
checkpoint, a full mode that streams, and neither keeps staff waiting (R24).

The attacks are SQL on the app's own database (so they run on SQLite and PostgreSQL alike);
the attacker does not hold the checkpoint key. SAMPLE is made small so the incremental path is
taken on a short log.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import text

from tui_app.services import audit, auditverify
from tui_app.services.context import Context


def grow(ctx: Context, n: int) -> None:
    for i in range(n):
        audit.log_refusal(ctx, actor=f"t{i}", action="öppna ärende", detail=f"försök {i}")


def sql(ctx: Context, statement: str, **params: object) -> Any:
    with ctx.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return result.fetchall() if result.returns_rows else None


def rehash_from(ctx: Context, seq: int) -> None:
    """What an attacker with write access does after an edit: every hash from `seq` on again."""
    cols = "seq, at, actor, unit_code, patient_pnr, case_id, action, outcome, detail"
    with ctx.engine.begin() as conn:
        prev = conn.execute(
            text("SELECT hash FROM audit_entry WHERE seq = :s"), {"s": seq - 1}
        ).scalar() or ("0" * 64)
        rows = conn.execute(
            text(f"SELECT {cols} FROM audit_entry WHERE seq >= :s ORDER BY seq"), {"s": seq}
        ).fetchall()
        for s, at, *rest in rows:
            h = audit._hash(prev, s, auditverify.at_text(at), *rest)
            conn.execute(
                text("UPDATE audit_entry SET prev_hash = :p, hash = :h WHERE seq = :s"),
                {"p": prev, "h": h, "s": s},
            )
            prev = h
        conn.execute(
            text("UPDATE audit_head SET seq = (SELECT MAX(seq) FROM audit_entry), hash = :h"),
            {"h": prev},
        )


@pytest.fixture
def signed(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> int:
    """A log of 30 entries, fully verified and signed; SAMPLE = 4. Returns the signed seq."""
    monkeypatch.setattr(auditverify, "SAMPLE", 4)
    grow(ctx, 30)
    first = audit.verify(ctx, full=True)
    assert first.ok and "databasfilen kontrollerades" in first.scope
    return first.head_seq


def test_r24_verify_after_a_checkpoint_hashes_only_the_new_entries_and_a_sample(
    ctx: Context, signed: int
) -> None:
    grow(ctx, 3)
    r = audit.verify(ctx)
    assert r.ok and r.head_seq == signed + 3 and r.entries == signed + 3
    assert r.rehashed == 3 + 4  # the new entries and the sample, not the whole log
    assert r.scope.startswith("inkrementell") and "--full" in r.scope
    again = audit.verify(ctx)  # nothing new since: only the sample
    assert again.ok and again.rehashed == 4 and "inga nya poster" in again.scope
    assert audit.verify(ctx, full=True).rehashed == signed + 3


@pytest.mark.parametrize(
    "attack,words",
    [
        ("rebuilt", "byggts om"),
        ("deleted", "saknas"),
        ("tail", "ändrats"),
        ("replaced", "bytts ut"),
        ("truncated", "kortats"),
    ],
)
def test_r24_the_incremental_check_still_sees_every_rebuilt_chain(
    ctx: Context, signed: int, attack: str, words: str
) -> None:
    grow(ctx, 3)
    if attack == "rebuilt":  # an old entry edited and every hash after it fixed up
        sql(ctx, "UPDATE audit_entry SET outcome = 'ok' WHERE seq = 7")
        rehash_from(ctx, 7)
    elif attack == "deleted":  # an old entry removed, the hashes left as they were
        sql(ctx, "DELETE FROM audit_entry WHERE seq = 9")
    elif attack == "tail":  # a new entry (after the checkpoint) edited
        sql(ctx, "UPDATE audit_entry SET detail = 'inget' WHERE seq = :s", s=signed + 2)
    elif attack == "replaced":
        sql(ctx, "UPDATE audit_entry SET actor = 'någon' WHERE seq = 1")
        rehash_from(ctx, 1)
    else:  # the tail and part of the signed log removed, the head fixed
        sql(ctx, "DELETE FROM audit_entry WHERE seq > 20")
        rehash_from(ctx, 21)
    r = audit.verify(ctx)
    assert not r.ok and words in r.problem, r.problem


def test_r24_what_the_incremental_check_does_not_prove_the_full_one_does(
    ctx: Context, signed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An old entry edited in place with its stored hash left alone: only a walk of every entry
    finds it (the incremental check finds it only if its sample falls on it, and says so)."""
    monkeypatch.setattr(auditverify, "SAMPLE", 0)
    sql(ctx, "UPDATE audit_entry SET detail = 'inget' WHERE seq = 5")
    lazy = audit.verify(ctx, checkpoint=False)
    assert lazy.ok and "utan att dess hash ändrats" in lazy.scope and "--full" in lazy.scope
    full = audit.verify(ctx, full=True)
    assert not full.ok and full.broken_at == 5 and "innehåll" in full.problem


def test_r24_the_full_walk_streams_in_pieces_and_stops_at_the_first_fault(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auditverify, "STREAM", 3)
    grow(ctx, 20)
    assert audit.verify(ctx, full=True).ok
    sql(ctx, "UPDATE audit_entry SET actor = 'x' WHERE seq = 14")
    r = audit.verify(ctx, full=True)
    assert not r.ok and r.broken_at == 14


def test_r24_staff_write_while_verify_reads_the_log(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verify is held half-way through its walk; a nurse's action (an entry of its own)
    commits meanwhile, and the verify that then finishes is still right about its snapshot."""
    grow(ctx, 12)
    n = sql(ctx, "SELECT MAX(seq) FROM audit_entry")[0][0]
    reading, written = threading.Event(), threading.Event()
    real = auditverify.entry_fault

    def held(row: Sequence[Any], expected: int, prev: str, count: int) -> object:
        if row[0] == n // 2 and not reading.is_set():
            reading.set()
            assert written.wait(60), "the writer never got through"
        return real(row, expected, prev, count)

    monkeypatch.setattr(auditverify, "entry_fault", held)
    out: list[audit.ChainReport] = []
    t = threading.Thread(target=lambda: out.append(audit.verify(ctx, full=True)))
    t.start()
    try:
        assert reading.wait(60)
        audit.log_refusal(ctx, actor="danan12", action="öppna ärende")  # commits now
    finally:
        written.set()
        t.join(60)
    assert out and out[0].ok and out[0].head_seq == n  # its snapshot, consistent
    assert audit.verify(ctx).head_seq == n + 1
