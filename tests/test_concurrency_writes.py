"""Many sessions writing at once, through the real write path, each with its own engine as
staff on a shared server have: nobody gets an error, nothing is lost, the access log's
sequence has no gap or duplicate and its chain verifies. No timing: a barrier lines the
sessions up so their transactions collide, then the database is counted."""

from __future__ import annotations

import multiprocessing as mp
import threading
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from tests.conftest import ELIN, ROOT, staff, unit_id
from tui_app.services import audit
from tui_app.services.context import Context, close_context, open_context
from tui_app.store.db import read_scope
from tui_app.store.models import AuditEntry, AuditHead, Case

SESSIONS = 6
ROUNDS = 5


def _head(ctx: Context) -> int:
    with read_scope(ctx.engine) as s:
        return s.exec(select(AuditHead.seq)).one()


def _session_work(url: str, data_dir: Path, login: str) -> list[int]:
    """One session: ROUNDS × (send a case, open it: the access is logged); the case numbers."""
    from tui_app.services.cases import draft_message, open_case, send_case

    ctx = open_context(url, data_dir, clock=None)
    try:
        me = staff(ctx, login)
        sent = []
        for _ in range(ROUNDS):
            d = draft_message(ctx, me, unit_id(me, "REUM-SKO"), ELIN)
            number = send_case(ctx, me, d.unit_id, d.patient.id, d.text)
            assert open_case(ctx, me, number).case_id == number
            sent.append(number)
        return sent
    finally:
        close_context(ctx)


def _check(ctx: Context, seq0: int, numbers: list[int]) -> None:
    """Every case there once; two log entries per round (sent, opened), seq without gaps."""
    assert len(set(numbers)) == len(numbers) == SESSIONS * ROUNDS
    head = _head(ctx)
    with read_scope(ctx.engine) as s:
        there = s.exec(select(func.count()).select_from(Case).where(col(Case.id).in_(numbers)))
        assert there.one() == len(numbers)
        seqs = s.exec(select(AuditEntry.seq).where(col(AuditEntry.seq) > seq0)).all()
    assert sorted(seqs) == list(range(seq0 + 1, head + 1))
    assert len(seqs) >= 2 * len(numbers)
    assert audit.verify(ctx).ok


def test_r24_sessions_writing_at_once_in_threads_lose_nothing(ctx: Context) -> None:
    url = ctx.engine.url.render_as_string(hide_password=False)
    seq0 = _head(ctx)
    barrier = threading.Barrier(SESSIONS)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def run(login: str) -> None:
        try:
            barrier.wait()
            numbers.extend(_session_work(url, ctx.data_dir, login))
        except BaseException as exc:  # every error is a failure of the test
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(("danan12", "marsv3")[i % 2],)) for i in range(SESSIONS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _check(ctx, seq0, numbers)


def _process(url: str, data_dir: str, login: str, barrier: object, out: object) -> None:
    import sys

    sys.path.insert(0, str(ROOT))
    try:
        barrier.wait()  # type: ignore[attr-defined]
        out.put(("ok", _session_work(url, Path(data_dir), login)))  # type: ignore[attr-defined]
    except BaseException as exc:
        out.put(("error", repr(exc)))  # type: ignore[attr-defined]


def test_r24_sessions_writing_at_once_in_processes_lose_nothing(ctx: Context) -> None:
    """As staff over SSH: each session its own process (spawned: nothing inherited)."""
    url = ctx.engine.url.render_as_string(hide_password=False)
    seq0 = _head(ctx)
    spawn = mp.get_context("spawn")
    barrier, out = spawn.Barrier(SESSIONS), spawn.Queue()
    procs = [
        spawn.Process(
            target=_process,
            args=(url, str(ctx.data_dir), ("danan12", "marsv3")[i % 2], barrier, out),
        )
        for i in range(SESSIONS)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=600)
    assert [kind for kind, _ in results if kind != "ok"] == [], results
    _check(ctx, seq0, [n for _, got in results for n in got])
