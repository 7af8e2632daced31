"""The backup folder's layout and the file work both backup and restore do.

A backup is one folder (0700, every file 0600):

    database.sqlite | database.dump   the database: SQLite's online backup API, or pg_dump
    files/<key>                       the received files the database refers to, and STORE_ID
    MANIFEST.json                     the schema revision and a sha256 of every file above
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tui_app.core.errors import UserError
from tui_app.core.safetext import visible_text

MANIFEST = "MANIFEST.json"
SQLITE_COPY = "database.sqlite"
PG_COPY = "database.dump"
FORMAT = 1
DIR_MODE, FILE_MODE = 0o700, 0o600
_CHUNK = 1 << 20


def show(value: object) -> str:
    return visible_text(str(value), max_len=200)


def inside(root: Path, key: str) -> Path:
    """root/key, refusing a key that would lead out of root (a manifest is input)."""
    path = (root / key).resolve()
    if not path.is_relative_to(root.resolve()) or path == root.resolve():
        raise UserError(f"Säkerhetskopian nämner en otillåten sökväg: {show(key)}.")
    return root / key


def make_parents(folder: Path, root: Path, mode: int = DIR_MODE) -> None:
    missing = []
    p = folder
    while not p.exists() and p != root:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        os.mkdir(p, mode)
        os.chmod(p, mode)


def write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_stream(
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
            f"{show(name)} ändrades under återställningen (kontrollsumman stämmer inte). "
            "Töm datamappen och försök igen."
        )


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def walk(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for n in sorted(files):
            yield Path(folder, n)


def checksums(work: Path) -> dict[str, dict[str, Any]]:
    return {
        p.relative_to(work).as_posix(): {"sha256": sha256(p), "bytes": p.stat().st_size}
        for p in walk(work)
    }


def fsync_tree(root: Path) -> None:
    for folder, _dirs, _files in os.walk(root):
        fsync_dir(Path(folder))


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pg_conninfo(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for pg_dump/pg_restore and the environment holding the password (never argv)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    env = {**os.environ}
    if u.password is not None:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def run(argv: list[str], env: dict[str, str], what: str) -> None:
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise UserError(
            f"Programmet {what} finns inte. Installera PostgreSQL:s klientprogram "
            "(apt-get install postgresql-client)."
        ) from None
    if proc.returncode != 0:
        said = proc.stderr.strip().splitlines()
        raise UserError(
            f"{what} misslyckades: {show(said[-1] if said else proc.returncode)}. "
            "Kontrollera database_url och att databasservern är igång."
        )
