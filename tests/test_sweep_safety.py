"""The sweep can never wipe received files (R23, R11), and retention keeps what clean-up needs (R21).

Each test drives the real `tui-app sweep` (a subprocess) or the service it calls, and checks the
files on disk afterwards: nothing lost, nothing falsely done.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.conftest import ELIN, ROOT, staff
from tests.handling_fixtures import SAMPLES, Places, case_with_files
from tui_app.services import handling
from tui_app.services.context import Context
from tui_app.services.files import collect_garbage
from tui_app.services.storeid import StoreMismatch, check_store
from tui_app.store.models import Attachment, Download, UploadIntent


def _stored(ctx: Context) -> list[Path]:
    return sorted(p for p in ctx.files_dir.glob("*/*"))


def _sweep(
    data_dir: Path, tmp_path: Path, url: str | None = None
) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "sweep.toml"
    text = f'data_dir = "{data_dir}"\n'
    if url:
        text += f'database_url = "{url}"\n'
    cfg.write_text(text)
    env = {**os.environ, "TUI_APP_CONFIG": str(cfg)}
    env.pop("TUI_APP_KILLPOINT", None)
    return subprocess.run(
        [sys.executable, "-m", "tui_app", "sweep"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _age_files(ctx: Context, seconds: float) -> None:
    for p in ctx.files_dir.glob("*/*"):
        t = time.time() - seconds
        os.utime(p, (t, t))


@pytest.mark.parametrize("how", ["deleted", "emptied", "other_url"])
def test_r23_sweep_on_a_missing_or_emptied_database_deletes_no_file(
    tmp_path: Path, how: str
) -> None:
    """A sweep that finds files its database does not own stops with a clear error."""
    from tui_app.services.context import close_context, open_context
    from tui_app.services.seed import load_file
    from tui_app.store.db import sqlite_url
    from tests.conftest import DEMO

    data = tmp_path / "data"
    db = data / "tui_app.sqlite"
    data.mkdir()
    ctx = open_context(sqlite_url(db), data)
    load_file(ctx, DEMO, with_cases=False)
    case_with_files(ctx)
    close_context(ctx)
    _age_files(ctx, 3 * 86400)  # old enough for any collector to take them for orphans
    before = _stored(ctx)
    assert len(before) >= 3  # an image, its thumbnail, a PDF (and its thumbnail)
    url = None
    if how == "deleted":
        for name in ("tui_app.sqlite", "tui_app.sqlite-wal", "tui_app.sqlite-shm"):
            (data / name).unlink(missing_ok=True)
    elif how == "emptied":
        db.write_bytes(b"")
        for name in ("tui_app.sqlite-wal", "tui_app.sqlite-shm"):
            (data / name).unlink(missing_ok=True)
    else:
        url = sqlite_url(tmp_path / "another.sqlite")
    out = _sweep(data, tmp_path, url)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "hör inte till den här databasen" in out.stderr
    assert "Inget raderades" in out.stderr
    assert "Traceback" not in out.stderr
    assert _stored(ctx) == before


def test_r23_sweep_on_its_own_database_still_works(tmp_path: Path) -> None:
    from tui_app.services.context import close_context, open_context
    from tui_app.services.seed import load_file
    from tui_app.store.db import sqlite_url
    from tests.conftest import DEMO

    data = tmp_path / "data"
    data.mkdir()
    ctx = open_context(sqlite_url(data / "tui_app.sqlite"), data)
    load_file(ctx, DEMO, with_cases=False)
    case_with_files(ctx)
    close_context(ctx)
    _age_files(ctx, 3 * 86400)
    before = _stored(ctx)
    out = _sweep(data, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Städade rester efter avbrutna uppladdningar: 0" in out.stdout
    assert _stored(ctx) == before


def test_r11_only_files_the_database_declared_abandoned_are_collected(
    ctx: Context, places: Places
) -> None:
    """An unknown file is kept and counted; an upload intent without an attachment is removed."""
    from tui_app.services.files import reserve_storage, stage_files

    ctx.config = replace(ctx.config, file_store="directory")  # about the folder
    case_with_files(ctx)
    with Session(ctx.engine) as s:
        kept = [a.storage_key for a in s.exec(select(Attachment)).all()]
    stranger = ctx.files_dir / "zz" / "not-ours.jpg"
    stranger.parent.mkdir(parents=True, exist_ok=True)
    stranger.write_bytes(b"some other system's file")
    staged = stage_files(ctx, [SAMPLES / "handled.jpg"])
    reserved = reserve_storage(ctx, list(staged))
    (r,) = reserved.values()
    abandoned = ctx.files_dir / r.key  # as if the reply's process died after placing it
    abandoned.parent.mkdir(parents=True, exist_ok=True)
    abandoned.write_bytes(b"placed, never committed")
    stale = ctx.data_dir / "staging" / "old"
    stale.mkdir(parents=True)
    young = collect_garbage(ctx, now=time.time(), walk=True)
    assert young.removed == 0  # too young: the reply may still be in flight
    report = collect_garbage(ctx, now=time.time() + 2 * 86400, walk=True)
    assert report.abandoned == 1 and not abandoned.exists()
    assert report.staging >= 1 and not stale.exists()
    assert report.unknown == 1 and stranger.exists()
    assert all((ctx.files_dir / k).exists() for k in kept)
    with Session(ctx.engine) as s:
        assert s.exec(select(UploadIntent)).all() == []


def test_r11_a_reply_killed_after_placing_a_file_leaves_a_declared_abandoned_upload(
    tmp_path: Path,
) -> None:
    """kill -9 between placing the file and committing the reply: no attachment row, the file is
    an intent the collector later removes; the patient's earlier files are untouched."""
    from tui_app.services.context import close_context, open_context
    from tui_app.services.seed import load_file
    from tui_app.store.db import sqlite_url
    from tests.conftest import DEMO

    data = tmp_path / "data"
    data.mkdir()
    url = sqlite_url(data / "t.sqlite")
    ctx = open_context(url, data)
    load_file(ctx, DEMO, with_cases=False)
    number, _, _ = case_with_files(ctx)
    close_context(ctx)
    script = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(ROOT)!r})
