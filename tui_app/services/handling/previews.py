"""Look at a file: its thumbnail and facts, the access logged (R24)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui_app.services.context import Context
from tui_app.services.files import stored_path
from tui_app.services.guard import refusals_logged
from tui_app.services.actor import Actor
from tui_app.store.db import session_scope
from tui_app.services.handling.common import (
    _log,
    load_file,
)


@dataclass(frozen=True)
class Preview:
    """What a preview shows: the thumbnail made at intake and the file's facts."""

    file_id: int
    name: str
    mime: str
    thumb: Path | None
    facts: str


def preview(ctx: Context, actor: Actor, file_id: int) -> Preview:
    """Look at a file (its thumbnail); the access is logged (R24)."""
    from tui_app.core.safetext import safe_display_name

    with refusals_logged(ctx, actor, "förhandsvisa"), session_scope(ctx.engine) as s:
        fc = load_file(s, actor, file_id)
        f = fc.file
        from tui_app.core.fmt import fmt_size

        facts = f"{f.mime.split('/')[-1].upper()}, {fmt_size(f.size)}"
        if f.width and f.height:
            facts += f", {f.width}×{f.height} px"
        if f.pages:
            facts += f", {f.pages} sid{'or' if f.pages != 1 else 'a'}"
        _log(s, ctx, actor, fc, "förhandsvisa", "")
        thumb = stored_path(ctx, f.thumb_key) if f.thumb_key else None
        return Preview(
            file_id,
            safe_display_name(f.original_name),
            f.mime,
            thumb if thumb and thumb.is_file() else None,
            facts,
        )
