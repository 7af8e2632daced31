"""Migrations on both engines: up from empty, down to base, up again, and no drift from the
models (on SQLite always; on PostgreSQL when the suite runs against a server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the engine the suite runs on."""
    from tests import pg

    if not pg.enabled():
        yield f"sqlite:///{tmp_path / 'm.sqlite'}"
        return
    import uuid

    name = f"m_{uuid.uuid4().hex[:16]}"
    pg._admin(f'CREATE DATABASE "{name}"')
    url = pg._with_db(__import__("os").environ["TUI_APP_TEST_PG"], name)
    yield url
    pg.drop_database(url)


def _alembic(engine, target: str, down: bool = False) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from alembic.config import Config

    import tui_app.store.db as db

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def _drift(engine) -> list[object]:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import tui_app.store.models  # noqa: F401
    from tui_app.store.migrations import include_name

    with engine.connect() as conn:
        return list(
            compare_metadata(
                MigrationContext.configure(conn, opts={"include_name": include_name}),
                SQLModel.metadata,
            )
        )


def _tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrations_up_down_up_without_drift(empty_url: str) -> None:
    from tui_app.store.db import current_revision, make_engine, upgrade
    from tui_app.store.migrations import HEAD_REVISION

    engine = make_engine(empty_url)
    try:
        assert upgrade(engine) is True
        assert current_revision(engine) == HEAD_REVISION
        assert _drift(engine) == []
        _alembic(engine, "base", down=True)
        assert _tables(engine) == set()
        assert current_revision(engine) is None
        assert upgrade(engine) is True
        assert current_revision(engine) == HEAD_REVISION
        assert _drift(engine) == []
    finally:
        engine.dispose()
