"""`tui-app backup DIR` and `tui-app restore DIR`: a copy an operator can trust.

A backup is one folder (0700, every file 0600):

    database.sqlite | database.dump   the database: SQLite's online backup API, or pg_dump
    files/<key>                       the received files the database refers to, and STORE_ID
    MANIFEST.json                     the schema revision and a sha256 of every file above

The database is copied first, in one snapshot, while staff keep working (WAL readers never
block writers; pg_dump reads one exported snapshot). The files copied are the ones that snapshot
refers to: a stored file is placed before the row naming it commits, so each one is there. The
copy is built under a hidden name next to DIR and renamed to DIR only when the manifest (written
last) is on disk: a backup killed half-way leaves no DIR, and a folder without a manifest is never
restored. The access log's key is not in the backup on purpose (see anchor.py): keep it apart.

`restore` checks every file against the manifest before it writes anything, and fills only an
empty data directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_app.core.errors import UserError
from tui_app.core.killpoint import killpoint
from tui_app.core.safetext import visible_text

if TYPE_CHECKING:
    from tui_app.config import Settings

MANIFEST = "MANIFEST.json"
PARTIAL = ".partial-"  # a copy being made: `.<name>.partial-<hex>` next to the backup
SQLITE_COPY = "database.sqlite"
PG_COPY = "database.dump"
FORMAT = 1
DIR_MODE, FILE_MODE = 0o700, 0o600
_CHUNK = 1 << 20
#: Times the copy starts again when a file it needs was removed meanwhile (a sweep ran).
_ATTEMPTS = 3


@dataclass(frozen=True)
class BackupResult:
    """What a backup holds."""

    path: Path
    engine: str  # "sqlite" | "postgresql"
    revision: str
    files: int
    bytes: int


@dataclass(frozen=True)
class RestoreResult:
    """What a restore put back."""

    path: Path
    revision: str
    files: int


def _show(value: object) -> str:
    return visible_text(str(value), max_len=200)


# --- backup ----------------------------------------------------------------------------------


def make_backup(settings: Settings, dest: Path) -> BackupResult:
    """Copy the database and its received files into the new folder `dest`."""
    from tui_app.store.quick import sqlite_path

    if os.path.lexists(dest):
        raise UserError(
            f"{_show(dest)} finns redan. Ange en ny mapp för säkerhetskopian (till exempel med "
            "dagens datum i namnet); en befintlig skrivs aldrig över."
        )
    if not dest.parent.is_dir():
        raise UserError(f"Mappen {_show(dest.parent)} finns inte. Skapa den först.")
    db = sqlite_path(settings.url)
    if db is None and not settings.url.startswith("postgresql"):
        raise UserError(
            "Säkerhetskopiering fungerar med SQLite (en fil) och PostgreSQL; database_url "
            "pekar på något annat."
        )
    if db is not None and not db.is_file():
        raise UserError(f"Databasen {_show(db)} finns inte: det finns inget att säkerhetskopiera.")
    files_dir = settings.data_dir / "files"
    for attempt in range(_ATTEMPTS):
        work = dest.parent / f".{dest.name}{PARTIAL}{uuid.uuid4().hex[:8]}"
        os.mkdir(work, DIR_MODE)
        os.chmod(work, DIR_MODE)
        lock = _lock(work)  # held while this copy is made: see _remove_stale_partials
        try:
            if db is not None:
                engine, (keys, revision) = "sqlite", _copy_sqlite(db, work / SQLITE_COPY)
            else:
                engine, (keys, revision) = "postgresql", _dump_pg(settings.url, work / PG_COPY)
            killpoint("backup.database_copied")
            missing = _copy_files(files_dir, work / "files", keys)
            if missing and attempt < _ATTEMPTS - 1:
                shutil.rmtree(work)  # a sweep removed some meanwhile: copy a newer snapshot
                continue
            if missing:
                raise UserError(
                    f"{len(missing)} mottagna filer som databasen hänvisar till saknas i "
                    f"{_show(files_dir)}, t.ex. {_show(missing[0])}. Säkerhetskopian gjordes "
                    "inte; kör tui-app doctor och kontakta IT."
                )
            killpoint("backup.files_copied")
            entries = _checksums(work)
            manifest = {
                "format": FORMAT,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "engine": engine,
                "revision": revision,
                "files": entries,
            }
            _write_private(work / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
            _fsync_tree(work)
            os.rename(work, dest)
            _fsync_dir(dest.parent)
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
    _write_private(out, b"")
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


#: Test hook: the backup waits inside its database snapshot until this file exists (and says
#: so by creating FILE.held), so a test can let another process write meanwhile.
PAUSE_ENV = "TUI_APP_BACKUP_PAUSE"


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


def _pg_conninfo(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for pg_dump/pg_restore and the environment holding the password (never argv)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    env = {**os.environ}
    if u.password is not None:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _dump_pg(url: str, out: Path) -> tuple[list[str], str]:
    """pg_dump (custom format) of one exported snapshot, the same one the file keys are read in."""
    from sqlalchemy import create_engine, text

    conninfo, env = _pg_conninfo(url)
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            run_sql = conn.exec_driver_sql
            found = _file_keys(run_sql), _schema_revision(run_sql)
            _test_pause()
            _write_private(out, b"")
            _run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", "-f", str(out), conninfo],
                env,
                "pg_dump",
            )
            conn.rollback()
    finally:
        engine.dispose()
    return found


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False
        )
    except FileNotFoundError:
        raise UserError(
            f"Programmet {what} finns inte. Installera PostgreSQL:s klientprogram "
            "(apt-get install postgresql-client)."
        ) from None
    if proc.returncode != 0:
        said = proc.stderr.strip().splitlines()
        raise UserError(
            f"{what} misslyckades: {_show(said[-1] if said else proc.returncode)}. "
            "Kontrollera database_url och att databasservern är igång."
        )


def _copy_files(src_dir: Path, out_dir: Path, keys: list[str]) -> list[str]:
    """Copy the store id marker and every key's file; returns the keys whose file was missing."""
    missing = []
    os.mkdir(out_dir, DIR_MODE)
    for key in ["STORE_ID", *keys]:
        src = _inside(src_dir, key)
        dest = _inside(out_dir, key)
        try:
            with open(src, "rb") as f:
                _make_parents(dest.parent, out_dir)
                _copy_stream(f, dest)
        except FileNotFoundError:
            if key != "STORE_ID":  # no marker yet: nothing was ever stored
                missing.append(key)
    return missing


