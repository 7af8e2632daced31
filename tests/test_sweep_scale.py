"""The sweep at a million cases (issue 14): its cost follows what is due, never the database.

No timing here: the plans of the queries it runs are checked (no full scan of a big table), it
never lists the stored files unless asked (`--full`), and what retention is about to delete is
declared first, so a crash half-way leaves intents the collector follows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.handling_fixtures import Places, case_with_files
from tui_app.services.context import Context
from tui_app.services.files import collect_garbage
from tui_app.store.filestore import DirectoryStore
from tui_app.store.models import Attachment, UploadIntent

BIG = ("cases", "attachment", "message", "download", "audit_entry", "upload_intent", "patient")


def _plans(ctx: Context, job: Callable[[], object]) -> list[tuple[str, list[str]]]:
    """Run `job`, then EXPLAIN QUERY PLAN every SELECT it sent: (sql, plan lines)."""
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT") and not many:
            seen.append((sql, params))

    event.listen(Engine, "before_cursor_execute", grab)  # the reading twin too
    try:
        job()
    finally:
        event.remove(Engine, "before_cursor_execute", grab)
    assert seen
    out = []
    with ctx.engine.connect() as conn:
        for sql, params in seen:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            out.append((sql, [str(r[-1]) for r in rows]))
    return out


def _full_scans(plans: list[tuple[str, list[str]]]) -> list[str]:
    return [
        f"{line}  <-  {sql[:160]}"
        for sql, lines in plans
        for line in lines
        if any(line == f"SCAN {t}" or line.startswith(f"SCAN {t} ") for t in BIG)
    ]


@pytest.fixture
def sqlite_only(ctx: Context) -> None:
    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("the query plans are SQLite's (EXPLAIN QUERY PLAN)")


def test_sweep_queries_read_what_is_due_by_an_index(
    ctx: Context, places: Places, clock: Any, sqlite_only: None
) -> None:
    """Closing, retention, the collector and the pending sends: no full scan of cases, files,
    copies or intents."""
    from tui_app.services.pending import resolve_pending
    from tui_app.services.sweep import close_expired, remove_expired

    case_with_files(ctx)
    case_with_files(ctx)

    def nothing_due() -> None:
        close_expired(ctx)
        remove_expired(ctx)
        collect_garbage(ctx)
        resolve_pending(ctx)  # sends and copies a crash left half-way: none

    assert _full_scans(_plans(ctx, nothing_due)) == []
    clock.advance(timedelta(days=2 * 366))

    def all_due() -> None:
        assert close_expired(ctx).closed_auto + close_expired(ctx).closed_answered >= 0
        assert remove_expired(ctx).removed_cases == 2
        collect_garbage(ctx, now=time.time() + 2 * 3600)

    assert _full_scans(_plans(ctx, all_due)) == []


def test_r11_the_collector_never_lists_stored_files_unless_asked(
    ctx: Context, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cron sweep follows the intents; walking every stored file is `sweep --full`."""
    ctx.config = replace(ctx.config, file_store="directory")
    case_with_files(ctx)
    stranger = ctx.files_dir / "zz" / "not-ours.jpg"
    stranger.parent.mkdir(parents=True, exist_ok=True)
    stranger.write_bytes(b"another system's file")
    walked: list[str] = []
    real_keys = DirectoryStore.keys

    def keys(self: DirectoryStore) -> Iterator[str]:
        walked.append("walk")
        return real_keys(self)

    monkeypatch.setattr(DirectoryStore, "keys", keys)
    report = collect_garbage(ctx, now=time.time() + 2 * 86400)
    assert walked == [] and not report.walked and report.unknown == 0
    full = collect_garbage(ctx, now=time.time() + 2 * 86400, walk=True)
    assert walked == ["walk"] and full.walked and full.unknown == 1 and stranger.exists()


def test_r23_retention_declares_the_files_it_deletes_so_a_crash_leaves_no_stranger(
    ctx: Context, places: Places, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows go in one transaction with intents for their keys; the process dies before the
    files are deleted: the collector later removes exactly those files."""
    from tui_app.services.sweep import remove_expired

    ctx.config = replace(ctx.config, file_store="directory")
    case_with_files(ctx)
    with Session(ctx.engine) as s:
        keys = {a.storage_key for a in s.exec(select(Attachment)).all()}
        keys |= {a.thumb_key for a in s.exec(select(Attachment)).all() if a.thumb_key}
    clock.advance(timedelta(days=2 * 366))

    class Killed(BaseException):
        pass

    def die(self: DirectoryStore, key: str, session: object = None) -> None:
        raise Killed  # as if kill -9 came right after the commit

    monkeypatch.setattr(DirectoryStore, "delete", die)
    with pytest.raises(Killed):
        remove_expired(ctx)
    monkeypatch.undo()
    assert all((ctx.files_dir / k).exists() for k in keys)
    with Session(ctx.engine) as s:
        assert s.exec(select(Attachment)).all() == []
        assert {i.storage_key for i in s.exec(select(UploadIntent)).all()} == keys
    young = collect_garbage(ctx, now=time.time())
    assert young.abandoned == 0  # an hour's grace, as for any intent
    report = collect_garbage(ctx, now=time.time() + 2 * 3600)
    assert report.abandoned == len(keys)
    assert not any((ctx.files_dir / k).exists() for k in keys)
    with Session(ctx.engine) as s:
        assert s.exec(select(UploadIntent)).all() == []


def test_r23_retention_removes_the_intents_it_wrote_once_the_files_are_gone(
    ctx: Context, places: Places, clock: Any
) -> None:
    from tui_app.services.sweep import remove_expired

    ctx.config = replace(ctx.config, file_store="directory")
    case_with_files(ctx)
    clock.advance(timedelta(days=2 * 366))
    assert remove_expired(ctx).removed_files == 2
    with Session(ctx.engine) as s:
        assert s.exec(select(UploadIntent)).all() == []
    assert list(ctx.files_dir.glob("*/*")) == []
