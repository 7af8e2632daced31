"""The writers' gate file `<db>-writers` (store/writegate.py) is one of the database's files:
the demo removes it with the rest, doctor and the start-up warning check its mode, a backup
does not copy it and a restore is not refused for one left behind."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tests.test_backup import _backup, _cli, _config
from tui_app.config import Settings
from tui_app.services import demodir


def _private_data(tmp_path: Path) -> tuple[Path, Path, Path]:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    db = data / "tui_app.sqlite"
    sqlite3.connect(db).close()
    os.chmod(db, 0o600)
    gate = Path(f"{db}-writers")
    gate.touch(mode=0o600)
    os.chmod(gate, 0o644)  # readable by others: what the checks must see
    return data, db, gate


def test_a_fresh_demo_removes_the_old_demos_writers_gate(tmp_path: Path) -> None:
    assert "demo.sqlite-writers" in demodir.OWN
    (tmp_path / "demo.sqlite").write_bytes(b"")
    (tmp_path / "demo.sqlite-writers").write_bytes(b"")
    (tmp_path / "mine.txt").write_text("stays")
    demodir._clear(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_doctor_checks_the_writers_gate_mode(tmp_path: Path) -> None:
    from tui_app.ops.doctor.files import check_data_dir

    data, _, gate = _private_data(tmp_path)
    check = check_data_dir(Settings(data_dir=data))
    assert check.status == "fail" and f"{gate} (0644)" in check.line, check.line
    os.chmod(gate, 0o600)
    assert check_data_dir(Settings(data_dir=data)).status == "ok"


def test_the_start_up_warning_names_a_loose_writers_gate(tmp_path: Path) -> None:
    from tui_app.commands.where import permission_warning

    data, _, gate = _private_data(tmp_path)
    warning = permission_warning(Settings(data_dir=data))
    assert warning is not None and f"{gate.name} (0644)" in warning, warning
    os.chmod(gate, 0o600)
    assert permission_warning(Settings(data_dir=data)) is None


def test_backup_skips_the_gate_and_restore_ignores_a_leftover_one(tmp_path: Path) -> None:
    backup, manifest = _backup(tmp_path)
    assert not [k for k in manifest["files"] if k.endswith("-writers")], manifest["files"]
    assert not list(backup.rglob("*-writers"))
    # The operator removed the database to restore it; the empty lock file stayed behind.
    target = tmp_path / "restored"
    target.mkdir(mode=0o700)
    (target / "tui_app.sqlite-writers").touch(mode=0o600)
    out = _cli(["restore", str(backup)], _config(tmp_path / "copy.toml", target), tmp_path)
    assert out.returncode == 0, out.stderr
    assert (target / "tui_app.sqlite").is_file()
