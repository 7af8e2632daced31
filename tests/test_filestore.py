"""The file store (store/filestore.py): the directory and the database itself behave alike; the
database store streams in chunks (never a whole 20 MB file in memory), and a reply's files and
rows commit together or not at all (R11), also when the process is killed half-way."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.conftest import ELIN, ROOT
from tests.handling_fixtures import SAMPLES, Places, case_with_files
from tui_app.core.limits import MAX_FILE_BYTES
from tui_app.services.context import Context
from tui_app.store.filestore import CHUNK, DatabaseStore, DirectoryStore, FileStore, resolve_kind


def _use(ctx: Context, kind: str) -> None:
    from dataclasses import replace

    ctx.config = replace(ctx.config, file_store=kind)


def _store(ctx: Context, kind: str) -> FileStore:
    if kind == "database":
        return DatabaseStore(ctx.engine, ctx.data_dir / "cache")
    return DirectoryStore(ctx.data_dir / "files")


def test_auto_means_the_database_with_postgresql_and_the_directory_with_sqlite() -> None:
    assert resolve_kind("auto", "postgresql+psycopg://db/x") == "database"
    assert resolve_kind("auto", "sqlite:////var/lib/tui_app/tui_app.sqlite") == "directory"
    assert resolve_kind("directory", "postgresql+psycopg://db/x") == "directory"


@pytest.mark.parametrize("kind", ["directory", "database"])
def test_r11_both_stores_put_open_exists_keys_delete(ctx: Context, kind: str) -> None:
    from tui_app.store.db import session_scope

    store = _store(ctx, kind)
    content = os.urandom(CHUNK * 2 + 17)  # three chunks, the last one short
    with session_scope(ctx.engine) as s:
        assert store.put(s, "ab/one.jpg", io.BytesIO(content)) == len(content)
        assert store.put(s, "cd/empty.png", io.BytesIO(b"")) == 0
    assert store.exists("ab/one.jpg") and store.exists("cd/empty.png")
    assert not store.exists("ef/none.pdf")
    with store.open("ab/one.jpg") as f:
        assert f.read(CHUNK) + f.read(CHUNK) + f.read(CHUNK) + f.read(CHUNK) == content
    assert store.local_path("ab/one.jpg").read_bytes() == content
    assert store.local_path("cd/empty.png").read_bytes() == b""
    assert set(store.keys()) == {"ab/one.jpg", "cd/empty.png"}
    store.delete("ab/one.jpg")
    store.delete("ef/none.pdf")  # nothing stored: nothing happens
    assert not store.exists("ab/one.jpg")
    assert not store.local_path("ab/one.jpg").exists()  # no stale copy survives a removal
    with pytest.raises(FileNotFoundError):
        store.open("ab/one.jpg")


def test_r11_a_rolled_back_put_leaves_nothing_in_the_database_store(ctx: Context) -> None:
    from tui_app.store.db import session_scope

    store = _store(ctx, "database")
    with pytest.raises(RuntimeError):
        with session_scope(ctx.engine) as s:
            store.put(s, "ab/gone.jpg", io.BytesIO(b"x" * 100))
            raise RuntimeError("the reply failed")
    assert not store.exists("ab/gone.jpg")


def test_r10_a_20_mb_file_is_never_whole_in_memory(ctx: Context, tmp_path: Path) -> None:
    import tracemalloc

    from tui_app.store.db import session_scope

    store = _store(ctx, "database")
    src = tmp_path / "big.bin"
    h = hashlib.sha256()
    with src.open("wb") as f:
        for _ in range(MAX_FILE_BYTES // CHUNK):
            block = os.urandom(CHUNK)
            h.update(block)
            f.write(block)
    assert src.stat().st_size >= 20 * 10**6
    tracemalloc.start()
    try:
        with session_scope(ctx.engine) as s, src.open("rb") as f:
            store.put(s, "ab/big.jpg", f)
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        copy = store.local_path("ab/big.jpg")
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    back = hashlib.sha256()
    with copy.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            back.update(block)
    assert back.hexdigest() == h.hexdigest()
    # A few chunks at most (the driver's buffers and ours), never the 20 MB.
    assert put_peak < 6 * CHUNK, put_peak
    assert read_peak < 6 * CHUNK, read_peak


def test_r11_a_reply_in_the_database_store_can_be_previewed_and_downloaded(
    ctx: Context, places: Places
) -> None:
    from tests.conftest import staff
    from tui_app.services import handling
    from tui_app.services.preview import preview_source
    from tui_app.store.models import Attachment, FileChunk

    _use(ctx, "database")
    number, image, pdf = case_with_files(ctx)
    assert not any((ctx.data_dir / "files").glob("*/*"))  # nothing in the directory
    with Session(ctx.engine) as s:
        atts = s.exec(select(Attachment).where(Attachment.case_id == number)).all()
        chunk_keys = set(s.exec(select(FileChunk.storage_key)).all())
    assert {a.storage_key for a in atts} <= chunk_keys
    assert not any((ctx.data_dir / "staging").glob("*/*"))  # staged copies went with the reply
    danan = staff(ctx, "danan12")
    src = preview_source(ctx, danan, image)
    assert src.path.is_file()
    handling.decide(ctx, danan, pdf, journal=True)
    saved = handling.download(ctx, danan, pdf)
    by_id = {a.id: a for a in atts}
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == by_id[pdf].sha256_stored


def test_r23_retention_removes_the_files_from_the_database_store(
    ctx: Context, places: Places
) -> None:
    from datetime import timedelta

    from tui_app.services.sweep import remove_expired
    from tui_app.store.models import FileChunk

    _use(ctx, "database")
    case_with_files(ctx)
    with Session(ctx.engine) as s:
        assert s.exec(select(FileChunk.storage_key)).first() is not None
    ctx.clock.advance(timedelta(days=2 * 366))  # type: ignore[attr-defined]
    report = remove_expired(ctx)
    assert report.removed_cases == 1
    with Session(ctx.engine) as s:
        assert s.exec(select(FileChunk.storage_key)).first() is None


def test_r11_a_reply_killed_after_placing_a_file_in_the_database_leaves_nothing(
    ctx: Context, tmp_path: Path
) -> None:
    """kill -9 after a file's chunks are written but before the reply commits: no chunk, no
    attachment row, the message not stored; the earlier reply's files are intact."""
    from tui_app.store.models import Attachment, FileChunk, Message

    _use(ctx, "database")
    number, _, _ = case_with_files(ctx)
    with Session(ctx.engine) as s:
        before = (
            set(s.exec(select(FileChunk.storage_key, FileChunk.seq)).all()),
            len(s.exec(select(Attachment)).all()),
            len(s.exec(select(Message)).all()),
        )
    url = ctx.engine.url.render_as_string(hide_password=False)
    data = ctx.data_dir
    script = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(ROOT)!r})
