"""`tui-app backup DIR`: a copy an operator can trust (its layout: ops/layout.py).

The database is copied first, in one snapshot, while staff keep working (WAL readers never
block writers; pg_dump reads one exported snapshot). The files copied are the ones that snapshot
refers to: a stored file is placed before the row naming it commits, so each one is there. The
copy is built under a hidden name next to DIR and renamed to DIR only when the manifest (written
last) is on disk: a backup killed half-way leaves no DIR, and a folder without a manifest is never
restored. The access log's key is not in the backup on purpose (see anchor.py): keep it apart.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_app.core.errors import UserError
from tui_app.core.killpoint import killpoint
from tui_app.ops import layout

if TYPE_CHECKING:
    from tui_app.config import Settings

PARTIAL = ".partial-"  # a copy being made: `.<name>.partial-<hex>` next to the backup
#: Times the copy starts again when a file it needs was removed meanwhile (a sweep ran).
_ATTEMPTS = 3
#: Test hook: the backup waits inside its database snapshot until this file exists (and says
#: so by creating FILE.held), so a test can let another process write meanwhile.
PAUSE_ENV = "TUI_APP_BACKUP_PAUSE"


@dataclass(frozen=True)
class BackupResult:
    """What a backup holds."""

    path: Path
    engine: str  # "sqlite" | "postgresql"
    revision: str
    files: int
    bytes: int


def make_backup(settings: Settings, dest: Path) -> BackupResult:
    """Copy the database and its received files into the new folder `dest`."""
    from tui_app.store.filestore import DATABASE, resolve_kind

    db = _check_target(settings, dest)
    files_dir = settings.data_dir / "files"
    in_database = resolve_kind(settings.file_store, settings.url) == DATABASE
    for attempt in range(_ATTEMPTS):
        work = dest.parent / f".{dest.name}{PARTIAL}{uuid.uuid4().hex[:8]}"
        os.mkdir(work, layout.DIR_MODE)
        os.chmod(work, layout.DIR_MODE)
        lock = _lock(work)  # held while this copy is made: see _remove_stale_partials
        try:
            if db is not None:
                engine, (keys, revision) = (
                    "sqlite",
                    _copy_sqlite(db, work / layout.SQLITE_COPY),
                )
            else:
                engine, (keys, revision) = (
                    "postgresql",
                    _dump_pg(settings.url, work / layout.PG_COPY),
                )
            killpoint("backup.database_copied")
            # With the database file store the files are rows of the copy already (file_chunk).
            copied = [] if in_database else keys
            missing = _copy_files(files_dir, work / "files", copied)
            if missing and attempt < _ATTEMPTS - 1:
                shutil.rmtree(work)  # a sweep removed some meanwhile: copy a newer snapshot
                continue
            if missing:
                raise UserError(
                    f"{len(missing)} mottagna filer som databasen hänvisar till saknas i "
                    f"{layout.show(files_dir)}, t.ex. {layout.show(missing[0])}. "
                    "Säkerhetskopian gjordes inte; kör tui-app doctor och kontakta IT."
                )
            killpoint("backup.files_copied")
            entries = _seal(work, dest, engine, revision)
            _remove_stale_partials(dest.parent)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        finally:
            os.close(lock)
        return BackupResult(
            dest, engine, revision, len(keys), sum(e["bytes"] for e in entries.values())
        )
    raise AssertionError("unreachable")


def _check_target(settings: Settings, dest: Path) -> Path | None:
    """Refuse a `dest` that exists or has no parent, and a database that cannot be copied;
    the SQLite file to copy (None: PostgreSQL)."""
    from tui_app.store.quick import sqlite_path

    if os.path.lexists(dest):
        raise UserError(
            f"{layout.show(dest)} finns redan. Ange en ny mapp för säkerhetskopian (till "
            "exempel med dagens datum i namnet); en befintlig skrivs aldrig över."
        )
    if not dest.parent.is_dir():
        raise UserError(f"Mappen {layout.show(dest.parent)} finns inte. Skapa den först.")
    db = sqlite_path(settings.url)
    if db is None and not settings.url.startswith("postgresql"):
        raise UserError(
            "Säkerhetskopiering fungerar med SQLite (en fil) och PostgreSQL; database_url "
            "pekar på något annat."
        )
    if db is not None and not db.is_file():
        raise UserError(
            f"Databasen {layout.show(db)} finns inte: det finns inget att säkerhetskopiera."
        )
    return db


def _seal(work: Path, dest: Path, engine: str, revision: str) -> dict[str, dict[str, Any]]:
    """Write the manifest (last), make the copy durable and rename it to `dest`; its entries."""
    entries = layout.checksums(work)
    manifest = {
        "format": layout.FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "revision": revision,
        "files": entries,
    }
    layout.write_private(
        work / layout.MANIFEST,
        json.dumps(manifest, indent=1, sort_keys=True).encode(),
    )
    layout.fsync_tree(work)
    os.rename(work, dest)
    layout.fsync_dir(dest.parent)
    return entries


def _lock(folder: Path) -> int:
    import fcntl

    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _remove_stale_partials(parent: Path) -> None:
    """Remove copies that a killed backup left half-made (never restorable: no manifest).
    One still being made holds its lock and is left alone."""
    import fcntl

    for stale in parent.glob(f".*{PARTIAL}*"):
        try:
            fd = os.open(stale, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # another backup is making it now
        else:
            shutil.rmtree(stale, ignore_errors=True)
        finally:
            os.close(fd)


def _copy_sqlite(db: Path, out: Path) -> tuple[list[str], str]:
    """The database through SQLite's online backup API, as one self-contained file; returns the
    file keys it refers to and its schema revision. One read transaction holds the snapshot
    from the first SELECT to the end of the copy (the backup reads through it), so the keys
    and the copy agree; in WAL mode staff keep writing meanwhile."""
    layout.write_private(out, b"")
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30, isolation_level=None)
    try:
        src.execute("BEGIN")
        found = _file_keys(src.execute), _schema_revision(src.execute)
        _test_pause()
        dst = sqlite3.connect(out)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        finally:
            dst.close()
        src.execute("COMMIT")
    finally:
        src.close()
    return found


def _test_pause() -> None:
    release = os.environ.get(PAUSE_ENV)
    if not release:
        return
    import time

    Path(f"{release}.held").touch()
    deadline = time.monotonic() + 600
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.02)


def _schema_revision(execute: Any) -> str:
    try:
        row = execute("SELECT version_num FROM alembic_version").fetchone()
    except Exception:  # noqa: BLE001 - no such table: not the app's database
        row = None
    if not row:
        raise UserError(
            "Databasen har ingen schemaversion (tom, eller inte appens databas): den "
            "säkerhetskopieras inte. Kontrollera data_dir/database_url."
        )
    return str(row[0])


def _file_keys(execute: Any) -> list[str]:
    rows = execute("SELECT storage_key, thumb_key FROM attachment").fetchall()
    return sorted({k for row in rows for k in row if k})


def _dump_pg(url: str, out: Path) -> tuple[list[str], str]:
    """pg_dump (custom format) of one exported snapshot, the same one the file keys are read in."""
    from sqlalchemy import create_engine, text

    conninfo, env = layout.pg_conninfo(url)
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            run_sql = conn.exec_driver_sql
            found = _file_keys(run_sql), _schema_revision(run_sql)
            _test_pause()
            layout.write_private(out, b"")
            layout.run(
                [
                    "pg_dump",
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(out),
                    conninfo,
                ],
                env,
                "pg_dump",
            )
            conn.rollback()
    finally:
        engine.dispose()
    return found


def _copy_files(src_dir: Path, out_dir: Path, keys: list[str]) -> list[str]:
    """Copy the store id marker and every key's file; returns the keys whose file was missing."""
    missing = []
    os.mkdir(out_dir, layout.DIR_MODE)
    for key in ["STORE_ID", *keys]:
        src = layout.inside(src_dir, key)
        dest = layout.inside(out_dir, key)
        try:
            with open(src, "rb") as f:
                layout.make_parents(dest.parent, out_dir)
                layout.copy_stream(f, dest)
        except FileNotFoundError:
            if key != "STORE_ID":  # no marker yet: nothing was ever stored
                missing.append(key)
    return missing
