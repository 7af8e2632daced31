"""Staff: the inbox, the live watcher, the demo clock and a new case.

Part of the UI's one surface, re-exported by `tui_app.services.api`; see there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from tui_app.core.rules import CaseState
from tui_app.services.actor import Actor
from tui_app.services.api._base import wait_for_data_layer
from tui_app.services.context import Context
from tui_app.services.cancel import Cancel
from tui_app.services.views import (
    CaseView,
    Draft,
    InboxCounts,
    InboxPage,
    InboxRow,
    InboxWhere,
)

if TYPE_CHECKING:
    from tui_app.services.live import Watcher


def watch_changes(ctx: Context, on_change: Callable[[], object]) -> Watcher:
    """Call `on_change` (from a thread of its own) whenever another session or server changed
    the database: LISTEN/NOTIFY on PostgreSQL, PRAGMA data_version on SQLite (services/live.py).
    Starting it does no I/O: the watcher's thread waits for the engine itself."""
    from tui_app.services.live import watch

    return watch(ctx, on_change)


def inbox(
    ctx: Context, actor: Actor, state: CaseState | None = None, query: str = ""
) -> list[InboxRow]:
    """The cases of the person's units (R05), newest first, filtered and searched."""
    wait_for_data_layer(ctx)
    from tui_app.services import cases

    return cases.inbox(ctx, actor, state, query)


def inbox_page(
    ctx: Context,
    actor: Actor,
    state: CaseState | None = None,
    query: str = "",
    where: InboxWhere = InboxWhere(),
    limit: int = 50,
    cancel: Cancel | None = None,
) -> InboxPage:
    """One page of the person's cases (R05), newest first, filtered and searched, keyset-paged
    (`where`: after / start / before a row's key, the last page, or around a case number);
    `limit` is taken as 1..200. Raises Cancelled if `cancel` is cancelled (the query stops)."""
    wait_for_data_layer(ctx)
    from tui_app.services import inbox as inbox_query

    return inbox_query.page(ctx, actor, state, query, where, limit, cancel)


def inbox_counts(ctx: Context, actor: Actor) -> InboxCounts:
    """The person's cases per status (R05; no search), for the filter."""
    wait_for_data_layer(ctx)
    from tui_app.services import inbox as inbox_query

    return inbox_query.counts(ctx, actor)


def open_case(ctx: Context, actor: Actor, case_id: int, *, log_access: bool = True) -> CaseView:
    """One case for staff (R05); the look is logged unless it is a reload after an own action."""
    wait_for_data_layer(ctx)
    from tui_app.services import cases

    return cases.open_case(ctx, actor, case_id, log_access=log_access)


def advance_clock(ctx: Context, delta: timedelta) -> timedelta:
    """Demo: move the clock forward; returns the new offset."""
    wait_for_data_layer(ctx)
    from tui_app.services import democlock

    return democlock.advance(ctx, delta)


def last_used_unit(ctx: Context, actor: Actor) -> int | None:
    """The unit the person last sent from, if any."""
    wait_for_data_layer(ctx)
    from tui_app.services import lastunit

    return lastunit.last_used_unit(ctx, actor)


def draft_message(ctx: Context, actor: Actor, unit_id: int, pnr_text: str) -> Draft:
    """Check R01–R05 for this unit and patient; the template ready for editing."""
    wait_for_data_layer(ctx)
    from tui_app.services import cases

    return cases.draft_message(ctx, actor, unit_id, pnr_text)


def send_case(ctx: Context, actor: Actor, unit_id: int, patient_id: int, text: str) -> int:
    """Send the message to the patient; returns the new case number."""
    wait_for_data_layer(ctx)
    from tui_app.services import cases

    return cases.send_case(ctx, actor, unit_id, patient_id, text)
