"""The demo clock: a trainer moves time forward; the offset is kept in the demo database."""

from __future__ import annotations

from datetime import timedelta

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
