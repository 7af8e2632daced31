"""`tui-app leftovers` and the log search at a million cases (issue 14): they ask the database
only about what they need, by an index, and neither keeps staff waiting while it reads.

No timing: the statements sent are checked (no read of a whole column, no full scan), the
matches against what the folders hold, and a writer commits while a read is held half-way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.test_adapters_leftovers import put_in_trash
from tests.conftest import staff
from tests.handling_fixtures import Places, case_with_files
from tui_app.services import audit, auditlog, handling, leftovers
from tui_app.services.context import Context
from tui_app.store.models import AuditHead


def _selects(job: Callable[[], object]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cur: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            seen.append((sql, params))

    event.listen(Engine, "before_cursor_execute", grab)  # the reading twin too
    try:
        job()
    finally:
        event.remove(Engine, "before_cursor_execute", grab)
    return seen


def test_r21_leftovers_asks_the_database_only_about_the_files_it_found(
    ctx: Context, places: Places
) -> None:
    """A copy in Downloads, a renamed one in the trash, and a stranger of the very same size:
    the copies are found, the stranger is not, and no statement reads a whole column."""
    _, img, _ = case_with_files(ctx)
    copy = handling.download(ctx, staff(ctx, "danan12"), img)
    data = copy.read_bytes()
    trashed = put_in_trash(places.trash, "bild.jpg", data, str(copy))
    stranger = places.downloads / "semester.jpg"
    stranger.write_bytes(bytes(len(data)))  # the size of a patient file, not its content
    found: list[Any] = []
    sent = _selects(lambda: found.extend(leftovers.find(ctx, [places.downloads])))
    assert sorted(str(f.path) for f in found) == sorted([str(copy), str(trashed)])
    reads = [sql for sql, _ in sent if "FROM attachment" in sql or "FROM download" in sql]
    assert reads and all(" IN (" in sql for sql in reads), reads
    if ctx.engine.dialect.name == "sqlite":
        with ctx.engine.connect() as conn:
            for sql, params in sent:
                for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params):
                    assert not str(row[-1]).startswith(("SCAN attachment", "SCAN download"))


def test_r21_an_empty_downloads_folder_asks_the_database_nothing(
    ctx: Context, places: Places
) -> None:
    case_with_files(ctx)
    sent = _selects(lambda: leftovers.find(ctx, [places.downloads]))
    assert not [sql for sql, _ in sent if "FROM attachment" in sql or "FROM download" in sql]


@contextmanager
def _held_read(
    monkeypatch: pytest.MonkeyPatch, module: Any
) -> Iterator[tuple[threading.Event, threading.Event]]:
    """`module`'s read snapshot, once begun, stops at its next statement until `written`."""
    reading, written = threading.Event(), threading.Event()
    real = module.read_scope

    @contextmanager
    def held(engine: Any) -> Iterator[Any]:
        with real(engine) as s:
            s.get(AuditHead, 1)  # the snapshot has begun

            def hold(call: Callable[..., Any]) -> Callable[..., Any]:
                def run(*a: Any, **k: Any) -> Any:
                    if not reading.is_set():
                        reading.set()
                        assert written.wait(60), "the writer never got through"
                    return call(*a, **k)

                return run

            s.exec = hold(s.exec)  # type: ignore[method-assign]
            s.connection = hold(s.connection)  # type: ignore[method-assign]
            yield s

    monkeypatch.setattr(module, "read_scope", held)
    yield reading, written


def _while_held(
    ctx: Context, reading: threading.Event, written: threading.Event, job: Callable[[], Any]
) -> list[Any]:
    out: list[Any] = []
    t = threading.Thread(target=lambda: out.append(job()))
    t.start()
    try:
        assert reading.wait(60)
        audit.log_refusal(ctx, actor="danan12", action="öppna ärende")  # a nurse's action commits
    finally:
        written.set()
        t.join(60)
    return out


def test_r21_staff_write_while_leftovers_reads(
    ctx: Context, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, img, _ = case_with_files(ctx)
    copy = handling.download(ctx, staff(ctx, "danan12"), img)
    with _held_read(monkeypatch, leftovers) as (reading, written):
        out = _while_held(ctx, reading, written, lambda: leftovers.find(ctx, [places.downloads]))
    assert out and [f.path for f in out[0]] == [copy]


def test_r24_staff_write_while_the_log_search_reads(
    ctx: Context, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_with_files(ctx)
    lena = staff(ctx, "lenjo54")
    before = len(auditlog.search(ctx, lena, staff="danan12"))
    with _held_read(monkeypatch, auditlog) as (reading, written):
        out = _while_held(ctx, reading, written, lambda: auditlog.search(ctx, lena))
    assert out and out[0]
    assert len(auditlog.search(ctx, lena, staff="danan12")) == before + 1
