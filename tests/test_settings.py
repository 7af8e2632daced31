"""Strict settings: a wrong value is one clear Swedish message naming the setting and the file,
and the app does not start half-way; an unknown schema is refused clearly (issue 10 item 13)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT

BAD = [
    ("data_dir = 5", "data_dir"),
    ('data_dir = ""', "data_dir"),
    ('data_dir = "relativ/mapp"', "data_dir"),
    ('keys = "x"', "keys"),
    ("keys = { new_case = 5 }", "keys"),
    ("download_dir = true", "download_dir"),
    ("earkiv_printer = 5", "earkiv_printer"),
    ('earkiv_printer = "skanning 1"', "earkiv_printer"),  # lp would refuse it at the first print
    ('earkiv_printer = "-o evil"', "earkiv_printer"),
    ("earkiv_folder = [1]", "earkiv_folder"),
    ("picsara_import_dir = 1.5", "picsara_import_dir"),
    ("database_url = 5", "database_url"),
    ('database_url = "tui_app.sqlite"', "database_url"),
    ('graphics = "färg"', "graphics"),
    ('group_access = "ja"', "group_access"),
    ("service_account = 0", "service_account"),
]


def sweep(cfg: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TUI_APP_CONFIG": str(cfg)}
    return subprocess.run(
        [sys.executable, "-m", "tui_app", "sweep"],
        capture_output=True,
        text=True,
        cwd=cfg.parent,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(("line", "setting"), BAD)
def test_a_wrongly_typed_setting_names_itself_and_the_file(
    tmp_path: Path, line: str, setting: str
) -> None:
    from tui_app.config import load_settings
    from tui_app.core.errors import UserError

    cfg = tmp_path / "config.toml"
    cfg.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(UserError) as err:
        load_settings(cfg)
    assert f"Inställningen {setting} i {cfg}" in err.value.message


def test_the_cli_refuses_a_bad_setting_before_creating_anything(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = 5\ndownload_dir = "{tmp_path / "dl"}"\n', encoding="utf-8")
    out = sweep(cfg)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and "data_dir" in out.stderr and str(cfg) in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]  # no ./5/


def test_a_config_file_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_bytes('earkiv_printer = "skanning-skövde"\n'.encode("latin-1"))
    out = sweep(cfg)
    assert out.returncode == 1 and "UTF-8" in out.stderr and str(cfg) in out.stderr
    assert "Traceback" not in out.stderr


def test_data_dir_pointing_at_a_file_is_a_clear_error(tmp_path: Path) -> None:
    a_file = tmp_path / "data"
    a_file.write_text("inte en mapp")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = "{a_file}"\n', encoding="utf-8")
    out = sweep(cfg)
    assert out.returncode == 1 and "data_dir" in out.stderr and "inte är en mapp" in out.stderr
    assert "Traceback" not in out.stderr and a_file.read_text() == "inte en mapp"


def test_good_settings_are_read_with_their_types(tmp_path: Path) -> None:
    from tui_app.config import load_settings

    cfg = tmp_path / "config.toml"
    cfg.write_text(
        'data_dir = "~/tui"\nearkiv_printer = "skanning-1"\ngroup_access = true\n'
        '[keys]\nnew_case = "f2"\n',
        encoding="utf-8",
    )
    s = load_settings(cfg)
    assert s.data_dir == Path("~/tui").expanduser() and s.earkiv_printer == "skanning-1"
    assert s.group_access is True and s.keys == {"new_case": "f2"}


def test_config_import_stays_light() -> None:
    code = (
        "import sys, tui_app.config as c; c.load_settings(None);"
        "print([m for m in ('pydantic', 'sqlalchemy', 'tomllib', 'platformdirs')"
        " if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "TUI_APP_CONFIG": ""},
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "pydantic" not in out.stdout and "sqlalchemy" not in out.stdout


def dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


@pytest.mark.parametrize("revision", ["0099", "f00dface"])
def test_a_schema_newer_than_the_code_is_refused_clearly(tmp_path: Path, revision: str) -> None:
    data = tmp_path / "data"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = "{data}"\n', encoding="utf-8")
    env = {**os.environ, "TUI_APP_CONFIG": str(cfg)}
    load = subprocess.run(
        [sys.executable, "-m", "tui_app", "load", str(DEMO)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert load.returncode == 0, load.stderr
    db = data / "tui_app.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    before = dump(db)
    out = sweep(cfg)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"schemaversion ”{revision}”" in out.stderr and "inte ändrats" in out.stderr
    assert dump(db) == before


def test_upgrade_refuses_an_unknown_revision_without_touching_it(tmp_path: Path) -> None:
    from tui_app.core.errors import UserError
    from tui_app.store.db import current_revision, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(UserError, match="nyare version"):
        upgrade(engine)
    assert current_revision(engine) == "0099"
    engine.dispose()
