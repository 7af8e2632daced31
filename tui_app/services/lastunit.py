"""The unit a member of staff last sent from: the new-case screen offers it first.

Read from the cases table itself (who sent which case from where), so there is no extra state
to keep, migrate or get out of step.
"""

from __future__ import annotations

from sqlmodel import col, select

from tui_app.services.context import Context
from tui_app.services.identity import Actor
from tui_app.store.db import session_scope
from tui_app.store.models import Case


def last_used_unit(ctx: Context, actor: Actor) -> int | None:
    """The id of the actor's unit they last sent a case from, or None (never sent, or no longer a member)."""
    if actor.staff_id is None or not actor.units:
        return None
    with session_scope(ctx.engine) as s:
        unit_id = s.exec(
            select(Case.unit_id)
            .where(Case.created_by == actor.staff_id, col(Case.unit_id).in_(actor.unit_ids))
            .order_by(col(Case.sent_at).desc(), col(Case.id).desc())
            .limit(1)
        ).first()
    return unit_id
