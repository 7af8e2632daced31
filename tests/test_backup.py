"""`tui-app backup DIR` / `tui-app restore DIR` (issue 16): an online copy taken while another
process keeps writing, restored into a fresh data directory, checked file by file; a backup
killed half-way is never restored; a damaged one is refused, naming the file."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO, ELIN, ROOT
from tests.handling_fixtures import SAMPLES, case_with_files
from tests.test_cli import ME

PY = sys.executable


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _env(cfg: Path, tmp_path: Path, **env: str) -> dict[str, str]:
    return {
        **os.environ,
        "TUI_APP_CONFIG": str(cfg),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PYTHONPATH": str(ROOT),
        "TUI_APP_OCR": "off",
        **env,
    }


def _cli(
    args: list[str], cfg: Path, tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "tui_app", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(cfg, tmp_path, **env),
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def _config(path: Path, data: Path, url: str | None = None) -> Path:
    text = f'data_dir = "{data}"\n' + (f'database_url = "{url}"\n' if url else "")
    path.write_text(text, encoding="utf-8")
    return path


def _live_data(tmp_path: Path) -> tuple[Path, int]:
    """A data directory with the demo people and a case whose patient sent two files."""
    from tui_app.services.context import close_context, open_context
    from tui_app.services.seed import load_file
    from tui_app.store.db import sqlite_url

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    ctx = open_context(sqlite_url(data / "tui_app.sqlite"), data)
    load_file(ctx, DEMO, with_cases=False)
    number, _, _ = case_with_files(ctx)
    close_context(ctx)
    return data, number


#: Another process at work: the patient sends a picture, a nurse decides on it; again and again.
WRITER = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from sqlmodel import Session, col, select
from tests.conftest import patient, staff
from tui_app.services import handling
from tui_app.services.context import open_context
from tui_app.services.conversation import patient_reply
from tui_app.services.files import stage_files
from tui_app.store.models import Attachment
ctx = open_context({url!r}, Path({data!r}))
dan = staff(ctx, "danan12")
progress, stop = Path({progress!r}), Path({stop!r})
i = 0
while not stop.exists():
    staged = stage_files(ctx, [Path({image!r})])
    patient_reply(ctx, patient(ctx, {pnr!r}), {number}, f"Bild nummer {{i}}.", staged)
    with Session(ctx.engine) as s:
        newest = s.exec(select(Attachment.id).order_by(col(Attachment.id).desc())).first()
    handling.decide(ctx, dan, newest, i % 2 == 0, "" if i % 2 == 0 else "dubblett")
    i += 1
    progress.write_text(str(i))
"""


