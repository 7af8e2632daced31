"""The demo clock: a trainer moves time forward; the offset is kept in the demo database."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui_app.core.clock import SystemClock
from tui_app.core.errors import UserError
from tui_app.services.context import Context
from tui_app.store.db import read_scope, session_scope
from tui_app.store.models import Setting

KEY = "demo_clock_offset_seconds"


def load_offset(ctx: Context) -> timedelta:
    """The stored demo offset (zero when none)."""
    with read_scope(ctx.engine) as s:
        row = s.get(Setting, KEY)
        return timedelta(seconds=float(row.value)) if row else timedelta()


def advance(ctx: Context, delta: timedelta) -> timedelta:
    """Move the demo clock forward by delta; refused outside demo mode."""
    if not ctx.demo or not isinstance(ctx.clock, SystemClock):
        raise UserError("Klockan kan bara flyttas i demoläget.")
    if delta <= timedelta():
        raise UserError("Klockan kan bara flyttas framåt.")
    with session_scope(ctx.engine) as s:
        row = s.get(Setting, KEY)
        total = (timedelta(seconds=float(row.value)) if row else timedelta()) + delta
        if row:
            row.value = str(total.total_seconds())
        else:
            s.add(Setting(key=KEY, value=str(total.total_seconds())))
    ctx.clock.offset = total
    return total


# --- the classroom's shared offset (tui-app classroom) --------------------------------------
# The trainer moves every demo's clock at once: the server writes the total in one file of the
# classroom folder, and each trainee's demo adds it to its own offset (kept in its database).


def read_shared_offset(path: Path) -> timedelta:
    """The classroom's shared offset in the file (zero when missing or unreadable)."""
    try:
        return timedelta(seconds=float(path.read_text(encoding="ascii").strip() or 0))
    except (OSError, ValueError):
        return timedelta()


def advance_shared(path: Path, delta: timedelta) -> timedelta:
    """Move every demo of the classroom forward by delta (atomic write); the new total."""
    if delta <= timedelta():
        raise UserError("Klockan kan bara flyttas framåt.")
    total = read_shared_offset(path) + delta
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    temp.write_text(f"{total.total_seconds()}\n", encoding="ascii")
    os.replace(temp, path)
    return total


@dataclass
class ClassroomClock(SystemClock):
    """The demo clock of a classroom demo: its own offset plus the classroom's shared one."""

    shared_file: Path | None = None
    _seen: tuple[int, int] = (0, -1)
    _shared: timedelta = field(default_factory=timedelta)

    def shared(self) -> timedelta:
        """The classroom's offset now (the file is read again only when it changed)."""
        if self.shared_file is None:
            return timedelta()
        try:
            st = os.stat(self.shared_file)
            seen = (st.st_mtime_ns, st.st_size)
        except OSError:
            seen = (0, -1)
        if seen != self._seen:
            self._seen = seen
            self._shared = read_shared_offset(self.shared_file)
        return self._shared

    def now(self) -> datetime:
        """Current time in UTC, moved by the demo's own offset and the classroom's."""
        return datetime.now(UTC) + self.offset + self.shared()
