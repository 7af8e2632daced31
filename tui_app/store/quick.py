"""The start-up read: who is signing in and their first inbox page, with the DB-API alone.

Loading SQLAlchemy, pydantic and SQLModel takes longer than starting the whole Textual UI, so
the first screen is read with plain SQL through Python's own sqlite3 module while the data layer
loads in a thread (services.context.Context.load_later). It only reads (query_only; opening and
closing may still recover or checkpoint the WAL, as any SQLite connection does), in one
snapshot, and only when the schema is exactly the one this code knows (the Alembic head);
anything else (another database, an older schema, a busy, unreadable or broken file, an unknown
login) returns None and start-up takes the ordinary path, which upgrades, explains or refuses as
before. The inbox page's SQL is store.inboxsql's, the very query the service runs;
services.quickstart turns the rows into the same views (services.inboxrows), and a test
compares the two on every kind of case.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tui_app.store import inboxsql
from tui_app.store.migrations import HEAD_REVISION

BUSY_TIMEOUT_S = 1.0  # a writer holding the lock longer: take the ordinary path instead

STAFF_SQL = (
    "SELECT id, login, first_name, last_name, shared_account, picsara_permission, is_admin "
    "FROM staff WHERE login = ? AND active = 1"  # a deactivated account: the ordinary path refuses
)
UNITS_SQL = (
    "SELECT unit.id, unit.code, unit.name, unit.activated_1177, unit.template_installed "
    "FROM unit JOIN membership ON membership.unit_id = unit.id "
    "WHERE membership.staff_id = ? ORDER BY unit.name"
)


@dataclass(frozen=True)
class StartRead:
    """What the first screen needs, as stored (the cases as store.inboxsql.ROW_COLUMNS)."""

    staff: tuple[Any, ...]
    units: list[tuple[Any, ...]]
    cases: list[tuple[Any, ...]]
    undecided: dict[int, int]
    copies: dict[int, int]


def sqlite_path(url: str) -> Path | None:
    """The file of a plain SQLite URL (sqlite:///path), or None for anything else. Decoded as
    SQLAlchemy decodes it (%20 is a space), so both open the same file."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    rest = unquote(url[len(prefix) :])
    return Path(rest) if rest and rest != ":memory:" else None


def read_start(path: Path, login: str, limit: int, now: datetime | None = None) -> StartRead | None:
    """The signed-in staff member, their units and first inbox page (`limit` rows at most: ask
    one more to learn whether there are older ones); None to take the ordinary path. Raises
    nothing: every database problem is the ordinary path's to report."""
    try:
        if not path.is_file():
            return None
        # mode=rw: never create a database here; query_only: this path cannot write.
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=rw",
            uri=True,
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,
            check_same_thread=True,
        )
    except (OSError, sqlite3.Error, ValueError):  # e.g. a folder we may not read
        return None
    try:
        conn.execute("PRAGMA query_only=ON")
        conn.execute("BEGIN")  # one snapshot for every read below
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        if version != [(HEAD_REVISION,)]:
            return None
        staff = conn.execute(STAFF_SQL, (login,)).fetchone()
        if staff is None:
            return None  # the ordinary path refuses, in its words
        units = conn.execute(UNITS_SQL, (staff[0],)).fetchall()
        at = now or datetime.now(UTC)  # the unfiltered page does not depend on it
        query = inboxsql.PageQuery(tuple(sorted(u[0] for u in units)), at, limit=limit)
        built = inboxsql.page_sql(query, "sqlite")
        cases = conn.execute(*built).fetchall() if built is not None else []
        undecided: dict[int, int] = {}
        copies: dict[int, int] = {}
        with_files = [row[0] for row in cases if row[5]]
        if with_files:
            found = conn.execute(*inboxsql.file_counts_sql(with_files)).fetchall()
            undecided, copies = inboxsql.file_counts_of(found)
        return StartRead(staff, units, cases, undecided, copies)
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        conn.close()
