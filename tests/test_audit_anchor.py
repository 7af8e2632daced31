"""The access log's anchor outside the database (R24). Each attack is done as an attacker with
write access to the database file would do it: raw sqlite3 on the file, re-hashing with the
published algorithm, never through the app. The attacker does not hold the HMAC key."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tests import pg
from tests.conftest import send, staff
from tui_app.core.errors import NotFound
from tui_app.commands.records import run_audit
from tui_app.services import anchor, audit
from tui_app.services.cases import open_case
from tui_app.services.context import Context


# The attacker edits the SQLite file itself (on PostgreSQL the same attacks are SQL on a server
# the attacker can write to; the anchor is the same code).
pytestmark = pytest.mark.skipif(pg.enabled(), reason="attacks on the SQLite file, with sqlite3")


def db_file(ctx: Context) -> Path:
    return Path(ctx.engine.url.database or "")


def attacker(ctx: Context) -> sqlite3.Connection:
    """A raw connection to the database file, as someone with write access to it has."""
    ctx.engine.dispose()  # the app's own connections are closed, as between two cron runs
    return sqlite3.connect(db_file(ctx), isolation_level=None)


def rehash_from(conn: sqlite3.Connection, seq: int) -> None:
    """Recompute every hash from `seq` on and fix the head, with the algorithm in the source."""
    prev = conn.execute("SELECT hash FROM audit_entry WHERE seq = ?", (seq - 1,)).fetchone()
    prev_hash = prev[0] if prev else "0" * 64
    rows = conn.execute(
        "SELECT seq, at, actor, unit_code, patient_pnr, case_id, action, outcome,"
        " detail FROM audit_entry WHERE seq >= ? ORDER BY seq",
        (seq,),
    ).fetchall()
    for s, at, actor, unit, pnr, case_id, action, outcome, detail in rows:
        iso = at.replace(" ", "T").removesuffix(".000000") + "+00:00"
        payload = json.dumps(
            [s, iso, actor, unit, pnr, case_id, action, outcome, detail, prev_hash],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        h = hashlib.sha256(payload.encode()).hexdigest()
        conn.execute(
            "UPDATE audit_entry SET prev_hash = ?, hash = ? WHERE seq = ?", (prev_hash, h, s)
        )
        prev_hash = h
    last = conn.execute("SELECT max(seq) FROM audit_entry").fetchone()[0] or 0
    conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (last, prev_hash))


def busy_log(ctx: Context) -> int:
    """A few cases, one refusal among them; returns the refusal's seq."""
    number = send(ctx)
    open_case(ctx, staff(ctx, "danan12"), number)
    with pytest.raises(NotFound):
        open_case(ctx, staff(ctx, "karjo7"), number)  # refused (R05) and logged
    send(ctx)
    conn = attacker(ctx)
    seq = conn.execute("SELECT seq FROM audit_entry WHERE outcome = 'nekad'").fetchone()[0]
    conn.close()
    return seq


def verify_cli(ctx: Context, *, full: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    code = run_audit(ctx, argparse.Namespace(audit_command="verify", full=full), out)
    return code, out.getvalue()


def test_r24_verify_prints_head_hash_and_count_and_signs_a_checkpoint(ctx: Context) -> None:
    busy_log(ctx)
    code, text = verify_cli(ctx)
    conn = attacker(ctx)
    seq, head = conn.execute("SELECT seq, hash FROM audit_head").fetchone()
    conn.close()
    assert code == 0 and f"obruten: {seq} poster" in text
    assert f"Huvud: post {seq}, hash {head}" in text
    key = anchor.key_file(ctx)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert key == anchor.default_key_file() and not key.is_relative_to(ctx.data_dir)
    lines = anchor.checkpoint_file(ctx).read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["seq"] == seq
    secret = key.read_text().strip()
    assert secret not in db_file(ctx).read_bytes().decode("latin-1")  # never in the database
    assert verify_cli(ctx)[0] == 0  # nothing new: the same checkpoint is not written twice
    assert len(anchor.checkpoint_file(ctx).read_text().splitlines()) == 1


def test_r24_truncating_the_tail_and_fixing_the_head_is_detected(ctx: Context) -> None:
    busy_log(ctx)
    assert verify_cli(ctx)[0] == 0
    conn = attacker(ctx)
    last = conn.execute("SELECT max(seq) FROM audit_entry").fetchone()[0]
    conn.execute("DELETE FROM audit_entry WHERE seq > ?", (last - 2,))
    h = conn.execute("SELECT hash FROM audit_entry WHERE seq = ?", (last - 2,)).fetchone()[0]
    conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (last - 2, h))
    conn.close()
    report = audit.verify(ctx)
    assert not report.ok and "kortats" in report.problem and report.broken_at == last - 1
    code, text = verify_cli(ctx)
    assert code == 1 and "BRUTEN" in text


def test_r24_an_edited_and_rehashed_refusal_is_detected(ctx: Context) -> None:
    refusal = busy_log(ctx)
    assert verify_cli(ctx)[0] == 0
    conn = attacker(ctx)
    conn.execute("UPDATE audit_entry SET outcome = 'ok', detail = '' WHERE seq = ?", (refusal,))
    rehash_from(conn, refusal)
    conn.close()
    assert audit.verify(ctx, checkpoint=False).ok is False  # the chain alone would pass:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(anchor, "latest", lambda _ctx: None)  # (without the anchor it would)
        assert audit.verify(ctx, checkpoint=False).ok
    report = audit.verify(ctx)
    assert not report.ok and "byggts om" in report.problem


