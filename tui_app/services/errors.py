"""One place that says, in Swedish, what went wrong when an action failed for a reason that is not
a refusal: a full disk, a read-only or busy database, a broken constraint. The CLI and the UI both
show `explain(exc)`, so the same cause always reads the same, and a full disk never reads as
"someone else locks the database".

Causes are read from the exception chain: SQLAlchemy wraps the driver's error (`.orig`), the
standard sqlite3 module gives `sqlite_errorcode`, PostgreSQL drivers give an SQLSTATE, and an
OSError its errno. Nothing heavy is imported here.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator

from tui_app.core.errors import UserError

# SQLite's primary result codes (the low byte of an extended code), https://sqlite.org/rescode.html
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM = 3, 5, 6, 7
SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL = 8, 10, 11, 13
SQLITE_CANTOPEN, SQLITE_CONSTRAINT, SQLITE_NOTADB = 14, 19, 26

DISK_FULL = (
    "Disken är full där appens data ligger, så inget sparades. Frigör utrymme (eller be "
    "IT om det) och försök igen."
)
READ_ONLY = (
    "Databasen går bara att läsa, inte skriva i (skrivskyddad fil eller disk), så inget "
    "sparades. Be IT kontrollera behörigheten på data_dir/database_url."
)
BUSY = (
    "Databasen är upptagen av en annan användare just nu, så inget sparades. Vänta en "
    "stund och försök igen."
)
CONSTRAINT = (
    "Uppgifterna kunde inte sparas: de bryter mot databasens regler (ett värde saknas "
    "eller finns redan). Inget sparades. Kontakta IT-support och ange tiden."
)
IO_ERROR = (
    "Disken där appens data ligger svarar med ett läs- eller skrivfel, så inget sparades. "
    "Be IT kontrollera disken och försök igen."
)
CORRUPT = (
    "Databasfilen är skadad eller är ingen databas. Inget ändrades. Kontakta IT-support: "
    "databasen behöver återställas från säkerhetskopia."
)
CANT_OPEN = (
    "Databasen kunde inte öppnas: filen eller mappen finns inte eller får inte läsas. "
    "Kontrollera data_dir/database_url i inställningarna."
)
NO_MEMORY = "Datorn har slut på minne. Stäng något annat program och försök igen."
NO_PERMISSION = (
    "Appen saknar behörighet till en fil eller mapp den behöver. Be IT kontrollera "
    "behörigheten på data_dir."
)
NOT_THERE = (
    "En fil eller mapp som appen behöver finns inte (längre). Kontrollera att disken är "
    "monterad och att data_dir stämmer, och försök igen."
)
CONNECTION = (
    "Kontakten med databasen bröts eller gick inte att få. Försök igen om en stund; om "
    "felet kvarstår, kontakta IT-support."
)


def _generic(exc: BaseException) -> str:
    return (
        f"Något gick fel ({type(exc).__name__}). Försök igen; om felet kvarstår, kontakta "
        "IT-support och ange tiden."
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the driver error it wraps, and its causes, each once."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for nxt in (getattr(e, "orig", None), e.__cause__, e.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _sqlite(e: sqlite3.Error) -> str | None:
    code = getattr(e, "sqlite_errorcode", None)
    if isinstance(e, sqlite3.IntegrityError):
        return CONSTRAINT
    if not isinstance(code, int):
        # An error raised without a code (older drivers): its text is SQLite's fixed wording.
        text = str(e).lower()
        for words, message in (
            ("disk is full", DISK_FULL),
            ("readonly", READ_ONLY),
            ("locked", BUSY),
            ("not a database", CORRUPT),
            ("malformed", CORRUPT),
            ("unable to open", CANT_OPEN),
            ("disk i/o", IO_ERROR),
            ("constraint", CONSTRAINT),
        ):
            if words in text:
                return message
        return None
    return {
        SQLITE_FULL: DISK_FULL,
        SQLITE_READONLY: READ_ONLY,
        SQLITE_BUSY: BUSY,
        SQLITE_LOCKED: BUSY,
        SQLITE_CONSTRAINT: CONSTRAINT,
        SQLITE_IOERR: IO_ERROR,
        SQLITE_CORRUPT: CORRUPT,
        SQLITE_NOTADB: CORRUPT,
        SQLITE_CANTOPEN: CANT_OPEN,
        SQLITE_NOMEM: NO_MEMORY,
        SQLITE_PERM: NO_PERMISSION,
    }.get(code & 0xFF)


def _sqlstate(e: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE (psycopg 3: .sqlstate, psycopg2: .pgcode), classes per the manual."""
    state = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
    if not isinstance(state, str) or len(state) != 5:
        return None
    if state in ("53100",):
        return DISK_FULL
    if state in ("25006",):
        return READ_ONLY
    if state in ("40001", "40P01", "55P03"):
        return BUSY
    if state.startswith("23"):
        return CONSTRAINT
    if state.startswith("08") or state.startswith("57P"):
        return CONNECTION
    if state in ("53200",):
        return NO_MEMORY
    if state.startswith("58"):
        return IO_ERROR
    return None


def _os(e: OSError) -> str | None:
    code = e.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return DISK_FULL
    if code == errno.EROFS:
        return READ_ONLY
    if code in (errno.EACCES, errno.EPERM):
        return NO_PERMISSION
    if code in (errno.ENOENT, errno.ENOTDIR, errno.ESTALE, errno.ENODEV):
        return NOT_THERE
    if code == errno.EIO:
        return IO_ERROR
    if code == errno.ENOMEM:
        return NO_MEMORY
    return None


def explain(exc: BaseException) -> str:
    """What went wrong, in Swedish, from the cause at the bottom of exc; the message of a refusal
    (UserError) as it is."""
    if isinstance(exc, UserError):
        return exc.message
    for e in _chain(exc):
        found: str | None = None
        if isinstance(e, sqlite3.Error):
            found = _sqlite(e)
        elif isinstance(e, OSError):
            found = _os(e)
        elif type(e).__name__ == "IntegrityError":  # SQLAlchemy's wrapper of any driver
            found = CONSTRAINT
        found = found or _sqlstate(e)
        if found:
            return found
    return _generic(exc)


def as_user_error(exc: BaseException) -> UserError:
    """exc as a UserError carrying `explain(exc)` (a UserError is returned as it is)."""
    if isinstance(exc, UserError):
        return exc
    err = UserError(explain(exc))
    err.__cause__ = exc
    return err


__all__ = ["as_user_error", "explain"]
