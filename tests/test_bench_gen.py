"""bench/gen.py builds a database the app accepts as its own: a small generation (2,000 cases)
opens at the current schema, its access log verifies, the inbox reads it, the rows agree with
each other as the use cases would have left them, and the mix is in the proportions asked."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests import pg
from tui_app.core.clock import FixedClock
from tui_app.core.limits import REPLY_WINDOW
from tui_app.core.pnr import parse_pnr
from tui_app.core.routine import CaseState
from tui_app.services import audit, cases, sweep
from tui_app.services.context import Context, close_context, open_context
from tui_app.services.identity import staff_by_login
from tui_app.store.db import current_revision, read_scope, sqlite_url
from tui_app.store.migrations import HEAD_REVISION

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import gen  # noqa: E402
from gen_cases import now_us  # noqa: E402
from gen_sinks import PgSink, SqliteSink, write_files  # noqa: E402

N = 2000


def _us(at: datetime) -> int:
    return int((at.replace(tzinfo=None) - datetime(1970, 1, 1)) / timedelta(microseconds=1))


@pytest.fixture
def generated(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Context, dict[str, int]]]:
    """A generated database as of the fixed clock's now, and the counts gen printed."""
    now = _us(clock.now())
    if pg.enabled():
        name = f"gen_{uuid.uuid4().hex[:16]}"
        pg._admin(f'CREATE DATABASE "{name}"')
        url = pg._with_db(os.environ["TUI_APP_TEST_PG"], name)
        sink: Any = PgSink(url)
    else:
        url = sqlite_url(tmp_path / "g.db")
        sink = SqliteSink(tmp_path / "g.db")
    counts = gen.load(sink, N, 14, now)
    sink.finish()
    c = open_context(url, tmp_path / "g.data", clock=clock)
    yield c, counts
    close_context(c)
    if pg.enabled():
        pg.drop_database(url)


def _one(ctx: Context, sql: str) -> Any:
    with read_scope(ctx.engine) as s:
        return s.execute(text(sql)).scalar_one()


def test_it_opens_at_the_current_schema_and_its_log_verifies(
    generated: tuple[Context, dict[str, int]],
) -> None:
    ctx, counts = generated
    assert current_revision(ctx.engine) == HEAD_REVISION
    report = audit.verify(ctx, checkpoint=False)
    assert report.ok, report.problem
    assert report.entries == counts["audit_entries"] == report.head_seq
    assert _one(ctx, "SELECT count(*) FROM cases") == N
    assert sweep.close_expired(ctx) == sweep.SweepReport(0, 0)  # closed as the sweep would
    assert sweep.remove_expired(ctx).removed_cases == 0  # nothing older than two years


def test_the_nurses_inbox_reads_it_in_every_status(
    generated: tuple[Context, dict[str, int]],
) -> None:
    ctx, _ = generated
    nurse = staff_by_login(ctx, "bench_nurse")
    assert {u.code for u in nurse.units} == {"HUD-SU", "REUM-SU"}
    rows = cases.inbox(ctx, nurse)
    assert rows and not any(r.broken for r in rows)
    assert {r.unit_code for r in rows} <= {"HUD-SU", "REUM-SU"}
    assert [r.sent_at for r in rows] == sorted((r.sent_at for r in rows), reverse=True)
    for state in (CaseState.CLOSED_AUTO, CaseState.CLOSED, CaseState.HANDLED):
        found = cases.inbox(ctx, nurse, state)
        assert found and {r.state for r in found} == {state}
    someone = rows[3]
    assert someone.case_id in {
        r.case_id for r in cases.inbox(ctx, nurse, query=someone.patient_pnr_display)
    }
    surname = someone.patient_name.split()[-1]
    assert all(surname in r.patient_name for r in cases.inbox(ctx, nurse, query=surname))


def test_the_rows_agree_with_each_other(generated: tuple[Context, dict[str, int]]) -> None:
    ctx, _ = generated
    zero = [
        # the counters kept on the case
        "SELECT count(*) FROM cases c WHERE patient_messages != (SELECT count(*) FROM message m"
        " WHERE m.case_id = c.id AND m.from_patient)",
        "SELECT count(*) FROM cases c WHERE file_count != (SELECT count(*) FROM attachment a"
        " WHERE a.case_id = c.id)",
        "SELECT count(*) FROM cases c WHERE (SELECT count(*) FROM message m WHERE m.case_id = c.id"
        " AND NOT m.from_patient) != 1",
        # R04: every case's unit has a care relation with its patient
        "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM care_relation r"
        " WHERE r.unit_id = c.unit_id AND r.patient_id = c.patient_id)",
        # handled: every file decided, archived when journaled, no copy left (R13, R19-R21)
        "SELECT count(*) FROM attachment a JOIN cases c ON c.id = a.case_id WHERE"
        " c.handled_at IS NOT NULL AND (a.decision IS NULL OR (a.decision = 'journalförs' AND"
        " a.picsara_at IS NULL AND a.printed_at IS NULL))",
        "SELECT count(*) FROM download d JOIN cases c ON c.id = d.case_id WHERE"
        " c.handled_at IS NOT NULL AND d.cleaned_at IS NULL",
        "SELECT count(*) FROM cases WHERE handled_at IS NOT NULL AND patient_messages = 0",
        "SELECT count(*) FROM cases WHERE closed_reason = 'auto' AND patient_messages > 0",
        "SELECT count(*) FROM upload_intent",
    ]
    for sql in zero:
        assert _one(ctx, sql) == 0, sql
    now = ctx.now()
    with read_scope(ctx.engine) as s:
        people = s.execute(text("SELECT pnr, first_name, last_name, search_name FROM patient"))
        for pnr, first, last, search in people:
            assert parse_pnr(pnr).digits == pnr
            assert search == f"{first} {last}".casefold()
        for sent, deadline, closed, reason in s.execute(
            text("SELECT sent_at, deadline_at, closed_at, closed_reason FROM cases")
        ):
            sent, deadline = (datetime.fromisoformat(str(v)[:26]) for v in (sent, deadline))
            if reason != "hanterat":
                assert deadline - sent == REPLY_WINDOW  # as deadline_for
            assert (closed is None) == (deadline.replace(tzinfo=UTC) > now)


