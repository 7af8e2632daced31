"""Where received files are kept: one small interface, two implementations.

- `DirectoryStore`: files under `<data_dir>/files/<xx>/<name>` (the default with SQLite). A
  staged file is moved in with rename(2), so it is never half visible.
- `DatabaseStore`: files in the database's own `file_chunk` table, in rows of at most
  CHUNK bytes (the default with PostgreSQL), so every app server sharing the database sees
  every file. A file is written inside the caller's transaction (the reply's): its chunks and
  the reply's rows commit together or not at all. Nothing ever holds a whole file in memory.

Readers that need a file on disk (PDFium, the copy to Downloads, Picsara, E-arkiv) ask for
`local_path(key)`: the directory store's own file, or the database store's copy in a private
cache folder of this server, streamed out chunk by chunk and checked against the database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from sqlmodel import col  # the app's data layer is loaded whenever a store is opened

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

CHUNK = 1 << 20  # 1 MiB per row: a 20 MB file is 20 rows
DIRECTORY, DATABASE, AUTO = "directory", "database", "auto"
KINDS = (AUTO, DIRECTORY, DATABASE)


class FileStore(Protocol):
    """What the app needs of a place for received files."""

    kind: str

    def put(self, session: Session, key: str, stream: IO[bytes]) -> int:
        """Store the stream's content under `key` in the session's transaction; its size."""

    def open(self, key: str) -> IO[bytes]:
        """The stored content, to read (FileNotFoundError when there is none)."""

    def delete(self, key: str, session: Session | None = None) -> None:
        """Remove a stored file (nothing happens when there is none), in the session's
        transaction when one is given."""

    def exists(self, key: str) -> bool:
        """True when a file is stored under `key`."""

    def keys(self) -> Iterator[str]:
        """Every stored key."""

    def local_path(self, key: str) -> Path:
        """A file on this server with the content (it does not exist when nothing is stored)."""


def resolve_kind(kind: str, url: str) -> str:
    """The store a setting means: "auto" is the database with PostgreSQL, else the directory."""
    if kind == AUTO:
        return DATABASE if url.startswith("postgresql") else DIRECTORY
    return kind


class DirectoryStore:
    """Files in a folder (today's layout); a shared folder works if every server mounts it at
    the same path with POSIX rename semantics (see README)."""

    kind = DIRECTORY

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, session: Session, key: str, stream: IO[bytes]) -> int:
        """Copy the stream to a hidden temporary name, fsync, then rename it into place."""
        dest = self.root / key
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = dest.parent / f".{dest.name}.{uuid.uuid4().hex}"
        size = 0
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: stream.read(CHUNK), b""):
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return size

    def open(self, key: str) -> IO[bytes]:
        """The file itself, opened for reading."""
        return (self.root / key).open("rb")

    def delete(self, key: str, session: Session | None = None) -> None:
        """Unlink the file."""
        (self.root / key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """True when the file is there."""
        return (self.root / key).is_file()

    def keys(self) -> Iterator[str]:
        """The files of the layout <xx>/<name> (the marker, one level up, is not one)."""
        if not self.root.is_dir():
            return
        for p in self.root.glob("*/*"):
            yield f"{p.parent.name}/{p.name}"

    def local_path(self, key: str) -> Path:
        """The stored file itself."""
        return self.root / key


def _reading(engine: Engine) -> Any:
    """A connection that only reads committed data and never waits for a writer (SQLite: the
    read-only twin, so a read inside a writing session of this process cannot deadlock)."""
    from tui_app.store.db import _reader

    return _reader(engine).connect()


class _ChunkReader:
    """A read-only stream over one file's chunks, fetched one row at a time."""

    def __init__(self, engine: Engine, key: str, count: int) -> None:
        self._engine, self._key, self._count = engine, key, count
        self._seq, self._buf = 0, b""

    def _next_chunk(self) -> bytes:
        from sqlalchemy import select

        from tui_app.store.models import FileChunk

        if self._seq >= self._count:
            return b""
        with _reading(self._engine) as conn:
            data = conn.execute(
                select(col(FileChunk.data)).where(
                    col(FileChunk.storage_key) == self._key,
                    col(FileChunk.seq) == self._seq,
                )
            ).scalar_one()
        self._seq += 1
        return bytes(data)

    def read(self, n: int = -1) -> bytes:
        """Up to n bytes (all that is left when n < 0; callers read in CHUNK steps)."""
        out = []
        want = n if n >= 0 else None
        while want is None or want > 0:
            if not self._buf:
                self._buf = self._next_chunk()
                if not self._buf:
                    break
            piece = self._buf if want is None else self._buf[:want]
            self._buf = self._buf[len(piece) :]
            out.append(piece)
            if want is not None:
                want -= len(piece)
        return b"".join(out)

    def close(self) -> None:
        """Nothing is held open between reads."""
        self._buf = b""

    def __enter__(self) -> _ChunkReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class DatabaseStore:
    """Files in the database's `file_chunk` table, shared by every server of the database."""

    kind = DATABASE

    def __init__(self, engine: Engine, cache_dir: Path) -> None:
        self.engine = engine
        self.cache_dir = cache_dir

    def put(self, session: Session, key: str, stream: IO[bytes]) -> int:
        """Insert the content chunk by chunk in the session's transaction."""
        from sqlalchemy import insert

        from tui_app.store.models import FileChunk

        size = seq = 0
        table: Any = FileChunk.__table__  # type: ignore[attr-defined]  # set by SQLModel
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            session.execute(insert(table).values(storage_key=key, seq=seq, data=chunk))
            seq += 1
            size += len(chunk)
        if seq == 0:  # an empty file is one empty chunk, so that it exists
            session.execute(insert(table).values(storage_key=key, seq=0, data=b""))
        return size

    def _count(self, key: str) -> int:
        from sqlalchemy import func, select

        from tui_app.store.models import FileChunk

        with _reading(self.engine) as conn:
            return int(
                conn.execute(
                    select(func.count()).where(col(FileChunk.storage_key) == key)
                ).scalar_one()
            )

    def open(self, key: str) -> IO[bytes]:
        """A stream that fetches one chunk at a time."""
        count = self._count(key)
        if count == 0:
            raise FileNotFoundError(key)
        return _ChunkReader(self.engine, key, count)  # type: ignore[return-value]  # duck-typed IO: read/close

    def delete(self, key: str, session: Session | None = None) -> None:
        """Delete the chunks (in the session's transaction, else in one of its own) and this
        server's cached copy."""
        from sqlalchemy import delete

        from tui_app.store.db import session_scope

        from tui_app.store.models import FileChunk

        stmt = delete(FileChunk).where(col(FileChunk.storage_key) == key)
        if session is not None:
            session.execute(stmt)
        else:
            with session_scope(self.engine) as s:
                s.execute(stmt)
        self._cached(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """True when the database holds the file."""
        return self._count(key) > 0

    def keys(self) -> Iterator[str]:
        """Every key that has chunks."""
        from sqlalchemy import select

        from tui_app.store.models import FileChunk

        with _reading(self.engine) as conn:
            rows = conn.execute(
                select(col(FileChunk.storage_key)).where(col(FileChunk.seq) == 0)
            ).all()
        for (k,) in rows:
            yield str(k)

    def _cached(self, key: str) -> Path:
        return self.cache_dir / key

    def local_path(self, key: str) -> Path:
        """This server's copy in its cache folder, streamed out when missing; a path that does
        not exist when the database holds no such file (removed, or never stored), even if a
        stale copy was cached (it is removed)."""
        cached = self._cached(key)
        if not self.exists(key):
            cached.unlink(missing_ok=True)
            return cached
        if cached.is_file():
            os.utime(cached)  # used now: prune_cache keeps it a while longer
            return cached  # keys are never reused and stored content never changes
        cached.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = cached.parent / f".{cached.name}.{uuid.uuid4().hex}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out, self.open(key) as src:
                for chunk in iter(lambda: src.read(CHUNK), b""):
                    out.write(chunk)
            os.replace(tmp, cached)
        except FileNotFoundError:
            tmp.unlink(missing_ok=True)  # removed meanwhile
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return cached


def prune_cache(store: FileStore, max_age_s: float, now: float) -> int:
    """Remove this server's cached copies unused for max_age_s (patient files do not linger on
    an app server); the number removed. A directory store has no cache."""
    if not isinstance(store, DatabaseStore) or not store.cache_dir.is_dir():
        return 0
    removed = 0
    for p in store.cache_dir.glob("*/*"):
        try:
            if now - p.stat().st_mtime > max_age_s:
                p.unlink()
                removed += 1
        except FileNotFoundError:
            pass  # another process of this server pruned it first
    return removed


def open_store(kind: str, url: str, engine: Engine, data_dir: Path) -> FileStore:
    """The file store a deployment uses (kind: "auto", "directory" or "database")."""
    if resolve_kind(kind, url) == DATABASE:
        return DatabaseStore(engine, data_dir / "cache")
    return DirectoryStore(data_dir / "files")


__all__ = [
    "CHUNK",
    "DatabaseStore",
    "DirectoryStore",
    "FileStore",
    "KINDS",
    "open_store",
    "prune_cache",
    "resolve_kind",
]
