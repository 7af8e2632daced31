"""Everything the app creates is owner-only (or owner-and-group where asked), whatever the
umask, and `tui-app` warns about looser modes it finds (issue 9 item 6; R24: patient data)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ANNA, DEMO, ROOT
from tests.test_cli import me_as
from tests.test_demo_dirs import (  # noqa: F401  (fixtures: home, and no app left running)
    PtyRun,
    _no_app_left_running,
    home,
    quit_demo,
)


def modes(top: Path) -> dict[str, int]:
    """Permission bits of top and everything under it, by relative path."""
    out = {".": stat.S_IMODE(os.lstat(top).st_mode)}
    for p in top.rglob("*"):
        out[str(p.relative_to(top))] = stat.S_IMODE(os.lstat(p).st_mode)
    return out


def loose(top: Path, dirs: int = 0o700, files: int = 0o600) -> dict[str, str]:
    bad = {}
    for name, bits in modes(top).items():
        want = dirs if (top / name).is_dir() else files
        if bits != want:
            bad[name] = f"{bits:04o}"
    return bad


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_app", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        umask=0o022,
    )


def test_r24_demo_creates_only_owner_only_files_under_umask_022(
    tmp_path: Path,
    home: dict[str, str],  # noqa: F811  (the imported fixture, by name)
) -> None:
    app = PtyRun(["demo"], home, umask=0o022)
    app.wait_for("Daniel Andersson")
    data = tmp_path / "data"
    [run] = list((data / "demo").glob("run-*"))
    names = set(modes(run))
    assert {"demo.sqlite", "demo.sqlite-wal", "demo.sqlite-shm", "files"} <= names
    assert any(n.endswith(".thumb.png") or n.startswith("files/") for n in names)
    assert loose(data) == {}, "while the demo runs, -wal and -shm included"
    quit_demo(app)


def test_r24_cli_database_and_log_extract_are_owner_only_under_umask_022(
    tmp_path: Path,
    home: dict[str, str],  # noqa: F811  (the imported fixture, by name)
) -> None:
    data = tmp_path / "data"
    assert cli(["load", str(me_as(tmp_path, is_admin=True))], home).returncode == 0
    assert cli(["load", str(DEMO)], home).returncode == 0
    target = tmp_path / "utdrag.csv"
    out = cli(["audit", "export", "--patient", ANNA, "--output", str(target)], home)
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "tui_app.sqlite" in modes(data)
    assert loose(data) == {}


def test_group_access_gives_the_group_and_nobody_else(tmp_path: Path, home: dict[str, str]) -> None:  # noqa: F811
    cfg = Path(home["TUI_APP_CONFIG"])
    cfg.write_text(cfg.read_text() + "group_access = true\n", encoding="utf-8")
    app = PtyRun(["demo"], home, umask=0o022)
    app.wait_for("Daniel Andersson")
    data = tmp_path / "data"
    [run] = list((data / "demo").glob("run-*"))
    got = modes(run)
    assert got["."] == 0o770
    for name in ("demo.sqlite", "demo.sqlite-wal", "demo.sqlite-shm"):
        assert got[name] == 0o660, name
    assert not [n for n, bits in modes(data).items() if bits & 0o007], "nothing for others"
    quit_demo(app)


def test_r24_start_warns_about_a_world_readable_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui_app.cli import _parser, permission_warning, start_app
    from tui_app.config import Settings
    from tui_app.core.errors import NotFound
    from tui_app.store import fsmode

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    db = data / "tui_app.sqlite"
    db.write_bytes(b"")
    db.chmod(0o644)
    settings = Settings(data_dir=data)
    fsmode.apply()
    try:
        line = permission_warning(settings)
        assert line is not None and "Varning" in line and str(db) in line and "0644" in line
        assert "\n" not in line
        with pytest.raises(NotFound):  # the test's login is no staff member; warned first
            start_app("run", _parser().parse_args(["run"]), settings)
        assert "Varning: andra användare kan komma åt patientdata" in capsys.readouterr().err
        data.chmod(0o700)
        for f in data.iterdir():  # SQLite gave -wal and -shm the database's (loose) mode
            f.chmod(0o600)
        assert permission_warning(settings) is None
    finally:
        os.umask(0o022)


def test_the_data_folder_and_database_are_made_exact_even_without_the_umask(tmp_path: Path) -> None:
    from tui_app.store import fsmode
    from tui_app.store.db import make_engine

    old = os.umask(0o022)  # as in a library use that never went through cli.main
    try:
        folder = fsmode.make_dir(tmp_path / "a" / "b")
        engine = make_engine(f"sqlite:///{folder / 'x.sqlite'}")
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x)")
            assert stat.S_IMODE((folder / "x.sqlite-wal").stat().st_mode) == 0o600
        engine.dispose()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "x.sqlite").stat().st_mode) == 0o600


def test_a_demo_built_as_a_library_is_owner_only_under_umask_022(tmp_path: Path) -> None:
    from tui_app.cli import make_demo_context

    old = os.umask(0o022)  # the bench and the tests build demos without cli.main
    try:
        make_demo_context(tmp_path / "lib" / "demo").engine.dispose()
    finally:
        os.umask(old)
    got = modes(tmp_path / "lib")
    assert not [n for n, bits in got.items() if bits & 0o007], "nothing for others"
    for name in (".", "demo", "demo/demo.sqlite", "demo/files", "demo/staging"):
        assert got[name] in (0o700, 0o600), name
