"""Start-up without the data layer: the signed-in staff member and their first inbox page.

Read by store.quick with the DB-API alone and turned into the very views the ORM path builds
(Actor, InboxRow through services.inboxrows), so the first screen is painted before SQLAlchemy has
loaded. The app then loads the data layer in a thread and refreshes the inbox through the
ordinary query; anything the quick read cannot serve returns None and start-up is as before.

`InboxSource` is the one door the inbox screen reads through: the page read at start-up when it
is at hand, else services.inbox (both run the SQL of store.inboxsql, the inbox query's one
definition; tests/test_inbox_source.py checks the two give the same rows for the same
database, under every status filter and search).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tui_app.services.actor import Actor, staff_actor
from tui_app.services.cancel import Cancel
from tui_app.services.inboxrows import rows_of
from tui_app.services.views import InboxPage, InboxRow, InboxWhere
from tui_app.store.quick import StartRead, read_start, sqlite_path

if TYPE_CHECKING:
    from tui_app.core.rules import CaseState
    from tui_app.services.context import Context

log = logging.getLogger(__name__)


#: Rows the start-up read takes: the most a page may ask for (services.inbox.MAX_LIMIT).
START_ROWS = 200


@dataclass(frozen=True)
class QuickStart:
    """Who signed in, and their first inbox page as it stood when read (unfiltered)."""

    actor: Actor
    page: InboxPage

    @property
    def inbox(self) -> list[InboxRow]:
        """The rows read (START_ROWS at most), newest first."""
        return self.page.rows


def quick_start(url: str, login: str, now: datetime) -> QuickStart | None:
    """The first screen's data for this login, or None to start the ordinary way."""
    path = sqlite_path(url)
    read = read_start(path, login, START_ROWS + 1, now) if path is not None else None
    if read is None:
        return None
    try:
        return _views(read, now)
    except Exception:  # an odd stored value: the ordinary path shows it, or explains
        log.info("start-up read not usable; starting the ordinary way", exc_info=True)
        return None


def _views(read: StartRead, now: datetime) -> QuickStart | None:
    staff_id, login, first, last, shared, picsara, admin = read.staff
    actor = staff_actor(staff_id, login, first, last, shared, picsara, admin, read.units)
    if actor.is_admin:
        return None  # their start screen is the administration, which needs the data layer
    rows = rows_of(now, read.cases[:START_ROWS], read.undecided, read.copies)
    return QuickStart(actor, InboxPage(rows, newer=False, older=len(read.cases) > START_ROWS))


class InboxSource:
    """Where the inbox screen gets its pages, whether or not the data layer has loaded yet.

    `at_hand` gives, once, the page read at start-up (for its actor, unfiltered, unsearched,
    the first page), without I/O, so the UI thread may paint it at once; every other read goes
    through `page` in a worker thread, which waits for the data layer and runs the ordinary
    query.
    """

    def __init__(self, ctx: Context, first: QuickStart | None = None) -> None:
        self.ctx = ctx
        self._first = first

    def at_hand(
        self,
        actor: Actor,
        state: CaseState | None = None,
        query: str = "",
        where: InboxWhere = InboxWhere(),
        limit: int = 50,
    ) -> InboxPage | None:
        """The start-up page if it answers this request (first request only), else None."""
        first, self._first = self._first, None
        if first is None or state is not None or query.strip() or where != InboxWhere():
            return None
        if first.actor.staff_id != actor.staff_id:
            return None
        rows = first.page.rows
        n = max(1, min(limit, START_ROWS))
        return InboxPage(rows[:n], newer=False, older=first.page.older or len(rows) > n)

    def page(
        self,
        actor: Actor,
        state: CaseState | None = None,
        query: str = "",
        where: InboxWhere = InboxWhere(),
        limit: int = 50,
        cancel: Cancel | None = None,
    ) -> InboxPage:
        """A page of the inbox as it stands (R05): waits for the data layer first. Worker
        threads only. Raises Cancelled when `cancel` is cancelled."""
        self.ctx.engine  # noqa: B018  (waits for the loading thread; raises if loading failed)
        from tui_app.services import inbox

        return inbox.page(self.ctx, actor, state, query, where, limit, cancel)

    def read(self, actor: Actor, state: CaseState | None, query: str) -> list[InboxRow]:
        """The inbox's first rows as a list (services.cases.inbox). Worker threads only."""
        self.ctx.engine  # noqa: B018  (waits for the loading thread; raises if loading failed)
        from tui_app.services import cases

        return cases.inbox(self.ctx, actor, state, query)
