"""The engine and sessions; schema upgrades through Alembic on start."""

from __future__ import annotations

import gc
import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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

# These come after the paused-collector import on purpose: by now they are already loaded.
from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import CursorResult, Engine, Result  # noqa: E402
from sqlmodel import Session, create_engine  # noqa: E402

from tui_app.store.migrations import HEAD_REVISION  # noqa: E402

BUSY_TIMEOUT_MS = 5000


def changed_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run through Session.execute changed."""
    # Session.execute is typed to return a plain Result; for DML it is a CursorResult.
    assert isinstance(result, CursorResult)
    return result.rowcount


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def make_engine(url: str, *, busy_timeout_ms: int | None = None) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if busy_timeout_ms is None:
        busy_timeout_ms = BUSY_TIMEOUT_MS
    if url.startswith("sqlite"):
        _create_private(url)
        engine = _sqlite_engine(url, busy_timeout_ms, read_only=False)
        _stamp_on_commit(engine)
        if engine.url.database in (None, "", ":memory:"):
            return engine  # a second engine would see another, empty, database
        # Reads get their own engine (and connections) that only ever read: see read_scope.
        reader = _sqlite_engine(url, busy_timeout_ms, read_only=True)
        with _READERS_LOCK:
            _READERS[engine] = reader
        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql+psycopg"):
        # psycopg 3 prepares a statement on a connection after a few runs; behind pgbouncer in
        # transaction mode the next transaction may run on another server connection, where it
        # does not exist (or already does). Never prepare: safe with and without a pooler.
        connect_args["prepare_threshold"] = None
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if engine.dialect.name == "postgresql":
        _notify_on_commit(engine)
    return engine


#: The channel every writing transaction notifies (services.live listens on it).
LIVE_CHANNEL = "tui_app_changes"
#: SQLite: the `setting` row every such transaction bumps (services.live reads it when the
#: file's data_version moved, to tell a change an inbox shows from an access-log append).
LIVE_STAMP = "live_changes"
#: Tables whose writes no open inbox shows: the access log, appended to for every case a
#: nurse opens (R24). A transaction that wrote only these wakes no live inbox.
QUIET_TABLES = frozenset({"audit_entry", "audit_head", "audit_review", "alembic_version"})
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_TARGET = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+[\"`]?(\w+)",
    re.IGNORECASE,
)


def shown_write(statement: str) -> bool:
    """True for a statement that changes what an inbox may show: a write to any table but
    the access log's (a write whose table cannot be read off counts as shown)."""
    if not _WRITE.match(statement):
        return False
    target = _TARGET.match(statement)
    return target is None or target.group(1).lower() not in QUIET_TABLES


def _track_shown_writes(engine: Engine) -> None:
    """Mark a connection's transaction once it ran a shown write; forget it on rollback."""

    @event.listens_for(engine, "after_cursor_execute")
    def _wrote(conn: Any, _c: Any, statement: str, _p: Any, _ctx: Any, _m: Any) -> None:
        if shown_write(statement):
            conn.info["tui_app_wrote"] = True

    @event.listens_for(engine, "rollback")
    def _forget(conn: Any) -> None:
        conn.info.pop("tui_app_wrote", None)


def _notify_on_commit(engine: Engine) -> None:
    """A transaction that wrote something an inbox shows sends NOTIFY inside itself just
    before COMMIT: listeners hear of it exactly when the change becomes visible, never for
    one that rolled back, nor for one that only appended to the access log."""
    _track_shown_writes(engine)

    @event.listens_for(engine, "commit")
    def _notify(conn: Any) -> None:  # runs before the COMMIT is sent
        if conn.info.pop("tui_app_wrote", False):
            with conn.connection.dbapi_connection.cursor() as cur:
                cur.execute(f"NOTIFY {LIVE_CHANNEL}")


