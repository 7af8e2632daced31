"""`tui-app doctor` (issue 16): one ✓/✗ line per check, in Swedish with what to do, and a
non-zero exit on any ✗. Every bad condition is made for real: wrong modes and owners, a
missing queue on a real CUPS, an old schema made by the migrations themselves."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT
from tui_app.config import Settings
from tui_app.ops import doctor
from tui_app.store.migrations import HEAD_REVISION


def _env(tmp_path: Path, cfg: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TUI_APP_CONFIG": str(cfg),
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    env.pop("CUPS_SERVER", None)
    return env


def _doctor(tmp_path: Path, cfg: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_app", "doctor"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(tmp_path, cfg, **extra),
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def _installed(tmp_path: Path) -> Path:
    """A data directory as the service account leaves it after `tui-app load`, and its config."""
    data = tmp_path / "data"
    earkiv = tmp_path / "earkiv"
    earkiv.mkdir()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = "{data}"\nearkiv_folder = "{earkiv}"\n', encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "tui_app", "load", str(DEMO)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(tmp_path, cfg),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return cfg


def _line(out: str, title: str) -> str:
    found = [ln for ln in out.splitlines() if ln[2:].startswith(f"{title}:")]
    assert len(found) == 1, (title, out)
    return found[0]


def test_doctor_on_a_ready_installation_is_all_ticks_and_exit_zero(tmp_path: Path) -> None:
    cfg = _installed(tmp_path)
    out = _doctor(tmp_path, cfg)
    assert out.returncode == 0, out.stdout + out.stderr
    for title in (
        "Inställningar",
        "Datamapp",
        "Databas",
        "Skrivare för E-arkiv",
        "Hämtade filer",
        "libmagic",
        "Typsnitt för försättsbladet",
    ):
        assert _line(out.stdout, title).startswith("✓ "), out.stdout
    assert f"schemaversion {HEAD_REVISION} (den senaste)" in out.stdout
    assert out.stdout.rstrip().endswith("Allt klart för personalen.")
    assert "\x1b" not in out.stdout  # plain text: nothing for NO_COLOR to strip
    # --data-dir, as every command that uses the data takes it.
    other = subprocess.run(
        [sys.executable, "-m", "tui_app", "doctor", "--data-dir", str(tmp_path / "annan")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(tmp_path, cfg),
        timeout=300,
    )
    assert other.returncode == 1
    assert f"{tmp_path / 'annan'} finns inte" in _line(other.stdout, "Datamapp")


def test_doctor_a_broken_config_is_a_cross_and_the_rest_waits(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('data_dir = "/x"\nskrivare = "E-arkiv"\n', encoding="utf-8")
    out = _doctor(tmp_path, cfg)
    assert out.returncode == 1
    line = _line(out.stdout, "Inställningar")
    assert line.startswith("✗ ") and "Okänd inställning ”skrivare”" in line
    assert "Rätta filen" in line
    assert _line(out.stdout, "Databas").startswith("✗ ")
    assert "rätta inställningarna först" in _line(out.stdout, "Databas")
    assert _line(out.stdout, "libmagic").startswith("✓ ")  # what needs no settings is checked
    assert "Traceback" not in out.stdout + out.stderr


def test_doctor_data_directory_modes_and_owner(tmp_path: Path) -> None:
    cfg = _installed(tmp_path)
    data = tmp_path / "data"
    db = data / "tui_app.sqlite"
    os.chmod(data, 0o755)
    os.chmod(db, 0o644)
    out = _doctor(tmp_path, cfg)
    assert out.returncode == 1
    line = _line(out.stdout, "Datamapp")
    assert line.startswith("✗ ") and "andra kan läsa eller skriva 2" in line, line
    assert f"{data} (0755)" in line and f"{db} (0644)" in line and "chmod 700" in line
    # Doctor's own read leaves no -wal/-shm others could read (SQLite copies the db's mode).
    for side in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) == 0o600, side
    os.chmod(data, 0o700)
    os.chmod(db, 0o600)
    assert _line(_doctor(tmp_path, cfg).stdout, "Datamapp").startswith("✓ ")
    if os.geteuid() != 0:
        return  # only root can give a file away
    received = data / "files" / "ab"
    received.mkdir(mode=0o700)
    (received / "x.jpg").write_bytes(b"\xff\xd8")
    os.chmod(received / "x.jpg", 0o600)
    os.chown(received / "x.jpg", 65534, 65534)
    line = _line(_doctor(tmp_path, cfg).stdout, "Datamapp")
    assert line.startswith("✗ ") and "1 ägs inte av kontot som kör appen" in line, line
    assert "x.jpg" in line and "chown -R" in line


def test_doctor_data_directory_missing(tmp_path: Path) -> None:
    line = doctor.check_data_dir(Settings(data_dir=tmp_path / "nowhere")).line
    assert line.startswith("✗ ") and "finns inte" in line and "install -d -m 700" in line


def test_doctor_database_at_head_old_newer_and_unreachable(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    import tui_app.store.db as store_db

    data = tmp_path / "data"
    data.mkdir()
    # An old schema, as an older version of the app left it: migrated to 0005 and no further.
    engine = create_engine(f"sqlite:///{data / 'tui_app.sqlite'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(store_db.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    settings = Settings(data_dir=data)
    line = doctor.check_database(settings).line
    assert (
        line.startswith("✗ ")
        and f"schemaversion 0005, den här versionen behöver {HEAD_REVISION}" in line
    )
    assert "tui-app backup" in line and "tui-app migrate" in line, line
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    line = doctor.check_database(settings).line
    assert line.startswith("✓ ") and f"schemaversion {HEAD_REVISION}" in line
    # A newer version's database.
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    line = doctor.check_database(settings).line
    assert line.startswith("✗ ") and "”0099”" in line and "Uppdatera tui_app" in line
    # No database file, and a PostgreSQL server that is not there.
    line = doctor.check_database(Settings(data_dir=tmp_path / "empty")).line
    assert line.startswith("✗ ") and "finns inte" in line and "tui-app load" in line
    nothing = tmp_path / "no-pg"
    nothing.mkdir()
    url = f"postgresql+psycopg://postgres@/postgres?host={nothing}"
    pytest.importorskip("psycopg")
    line = doctor.check_database(Settings(data_dir=data, database_url=url)).line
    assert line.startswith("✗ ") and "går inte att nå" in line and "databasservern" in line


def test_doctor_database_driver_missing(tmp_path: Path) -> None:
    """A URL for a database whose driver is not installed here (no MySQL driver is)."""
    url = "mysql://tui_app@localhost/tui_app"
    line = doctor.check_database(Settings(data_dir=tmp_path, database_url=url)).line
    assert line.startswith("✗ ") and "saknar drivrutinen" in line and "database_url" in line


def test_doctor_database_check_changes_nothing(tmp_path: Path) -> None:
    """Doctor reads only: it never creates the database file it looks for."""
    doctor.check_database(Settings(data_dir=tmp_path))
    assert not (tmp_path / "tui_app.sqlite").exists()


def test_doctor_libmagic_missing(tmp_path: Path) -> None:
    """python-magic as it behaves on a server without libmagic: its import fails with this
    ImportError (magic/loader.py); the stub package stands in for the missing library."""
    stub = tmp_path / "stub" / "magic"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text(
        "raise ImportError('failed to find libmagic.  Check your installation')\n"
    )
    cfg = _installed(tmp_path)
    out = _doctor(tmp_path, cfg, PYTHONPATH=f"{stub.parent}{os.pathsep}{ROOT}")
    assert out.returncode == 1
    line = _line(out.stdout, "libmagic")
    assert line.startswith("✗ ") and "apt-get install libmagic1" in line, out.stdout


def test_doctor_fonts_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tui_app.adapters import coversheet

    assert doctor.check_fonts().status == "ok"
    empty = tmp_path / "fonts"
    empty.mkdir()
    monkeypatch.setattr(coversheet, "_FONT_DIRS", (str(empty),))
    line = doctor.check_fonts().line
    assert line.startswith("✗ ") and "fonts-dejavu-core" in line


def test_doctor_downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    # The user's own Downloads, not made yet: the app makes it on the first download.
    line = doctor.check_downloads(Settings(data_dir=tmp_path)).line
    assert line.startswith("✓ ") and "skapas vid första nedladdningen" in line
    ok = tmp_path / "dl"
    ok.mkdir()
    line = doctor.check_downloads(Settings(data_dir=tmp_path, download_dir=ok)).line
    assert line.startswith("✓ ") and "går att skriva i" in line
    assert list(ok.iterdir()) == []  # the probe file is gone again
    gone = tmp_path / "gone"
    line = doctor.check_downloads(Settings(data_dir=tmp_path, download_dir=gone)).line
    assert line.startswith("✗ ") and "finns inte" in line and "download_dir" in line
    a_file = tmp_path / "fil"
    a_file.write_text("x")
    line = doctor.check_downloads(Settings(data_dir=tmp_path, download_dir=a_file)).line
    assert line.startswith("✗ ") and "inte en mapp" in line
    if os.geteuid() != 0:  # root writes anywhere: the mode cannot stop it
        os.chmod(ok, 0o500)
        line = doctor.check_downloads(Settings(data_dir=tmp_path, download_dir=ok)).line
        assert line.startswith("✗ ") and "går inte att skriva i" in line


def test_doctor_tesseract_is_optional(tmp_path: Path) -> None:
    cfg = _installed(tmp_path)
    out = _doctor(tmp_path, cfg, TUI_APP_OCR="off")
    line = _line(out.stdout, "Tesseract (valfritt)")
    assert line.startswith("– ") and "apt-get install tesseract-ocr" in line
    assert out.returncode == 0, out.stdout  # optional: its absence is no failure
    if doctor.check_tesseract().status == "ok":
        assert "med svenska" in doctor.check_tesseract().line


def test_doctor_printer_queue_on_a_real_cups(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests import cupsd

    with cupsd.running() as cups:
        monkeypatch.setenv("CUPS_SERVER", cups.server)
        line = doctor.check_printer(Settings(data_dir=tmp_path, earkiv_printer=cups.queue)).line
        assert line.startswith("✓ ") and "svarar och tar emot jobb" in line, line
        line = doctor.check_printer(Settings(data_dir=tmp_path, earkiv_printer="finns_inte")).line
        assert line.startswith("✗ ") and "kön finns inte på skrivarservern" in line, line
        assert "lpstat -p" in line
        assert cups.lp("cupsdisable", cups.queue).returncode == 0
        line = doctor.check_printer(Settings(data_dir=tmp_path, earkiv_printer=cups.queue)).line
        assert line.startswith("✗ ") and f"cupsenable {cups.queue}" in line, line
        assert cups.lp("cupsenable", cups.queue).returncode == 0
        assert cups.lp("cupsreject", cups.queue).returncode == 0
        line = doctor.check_printer(Settings(data_dir=tmp_path, earkiv_printer=cups.queue)).line
        assert line.startswith("✗ ") and f"cupsaccept {cups.queue}" in line, line
        server = cups.server
    # The scheduler gone: the same queue cannot be reached.
    monkeypatch.setenv("CUPS_SERVER", server)
    line = doctor.check_printer(Settings(data_dir=tmp_path, earkiv_printer="tuiapp_x")).line
    assert line.startswith("✗ ") and "går inte att nå" in line, line
    assert "skrivarservern (CUPS) svarar inte" in line, line


def test_doctor_printer_not_configured_or_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = doctor.check_printer(Settings(data_dir=tmp_path)).line
    assert line.startswith("✗ ") and "earkiv_printer" in line and "earkiv_folder" in line
    line = doctor.check_printer(Settings(data_dir=tmp_path, earkiv_folder=tmp_path / "x")).line
    assert line.startswith("✗ ") and "finns inte" in line
    line = doctor.check_printer(Settings(data_dir=tmp_path, earkiv_folder=tmp_path)).line
    assert line.startswith("✓ ") and "sparas i" in line
    monkeypatch.setenv("PATH", str(tmp_path))  # a server without the CUPS client programs
    line = doctor.check_printer(Settings(data_dir=tmp_path, earkiv_printer="E-arkiv")).line
    assert line.startswith("✗ ") and "lpstat finns inte" in line


def test_doctor_help_is_swedish(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tui_app", "doctor", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(tmp_path, tmp_path / "none.toml"),
        timeout=120,
    )
    assert out.returncode == 0 and "användning:" in out.stdout and "flaggor" in out.stdout


def test_doctor_run_as_the_wrong_account_says_which_to_use(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give the data directory to another account")
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    os.chown(data, 65534, 65534)
    settings = Settings(data_dir=data, service_account="tui_app")
    line = doctor.check_data_dir(settings).line
    assert line.startswith("✗ ") and "sudo -u tui_app tui-app doctor" in line, line
    assert "chown" not in line  # the data is right; the account running doctor is not