def _count(progress: Path) -> int:
    try:
        return int(progress.read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _wait_for(
    cond: Callable[[], bool], what: str, proc: subprocess.Popen[str] | None = None
) -> None:
    deadline = time.monotonic() + 240  # a hang guard only: every wait is on a condition
    while not cond():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the writer ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never happened")
        time.sleep(0.05)


def _check_manifest(backup: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((backup / "MANIFEST.json").read_text())
    on_disk = {
        p.relative_to(backup).as_posix()
        for p in backup.rglob("*")
        if p.is_file() and p.name != "MANIFEST.json"
    }
    assert on_disk == set(manifest["files"])
    for key, entry in manifest["files"].items():
        assert _sha(backup / key) == entry["sha256"], key
    # The folder and everything in it belong to the account alone.
    for p in [backup, *backup.rglob("*")]:
        mode = stat.S_IMODE(p.lstat().st_mode)
        assert mode == (0o700 if p.is_dir() else 0o600), (p, oct(mode))
    return manifest


def test_backup_while_another_process_writes_restores_a_copy_that_checks_out(
    tmp_path: Path,
) -> None:
    from tui_app.store.migrations import HEAD_REVISION

    data, number = _live_data(tmp_path)
    url = f"sqlite:///{data / 'tui_app.sqlite'}"
    progress, stop = tmp_path / "progress", tmp_path / "stop"
    script = WRITER.format(
        root=str(ROOT),
        url=url,
        data=str(data),
        progress=str(progress),
        stop=str(stop),
        image=str(SAMPLES / "handled.jpg"),
        pnr=ELIN,
        number=number,
    )
    env = {**os.environ, "TUI_APP_OCR": "off", "XDG_STATE_HOME": str(tmp_path / "state")}
    env.pop("TUI_APP_KILLPOINT", None)
    writer = subprocess.Popen(
        [PY, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_for(lambda: _count(progress) >= 2, "two writes before the backup", writer)
        cfg = _config(tmp_path / "live.toml", data)
        backup = tmp_path / "backups" / "natt-1"
        backup.parent.mkdir()
        before = _count(progress)
        # The backup holds its snapshot while the writer makes two more writes.
        release = tmp_path / "release"
        backing_up = subprocess.Popen(
            [PY, "-m", "tui_app", "backup", str(backup)],
            env=_env(cfg, tmp_path, TUI_APP_BACKUP_PAUSE=str(release)),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        held = Path(f"{release}.held")
        _wait_for(held.exists, "the backup's snapshot")
        at_snapshot = _count(progress)
        _wait_for(lambda: _count(progress) >= at_snapshot + 2, "writes during the backup", writer)
        release.touch()
        stdout, stderr = backing_up.communicate(timeout=300)
        assert backing_up.returncode == 0, stderr
        assert "Säkerhetskopia klar" in stdout
    finally:
        stop.touch()
        try:
            writer.wait(timeout=240)
        finally:
            if writer.poll() is None:
                writer.kill()
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""

    manifest = _check_manifest(backup)
    assert manifest["engine"] == "sqlite" and manifest["revision"] == HEAD_REVISION
    assert "files/STORE_ID" in manifest["files"]

    restored = tmp_path / "restored"
    cfg2 = _config(tmp_path / "copy.toml", restored)
    out = _cli(["restore", str(backup)], cfg2, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "alla kontrollsummor stämde" in out.stdout
    # Every file back, byte for byte, owner-only.
    for key, entry in manifest["files"].items():
        target = restored / ("tui_app.sqlite" if key == "database.sqlite" else key)
        assert _sha(target) == entry["sha256"], key
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(restored.stat().st_mode) == 0o700
    # The copy is consistent: each attachment the database names is there with its checksum.
    with sqlite3.connect(restored / "tui_app.sqlite") as conn:
        rows = conn.execute("SELECT storage_key, sha256_stored FROM attachment").fetchall()
        replies = conn.execute("SELECT count(*) FROM message WHERE from_patient").fetchone()[0]
    # One snapshot: the first reply and the writer's up to the snapshot (one may have been
    # committed before its progress line), none of the two made while the backup held it;
    # each of the writer's replies with its one file.
    assert 1 + before <= replies <= 2 + at_snapshot and len(rows) == replies + 1
    for key, sha in rows:
        assert _sha(restored / "files" / key) == sha, key
    # The access log's chain holds on the copy.
    out = _cli(["audit", "verify"], cfg2, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Loggkedjan är obruten" in out.stdout
    # And the app starts on it: the nurse's inbox shows the case.
    _app_starts_on(restored, cfg2, tmp_path, number)


def _app_starts_on(data: Path, cfg: Path, tmp_path: Path, number: int) -> None:
    from tests.pty_harness import PtyApp, app_env

    with sqlite3.connect(data / "tui_app.sqlite") as conn:  # the test's own login is Dan's
        conn.execute("UPDATE staff SET login = ? WHERE login = 'danan12'", (ME,))
    env = app_env(tmp_path, TUI_APP_CONFIG=str(cfg))
    app = PtyApp(["run"], env)
    try:
        app.read_until(b"Avsluta")  # the inbox's footer
        app.read_until(str(number).encode())
        app.send(b"q")
        assert app.wait() == 0, app.out[-600:]
    finally:
        app.close()


@pytest.mark.parametrize("point", ["backup.database_copied", "backup.files_copied"])
def test_a_backup_killed_half_way_leaves_nothing_restore_accepts(
    tmp_path: Path, point: str
) -> None:
    data, _ = _live_data(tmp_path)
    cfg = _config(tmp_path / "live.toml", data)
    backup = tmp_path / "natt"
    out = _cli(["backup", str(backup)], cfg, tmp_path, TUI_APP_KILLPOINT=point)
    assert out.returncode == -signal.SIGKILL, (out.returncode, out.stderr)
    assert not backup.exists()
    partial = [p for p in tmp_path.iterdir() if p.name.startswith(".natt.partial-")]
    assert len(partial) == 1 and stat.S_IMODE(partial[0].stat().st_mode) == 0o700
    target = _config(tmp_path / "copy.toml", tmp_path / "restored")
    for candidate in (backup, partial[0]):
        out = _cli(["restore", str(candidate)], target, tmp_path)
        assert out.returncode == 1 and "Traceback" not in out.stderr
        assert "finns inte" in out.stderr or "ingen fullständig säkerhetskopia" in out.stderr
    assert not (tmp_path / "restored").exists()
    # The next backup (the next night's name) succeeds and clears what the killed one left.
    out = _cli(["backup", str(tmp_path / "natt-2")], cfg, tmp_path)
    assert out.returncode == 0, out.stderr
    assert not partial[0].exists() and not backup.exists()
    _check_manifest(tmp_path / "natt-2")


def _backup(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    data, _ = _live_data(tmp_path)
    backup = tmp_path / "bk"
    out = _cli(["backup", str(backup)], _config(tmp_path / "live.toml", data), tmp_path)
    assert out.returncode == 0, out.stderr
    return backup, json.loads((backup / "MANIFEST.json").read_text())


def test_restore_refuses_a_damaged_backup_naming_the_file(tmp_path: Path) -> None:
    backup, manifest = _backup(tmp_path)
    received = sorted(k for k in manifest["files"] if k.startswith("files/") and "STORE" not in k)
    victim = backup / received[0]
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    victim.write_bytes(bytes(raw))
    target = _config(tmp_path / "copy.toml", tmp_path / "restored")
    out = _cli(["restore", str(backup)], target, tmp_path)
    assert out.returncode == 1
    assert f"{received[0]} stämmer inte med sin kontrollsumma" in out.stderr
    assert "Inget återställdes" in out.stderr and not (tmp_path / "restored").exists()
    # A file gone is named too, and so is the database.
    victim.unlink()
    out = _cli(["restore", str(backup)], target, tmp_path)
    assert out.returncode == 1 and f"{received[0]} saknas" in out.stderr
    (backup / "database.sqlite").write_bytes(b"SQLite format 3\x00 but not really")
    out = _cli(["restore", str(backup)], target, tmp_path)
    assert out.returncode == 1 and "database.sqlite" in out.stderr
    (backup / "MANIFEST.json").write_text('{"format": 1, "files": ')
    out = _cli(["restore", str(backup)], target, tmp_path)
    assert out.returncode == 1 and "MANIFEST.json är skadad" in out.stderr
    assert not (tmp_path / "restored").exists()


def test_restore_fills_only_an_empty_data_directory(tmp_path: Path) -> None:
    backup, _ = _backup(tmp_path)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "annat.txt").write_text("något som redan finns")
    out = _cli(["restore", str(backup)], _config(tmp_path / "copy.toml", busy), tmp_path)
    assert out.returncode == 1
    assert "är inte tom" in out.stderr and "inget skrivs över" in out.stderr
    assert sorted(p.name for p in busy.iterdir()) == ["annat.txt"]
    # An empty folder the operator made beforehand is fine.
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o700)
    out = _cli(["restore", str(backup)], _config(tmp_path / "copy2.toml", empty), tmp_path)
    assert out.returncode == 0, out.stderr
    assert (empty / "tui_app.sqlite").is_file()
    # A deployment with group_access gets its group modes, as if the app had made the files.
    shared = tmp_path / "shared"
    cfg = _config(tmp_path / "group.toml", shared)
    cfg.write_text(cfg.read_text() + "group_access = true\n")
    out = _cli(["restore", str(backup)], cfg, tmp_path)
    assert out.returncode == 0, out.stderr
    for p in [shared, *shared.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o770 if p.is_dir() else 0o660), (p, oct(mode))


def test_backup_never_overwrites_an_existing_folder(tmp_path: Path) -> None:
    data, _ = _live_data(tmp_path)
    backup = tmp_path / "bk"
    backup.mkdir()
    out = _cli(["backup", str(backup)], _config(tmp_path / "live.toml", data), tmp_path)
    assert out.returncode == 1 and "finns redan" in out.stderr
    assert list(backup.iterdir()) == []


def test_backup_and_restore_with_postgresql(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """pg_dump of one snapshot and pg_restore into a new, empty database."""
    from tests import pg

    if not pg.enabled():
        pytest.skip("PostgreSQL: runs in the PostgreSQL half of tests/engines.py")
    from sqlalchemy.engine import make_url

    from tui_app.services.context import close_context, open_context

    url = pg.fresh_database(request)
    empty_name = f"r_{os.urandom(6).hex()}"
    pg._admin(f'CREATE DATABASE "{empty_name}"')
    empty = make_url(url).set(database=empty_name).render_as_string(hide_password=False)
    try:
        data = tmp_path / "data"
        ctx = open_context(url, data)
        number, _, _ = case_with_files(ctx)
        close_context(ctx)
        backup = tmp_path / "bk"
        out = _cli(["backup", str(backup)], _config(tmp_path / "live.toml", data, url), tmp_path)
        assert out.returncode == 0, out.stderr
        manifest = _check_manifest(backup)
        assert manifest["engine"] == "postgresql" and "database.dump" in manifest["files"]
        restored = tmp_path / "restored"
        cfg2 = _config(tmp_path / "copy.toml", restored, empty)
        out = _cli(["restore", str(backup)], cfg2, tmp_path)
        assert out.returncode == 0, out.stderr
        # Restoring twice into the same database is refused: it is no longer empty.
        again = _config(tmp_path / "again.toml", tmp_path / "other", empty)
        out = _cli(["restore", str(backup)], again, tmp_path)
        assert out.returncode == 1 and "inte tom" in out.stderr
        from sqlalchemy import create_engine, text

        engine = create_engine(empty)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT storage_key, sha256_stored FROM attachment WHERE case_id = :n"),
                    {"n": number},
                ).all()
        finally:
            engine.dispose()
        assert len(rows) == 2
        # With PostgreSQL the files are rows of the database (file_store auto): pg_dump carried
        # them, and the restored database gives each one back with its checksum.
        from tui_app.services.files import stored_path

        copy = open_context(empty, restored)
        try:
            for key, sha in rows:
                assert _sha(stored_path(copy, key)) == sha
        finally:
            close_context(copy)
        out = _cli(["audit", "verify"], cfg2, tmp_path)
        assert out.returncode == 0 and "Loggkedjan är obruten" in out.stdout, out.stdout
    finally:
        pg.drop_database(empty)
        pg.drop_database(url)


def test_a_copy_still_being_made_is_never_taken_for_a_stale_one(tmp_path: Path) -> None:
    from tui_app.ops import backup as ops_backup

    busy, stale = tmp_path / ".a.partial-1", tmp_path / ".b.partial-2"
    busy.mkdir()
    stale.mkdir()
    fd = ops_backup._lock(busy)  # as a backup running in another process holds it
    try:
        ops_backup._remove_stale_partials(tmp_path)
        assert busy.exists() and not stale.exists()
    finally:
        os.close(fd)


DEPLOY = ROOT / "deploy" / "systemd"


def _render(unit: Path, prefix: Path) -> str:
    text = unit.read_text(encoding="utf-8")
    for key, value in {
        "@PREFIX@": str(prefix),
        "@SERVICE@": "tui_app",
        "@CONFIG@": "/etc/tui_app/config.toml",
        "@DATA@": "/var/lib/tui_app",
    }.items():
        text = text.replace(key, value)
    return text


def test_backup_units_pass_systemd_analyze_and_run_a_dated_backup(tmp_path: Path) -> None:
    import shlex
    import shutil

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("systemd-analyze is missing under CI")
        pytest.skip("systemd-analyze is not installed")
    prefix = tmp_path / "opt"
    (prefix / "bin").mkdir(parents=True)
    fake = prefix / "bin" / "tui-app"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path / "argv"}\n')
    fake.chmod(0o755)
    names = ["tui-app-backup.service", "tui-app-backup.timer"]
    for name in names:
        (tmp_path / name).write_text(_render(DEPLOY / name, prefix), encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", *names], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr
    service = (tmp_path / names[0]).read_text()
    assert "UMask=0077" in service and "StateDirectoryMode=0700" in service
    assert "OnCalendar=*-*-* 02:30:00" in (tmp_path / names[1]).read_text()
    # The command systemd runs (after its own unescaping of $$ and %%) makes a dated folder name.
    line = next(ln for ln in service.splitlines() if ln.startswith("ExecStart="))
    argv = shlex.split(line.removeprefix("ExecStart=").replace("$$", "$").replace("%%", "%"))
    assert argv[:2] == ["/bin/sh", "-c"]
    state = tmp_path / "state-dir"
    run = subprocess.run(
        argv, env={"PATH": "/usr/bin:/bin", "STATE_DIRECTORY": str(state)}, timeout=60
    )
    assert run.returncode == 0
    args = (tmp_path / "argv").read_text().splitlines()
    assert args[:3] == ["--config", "/etc/tui_app/config.toml", "backup"]
    import re

    assert re.fullmatch(rf"{re.escape(str(state))}/20\d\d-\d\d-\d\dT\d{{4}}", args[3]), args
