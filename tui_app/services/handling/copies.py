"""Clean up the downloaded copies of a file, in Downloads and the trash, and verify (R21)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session

from tui_app.services.context import Context
from tui_app.services.guard import refusals_logged
from tui_app.services.actor import Actor
from tui_app.store.db import session_scope
from tui_app.store.models import Download
from tui_app.services.handling.common import (
    _log,
    _refuse_shared_account,
    live_copies,
    load_file,
)

if TYPE_CHECKING:
    from tui_app.adapters.trash import TrashedItem


@dataclass(frozen=True)
class CleanupReport:
    """What clean-up did, where each copy actually was, and whether any copy is left."""

    deleted: list[str]  # the actor's tracked copies now closed (deleted, or found already gone)
    trashed: list[str]  # copies deleted from the trash
    remaining: list[str]  # copies still found in the actor's Downloads (or unreadable there)
    notes: list[str]
    where: list[str] = field(default_factory=list)  # one line per copy: where it was, what was done
    colleagues: int = 0  # other staff's downloads of the file not yet cleaned (not listed)

    @property
    def clean(self) -> bool:
        """True when no copy of the file is left in Downloads or the trash."""
        return not self.remaining and not self.colleagues


@dataclass
class _Tally:
    """What clean-up has done so far, line by line, for the report."""

    deleted: list[str] = field(default_factory=list)
    trashed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    claimed: dict[Path, int] = field(default_factory=dict)  # a trashed item -> its line in `where`


def _close_copies(
    s: Session,
    ctx: Context,
    actor: Actor,
    copies: list[Download],
    in_trash: list[TrashedItem],
    t: _Tally,
) -> None:
    """Delete each tracked copy of the actor's and close its row, saying where it really was."""
    from tui_app.adapters.errors import AdapterError

    for d in copies:
        name = Path(d.path).name
        try:
            r = ctx.downloads.remove(Path(d.path), d.sha256)
        except AdapterError as exc:
            t.notes.append(exc.message)
            continue
        if r.status not in ("deleted", "already_gone"):
            t.notes.append(r.message_sv)
            continue
        t.deleted.append(d.path)
        d.cleaned_at, d.cleaned_by = ctx.now(), actor.login
        if r.status == "deleted":
            d.clean_note = "raderad"
            t.where.append(f"{name}: låg i Hämtade filer – raderad")
        else:
            moved = next(
                (
                    i
                    for i in in_trash
                    if i.path not in t.claimed
                    and (i.original_path == d.path or i.sha256 == d.sha256)
                ),
                None,
            )
            if moved is not None:
                t.claimed[moved.path] = len(t.where)
                d.clean_note = "flyttad till papperskorgen"
                t.where.append(f"{name}: låg redan i papperskorgen")
            else:
                d.clean_note = "fanns inte längre"
                t.where.append(f"{name}: fanns inte längre (redan raderad)")
        s.add(d)


def _purge_trash(ctx: Context, in_trash: list[TrashedItem], t: _Tally) -> None:
    """Delete every copy of the file found in the trash."""
    from tui_app.adapters.errors import AdapterError

    for item in in_trash:
        try:
            result = ctx.trash.purge(item)
        except AdapterError as exc:
            t.notes.append(exc.message)
            continue
        if result.status == "deleted":
            t.trashed.append(str(item.path))
            if item.path in t.claimed:
                t.where[t.claimed[item.path]] += " – raderad där"
            else:
                t.where.append(f"{item.path.name}: en kopia i papperskorgen – raderad")
        else:
            t.notes.append(result.message_sv)


def cleanup(ctx: Context, actor: Actor, file_id: int) -> CleanupReport:
    """Delete the actor's downloaded copies and any copy in the trash, then verify (R21).

    Each copy is reported where it really was: still in Downloads, already moved to the trash
    by hand, or gone. Other staff members' copies are counted, never listed: their paths are
    theirs. A GK account downloads nothing and is refused (R16).
    """
    from tui_app.adapters.leftovers import scan_report
    from tui_app.adapters.served import serving

    _refuse_shared_account(ctx, actor, "rensa", "rensa kopior", file_id=file_id)
    with refusals_logged(ctx, actor, "rensa"), session_scope(ctx.engine) as s:
        fc = load_file(s, actor, file_id)
        copies = live_copies(s, file_id, actor.login)
        others = [d for d in live_copies(s, file_id) if d.staff_login != actor.login]
        t = _Tally()
        sums = {fc.file.sha256_stored} | {d.sha256 for d in copies}
        dl_dir = ctx.downloads.folder()
        in_trash = ctx.trash.find(sums, [dl_dir])
        _close_copies(s, ctx, actor, copies, in_trash, t)
        _purge_trash(ctx, in_trash, t)
        # "Nothing found" proves nothing if some file could not be read: those count as left.
        # A served person's Downloads is theirs to read (their helper scans it; see deploy/).
        report = scan_report([dl_dir] if serving() or dl_dir.is_dir() else [], sums)
        theirs = {d.path for d in others}
        found = [str(x.path) for x in report.found]
        remaining = [p for p in found if p not in theirs] + [str(p) for p in report.unreadable]
        for p in remaining:
            t.where.append(f"{Path(p).name}: finns kvar i {Path(p).parent}")
        _log(
            s,
            ctx,
            actor,
            fc,
            "rensa",
            f"{len(t.deleted)} kopior, {len(t.trashed)} i papperskorgen, kvar {len(remaining)}"
            + (f", {len(others)} hos kollegor" if others else ""),
        )
        return CleanupReport(t.deleted, t.trashed, remaining, t.notes, t.where, len(others))
