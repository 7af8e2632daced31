"""Find and remove copies of patient files left in Downloads or the trash (R21)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from tui_app.services import audit
from tui_app.services.context import Context
from tui_app.store.db import read_scope, session_scope
from tui_app.store.models import Attachment, Download

if TYPE_CHECKING:
    from tui_app.adapters.leftovers import Leftover


#: Values per IN list when the database is asked about what was found on disk.
ASK = 500


def known_checksums(ctx: Context) -> tuple[set[str], set[int]]:
    """SHA-256 sums (and sizes) of every stored patient file and every downloaded copy: only
    for a served person, whose helper scans their folders and needs the sets themselves."""
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


def _among(ctx: Context, values: set[Any], columns: list[Any]) -> set[Any]:
    """Which of `values` some row holds in one of `columns` (indexed), asked ASK at a time."""
    found: set[Any] = set()
    todo = sorted(values)
    with read_scope(ctx.engine) as s:
        for column in columns:
            for i in range(0, len(todo), ASK):
                chunk = [v for v in todo[i : i + ASK] if v not in found]
                if chunk:
                    found |= set(s.exec(select(column).where(col(column).in_(chunk))).all())
    return found


def known_sizes(ctx: Context, sizes: set[int]) -> set[int]:
    """Which of these file sizes a stored patient file (or a removed case's copy) has."""
    return _among(ctx, sizes, [Attachment.size, Attachment.original_size, Download.size])


def known_sums(ctx: Context, sums: set[str]) -> set[str]:
    """Which of these SHA-256 sums a stored patient file or a downloaded copy has."""
    cols = [Attachment.sha256_stored, Attachment.sha256_original, Download.sha256]
    return _among(ctx, {x.lower() for x in sums}, cols)


def find(ctx: Context, dirs: list[Path] | None = None) -> list[Leftover]:
    """Every file in the given folders (default: Downloads and the trash) that is a patient file.

    The folders are listed first (few files), then the database is asked about just their
    sizes, and about the checksums of those whose size it knows, by its indexes: the cost
    follows the folders, not the number of files stored. A file matches as before: a size and
    a checksum that the database holds."""
    from tui_app.adapters import leftovers as adapter

    if not dirs:
        dirs = [ctx.downloads.folder()]
    dirs = [d for d in dirs if d.is_dir()]
    # The trashes of the home and of every disk holding these folders are scanned too.
    paths = adapter.candidates(dirs)
    if paths is None:  # a served person: their helper scans with the whole sets
        sums, sizes = known_checksums(ctx)
    else:
        on_disk = adapter.sizes_of(paths)
        sizes = known_sizes(ctx, set(on_disk.values()))
        sums = known_sums(ctx, adapter.digests_of(p for p, n in on_disk.items() if n in sizes))
    return list(adapter.scan(dirs, sums, sizes=sizes))


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