from tests.conftest import patient
from tui_app.services.context import open_context
from tui_app.services.conversation import patient_reply
from tui_app.services.files import stage_files
ctx = open_context({url!r}, Path({str(data)!r}))
staged = stage_files(ctx, [Path({str(SAMPLES / "handled.jpg")!r})])
patient_reply(ctx, patient(ctx, {ELIN!r}), {number}, "En till.", staged)
print("committed")
"""
    env = {**os.environ, "TUI_APP_KILLPOINT": "files.placed"}
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "committed" not in proc.stdout
    ctx = open_context(url, data)
    try:
        with Session(ctx.engine) as s:
            keys = {a.storage_key for a in s.exec(select(Attachment)).all()}
            keys |= {a.thumb_key for a in s.exec(select(Attachment)).all() if a.thumb_key}
            intents = {i.storage_key for i in s.exec(select(UploadIntent)).all()}
        on_disk = {f"{p.parent.name}/{p.name}" for p in ctx.files_dir.glob("*/*")}
        orphans = on_disk - keys
        assert orphans and orphans <= intents  # every file without a row was declared first
        report = collect_garbage(ctx, now=time.time() + 2 * 86400, walk=True)
        assert report.abandoned == len(orphans) and report.unknown == 0
        assert {f"{p.parent.name}/{p.name}" for p in ctx.files_dir.glob("*/*")} == keys
    finally:
        close_context(ctx)


def test_r23_store_identity_binds_once_and_detects_another_database(
    ctx: Context, places: Places, tmp_path: Path
) -> None:
    from tui_app.services.context import close_context, open_context
    from tui_app.store.db import sqlite_url

    ctx.config = replace(ctx.config, file_store="directory")  # about the folder
    case_with_files(ctx)
    check_store(ctx)  # its own database: fine
    other = open_context(sqlite_url(tmp_path / "other.sqlite"), ctx.data_dir)
    try:
        with pytest.raises(StoreMismatch, match="hör inte till"):
            check_store(other)
    finally:
        close_context(other)


def test_r23_an_older_store_without_an_id_is_adopted_by_its_own_database(
    ctx: Context, places: Places
) -> None:
    """Data from before store ids existed: the database names the files, so it may adopt them."""
    from tui_app.services.storeid import MARKER
    from tui_app.store.models import Setting

    case_with_files(ctx)
    (ctx.files_dir / MARKER).unlink()
    with Session(ctx.engine) as s:
        s.delete(s.get(Setting, "store_id"))
        s.commit()
    check_store(ctx)
    assert (ctx.files_dir / MARKER).is_file()


def test_r21_retention_keeps_a_copy_still_in_downloads_findable(
    ctx: Context, places: Places, clock
) -> None:  # type: ignore[no-untyped-def]
    """R23 removes the case; the copy a nurse left in Downloads is still found by leftovers."""
    from tui_app.services.leftovers import find
    from tui_app.services.sweep import remove_expired

    number, img, _ = case_with_files(ctx)
    copy = handling.download(ctx, staff(ctx, "danan12"), img)
    clock.advance(timedelta(days=2 * 366))
    report = remove_expired(ctx)
    assert report.removed_cases == 1
    assert any(str(copy) in line for line in report.still_downloaded)
    with Session(ctx.engine) as s:
        rows = s.exec(select(Download)).all()
    assert len(rows) == 1 and rows[0].case_id is None and rows[0].cleaned_at is None
    assert rows[0].path == str(copy)
    found = find(ctx, [places.downloads])
    assert [getattr(f, "path", None) for f in found] == [copy]


def test_r21_retention_drops_rows_of_copies_already_cleaned(
    ctx: Context, places: Places, clock
) -> None:  # type: ignore[no-untyped-def]
    from tui_app.services.sweep import remove_expired

    number, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.download(ctx, dan, img)
    handling.decide(ctx, dan, img, False, "dubblett")
    handling.cleanup(ctx, dan, img)
    clock.advance(timedelta(days=2 * 366))
    remove_expired(ctx)
    with Session(ctx.engine) as s:
        assert s.exec(select(Download)).all() == []