from tests.conftest import patient
from tui_app.config import Settings
from tui_app.services.context import open_context
from tui_app.services.conversation import patient_reply
from tui_app.services.files import stage_files
from datetime import datetime
from tui_app.core.clock import FixedClock
clock = FixedClock(datetime.fromisoformat({ctx.now().isoformat()!r}))
ctx = open_context({url!r}, Path({str(data)!r}), clock=clock)
ctx.config = Settings(data_dir=Path({str(data)!r}), file_store="database")
staged = stage_files(ctx, [Path({str(SAMPLES / "handled.jpg")!r})])
patient_reply(ctx, patient(ctx, {ELIN!r}), {number}, "En till.", staged)
print("committed")
"""
    env = {**os.environ, "TUI_APP_KILLPOINT": "files.placed"}
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "committed" not in proc.stdout
    with Session(ctx.engine) as s:
        after = (
            set(s.exec(select(FileChunk.storage_key, FileChunk.seq)).all()),
            len(s.exec(select(Attachment)).all()),
            len(s.exec(select(Message)).all()),
        )
    assert after == before


def test_r21_cached_copies_of_database_files_do_not_linger_on_a_server(
    ctx: Context, places: Places
) -> None:
    import time

    from tests.conftest import staff
    from tui_app.services.files import collect_garbage
    from tui_app.services.preview import preview_source

    _use(ctx, "database")
    _, image, _ = case_with_files(ctx)
    cached = preview_source(ctx, staff(ctx, "danan12"), image).path
    assert cached.is_file() and cached.is_relative_to(ctx.data_dir / "cache")
    collect_garbage(ctx)  # used just now: kept
    assert cached.is_file()
    collect_garbage(ctx, now=time.time() + 2 * 86400)  # unused for two days: removed
    assert not cached.exists()
    assert preview_source(ctx, staff(ctx, "danan12"), image).path.is_file()  # fetched again
