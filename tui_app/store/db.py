"""The engine and sessions; schema upgrades through Alembic on start."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Every use case needs the tables, and so SQLAlchemy, pydantic and SQLModel. Importing them
# and mapping the tables creates ~100k objects that live as long as the process; the cyclic
# collector would walk them over and over while they are being created (~65 ms of every
# start). So that import runs here, once, with the collector paused, and what exists then is
# frozen: later collections skip it. (It leaves ~600 small unreachable objects, ~0.2 MB,
# uncollected for good; gc.collect() first would cost more than the pause saves.)
_collecting = gc.isenabled()
gc.disable()
try:
    import tui_app.store.models  # noqa: F401
finally:
    gc.freeze()
    if _collecting:
        gc.enable()

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from tui_app.store.migrations import HEAD_REVISION

BUSY_TIMEOUT_MS = 5000


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        _create_private(url)
        engine = create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, say when a transaction begins (see _begin).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Writers take the write lock at the start, so two sessions never read the same state
            # and then both write (a WAL snapshot cannot be upgraded; the busy timeout applies).
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _create_private(url: str) -> None:
    """Create a new SQLite file with the app's file mode (0600, or 0660 with group_access)
    before SQLite does: SQLite gives its -wal and -shm files the database file's mode."""
    from tui_app.store import fsmode
    from tui_app.store.quick import sqlite_path

    path = sqlite_path(url)
    if path is not None and path.parent.is_dir():
        fsmode.create_file(path)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except Exception:
            return None
    return row[0] if row else None


def upgrade(engine: Engine) -> bool:
    """Bring the schema to the newest revision; return True when anything was done. A schema
    this version does not know (a newer version's, or a foreign one) is a clear UserError and
    the database is left as it is."""
    at = current_revision(engine)
    if at == HEAD_REVISION:
        return False  # the common case: no Alembic import on start
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    if at is not None and not _known(ScriptDirectory.from_config(cfg), at):
        from tui_app.core.errors import UserError
        from tui_app.core.safetext import visible_text

        raise UserError(
            f"Databasen har schemaversion ”{visible_text(at, max_len=40)}”, som den här "
            f"versionen av tui_app inte känner till (den senaste den känner till är "
            f"{HEAD_REVISION}); den är troligen skapad av en nyare version. Databasen har inte "
            "ändrats. Uppdatera tui_app, eller kontrollera database_url/data_dir.")
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # two servers starting at once upgrade one at a time
            conn.execute(text("SELECT pg_advisory_xact_lock(1177)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return True


def _known(script: Any, revision: str) -> bool:
    """True when the migrations hold this revision."""
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic's ResolutionError/CommandError for an unknown id
        return False


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A short session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