def test_the_mix_is_in_the_proportions_asked(generated: tuple[Context, dict[str, int]]) -> None:
    ctx, counts = generated
    assert counts["patients"] == N * 3 // 10
    mine = _one(ctx, "SELECT count(*) FROM cases WHERE unit_id IN (1, 2)")
    assert 0.08 * N < mine < 0.15 * N  # the 112k of 1M
    assert _one(ctx, "SELECT count(DISTINCT unit_id) FROM cases") == 20
    finished = _one(ctx, "SELECT count(*) FROM cases WHERE closed_at IS NOT NULL")
    assert finished > 0.98 * N
    assert 0.5 * N < _one(ctx, "SELECT count(*) FROM cases WHERE handled_at IS NOT NULL") < 0.8 * N
    answered = _one(ctx, "SELECT count(*) FROM cases WHERE patient_messages > 0")
    assert 0.8 * answered < counts["attachments"] < 1.5 * answered
    assert 4 * N < counts["audit_entries"] < 8 * N
    live = _one(ctx, "SELECT count(*) FROM download WHERE cleaned_at IS NULL")
    assert live < 0.05 * counts["downloads"]
    surnames = _one(ctx, "SELECT count(DISTINCT last_name) FROM patient")
    andersson = _one(ctx, "SELECT count(*) FROM patient WHERE last_name = 'Andersson'")
    assert surnames > 150 and 0.01 * counts["patients"] < andersson < 0.06 * counts["patients"]


def _dump(path: Path) -> str:
    db = sqlite3.connect(path)
    h = hashlib.sha256()
    for table in ("patient", "cases", "message", "attachment", "download", "audit_entry"):
        for row in db.execute(f"SELECT * FROM {table} ORDER BY 1"):
            h.update(repr(row).encode())
    db.close()
    return h.hexdigest()


@pytest.mark.skipif(pg.enabled(), reason="the SQLite file itself is compared")
def test_the_same_seed_makes_the_same_database(tmp_path: Path) -> None:
    now = now_us()
    for name in ("a.db", "b.db"):
        sink = SqliteSink(tmp_path / name)
        gen.load(sink, 300, 7, now)
        sink.finish()
    assert _dump(tmp_path / "a.db") == _dump(tmp_path / "b.db")


@pytest.mark.skipif(pg.enabled(), reason="real files are written for the SQLite layout")
def test_real_files_match_their_rows(tmp_path: Path, clock: FixedClock) -> None:
    from tui_app.services.storeid import check_store

    out = tmp_path / "f.db"
    sink = SqliteSink(out)
    gen.load(sink, 200, 14, _us(clock.now()))
    sink.finish()
    assert write_files(out, 5) == 5
    db = sqlite3.connect(out)
    rows = db.execute(
        "SELECT storage_key, sha256_stored, size FROM attachment ORDER BY id DESC LIMIT 5"
    ).fetchall()
    db.close()
    files = tmp_path / "f.data" / "files"
    for key, sha, size in rows:
        body = (files / key).read_bytes()
        assert (hashlib.sha256(body).hexdigest(), len(body)) == (sha, size)
    c = open_context(sqlite_url(out), tmp_path / "f.data", clock=clock)
    try:
        check_store(c)  # the folder's marker names this database
    finally:
        close_context(c)


def test_the_status_counts_agree_with_the_cases(generated: tuple[Context, dict[str, int]]) -> None:
    """Counters the schema keeps (triggers, if any) saw every loaded row."""
    from collections import Counter

    from sqlmodel import col, select

    from tui_app.core.routine import case_state
    from tui_app.services import api
    from tui_app.store.models import Case

    ctx, _ = generated
    counts = getattr(api, "inbox_counts", None)
    if counts is None:
        pytest.skip("no inbox_counts on this branch")
    nurse = staff_by_login(ctx, "bench_nurse")
    now = ctx.now()
    with read_scope(ctx.engine) as s:
        mine = s.exec(select(Case).where(col(Case.unit_id).in_([u.id for u in nurse.units])))
        want = Counter(
            case_state(
                deadline=c.deadline_at,
                now=now,
                patient_messages=c.patient_messages,
                handled=c.handled_at is not None,
            )
            for c in mine
        )
    got = counts(ctx, nurse)
    assert {k: v for k, v in got.by_state.items() if v} == dict(want)
    assert got.all == sum(want.values())


