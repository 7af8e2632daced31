"""Find and remove copies of patient files left in Downloads or the trash (R21)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import col, select

from tui_app.services import audit
from tui_app.services.context import Context
from tui_app.store.db import read_scope, session_scope
from tui_app.store.models import Attachment, Download

if TYPE_CHECKING:
    from tui_app.adapters.leftovers import Leftover


def known_checksums(ctx: Context) -> tuple[set[str], set[int]]:
    """SHA-256 sums (and sizes) of every stored patient file and every downloaded copy."""
    with read_scope(ctx.engine) as s:
        sums = set(s.exec(select(Attachment.sha256_stored)).all())
        sums |= set(s.exec(select(Attachment.sha256_original)).all())
        sums |= set(s.exec(select(Download.sha256)).all())
        sizes = set(s.exec(select(Attachment.size)).all()) | set(
            s.exec(select(Attachment.original_size)).all()
        )
        # Copies of files whose case retention removed (R23) keep their size on the row.
        sizes |= {n for n in s.exec(select(Download.size)).all() if n is not None}
    return sums, sizes


def find(ctx: Context, dirs: list[Path] | None = None) -> list[Leftover]:
    """Every file in the given folders (default: Downloads and the trash) that is a patient file."""
    from tui_app.adapters.leftovers import scan

    if not dirs:
        dirs = [ctx.downloads.folder()]
    sums, sizes = known_checksums(ctx)
    # The trashes of the home and of every disk holding these folders are scanned too.
    return list(scan([d for d in dirs if d.is_dir()], sums, sizes=sizes))


def remove(ctx: Context, found: list[Leftover], login: str) -> int:
    """Delete the copies found (`tui-app leftovers --delete`), log it, and mark `login`'s own
    downloads whose copy is gone as cleaned; how many were removed."""
    from tui_app.adapters.leftovers import delete as delete_items

    results = delete_items(found)
    with session_scope(ctx.engine) as s:
        audit.append(
            s,
            at=ctx.now(),
            actor=login,
            action="rensa kvarglömda",
            detail=f"{len(found)} kopior raderade med tui-app leftovers",
        )
        mine = select(Download).where(
            col(Download.cleaned_at).is_(None),
            Download.staff_login == login,
        )
        for d in s.exec(mine).all():
            if not Path(d.path).exists():
                d.cleaned_at, d.cleaned_by, d.clean_note = ctx.now(), login, "leftovers"
                s.add(d)
    return len(results)
