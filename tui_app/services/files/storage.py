"""Storing a reply's files all-or-nothing: reserved keys, placing, attachment rows (R08, R11)."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session, col

from tui_app.core import routine
from tui_app.core.errors import RuleViolation, UserError
from tui_app.core.killpoint import killpoint
from tui_app.core.routine import Action
from tui_app.services.context import Context
from tui_app.services.files.staging import StagedFile, _remove_empty, stage_files
from tui_app.store.db import session_scope
from tui_app.store.models import Attachment, Case

if TYPE_CHECKING:
    from tui_app.store.filestore import FileStore

EXT = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "application/pdf": "pdf"}


def check_reply_files(files: list[StagedFile]) -> None:
    """R08 and R11: at most five files, and every one accepted, or the whole reply is refused."""
    routine.check_file_count(len(files))
    refused = [f for f in files if not f.accepted]
    if refused:
        one = len(refused) == 1
        names = ", ".join(f.display_name for f in refused)
        raise RuleViolation(
            "R11",
            f"Svaret skickades inte: {'filen' if one else 'filerna'} {names} kan inte "
            f"skickas (se skälet i listan). Ta bort {'den' if one else 'dem'} (markera och tryck "
            f"{Action.REMOVE_FILE.hint}) eller byt ut och skicka igen. Din text finns kvar.",
        )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Reserved:
    """Storage keys reserved (and committed as upload intents) for one staged file."""

    key: str
    thumb_key: str | None


def _new_key(ext: str) -> str:
    return f"{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.{ext}"


def reserve_storage(ctx: Context, files: list[object]) -> dict[str, Reserved]:
    """Reserve storage keys for the accepted staged files, committed before any file is placed.

    Runs in its own short transaction, before the reply's: a crash between placing a file and
    committing the reply then leaves a file the database has declared an abandoned upload,
    which the garbage collector may remove; a file without an intent is never removed.
    """
    from tui_app.services.storeid import bind_store
    from tui_app.store.models import UploadIntent

    out: dict[str, Reserved] = {}
    for f in files:
        if isinstance(f, StagedFile) and f.accepted and f.mime in EXT:
            thumb = _new_key("thumb.png") if f.thumb_path is not None else None
            out[f.token] = Reserved(_new_key(EXT[f.mime]), thumb)
    if not out:
        return out
    bind_store(ctx)
    now = datetime.now(UTC)  # wall time: the collector compares with file times
    with session_scope(ctx.engine) as s:
        for r in out.values():
            s.add(UploadIntent(storage_key=r.key, created_at=now))
            if r.thumb_key:
                s.add(UploadIntent(storage_key=r.thumb_key, created_at=now))
    return out


def file_store(ctx: Context) -> FileStore:
    """The deployment's file store (setting file_store; the database with PostgreSQL)."""
    from tui_app.store.filestore import open_store

    engine = ctx.engine
    return open_store(ctx.config.file_store, str(engine.url), engine, ctx.data_dir)


def _place(ctx: Context, s: Session, src: Path, key: str) -> str:
    """Move a staged file into the store under its reserved key; returns the key."""
    store = file_store(ctx)
    if store.kind != "directory":  # into the reply's transaction, chunk by chunk
        with src.open("rb") as f:
            store.put(s, key, f)
        s.flush()
        killpoint("files.placed")
        return key
    dest = ctx.files_dir / key
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with src.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(src, dest)  # same filesystem: atomic, never half-visible
    os.utime(dest)  # placed now: the garbage collector must not take it for an old orphan
    _fsync_dir(dest.parent)
    killpoint("files.placed")
    return key


