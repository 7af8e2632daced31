"""`tui-app restore DIR`: every file checked against the backup's manifest before anything is
written, then an empty data directory filled from it (SQLite file, or pg_restore into an empty
PostgreSQL database)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_app.core.errors import UserError
from tui_app.ops import layout

if TYPE_CHECKING:
    from tui_app.config import Settings


@dataclass(frozen=True)
class RestoreResult:
    """What a restore put back."""

    path: Path
    revision: str
    files: int


def restore_backup(src: Path, settings: Settings) -> RestoreResult:
    """Fill the empty data directory (and, for SQLite, the database file) from a backup."""
    from tui_app.store import fsmode

    manifest = read_manifest(src)
    verify(src, manifest)  # every file, before anything is written
    revision, engine = str(manifest["revision"]), str(manifest["engine"])
    db = _check_target(settings, revision, engine)
    data = settings.data_dir
    # The data directory gets the deployment's modes (0700/0600, or 0770/0660 with
    # group_access), as if the app had made it.
    modes = fsmode.apply(settings.group_access)
    fsmode.make_dir(data)
    for sub in ("files", "staging"):
        fsmode.make_dir(data / sub)
    keys = [k for k in manifest["files"] if k.startswith("files/")]
    for key in keys:
        dest = layout.inside(data, key)
        layout.make_parents(dest.parent, data, modes.dir)
        with open(layout.inside(src, key), "rb") as f:
            sha = manifest["files"][key]["sha256"]
            layout.copy_stream(f, dest, expect=sha, name=key, mode=modes.file)
    _put_database(src, manifest, settings, db, modes.file)
    return RestoreResult(src, revision, sum(k != "files/STORE_ID" for k in keys))


def _check_target(settings: Settings, revision: str, engine: str) -> Path | None:
    """Refuse a backup newer than this version, a data directory that is not empty, and a
    database that does not match the backup or is not empty; the SQLite file (None: PostgreSQL)."""
    from tui_app.store.migrations import HEAD_REVISION
    from tui_app.store.quick import sqlite_path

    if not (revision.isdigit() and int(revision) <= int(HEAD_REVISION)):
        raise UserError(
            f"Säkerhetskopian har schemaversion ”{layout.show(revision)}”, nyare än den här "
            f"versionen av tui_app ({HEAD_REVISION}). Uppdatera tui_app först."
        )
    data = settings.data_dir
    db = sqlite_path(settings.url)
    # An empty writers' gate (store/writegate.py) left beside a removed database holds nothing.
    gate = Path(f"{db}-writers") if db is not None else None
    if data.exists() and (not data.is_dir() or any(p != gate for p in data.iterdir())):
        raise UserError(
            f"Datamappen {layout.show(data)} är inte tom. Återställning fyller bara en tom "
            "datamapp, så inget skrivs över: flytta undan det som finns där, eller ange en ny "
            "med --data-dir."
        )
    if engine == "sqlite" and db is None:
        raise UserError(
            "Säkerhetskopian är av en SQLite-databas men database_url pekar på en annan sorts "
            "databas. Ta bort database_url eller återställ till en SQLite-installation."
        )
    if engine == "postgresql" and db is not None:
        raise UserError(
            "Säkerhetskopian är av en PostgreSQL-databas: ange database_url till en ny, tom "
            "PostgreSQL-databas i inställningarna och försök igen."
        )
    if db is not None and os.path.lexists(db):
        raise UserError(f"Databasfilen {layout.show(db)} finns redan och skrivs inte över.")
    if engine == "postgresql":
        _require_empty_pg(settings.url)
    return db


def _put_database(
    src: Path, manifest: dict[str, Any], settings: Settings, db: Path | None, mode: int
) -> None:
    """The database last (a restore cut short leaves no database): the SQLite file renamed
    into place, or pg_restore into the empty PostgreSQL database."""
    if db is not None:
        tmp = db.parent / f".{db.name}.restore-{uuid.uuid4().hex[:8]}"
        with open(layout.inside(src, layout.SQLITE_COPY), "rb") as f:
            sha = manifest["files"][layout.SQLITE_COPY]["sha256"]
            layout.copy_stream(f, tmp, expect=sha, name=layout.SQLITE_COPY, mode=mode)
        os.rename(tmp, db)  # the database last: a restore cut short leaves no database
        layout.fsync_dir(db.parent)
    else:
        conninfo, env = layout.pg_conninfo(settings.url)
        layout.run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "-d",
                conninfo,
                str(layout.inside(src, layout.PG_COPY)),
            ],
            env,
            "pg_restore",
        )


def read_manifest(src: Path) -> dict[str, Any]:
    """The backup's manifest; UserError when `src` is no complete backup."""
    if not src.is_dir():
        raise UserError(f"{layout.show(src)} finns inte eller är ingen mapp.")
    try:
        raw = (src / layout.MANIFEST).read_bytes()
    except FileNotFoundError:
        raise UserError(
            f"{layout.show(src)} är ingen fullständig säkerhetskopia: {layout.MANIFEST} "
            "saknas (en avbruten kopiering?). Använd en annan säkerhetskopia."
        ) from None
    try:
        manifest = json.loads(raw)
        ok = (
            manifest.get("format") == layout.FORMAT
            and manifest.get("engine") in ("sqlite", "postgresql")
            and isinstance(manifest.get("revision"), str)
            and isinstance(manifest.get("files"), dict)
            and all(
                isinstance(v, dict) and isinstance(v.get("sha256"), str)
                for v in manifest["files"].values()
            )
        )
    except (ValueError, AttributeError):
        ok = False
    if not ok:
        raise UserError(
            f"{layout.show(src / layout.MANIFEST)} är skadad eller i ett okänt format. "
            "Använd en annan säkerhetskopia."
        )
    db_name = layout.SQLITE_COPY if manifest["engine"] == "sqlite" else layout.PG_COPY
    if db_name not in manifest["files"]:
        raise UserError(f"{layout.show(src / layout.MANIFEST)} nämner ingen databas ({db_name}).")
    return dict(manifest)


def verify(src: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest names is there with its checksum; UserError naming the first
    that is not."""
    for key, entry in sorted(manifest["files"].items()):
        path = layout.inside(src, key)
        try:
            got = layout.sha256(path)
        except FileNotFoundError:
            raise UserError(
                f"Säkerhetskopian {layout.show(src)} är skadad: {layout.show(key)} saknas. "
                "Inget återställdes; använd en annan säkerhetskopia."
            ) from None
        if got != entry["sha256"]:
            raise UserError(
                f"Säkerhetskopian {layout.show(src)} är skadad: {layout.show(key)} stämmer "
                "inte med sin kontrollsumma. Inget återställdes; använd en annan säkerhetskopia."
            )


@contextmanager
def _pg_engine(url: str) -> Iterator[Any]:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _require_empty_pg(url: str) -> None:
    from sqlalchemy import inspect

    with _pg_engine(url) as engine:
        tables = inspect(engine).get_table_names()
    if tables:
        raise UserError(
            f"PostgreSQL-databasen i database_url är inte tom ({len(tables)} tabeller). "
            "Återställ till en ny, tom databas (createdb) så att inget skrivs över."
        )
