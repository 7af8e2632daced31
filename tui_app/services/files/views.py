"""Stored files as the routine and the screens see them: facts, status in words, views."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from tui_app.core import routine
from tui_app.core.routine import Decision, FileFacts, Target, kind_of
from tui_app.core.safetext import safe_display_name
from tui_app.services.context import Context
from tui_app.services.files.storage import file_store
from tui_app.services.views import FileView
from tui_app.store.models import Attachment


def file_facts(a: Attachment, copies: int) -> FileFacts:
    """The routine's view of a stored file (core/routine/)."""
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
    see core/routine/ file_status)."""
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