def _attach_one(
    ctx: Context,
    s: Session,
    case_id: int,
    message_id: int,
    f: StagedFile,
    reserved: dict[str, Reserved],
    placed: list[Path],
    moved: list[tuple[Path, Path]],
) -> None:
    """Place one staged file (and its thumbnail) and add its row; `placed` and `moved` record
    what to take back if the reply fails."""
    from tui_app.store.models import UploadIntent

    if f.stored_path is None or f.stored_sha256 is None or f.mime is None:
        raise UserError("En fil saknas i förberedelsen. Välj filen igen.")
    if not f.stored_path.is_file() or _sha256(f.stored_path) != f.stored_sha256:
        raise UserError(
            f"Filen {f.display_name} har ändrats sedan den kontrollerades. "
            "Ta bort den och välj den igen."
        )
    r = reserved.get(f.token)
    if r is None:
        raise UserError("En fil saknas i förberedelsen. Välj filen igen.")
    size = f.stored_path.stat().st_size
    key = _place(ctx, s, f.stored_path, r.key)
    placed.append(ctx.files_dir / key)
    moved.append((ctx.files_dir / key, f.stored_path))
    if (intent := s.get(UploadIntent, r.key)) is not None:
        s.delete(intent)
    thumb_key = None
    if r.thumb_key and f.thumb_path is not None and f.thumb_path.is_file():
        thumb_key = _place(ctx, s, f.thumb_path, r.thumb_key)
        placed.append(ctx.files_dir / thumb_key)
        moved.append((ctx.files_dir / thumb_key, f.thumb_path))
    if r.thumb_key and (intent := s.get(UploadIntent, r.thumb_key)) is not None:
        s.delete(intent)
    s.add(
        Attachment(
            case_id=case_id,
            message_id=message_id,
            original_name=f.original_name[:255],
            mime=f.mime,
            size=size,
            original_size=f.original_size,
            width=f.width,
            height=f.height,
            pages=f.pages,
            sha256_original=f.sha256_original,
            sha256_stored=f.stored_sha256,
            storage_key=key,
            thumb_key=thumb_key,
            received_at=ctx.now(),
        )
    )


def _take_back(placed: list[Path], moved: list[tuple[Path, Path]]) -> None:
    """The transaction rolls back: take the files back out, to staging, so that sending again
    works (the files are still the checked ones)."""
    for stored, staged_path in moved:
        try:
            os.replace(stored, staged_path)
        except OSError:
            stored.unlink(missing_ok=True)
    for p in placed:
        p.unlink(missing_ok=True)


def _clear_staging(ctx: Context, staged: list[StagedFile]) -> None:
    """After the files are stored: staged copies left (database store) and empty folders go."""
    in_db = file_store(ctx).kind != "directory"
    for f in staged:
        if f.stored_path is not None:
            if in_db:  # copied into the transaction, not moved: the staged copies go now
                for left in (f.stored_path, f.thumb_path):
                    if left is not None:
                        left.unlink(missing_ok=True)
            _remove_empty(f.stored_path.parent)


def attach_uploads(
    ctx: Context,
    s: Session,
    case: Case,
    message_id: int,
    files: list[object],
    reserved: dict[str, Reserved],
) -> int:
    """Store the reply's files and their rows in the caller's transaction; all or nothing (R11).

    `reserved` comes from reserve_storage, called before the caller's transaction began; the
    intents are deleted in this transaction, so they vanish exactly when the rows appear."""
    assert case.id is not None  # the case is stored before its files
    staged = [f for f in files if isinstance(f, StagedFile)]
    check_reply_files(staged)
    placed: list[Path] = []
    moved: list[tuple[Path, Path]] = []  # (stored, staged) to put back if the reply fails
    try:
        for f in staged:
            _attach_one(ctx, s, case.id, message_id, f, reserved, placed, moved)
        s.flush()
    except BaseException:
        _take_back(placed, moved)
        raise
    _clear_staging(ctx, staged)
    return len(staged)


def attach_demo_files(ctx: Context, case_id: int, message_id: int, paths: list[Path]) -> None:
    """Demo material: check, clean and store sample files as if the patient had sent them."""
    staged = stage_files(ctx, paths)
    reserved = reserve_storage(ctx, list(staged))
    with session_scope(ctx.engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        n = attach_uploads(ctx, s, case, message_id, list(staged), reserved)
        s.execute(
            update(Case).where(col(Case.id) == case_id).values(file_count=col(Case.file_count) + n)
        )
