"""`tui-app migrate` and `tui-app check-db` for operators, and app servers that do not upgrade
the schema themselves (auto_migrate = false): on the engine the suite runs on."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pg


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the suite's engine."""
    if not pg.enabled():
        yield f"sqlite:///{tmp_path / 'data' / 'tui_app.sqlite'}"
        return
    name = f"o_{uuid.uuid4().hex[:16]}"
    pg._admin(f'CREATE DATABASE "{name}"')
    url = pg._with_db(os.environ["TUI_APP_TEST_PG"], name)
    yield url
    pg.drop_database(url)


@pytest.fixture
def policy() -> Iterator[None]:
    """auto_migrate = false for the test, the default again after it."""
    from tui_app.store.migrations import set_auto_migrate

    set_auto_migrate(False)
    yield
    set_auto_migrate(True)


def _config(tmp_path: Path, url: str, extra: str = "") -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\ndatabase_url = "{url}"\n{extra}')
    return cfg


def _cli(cfg: Path, *args: str) -> int:
    from tui_app.cli import main

    return main(["--config", str(cfg), *args])


def _at(url: str, revision: str) -> None:
    """Bring an empty database to an older revision, as an older version left it."""
    from alembic import command
    from alembic.config import Config

    import tui_app.store.db as db

    engine = db.make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()


def test_migrate_then_check_db(empty_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    cfg = _config(tmp_path, empty_url)
    (tmp_path / "data").mkdir()
    assert _cli(cfg, "check-db") == 1  # reachable, but no schema yet
    assert "inget schema än (tom databas): kör tui-app migrate" in capsys.readouterr().out
    assert _cli(cfg, "migrate") == 0
    from tui_app.store.migrations import HEAD_REVISION

    assert f"till version {HEAD_REVISION}" in capsys.readouterr().out
    assert _cli(cfg, "migrate") == 0
    assert "redan den senaste" in capsys.readouterr().out
    assert _cli(cfg, "check-db") == 0
    out = capsys.readouterr().out
    assert f"Schemat är aktuellt (version {HEAD_REVISION})" in out and "FEL" not in out


def test_check_db_cannot_reach_the_database(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    cfg = _config(tmp_path, f"sqlite:///{tmp_path / 'nowhere' / 'x.sqlite'}")
    assert _cli(cfg, "check-db") == 2
    assert "Databasen kan inte nås" in capsys.readouterr().out


def test_r11_check_db_finds_a_stored_file_missing(ctx, places, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from tests.handling_fixtures import case_with_files
    from tui_app.services.files import file_store
    from tui_app.store.models import Attachment

    case_with_files(ctx)
    url = ctx.engine.url.render_as_string(hide_password=False)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'data_dir = "{ctx.data_dir}"\ndatabase_url = "{url}"\n')
    assert _cli(cfg, "check-db") == 0
    assert "har alla 4 filer" in capsys.readouterr().out  # two files, two thumbnails
    with Session(ctx.engine) as s:
        key = s.exec(select(Attachment.storage_key)).first()
    assert key is not None
    file_store(ctx).delete(key)
    assert _cli(cfg, "check-db") == 1
    assert "1 av 4 lagrade filer saknas" in capsys.readouterr().out


def test_a_server_with_auto_migrate_off_refuses_an_older_schema(
    empty_url: str, tmp_path: Path, policy: None
) -> None:
    from tui_app.core.errors import UserError
    from tui_app.services.context import close_context, open_context

    (tmp_path / "data").mkdir(exist_ok=True)
    _at(empty_url, "0008")
    with pytest.raises(UserError) as refused:
        open_context(empty_url, tmp_path / "data")
    assert "auto_migrate = false" in refused.value.message
    assert "tui-app migrate" in refused.value.message
    from tui_app.store.db import current_revision, make_engine

    engine = make_engine(empty_url)
    assert current_revision(engine) == "0008"  # left as it was
    engine.dispose()
    assert _cli(_config(tmp_path, empty_url), "migrate") == 0
    close_context(open_context(empty_url, tmp_path / "data"))  # now it starts


def test_auto_migrate_false_in_the_settings_file_is_honoured(
    empty_url: str, tmp_path: Path
) -> None:
    from tui_app.config import load_settings

    cfg = _config(tmp_path, empty_url, "auto_migrate = false\n")
    assert load_settings(cfg).auto_migrate is False
    (tmp_path / "data").mkdir(exist_ok=True)
    _at(empty_url, "0008")
    try:
        assert _cli(cfg, "sweep") == 1  # refused with the Swedish line, nothing upgraded
    finally:
        from tui_app.store.migrations import set_auto_migrate

        set_auto_migrate(True)


@pytest.mark.skipif(not pg.enabled(), reason="the advisory lock is PostgreSQL's")
def test_a_server_started_during_an_upgrade_waits_for_it(
    empty_url: str, tmp_path: Path, policy: None
) -> None:
    """`tui-app migrate` holds the upgrade lock; a server starting meanwhile (auto_migrate
    off) waits, and starts once the upgrade has committed, instead of refusing."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    import tui_app.store.db as db
    from tui_app.services.context import close_context, open_context

    (tmp_path / "data").mkdir(exist_ok=True)
    _at(empty_url, "0008")
    migrator = db.make_engine(empty_url)
    watcher = db.make_engine(empty_url)
    outcome: list[object] = []

    def start_server() -> None:
        try:
            close_context(open_context(empty_url, tmp_path / "data"))
            outcome.append("started")
        except BaseException as exc:
            outcome.append(exc)

    try:
        with migrator.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(1177)"))
            server = threading.Thread(target=start_server)
            server.start()
            waiting = False
            for _ in range(1200):  # until the server waits on the lock (a minute at most)
                with watcher.connect() as w:
                    waiting = bool(
                        w.execute(
                            text(
                                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                "AND NOT granted"
                            )
                        ).scalar()
                    )
                if waiting or not server.is_alive():
                    break
                threading.Event().wait(0.05)
            assert waiting and outcome == []
            cfg = Config()
            cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        server.join(timeout=120)
        assert outcome == ["started"]
    finally:
        migrator.dispose()
        watcher.dispose()
