"""The received-files folder and its database name each other: a store id both record.

Nothing may delete a stored file on behalf of a database that does not own the folder: an
emptied or missing `tui_app.sqlite`, or a `database_url` pointing at another database, would
otherwise take every received file for a leftover. The id lives in the database (`setting`
row `store_id`) and in the folder (`files/STORE_ID`); they are bound the first time a file is
stored, and every job that deletes files checks them first (`check_store`).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlmodel import Session, col, select

from tui_app.core.errors import UserError
from tui_app.services.context import Context
from tui_app.store.db import session_scope
from tui_app.store.models import Attachment, Setting

MARKER = "STORE_ID"
KEY = "store_id"


class StoreMismatch(UserError):
    """The files folder does not belong to this database: nothing is deleted."""


def _marker(ctx: Context) -> Path:
    return ctx.files_dir / MARKER


def _read_marker(ctx: Context) -> str | None:
    try:
        return _marker(ctx).read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreMismatch(
            f"Mappen {ctx.files_dir} har en märkfil ({MARKER}) som inte kan läsas ({exc}). "
            "Kontrollera mappens behörigheter."
        ) from exc


def _write_marker(ctx: Context, store_id: str) -> None:
    ctx.files_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = ctx.files_dir / f".{MARKER}.{uuid.uuid4().hex}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, store_id.encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, _marker(ctx))


def _stored_files(ctx: Context) -> list[Path]:
    """A few of the stored files (the layout is files/xx/name): enough to tell empty from not."""
    out: list[Path] = []
    if ctx.files_dir.is_dir():
        for p in ctx.files_dir.glob("*/*"):
            out.append(p)
            if len(out) >= 20:
                break
    return out


def _db_id(s: Session) -> str | None:
    row = s.get(Setting, KEY)
    return row.value if row is not None else None


def _mismatch(ctx: Context, why: str) -> StoreMismatch:
    return StoreMismatch(
        f"Mappen med mottagna filer ({ctx.files_dir}) hör inte till den här databasen: {why} "
        "Kontrollera data_dir och database_url (rätt databas för mappen) och "
        "kontakta IT-support om du är osäker."
    )


def _owns_some(s: Session, ctx: Context, present: list[Path]) -> bool:
    """True when the database refers to at least one of the files present (an older install
    from before the id existed: adopt the folder only when the two evidently belong together)."""
    keys = [f"{p.parent.name}/{p.name}" for p in present]
    hit = s.exec(
        select(Attachment.id)
        .where(col(Attachment.storage_key).in_(keys) | col(Attachment.thumb_key).in_(keys))
        .limit(1)
    ).first()
    return hit is not None


def bind_store(ctx: Context) -> str:
    """Make sure the folder and the database name each other; return the store id.

    Called before a file is placed and before anything is deleted. Raises StoreMismatch when
    they name different stores, or when the folder holds files this database knows nothing of.
    """
    from tui_app.store.db import read_scope

    marker = _read_marker(ctx)
    with read_scope(ctx.engine) as s:  # the common case (bound, both agree) writes nothing
        db_id = _db_id(s)
    if db_id is not None and marker == db_id:
        return db_id
    with session_scope(ctx.engine) as s:
        db_id = _db_id(s)
        present = _stored_files(ctx)
        if db_id is not None and marker == db_id:
            return db_id
        if db_id is not None and marker is not None:
            raise _mismatch(ctx, f"mappen är märkt {marker}, databasen väntar sig {db_id}.")
        if db_id is not None:  # the marker is gone
            if present:
                raise _mismatch(ctx, f"märkfilen {MARKER} saknas i mappen.")
            _write_marker(ctx, db_id)  # an empty folder: nothing to confuse, mark it again
            return db_id
        # The database has no id yet: a new database, or one from before ids existed.
        if marker is not None and present and not _owns_some(s, ctx, present):
            raise _mismatch(
                ctx,
                f"mappen är märkt {marker} och databasen känner inte till "
                "filerna i den (är databasen ny eller tömd?).",
            )
        if marker is None and present and not _owns_some(s, ctx, present):
            raise _mismatch(
                ctx, "databasen känner inte till filerna i mappen (är databasen ny eller tömd?)."
            )
        store_id = marker or uuid.uuid4().hex
        if marker is None:
            _write_marker(ctx, store_id)
        s.add(Setting(key=KEY, value=store_id))
        return store_id


def check_store(ctx: Context) -> None:
    """Refuse (StoreMismatch) unless the files folder belongs to this database; a folder that
    does not exist yet is fine (nothing to delete)."""
    if not ctx.files_dir.exists():
        return
    bind_store(ctx)