def _derived(url: str) -> dict[str, Any]:
    """What the schema's triggers keep (case_count, cases.patient_name, SQLite's FTS index) and
    the triggers and keys themselves, as comparable values."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    out: dict[str, Any] = {}
    with engine.connect() as conn:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in conn.execute(text(sql))]

        out["case_count"] = rows("SELECT unit_id, stage, n FROM case_count ORDER BY 1, 2")
        out["patient_name"] = rows("SELECT id, patient_name FROM cases ORDER BY id")
        if engine.dialect.name == "sqlite":
            out["triggers"] = rows(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY 1"
            )
            conn.execute(
                text("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, patient_fts, instance)")
            )
            out["fts"] = rows("SELECT term, doc, col, offset FROM temp.v ORDER BY 1, 2, 3, 4")
            # rank 1: the index is also checked against its content table, the patients
            conn.execute(
                text("INSERT INTO patient_fts(patient_fts, rank) VALUES ('integrity-check', 1)")
            )
        else:
            out["triggers"] = rows(
                "SELECT tgname, pg_get_triggerdef(oid), tgenabled FROM pg_trigger"
                " WHERE NOT tgisinternal ORDER BY 1"
            )
            out["keys"] = rows(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated"
                " FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
                " ORDER BY 1, 2"
            )
    engine.dispose()
    return out


def test_the_bulk_load_leaves_what_the_triggers_would_have_made(tmp_path: Path) -> None:
    """The same seed loaded with the schema's triggers on (one firing per row) and as gen.py
    loads it (triggers off, their results made set-wise, the triggers put back) ends the same:
    case_count, every case's patient_name, the FTS index, the triggers and the keys."""
    now, got = now_us(), []
    for triggers in (True, False):
        if pg.enabled():
            name = f"gen_{uuid.uuid4().hex[:16]}"
            pg._admin(f'CREATE DATABASE "{name}"')
            url = pg._with_db(os.environ["TUI_APP_TEST_PG"], name)
            sink: Any = PgSink(url, triggers=triggers)
        else:
            path = tmp_path / f"t{int(triggers)}.db"
            url, sink = sqlite_url(path), SqliteSink(path, triggers=triggers)
        gen.load(sink, 400, 3, now)
        sink.finish()
        try:
            got.append(_derived(url))
        finally:
            if pg.enabled():
                pg.drop_database(url)
    reference, bulk = got
    assert reference["case_count"] and sum(n for *_, n in reference["case_count"]) == 400
    assert {name for name, _ in reference["patient_name"]} == set(range(1, 401))
    assert all(name for _, name in reference["patient_name"])
    assert reference["triggers"]
    assert bulk == reference


def test_the_triggers_work_after_the_load(generated: tuple[Context, dict[str, int]]) -> None:
    """A case sent through the app after the load is counted and named by the triggers."""
    from tui_app.services.cases import draft_message, send_case

    ctx, _ = generated
    nurse = staff_by_login(ctx, "bench_nurse")
    unit = nurse.units[0].id
    with read_scope(ctx.engine) as s:
        pid, pnr, name = s.execute(
            text(
                "SELECT p.id, p.pnr, p.search_name FROM patient p JOIN care_relation r"
                f" ON r.patient_id = p.id WHERE r.unit_id = {unit} ORDER BY p.id LIMIT 1"
            )
        ).one()
    count = f"SELECT n FROM case_count WHERE unit_id = {unit} AND stage = 0"
    before = _one(ctx, count)
    draft = draft_message(ctx, nurse, unit, pnr)
    number = send_case(ctx, nurse, draft.unit_id, pid, draft.text)
    assert _one(ctx, count) == before + 1
    assert _one(ctx, f"SELECT patient_name FROM cases WHERE id = {number}") == name


def test_the_fast_hash_and_times_are_the_apps() -> None:
    """gen.fast_hash is services.audit._hash for the log's fields, ts() is isoformat's text."""
    import random

    from gen_cases import _EPOCH, ts

    fields = [
        (1, "2026-01-01T00:00:00.000001+00:00", "bench_n01", "HUD-SU", "191212121212", 7,
         "beslut", "ok", "fil 3: journalförs"),
        (2, "x", "patient:1912", None, None, None, "a\"b\\c", "ok", "ny\nrad\x01\u2028é😀"),
    ]  # fmt: skip
    for f in fields:
        assert gen.fast_hash("ab" * 32, *f) == audit._hash("ab" * 32, *f)
    rng = random.Random(5)
    for us in [0, 1, 999_999, 3_599_999_999, *(rng.randrange(2 * 10**15) for _ in range(2000))]:
        assert ts(us) == (_EPOCH + timedelta(microseconds=us)).isoformat(" ", "microseconds")