# --- restore ---------------------------------------------------------------------------------


def restore_backup(src: Path, settings: Settings) -> RestoreResult:
    """Fill the empty data directory (and, for SQLite, the database file) from a backup."""
    from tui_app.store import fsmode
    from tui_app.store.migrations import HEAD_REVISION
    from tui_app.store.quick import sqlite_path

    manifest = read_manifest(src)
    verify(src, manifest)  # every file, before anything is written
    revision, engine = str(manifest["revision"]), str(manifest["engine"])
    if not (revision.isdigit() and int(revision) <= int(HEAD_REVISION)):
        raise UserError(
            f"Säkerhetskopian har schemaversion ”{_show(revision)}”, nyare än den här "
            f"versionen av tui_app ({HEAD_REVISION}). Uppdatera tui_app först."
        )
    data = settings.data_dir
    if data.exists() and (not data.is_dir() or any(data.iterdir())):
        raise UserError(
            f"Datamappen {_show(data)} är inte tom. Återställning fyller bara en tom datamapp, "
            "så inget skrivs över: flytta undan det som finns där, eller ange en ny "
            "med --data-dir."
        )
    db = sqlite_path(settings.url)
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
        raise UserError(f"Databasfilen {_show(db)} finns redan och skrivs inte över.")
    if engine == "postgresql":
        _require_empty_pg(settings.url)
    # The data directory gets the deployment's modes (0700/0600, or 0770/0660 with
    # group_access), as if the app had made it.
    modes = fsmode.apply(settings.group_access)
    fsmode.make_dir(data)
    for sub in ("files", "staging"):
        fsmode.make_dir(data / sub)
    keys = [k for k in manifest["files"] if k.startswith("files/")]
    for key in keys:
        dest = _inside(data, key)
        _make_parents(dest.parent, data, modes.dir)
        with open(_inside(src, key), "rb") as f:
            sha = manifest["files"][key]["sha256"]
            _copy_stream(f, dest, expect=sha, name=key, mode=modes.file)
    if db is not None:
        tmp = db.parent / f".{db.name}.restore-{uuid.uuid4().hex[:8]}"
        with open(_inside(src, SQLITE_COPY), "rb") as f:
            sha = manifest["files"][SQLITE_COPY]["sha256"]
            _copy_stream(f, tmp, expect=sha, name=SQLITE_COPY, mode=modes.file)
        os.rename(tmp, db)  # the database last: a restore cut short leaves no database
        _fsync_dir(db.parent)
    else:
        conninfo, env = _pg_conninfo(settings.url)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "-d",
                conninfo,
                str(_inside(src, PG_COPY)),
            ],
            env,
            "pg_restore",
        )
    return RestoreResult(src, revision, sum(k != "files/STORE_ID" for k in keys))


