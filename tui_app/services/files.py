"""Received files: staging a patient's chosen file, storing a reply's files all-or-nothing, listing them."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session, col, select

from tui_app.core.errors import RuleViolation, UserError
from tui_app.core.killpoint import killpoint
from tui_app.core import routine
from tui_app.core.routine import Action, Decision, FileFacts, Target, kind_of
from tui_app.core.safetext import safe_display_name
from tui_app.services.context import Context
from tui_app.services.views import FileView
from tui_app.store.db import session_scope
from tui_app.store.models import Attachment, Case

if TYPE_CHECKING:
    from tui_app.intake.sandbox import SandboxConfig
    from tui_app.store.filestore import FileStore

EXT = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "application/pdf": "pdf"}
STAGING_MAX_AGE_S = 24 * 3600
ORPHAN_MIN_AGE_S = 3600


@dataclass(frozen=True)
class StagedFile:
    """A file the patient chose, already checked and cleaned in a private staging folder."""

    token: str
    original_name: str
    accepted: bool
    reason: str | None
    mime: str | None
    original_size: int
    sha256_original: str
    stored_path: Path | None
    stored_sha256: str | None
    thumb_path: Path | None
    width: int | None = None
    height: int | None = None
    pages: int | None = None

    @property
    def display_name(self) -> str:
        """The name, safe to show."""
        return safe_display_name(self.original_name)


def _staging_root(ctx: Context) -> Path:
    return ctx.data_dir / "staging"


def _storable_name(src: Path) -> str:
    """The file's name as text that can be stored and shown: bytes that are not UTF-8 (a Latin-1
    "été", or b"bad\\xff") become U+FFFD, instead of surrogates no database can encode."""
    return os.fsencode(src.name).decode("utf-8", "replace")


def display_name_for(src: Path) -> str:
    """The name a chosen file will be shown (and stored) under, safe to show."""
    return safe_display_name(_storable_name(src))


def _sandbox(ctx: Context) -> SandboxConfig:
    """The intake limits, with the worker bound shared by every process of this deployment."""
    from tui_app.intake.sandbox import SandboxConfig

    return SandboxConfig(slots_dir=ctx.data_dir / "intake-slots")


def stage_files(
    ctx: Context, sources: list[Path], on_wait: Callable[[bool], None] | None = None
) -> list[StagedFile]:
    """Check and clean files the patient chose, in one sandboxed worker (R09, R10).

    A refusal is a StagedFile too; its reason says what is wrong and what to do. `on_wait(True)`
    is called when the check waits for a free intake worker (the server's bound), and
    `on_wait(False)` when it starts.
    """
    from tui_app.intake import prepare_many

    batch = _staging_root(ctx) / uuid.uuid4().hex
    batch.mkdir(parents=True, mode=0o700)
    try:
        results = prepare_many(sources, batch, _sandbox(ctx), on_wait)
    finally:
        _remove_empty(batch)  # nothing accepted: no folder left behind
    out = []
    for src, p in zip(sources, results):
        v = p.verdict
        out.append(
            StagedFile(
                token=uuid.uuid4().hex,
                original_name=_storable_name(src),
                accepted=v.accepted,
                reason=v.reason,
                mime=p.stored_mime or v.mime,
                original_size=v.size,
                sha256_original=v.sha256,
                stored_path=p.stored_path,
                stored_sha256=p.stored_sha256,
                thumb_path=p.thumbnail_path,
                width=v.width,
                height=v.height,
                pages=v.pages,
            )
        )
    return out


def stage_file(
    ctx: Context, source: Path, on_wait: Callable[[bool], None] | None = None
) -> StagedFile:
    """Check and clean one chosen file (see stage_files)."""
    return stage_files(ctx, [source], on_wait)[0]


def discard_staged(ctx: Context, staged: StagedFile) -> None:
    """Forget a chosen file (the patient removed it from the list)."""
    for p in (staged.stored_path, staged.thumb_path):
        if p is not None:
            p.unlink(missing_ok=True)
            _remove_empty(p.parent)


@dataclass(frozen=True)
class StagedToken:
    """What the patient's screen holds of a chosen file: what it shows, never where it lies.

    The staged file itself (its paths in the private staging folder, its hashes) stays here,
    in the context's token map (`stage_token`, `staged_for`, `discard_token`)."""

    id: str
    name: str  # safe to show
    size: int  # bytes, as chosen
    accepted: bool
    reason: str | None  # why not, in Swedish, when refused
    kind: str  # the type as shown: "JPEG", "PDF", … ("" when unknown)


class _Tokens:
    """The staged files behind the tokens handed to one context's screens (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, StagedFile] = {}


_TOKENS: weakref.WeakKeyDictionary[Context, _Tokens] = weakref.WeakKeyDictionary()
_TOKENS_LOCK = threading.Lock()


def _tokens(ctx: Context) -> _Tokens:
    with _TOKENS_LOCK:
        t = _TOKENS.get(ctx)
        if t is None:
            t = _TOKENS[ctx] = _Tokens()
        return t


def stage_token(
    ctx: Context, source: Path, on_wait: Callable[[bool], None] | None = None
) -> StagedToken:
    """Check and clean one chosen file (stage_file); the caller gets a token for it."""
    staged = stage_file(ctx, source, on_wait)
    t = _tokens(ctx)
    with t.lock:
        t.files[staged.token] = staged
    return StagedToken(
        id=staged.token,
        name=staged.display_name,
        size=staged.original_size,
        accepted=staged.accepted,
        reason=staged.reason,
        kind=(staged.mime or "").split("/")[-1].upper(),
    )


def staged_for(ctx: Context, token_ids: list[str]) -> list[StagedFile]:
    """The staged files behind these tokens, in order; a token no longer known is refused."""
    t = _tokens(ctx)
    with t.lock:
        found = [t.files.get(i) for i in token_ids]
    if any(f is None for f in found):
        raise UserError("En fil saknas i förberedelsen. Ta bort den och välj filen igen.")
    return [f for f in found if f is not None]


def forget_tokens(ctx: Context, token_ids: list[str]) -> None:
    """Drop tokens whose files went into the store with a reply (nothing left to delete)."""
    t = _tokens(ctx)
    with t.lock:
        for i in token_ids:
            t.files.pop(i, None)


def discard_token(ctx: Context, token_id: str) -> None:
    """The patient removed a chosen file: delete it from staging and forget its token."""
    t = _tokens(ctx)
    with t.lock:
        staged = t.files.pop(token_id, None)
    if staged is not None:
        discard_staged(ctx, staged)


def discard_all_tokens(ctx: Context) -> int:
    """Delete every chosen file not sent (the app is closing); returns how many."""
    t = _tokens(ctx)
    with t.lock:
        left, t.files = list(t.files.values()), {}
    for staged in left:
        discard_staged(ctx, staged)
    return len(left)


@atexit.register
def _discard_at_exit() -> None:
    """Chosen but never sent files leave with the process (the collector is the fallback)."""
    with _TOKENS_LOCK:
        contexts = list(_TOKENS.keys())
    for ctx in contexts:
        try:
            discard_all_tokens(ctx)
        except OSError:
            pass


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()  # only when empty: other files of the batch may still be waiting
    except OSError:
        pass


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
    from tui_app.store.models import UploadIntent

    assert case.id is not None  # the case is stored before its files
    staged = [f for f in files if isinstance(f, StagedFile)]
    check_reply_files(staged)
    placed: list[Path] = []
    moved: list[tuple[Path, Path]] = []  # (stored, staged) to put back if the reply fails
    try:
        for f in staged:
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
                    case_id=case.id,
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
        s.flush()
    except BaseException:
        # The transaction rolls back: take the files back out, to staging, so that sending
        # again works (the files are still the checked ones).
        for stored, staged_path in moved:
            try:
                os.replace(stored, staged_path)
            except OSError:
                stored.unlink(missing_ok=True)
        for p in placed:
            p.unlink(missing_ok=True)
        raise
    in_db = file_store(ctx).kind != "directory"
    for f in staged:
        if f.stored_path is not None:
            if in_db:  # copied into the transaction, not moved: the staged copies go now
                for left in (f.stored_path, f.thumb_path):
                    if left is not None:
                        left.unlink(missing_ok=True)
            _remove_empty(f.stored_path.parent)
    return len(staged)


def file_facts(a: Attachment, copies: int) -> FileFacts:
    """The routine's view of a stored file (core/routine.py)."""
    return FileFacts(
        id=a.id or 0,
        name=safe_display_name(a.original_name),
        kind=kind_of(a.mime),
        decision=Decision(a.decision) if a.decision else None,
        copies=copies,
        pending=Target(a.pending_action) if a.pending_action else None,
        in_picsara=a.picsara_at is not None,
        printed=a.printed_at is not None,
        scanned=a.scanned_at is not None,
    )


def file_status(a: Attachment, copies: int) -> str:
    """Where a file stands in the routine, in words (key hints as placeholders the UI renders;
    see core/routine.py file_status)."""
    return routine.file_status(file_facts(a, copies))


def file_views(s: Session, case_id: int) -> dict[int, list[FileView]]:
    """The files of a case grouped by message id, with decision and status."""
    from sqlmodel import func

    from tui_app.store.models import Download

    out: dict[int, list[FileView]] = {}
    rows = s.exec(
        select(Attachment).where(Attachment.case_id == case_id).order_by(col(Attachment.id))
    ).all()
    copies = dict(
        s.exec(
            select(col(Download.attachment_id), func.count())
            .where(col(Download.case_id) == case_id, col(Download.cleaned_at).is_(None))
            .group_by(col(Download.attachment_id))
        ).all()
    )
    for a in rows:
        assert a.id is not None
        n = copies.get(a.id, 0)
        out.setdefault(a.message_id, []).append(
            FileView(
                id=a.id,
                display_name=safe_display_name(a.original_name),
                mime=a.mime,
                size=a.size,
                width=a.width,
                height=a.height,
                pages=a.pages,
                has_thumbnail=a.thumb_key is not None,
                decision=a.decision,
                decision_reason=a.decision_reason,
                status=file_status(a, n),
                copies=n,
                printed=a.printed_at is not None,
                scanned=a.scanned_at is not None,
                in_picsara=a.picsara_at is not None,
                version=a.version,
                pending=a.pending_action is not None,
                pending_target=a.pending_action,
            )
        )
    return out


def stored_path(ctx: Context, storage_key: str) -> Path:
    """Where a stored file is on this server's disk (with the database store: a cached copy);
    a path that does not exist when nothing is stored under the key."""
    return file_store(ctx).local_path(storage_key)


@dataclass(frozen=True)
class GarbageReport:
    """What the collector removed, and stored files it kept because nothing declared them."""

    staging: int
    abandoned: int
    unknown: int

    @property
    def removed(self) -> int:
        """Folders and files removed in all."""
        return self.staging + self.abandoned


def collect_garbage(ctx: Context, now: float | None = None) -> GarbageReport:
    """Remove stale staging folders, and stored files of uploads the database has declared
    abandoned (an upload intent older than an hour whose key no attachment took).

    A stored file that neither an attachment nor an intent names is counted, never deleted:
    it belongs to something this database does not know. Refuses (StoreMismatch), deleting
    nothing, when the files folder does not belong to this database.
    """
    from tui_app.services.storeid import check_store
    from tui_app.store.models import UploadIntent

    check_store(ctx)
    now = now or time.time()
    staging = abandoned = 0
    root = _staging_root(ctx)
    if root.is_dir():
        for d in root.iterdir():
            if now - d.stat().st_mtime > STAGING_MAX_AGE_S:
                shutil.rmtree(d, ignore_errors=True)
                staging += 1
    from tui_app.store.filestore import prune_cache

    staging += prune_cache(file_store(ctx), STAGING_MAX_AGE_S, now)  # copies from the database
    cutoff = datetime.fromtimestamp(now - ORPHAN_MIN_AGE_S, UTC)
    with session_scope(ctx.engine) as s:
        stale = s.exec(select(UploadIntent).where(col(UploadIntent.created_at) < cutoff)).all()
        for intent in stale:
            key = intent.storage_key
            taken = s.exec(
                select(Attachment.id)
                .where((col(Attachment.storage_key) == key) | (col(Attachment.thumb_key) == key))
                .limit(1)
            ).first()
            if taken is None:
                store = file_store(ctx)
                if store.exists(key):
                    store.delete(key, s)
                    abandoned += 1
            s.delete(intent)
    return GarbageReport(staging, abandoned, _count_unknown(ctx))


def _count_unknown(ctx: Context) -> int:
    """Stored files no attachment and no intent names (looked up in batches of keys)."""
    from tui_app.store.models import UploadIntent

    unknown = 0
    batch: list[str] = []

    def flush() -> int:
        with session_scope(ctx.engine) as s:
            known = set(
                s.exec(
                    select(Attachment.storage_key).where(col(Attachment.storage_key).in_(batch))
                ).all()
            )
            known |= {
                k
                for k in s.exec(
                    select(Attachment.thumb_key).where(col(Attachment.thumb_key).in_(batch))
                ).all()
                if k
            }
            known |= set(
                s.exec(
                    select(UploadIntent.storage_key).where(col(UploadIntent.storage_key).in_(batch))
                ).all()
            )
        return sum(1 for k in batch if k not in known)

    for key in file_store(ctx).keys():
        batch.append(key)
        if len(batch) >= 500:
            unknown += flush()
            batch = []
    if batch:
        unknown += flush()
    return unknown


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
