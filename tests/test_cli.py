"""The command line: identity from the OS login, sweep for cron, check's exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import DEMO, ROOT


def run(args: list[str], tmp_path: Path, user: str = "nobody-here") -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    env = {**os.environ, "TUI_APP_CONFIG": str(cfg), "USER": user, "LOGNAME": user}
    return subprocess.run([sys.executable, "-m", "tui_app", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120, stdin=subprocess.DEVNULL)


def test_unknown_os_login_is_refused_cleanly(tmp_path: Path) -> None:
    out = run([], tmp_path)
    assert out.returncode == 1
    assert "inte registrerad som personal" in out.stderr and "nobody-here" in out.stderr
    assert "Traceback" not in out.stderr


def test_load_then_sweep_from_cron(tmp_path: Path) -> None:
    out = run(["load", str(DEMO)], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "staff: 5" in out.stdout
    out = run(["sweep"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Avslutade automatiskt: 0" in out.stdout


def test_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("datadir = 'x'\n")
    env = {**os.environ, "TUI_APP_CONFIG": str(cfg)}
    out = subprocess.run([sys.executable, "-m", "tui_app", "sweep"], capture_output=True,
                         text=True, cwd=ROOT, env=env, timeout=60)
    assert out.returncode == 1 and "Okänd inställning" in out.stderr


def test_audit_verify_command(tmp_path: Path) -> None:
    run(["load", str(DEMO)], tmp_path)
    out = run(["audit", "verify"], tmp_path)
    assert out.returncode == 0 and "obruten" in out.stdout


def test_only_an_administrator_may_load_staff_once_there_is_one(tmp_path: Path) -> None:
    assert run(["load", str(DEMO)], tmp_path).returncode == 0  # empty database: first set-up
    out = run(["load", str(DEMO)], tmp_path, user="danan12")
    assert out.returncode == 1 and "Bara en administratör" in out.stderr
    assert run(["load", str(DEMO)], tmp_path, user="lenjo54").returncode == 0


def test_demo_data_dir_keeps_foreign_files(tmp_path: Path) -> None:
    from tui_app.cli import make_demo_context

    keep = tmp_path / "thesis.txt"
    keep.write_text("mitt arbete")
    make_demo_context(tmp_path).engine.dispose()
    make_demo_context(tmp_path).engine.dispose()  # a fresh demo again, in the same folder
    assert keep.read_text() == "mitt arbete"