def read_manifest(src: Path) -> dict[str, Any]:
    """The backup's manifest; UserError when `src` is no complete backup."""
    if not src.is_dir():
        raise UserError(f"{_show(src)} finns inte eller är ingen mapp.")
    try:
        raw = (src / MANIFEST).read_bytes()
    except FileNotFoundError:
        raise UserError(
            f"{_show(src)} är ingen fullständig säkerhetskopia: {MANIFEST} saknas (en "
            "avbruten kopiering?). Använd en annan säkerhetskopia."
        ) from None
    try:
        manifest = json.loads(raw)
        ok = (
            manifest.get("format") == FORMAT
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
            f"{_show(src / MANIFEST)} är skadad eller i ett okänt format. Använd en annan "
            "säkerhetskopia."
        )
    db_name = SQLITE_COPY if manifest["engine"] == "sqlite" else PG_COPY
    if db_name not in manifest["files"]:
        raise UserError(f"{_show(src / MANIFEST)} nämner ingen databas ({db_name}).")
    return dict(manifest)


def verify(src: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest names is there with its checksum; UserError naming the first
    that is not."""
    for key, entry in sorted(manifest["files"].items()):
        path = _inside(src, key)
        try:
            got = _sha256(path)
        except FileNotFoundError:
            raise UserError(
                f"Säkerhetskopian {_show(src)} är skadad: {_show(key)} saknas. Inget återställdes; "
                "använd en annan säkerhetskopia."
            ) from None
        if got != entry["sha256"]:
            raise UserError(
                f"Säkerhetskopian {_show(src)} är skadad: {_show(key)} stämmer inte med sin "
                "kontrollsumma. Inget återställdes; använd en annan säkerhetskopia."
            )


# --- files -----------------------------------------------------------------------------------


def _inside(root: Path, key: str) -> Path:
    """root/key, refusing a key that would lead out of root (a manifest is input)."""
    path = (root / key).resolve()
    if not path.is_relative_to(root.resolve()) or path == root.resolve():
        raise UserError(f"Säkerhetskopian nämner en otillåten sökväg: {_show(key)}.")
    return root / key


def _make_parents(folder: Path, root: Path, mode: int = DIR_MODE) -> None:
    missing = []
    p = folder
    while not p.exists() and p != root:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        os.mkdir(p, mode)
        os.chmod(p, mode)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_stream(
    f: Any,
    dest: Path,
    *,
    expect: str | None = None,
    name: str | None = None,
    mode: int = FILE_MODE,
) -> None:
    """Copy an open file to a new file of this mode, checking its sha256 on the way when
    expected."""
    h = hashlib.sha256()
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        os.fchmod(fd, mode)
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            os.write(fd, chunk)
        os.fsync(fd)
    finally:
        os.close(fd)
    if expect is not None and h.hexdigest() != expect:
        os.unlink(dest)
        raise UserError(
            f"{_show(name)} ändrades under återställningen (kontrollsumman stämmer inte). "
            "Töm datamappen och försök igen."
        )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for n in sorted(files):
            yield Path(folder, n)


def _checksums(work: Path) -> dict[str, dict[str, Any]]:
    return {
        p.relative_to(work).as_posix(): {"sha256": _sha256(p), "bytes": p.stat().st_size}
        for p in _walk(work)
    }


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, _files in os.walk(root):
        _fsync_dir(Path(folder))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
