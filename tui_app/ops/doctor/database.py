"""The doctor's database check: it answers, and its schema is this version's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.ops.doctor.report import Check, _show

if TYPE_CHECKING:
    from tui_app.config import Settings


def check_database(settings: Settings) -> Check:
    """The database answers, and its schema is the one this version needs (HEAD_REVISION)."""
    from sqlalchemy import create_engine

    from tui_app.store.db import current_revision
    from tui_app.store.quick import sqlite_path

    title = "Databas"
    url = settings.url
    db = sqlite_path(url)
    if db is not None:
        if not db.is_file():
            return Check(
                title,
                "fail",
                f"{_show(db)} finns inte. Läs in enheter och personal med tui-app load FIL "
                "(då skapas den), eller kontrollera data_dir/database_url.",
            )
        url = f"sqlite:///file:{db}?mode=ro&uri=true"  # read only: doctor changes nothing
        where = _show(db)
    else:
        from sqlalchemy.engine import make_url

        where = _show(make_url(url).render_as_string(hide_password=True))
    # SQLite makes -wal/-shm beside a WAL database on first open, with the database file's
    # mode: what doctor itself made is given the app's file mode after (see finally).
    made = [p for p in _sidecars(db) if not os.path.lexists(p)]
    engine = None
    try:
        engine = create_engine(url)  # a missing driver (psycopg) fails here
        with engine.connect():
            pass
        at = current_revision(engine)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the verdict
        return _unreachable(title, where, exc)
    finally:
        if engine is not None:
            engine.dispose()
        _private_sidecars(made, settings)
    return _schema_verdict(title, where, at)


def _unreachable(title: str, where: str, exc: Exception) -> Check:
    """The verdict when the database cannot be opened: a missing driver, or no answer."""
    from sqlalchemy.exc import NoSuchModuleError

    from tui_app.services.errors import explain

    if isinstance(exc, (ImportError, NoSuchModuleError)):
        return Check(
            title,
            "fail",
            f"{where}: programmet saknar drivrutinen för den databasen ({_show(exc)}). "
            "PostgreSQL behöver tillägget postgres (pip install 'tui_app[postgres]'); "
            "kontrollera annars database_url.",
        )

    return Check(
        title,
        "fail",
        f"{where} går inte att nå: {explain(exc)} Kontrollera database_url och att "
        "databasservern är igång.",
    )


def _schema_verdict(title: str, where: str, at: str | None) -> Check:
    """The verdict on the schema version the database is at (None: an empty database)."""
    from tui_app.store.migrations import HEAD_REVISION

    if at is None:
        return Check(
            title, "fail", f"{where} är tom. Läs in enheter och personal med tui-app load FIL."
        )
    if at == HEAD_REVISION:
        return Check(title, "ok", f"{where} svarar, schemaversion {at} (den senaste).")
    if at.isdigit() and HEAD_REVISION.isdigit() and int(at) < int(HEAD_REVISION):
        return Check(
            title,
            "fail",
            f"{where} har schemaversion {at}, den här versionen behöver {HEAD_REVISION}. "
            "Ta en säkerhetskopia (tui-app backup MAPP) och uppgradera sedan schemat med "
            "tui-app migrate.",
        )
    return Check(
        title,
        "fail",
        f"{where} har schemaversion ”{_show(at)}”, som den här versionen inte känner till "
        f"(den senaste den känner till är {HEAD_REVISION}). Uppdatera tui_app eller "
        "kontrollera database_url.",
    )


def _sidecars(db: Path | None) -> list[Path]:
    return [] if db is None else [Path(f"{db}-wal"), Path(f"{db}-shm")]


def _private_sidecars(paths: list[Path], settings: Settings) -> None:
    from tui_app.store import fsmode

    mode = (fsmode.GROUP if settings.group_access else fsmode.PRIVATE).file
    for p in paths:
        try:
            if not os.path.islink(p):
                os.chmod(p, mode)
        except FileNotFoundError:
            pass
