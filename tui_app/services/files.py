"""Received files: staging a patient's chosen file, storing a reply's files all-or-nothing, listing them."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col, select

from tui_app.core.errors import RuleViolation, UserError
from tui_app.core.limits import MAX_FILES_PER_MESSAGE
from tui_app.core.safetext import safe_display_name
from tui_app.services.context import Context
from tui_app.services.views import FileView
from tui_app.store.db import session_scope
from tui_app.store.models import Attachment, Case

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


def stage_files(ctx: Context, sources: list[Path]) -> list[StagedFile]:
    """Check and clean files the patient chose, in one sandboxed worker (R09, R10).

    A refusal is a StagedFile too; its reason says what is wrong and what to do.
    """
    from tui_app.intake import prepare_many

    batch = _staging_root(ctx) / uuid.uuid4().hex
    batch.mkdir(parents=True, mode=0o700)
    results = prepare_many(sources, batch)
    out = []
    for src, p in zip(sources, results):
        v = p.verdict
        out.append(StagedFile(
            token=uuid.uuid4().hex, original_name=src.name, accepted=v.accepted, reason=v.reason,
            mime=p.stored_mime or v.mime, original_size=v.size, sha256_original=v.sha256,
            stored_path=p.stored_path, stored_sha256=p.stored_sha256, thumb_path=p.thumbnail_path,
            width=v.width, height=v.height, pages=v.pages,
        ))
    return out


def stage_file(ctx: Context, source: Path) -> StagedFile:
    """Check and clean one chosen file (see stage_files)."""
    return stage_files(ctx, [source])[0]


def discard_staged(ctx: Context, staged: StagedFile) -> None:
    """Forget a chosen file (the patient removed it from the list)."""
    for p in (staged.stored_path, staged.thumb_path):
        if p is not None:
            p.unlink(missing_ok=True)
            _remove_empty(p.parent)


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()  # only when empty: other files of the batch may still be waiting
    except OSError:
        pass


def check_reply_files(files: list[StagedFile]) -> None:
    """R08 and R11: at most five files, and every one accepted, or the whole reply is refused."""
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise RuleViolation(
            "R08", f"Du kan bifoga högst {MAX_FILES_PER_MESSAGE} filer per meddelande. "
            f"Ta bort {len(files) - MAX_FILES_PER_MESSAGE} och försök igen.")
    refused = [f for f in files if not f.accepted]
    if refused:
        one = len(refused) == 1
        names = ", ".join(f.display_name for f in refused)
        raise RuleViolation(
            "R11", f"Svaret skickades inte: {'filen' if one else 'filerna'} {names} kan inte "
            f"skickas (se skälet i listan). Ta bort {'den' if one else 'dem'} (markera och tryck "
            "d) eller byt ut och skicka igen. Din text finns kvar.")


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


def _place(ctx: Context, src: Path, ext: str) -> str:
    """Move a staged file into the store under a generated name; returns its storage key."""
    key = f"{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.{ext}"
    dest = ctx.files_dir / key
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with src.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(src, dest)  # same filesystem: atomic, never half-visible
    os.utime(dest)  # placed now: the garbage collector must not take it for an old orphan
    _fsync_dir(dest.parent)
    return key


def attach_uploads(ctx: Context, s: Session, case: Case, message_id: int, files: list[object]) -> int:
    """Store the reply's files and their rows in the caller's transaction; all or nothing (R11)."""
    staged = [f for f in files if isinstance(f, StagedFile)]
    check_reply_files(staged)
    placed: list[Path] = []
    try:
        for f in staged:
            if f.stored_path is None or f.stored_sha256 is None or f.mime is None:
                raise UserError("En fil saknas i förberedelsen. Välj filen igen.")
            if not f.stored_path.is_file() or _sha256(f.stored_path) != f.stored_sha256:
                raise UserError(f"Filen {f.display_name} har ändrats sedan den kontrollerades. "
                                "Ta bort den och välj den igen.")
            key = _place(ctx, f.stored_path, EXT[f.mime])
            placed.append(ctx.files_dir / key)
            thumb_key = None
            if f.thumb_path is not None and f.thumb_path.is_file():
                thumb_key = _place(ctx, f.thumb_path, "thumb.png")
                placed.append(ctx.files_dir / thumb_key)
            s.add(Attachment(
                case_id=case.id, message_id=message_id, original_name=f.original_name[:255],  # type: ignore[arg-type]
                mime=f.mime, size=(ctx.files_dir / key).stat().st_size, original_size=f.original_size,
                width=f.width, height=f.height, pages=f.pages, sha256_original=f.sha256_original,
                sha256_stored=f.stored_sha256, storage_key=key, thumb_key=thumb_key,
                received_at=ctx.now(),
            ))
        s.flush()
    except BaseException:
        for p in placed:  # the transaction rolls back: take the files back out too
            p.unlink(missing_ok=True)
        raise
    for f in staged:
        if f.stored_path is not None:
            _remove_empty(f.stored_path.parent)
    return len(staged)


def file_status(a: Attachment, copies: int) -> str:
    """Where a file stands in the routine, in words."""
    pdf = a.mime == "application/pdf"
    if a.decision is None:
        return "Ej beslutad"
    if a.decision == "journalförs inte":
        return "Journalförs inte" + (" – rensa kopian" if copies else "")
    if a.pending_action:  # claimed, not confirmed: never shown as done (R19, R20)
        return ("Picsara" if a.pending_action == "picsara" else "E-arkiv") + \
            ": väntar på bekräftelse"
    if pdf and a.scanned_at:
        done = "Skannad till E-arkiv"
    elif pdf and a.printed_at:
        done = "Utskriven – väntar på skanning"
    elif not pdf and a.picsara_at:
        done = "I Picsara"
    elif copies:
        return "Nedladdad – " + ("skriv ut (e)" if pdf else "spara i Picsara (s)")
    else:
        return "Journalförs – ladda ner (l)"
    return done + (" – rensa (r)" if copies else "")


def file_views(s: Session, case_id: int) -> dict[int, list[FileView]]:
    """The files of a case grouped by message id, with decision and status."""
    from sqlmodel import func

    from tui_app.store.models import Download

    out: dict[int, list[FileView]] = {}
    rows = s.exec(select(Attachment).where(Attachment.case_id == case_id)
                  .order_by(col(Attachment.id))).all()
    copies = dict(s.exec(
        select(Download.attachment_id, func.count()).where(
            Download.case_id == case_id, col(Download.cleaned_at).is_(None))
        .group_by(Download.attachment_id)).all())
    for a in rows:
        assert a.id is not None
        n = copies.get(a.id, 0)
        out.setdefault(a.message_id, []).append(FileView(
            id=a.id, display_name=safe_display_name(a.original_name), mime=a.mime, size=a.size,
            width=a.width, height=a.height, pages=a.pages, has_thumbnail=a.thumb_key is not None,
            decision=a.decision, decision_reason=a.decision_reason, status=file_status(a, n),
            copies=n, printed=a.printed_at is not None, scanned=a.scanned_at is not None,
            in_picsara=a.picsara_at is not None, version=a.version,
            pending=a.pending_action is not None,
        ))
    return out


def stored_path(ctx: Context, storage_key: str) -> Path:
    """Where a stored file lives on disk."""
    return ctx.files_dir / storage_key


def collect_garbage(ctx: Context, now: float | None = None) -> int:
    """Remove stale staging folders and stored files no row refers to (left by a crash)."""
    now = now or time.time()
    removed = 0
    root = _staging_root(ctx)
    if root.is_dir():
        for d in root.iterdir():
            if now - d.stat().st_mtime > STAGING_MAX_AGE_S:
                shutil.rmtree(d, ignore_errors=True)
                removed += 1
    if ctx.files_dir.is_dir():
        with session_scope(ctx.engine) as s:
            known = set(s.exec(select(Attachment.storage_key)).all())
            known |= {k for k in s.exec(select(Attachment.thumb_key)).all() if k}
        for p in ctx.files_dir.glob("*/*"):
            key = f"{p.parent.name}/{p.name}"
            if key not in known and now - p.stat().st_mtime > ORPHAN_MIN_AGE_S:
                p.unlink(missing_ok=True)
                removed += 1
    return removed


def attach_demo_files(ctx: Context, case_id: int, message_id: int, paths: list[Path]) -> None:
    """Demo material: check, clean and store sample files as if the patient had sent them."""
    staged = stage_files(ctx, paths)
    with session_scope(ctx.engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        n = attach_uploads(ctx, s, case, message_id, staged)
        s.execute(update(Case).where(col(Case.id) == case_id)
                  .values(file_count=col(Case.file_count) + n))