def _stamp_on_commit(engine: Engine) -> None:
    """SQLite's twin of the NOTIFY: such a transaction bumps the LIVE_STAMP row just before
    its COMMIT (it holds the write lock already; one row, no index but its key)."""
    import sqlite3

    _track_shown_writes(engine)

    @event.listens_for(engine, "commit")
    def _stamp(conn: Any) -> None:  # runs before the COMMIT is sent
        if conn.info.pop("tui_app_wrote", False):
            try:
                conn.connection.dbapi_connection.execute(
                    "INSERT INTO setting (key, value) VALUES (?, '1') ON CONFLICT (key) "
                    "DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                    (LIVE_STAMP,),
                )
            except sqlite3.OperationalError:  # no tables yet (the first migration)
                pass


def _sqlite_engine(url: str, busy_timeout_ms: int, *, read_only: bool) -> Engine:
    from tui_app.store import writegate
    from tui_app.store.quick import sqlite_path

    connect_args: dict[str, Any] = {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    path = None if read_only else sqlite_path(url)
    gate = writegate.prepare(path) if path is not None and path.parent.is_dir() else None
    if gate is not None:  # writers queue for the write lock in the kernel (store.writegate)
        connect_args["factory"] = writegate.GatedConnection
    engine = create_engine(url, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, say when a transaction begins (see _begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if read_only:
            # A write through the read engine is a bug: it fails at once instead of taking
            # the write lock in the middle of a snapshot (where it could only fail later).
            cur.execute("PRAGMA query_only=ON")
        else:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if read_only:
            # A deferred transaction: a WAL read snapshot from the first SELECT on, taking no
            # lock writers wait for, so a long read (audit verify) never blocks staff.
            conn.exec_driver_sql("BEGIN")
        else:
            # Writers take the write lock at the start, so two sessions never read the same
            # state and then both write (a WAL snapshot cannot be upgraded). Writing
            # transactions are short; reads use read_scope.
            _take_write_lock(conn.connection.dbapi_connection, busy_timeout_ms, gate)

    return engine


def _take_write_lock(raw: Any, busy_timeout_ms: int, gate: Path | None) -> None:
    """The gate first (store.writegate: waiting in the kernel, not in tries), then BEGIN
    IMMEDIATE with what is left of the busy timeout (at least one short try)."""
    import time

    from tui_app.store import writegate

    if gate is None or not isinstance(raw, writegate.GatedConnection):
        _begin_immediate(raw, busy_timeout_ms)
        return
    t0 = time.monotonic()
    if raw.gate_fd is None:
        raw.gate_fd = writegate.acquire(gate, busy_timeout_ms / 1000)
    left = busy_timeout_ms - int(1000 * (time.monotonic() - t0))
    try:
        _begin_immediate(raw, busy_timeout_ms, wait_ms=max(left, 10))
    except BaseException:
        raw.release_gate()
        raise


def _begin_immediate(raw: Any, busy_timeout_ms: int, *, wait_ms: int | None = None) -> None:
    """BEGIN IMMEDIATE, waiting up to the busy timeout for the write lock in short, jittered
    tries. SQLite's own wait sleeps 100 ms at a time after the first 0.3 s, so under many
    writers a waiter keeps missing the moments the lock is free and can time out behind
    transactions that each take milliseconds; trying every few ms hands the lock on at once."""
    import random
    import sqlite3
    import time

    deadline = time.monotonic() + (busy_timeout_ms if wait_ms is None else wait_ms) / 1000
    raw.execute(f"PRAGMA busy_timeout={min(busy_timeout_ms, 10)}")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.Error as exc:
                busy = isinstance(exc, sqlite3.OperationalError) and (
                    "locked" in str(exc) or "busy" in str(exc)
                )
                if not busy or time.monotonic() >= deadline:
                    from sqlalchemy.exc import DBAPIError

                    # As SQLAlchemy itself would raise it (OperationalError for a busy one).
                    raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error) from exc
                time.sleep(random.uniform(0.001, 0.005))
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")


#: The read-only engine of each SQLite engine made here (closed together with it).
_READERS: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_READERS_LOCK = threading.Lock()


def _reader(engine: Engine) -> Engine:
    """The engine reads go through: a read-only twin for SQLite, a read-only snapshot elsewhere."""
    if engine.dialect.name != "sqlite":
        # PostgreSQL: one snapshot for the whole read, and no writes through it.
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with _READERS_LOCK:
        return _READERS.get(engine, engine)  # an engine not made by make_engine reads as it writes


@event.listens_for(Engine, "engine_disposed")
def _dispose_reader(engine: Engine) -> None:
    with _READERS_LOCK:
        reader = _READERS.get(engine)
        kept = _RAW_READS.pop(engine, None)
    if kept is not None:
        kept.close()
    if reader is not None:
        reader.dispose()


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


def upgrade(engine: Engine, *, explicit: bool = False) -> bool:
    """Bring the schema to the newest revision; return True when anything was done. A schema
    this version does not know (a newer version's, or a foreign one) is a clear UserError and
    the database is left as it is.

    Upgrades run one at a time (PostgreSQL: an advisory lock; SQLite: the write lock), so a
    server started during another's upgrade waits for it and then finds nothing to do. With
    auto_migrate = false only `tui-app migrate` (explicit) upgrades: a server finding an older
    schema waits for an upgrade under way, then refuses in Swedish if it is still older."""
    at = current_revision(engine)
    if at == HEAD_REVISION:
        return False  # the common case: no Alembic import on start
    from tui_app.store.migrations import auto_migrate

    if not explicit and not auto_migrate():
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:  # waits while `tui-app migrate` holds the lock
                conn.execute(text("SELECT pg_advisory_xact_lock_shared(1177)"))
            at = current_revision(engine)
            if at == HEAD_REVISION:
                return False
        if at is None or _known_revision(at):
            _refuse_older(at)
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
            "ändrats. Uppdatera tui_app, eller kontrollera database_url/data_dir."
        )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # two servers starting at once upgrade one at a time
            conn.execute(text("SELECT pg_advisory_xact_lock(1177)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return True


def _refuse_older(at: str | None) -> None:
    """The app server may not upgrade the schema itself (auto_migrate = false)."""
    from tui_app.core.errors import UserError
    from tui_app.core.safetext import visible_text

    what = (
        "är tom (inget schema)"
        if at is None
        else f"har schemaversion {visible_text(at, max_len=40)}, äldre än den här versionen "
        f"av tui_app behöver ({HEAD_REVISION})"
    )
    raise UserError(
        f"Databasen {what}, och auto_migrate = false: appen "
        "uppgraderar inte databasen själv. Be driften köra tui-app migrate och starta sedan "
        "appen igen. Databasen har inte ändrats."
    )


def _known_revision(revision: str) -> bool:
    """True when this version's migrations hold the revision (so the schema is older, not
    newer or foreign: those get upgrade's own message)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return _known(ScriptDirectory.from_config(cfg), revision)


def _known(script: Any, revision: str) -> bool:
    """True when the migrations hold this revision."""
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic's ResolutionError/CommandError for an unknown id
        return False


@dataclass(frozen=True)
class ReadConnection:
    """A driver connection inside one read snapshot, and its dialect ("sqlite" or
    "postgresql"): the hot read paths run their SQL on the driver itself."""

    dbapi: Any
    dialect: str


class _RawReads:
    """The SQLite connections read_connection reads on, kept here rather than in the pool.

    A pool checkout and return (a connection fairy, its queue, its reset) cost ~14 us per
    read, more than reading an inbox page by case number (measured at 1M, bench/scale.py).
    These connections are the read engine's own (opened by its pool, with its pragmas:
    query_only, busy timeout), then detached from it; an idle one holds no snapshot. Up to
    KEEP stay open for the next read, from any thread; the rest are closed."""

    KEEP = 5  # as many as the pool keeps idle

    def __init__(self, reader: Engine) -> None:
        self._reader = reader
        self._idle: list[Any] = []  # list.pop and append are atomic: no lock is needed
        self._closed = False

    def take(self) -> Any:
        try:
            return self._idle.pop()
        except IndexError:
            proxied = self._reader.raw_connection()
            raw = proxied.dbapi_connection
            proxied.detach()  # ours now: the pool neither returns nor closes it
            return raw

    def give(self, raw: Any) -> None:
        """Back for the next read; closed if there are enough, or the engine is gone."""
        if self._closed or len(self._idle) >= self.KEEP:
            raw.close()
            return
        self._idle.append(raw)
        if self._closed:  # closed while it was being given back
            self.close()

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.pop().close()
            except IndexError:
                return


#: The kept read connections of each SQLite engine made here (closed when it is disposed).
_RAW_READS: weakref.WeakKeyDictionary[Engine, _RawReads] = weakref.WeakKeyDictionary()


def _raw_reads(engine: Engine) -> _RawReads | None:
    with _READERS_LOCK:
        kept = _RAW_READS.get(engine)
        if kept is None and engine in _READERS:
            kept = _RAW_READS[engine] = _RawReads(_READERS[engine])
    return kept


@contextmanager
def read_connection(engine: Engine) -> Iterator[ReadConnection]:
    """read_scope without the ORM session, for the hot read paths (the inbox's pages and
    counts), where a Session's set-up and commit cost more than an indexed read.

    SQLite: a read-only connection of the read engine (kept between reads, _RawReads), with
    the same deferred BEGIN its `begin` event sends (a WAL snapshot from the first SELECT on),
    then COMMIT; a Core Connection's checkout, events and transaction object cost ~30 us
    around a ~20 us read (measured at 1M). A read that fails is rolled back; its connection
    is kept only if that left it outside any transaction. PostgreSQL: a Core connection on
    the read engine (REPEATABLE READ, read only, set by its execution options)."""
    kept = _raw_reads(engine)  # None: PostgreSQL, or a SQLite engine not made here
    if kept is None:
        yield from _pooled_read(engine)
        return
    raw = kept.take()
    try:
        with _snapshot(raw) as conn:
            yield conn
    finally:
        if _outside_transaction(raw):  # clean: committed, or rolled back after an error
            kept.give(raw)
        else:
            raw.close()


def _pooled_read(engine: Engine) -> Iterator[ReadConnection]:
    """read_connection through the pool: PostgreSQL, or a SQLite engine not made here."""
    reader = _reader(engine)
    if reader.dialect.name != "sqlite":
        with reader.connect() as conn, conn.begin():
            yield ReadConnection(conn.connection.dbapi_connection, reader.dialect.name)
        return
    proxied = reader.raw_connection()
    try:
        with _snapshot(proxied.dbapi_connection) as snap:
            yield snap
    finally:
        proxied.close()  # back to the pool (which rolls back anything left, as on any return)


@contextmanager
def _snapshot(raw: Any) -> Iterator[ReadConnection]:
    """One SQLite read transaction on a driver connection: COMMIT, or ROLLBACK on an error."""
    raw.execute("BEGIN")
    try:
        yield ReadConnection(raw, "sqlite")
    except BaseException:
        if raw.in_transaction:  # an error SQLite rolled back itself has none left
            raw.execute("ROLLBACK")
        raise
    raw.execute("COMMIT")


def _outside_transaction(raw: Any) -> bool:
    """True for an open connection in no transaction (False for a closed one)."""
    import sqlite3

    try:
        return not raw.in_transaction
    except sqlite3.ProgrammingError:  # closed under the read
        return False


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A short writing session (the write lock from its start) that commits on success and
    rolls back on any error. A database still locked by others after the busy timeout raises
    OperationalError; services.errors.explain says so to the user in Swedish."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A session that only reads, in one snapshot, and never waits for or blocks writers."""
    with Session(_reader(engine), expire_on_commit=False, autoflush=False) as session:
        try:
            yield session
            session.commit()  # ends the snapshot; nothing to write (query_only on SQLite)
        except BaseException:
            session.rollback()
            raise
