"""Download one file at a time to the staff member's Downloads folder (R16, R17, R18)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, update
from sqlmodel import col

from tui_app.core.errors import UserError
from tui_app.core.routine import Action
from tui_app.services.context import Context
from tui_app.services.files import stored_path
from tui_app.services.guard import refusals_logged
from tui_app.services.actor import Actor
from tui_app.store.db import session_scope
from tui_app.store.models import Download
from tui_app.services.handling.common import (
    _about,
    _log,
    _refuse,
    load_file,
)


def download(ctx: Context, actor: Actor, file_id: int) -> Path:
    """Copy one file to the actor's Downloads folder (R16, R17, R18); returns where it landed.

    The copy is tracked before it exists: its row (path, checksum, pending) commits first, the
    copy is written under a hidden temp name and then given the recorded name, and only then is
    the row marked complete. A crash at any point leaves a row that clean-up, `leftovers` and
    `resolve_pending` can find (R21), never an untracked copy.
    """
    from tui_app.adapters.downloads import copy_name
    from tui_app.adapters.errors import AdapterError
    from tui_app.core.killpoint import killpoint
    from tui_app.services.pending import process_owner

    with refusals_logged(ctx, actor, "ladda ner"):
        with session_scope(ctx.engine) as s:
            fc = load_file(s, actor, file_id)
            about = _about(fc)
            _refuse(s, ctx, actor, fc, Action.FILE_DOWNLOAD)
            src = stored_path(ctx, fc.file.storage_key)
            if not src.is_file():
                raise UserError("Filen saknas i lagringen. Kontakta IT-support.").concerning(
                    **about
                )
            dest_dir = ctx.downloads.folder()
            suffix = fc.file.storage_key.rsplit(".", 1)[-1]
            stem = f"arende{fc.case.id}-fil{file_id}"
            target = dest_dir / copy_name(stem, suffix)
            owner = process_owner()
            row = Download(
                attachment_id=file_id,
                case_id=fc.case.id,
                staff_login=actor.login,
                path=str(target),
                sha256=fc.file.sha256_stored,
                downloaded_at=ctx.now(),
                pending_owner=owner,
            )
            s.add(row)
        killpoint("download.intent")
        try:
            saved = ctx.downloads.save(
                src,
                stem_hint=stem,
                suffix=suffix,
                expected_sha256=fc.file.sha256_stored,
                name=target.name,
            )
        except BaseException as exc:
            with session_scope(ctx.engine) as s:  # nothing was made: the intent goes again
                s.execute(delete(Download).where(col(Download.id) == row.id))
            if isinstance(exc, AdapterError):
                raise UserError(exc.message).concerning(**about) from exc
            raise
        with session_scope(ctx.engine) as s:
            s.execute(update(Download).where(col(Download.id) == row.id).values(pending_owner=None))
            _log(s, ctx, actor, fc, "ladda ner", str(saved.path))
        killpoint("download.done")
    return saved.path