def test_r24_replacing_the_whole_log_is_detected(ctx: Context) -> None:
    busy_log(ctx)
    assert verify_cli(ctx)[0] == 0
    conn = attacker(ctx)
    conn.execute("UPDATE audit_entry SET actor = 'någon' WHERE seq = 1")
    rehash_from(conn, 1)
    conn.close()
    report = audit.verify(ctx)
    assert not report.ok and "bytts ut" in report.problem and report.broken_at == 1


def test_r24_emptying_the_log_is_detected(ctx: Context) -> None:
    busy_log(ctx)
    assert verify_cli(ctx)[0] == 0
    conn = attacker(ctx)
    conn.execute("DELETE FROM audit_entry")
    conn.execute("UPDATE audit_head SET seq = 0, hash = ? WHERE id = 1", ("0" * 64,))
    conn.close()
    report = audit.verify(ctx)
    assert not report.ok and "kortats" in report.problem


def test_r24_a_garbage_timestamp_is_broken_not_a_traceback(ctx: Context) -> None:
    busy_log(ctx)
    conn = attacker(ctx)
    conn.execute("UPDATE audit_entry SET at = 'igår vid lunch' WHERE seq = 2")
    conn.close()
    report = audit.verify(ctx)
    assert not report.ok and report.broken_at == 2 and "tidpunkt" in report.problem
    code, text = verify_cli(ctx)
    assert code == 1 and "BRUTEN vid post 2" in text and "Traceback" not in text


@pytest.mark.parametrize(
    "column,value",
    [
        ("at", "X'00ff'"),
        ("at", "12345"),
        ("detail", "X'00ff'"),
        ("unit_code", "NULL"),
        ("case_id", "'sju'"),
    ],
)
def test_r24_odd_values_in_an_entry_are_broken_not_a_traceback(
    ctx: Context, column: str, value: str
) -> None:
    busy_log(ctx)
    conn = attacker(ctx)
    conn.execute(f"UPDATE audit_entry SET {column} = {value} WHERE seq = 3")
    conn.close()
    report = audit.verify(ctx)
    assert not report.ok and report.broken_at == 3


def test_r24_a_corrupted_database_page_is_broken(ctx: Context) -> None:
    busy_log(ctx)
    assert audit.verify(ctx).ok
    conn = attacker(ctx)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'ix_audit_actor_seq'"
    ).fetchone()[0]
    conn.close()
    with db_file(ctx).open("r+b") as f:  # a bad sector, or an edit by hand: one index page
        f.seek((root - 1) * page_size + 8)
        f.write(os.urandom(page_size - 8))
    # The file check is the full mode's (it reads the whole file); the incremental check says
    # so in what it prints.
    assert "--full" in audit.verify(ctx, checkpoint=False).scope
    report = audit.verify(ctx, full=True)
    assert not report.ok and "skadad" in report.problem
    code, text = verify_cli(ctx, full=True)
    assert code == 1 and "BRUTEN" in text and "obruten" not in text


def test_r24_an_edited_checkpoint_file_is_detected(ctx: Context) -> None:
    busy_log(ctx)
    assert verify_cli(ctx)[0] == 0
    send(ctx)
    assert verify_cli(ctx)[0] == 0
    path = anchor.checkpoint_file(ctx)
    first, second = path.read_text().splitlines()
    rec = json.loads(second)
    rec["seq"] -= 1  # lower the anchor, to make room for a truncation
    path.write_text(first + "\n" + json.dumps(rec) + "\n")
    report = audit.verify(ctx)
    assert not report.ok and "signaturen" in report.problem
    path.write_text(second + "\n")  # remove the first line
    report = audit.verify(ctx)
    assert not report.ok and "saknas" in report.problem


def test_r24_a_key_others_can_read_is_not_used(ctx: Context) -> None:
    busy_log(ctx)
    assert verify_cli(ctx)[0] == 0
    key = anchor.key_file(ctx)
    key.chmod(0o644)
    code, text = verify_cli(ctx)
    assert code == 0 and "chmod 600" in text  # the chain is intact; the anchor says why not used


def test_r24_the_key_file_can_be_configured(ctx: Context, tmp_path: Path) -> None:
    from tui_app.config import Settings

    ctx.config = Settings(data_dir=ctx.data_dir, audit_key_file=tmp_path / "vault" / "logg.key")
    busy_log(ctx)
    assert verify_cli(ctx)[0] == 0
    assert (tmp_path / "vault" / "logg.key").is_file()
    assert list((tmp_path / "vault").glob("checkpoints-*.log"))


def test_r24_two_verifies_at_once_never_leave_a_checkpoint_going_back(ctx: Context) -> None:
    busy_log(ctx)
    early = audit._walk(ctx, None)[0]  # one verify has walked the log ...
    send(ctx)
    assert audit.verify(ctx).ok  # ... a later one walks further and signs first ...
    conn = attacker(ctx)
    first = conn.execute("SELECT hash FROM audit_entry WHERE seq = 1").fetchone()[0]
    conn.close()
    anchor.write(ctx, early.head_seq, early.head_hash, first, "2026-06-04T08:00:00+00:00")
    assert audit.verify(ctx).ok  # ... and the slower one's older head is not appended after it
    assert len(anchor.checkpoint_file(ctx).read_text().splitlines()) == 1
