"""Start-up without the data layer: the signed-in staff member and their first inbox page.

Read by store.quick with the DB-API alone and turned into the very views the ORM path builds
(Actor, InboxRow through views.inbox_row), so the first screen is painted before SQLAlchemy has
loaded. The app then loads the data layer in a thread and refreshes the inbox through the
ordinary query; anything the quick read cannot serve returns None and start-up is as before.

`InboxSource` is the one door the inbox screen reads through: the page read at start-up when it
is at hand, else services.cases.inbox (the inbox query's one definition; store.quick.INBOX_SQL
is its plain-SQL twin for the unfiltered first page, and tests/test_inbox_source.py checks the
two give the same rows for the same database, under every status filter and search).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tui_app.core.limits import INBOX_LIMIT
from tui_app.services.actor import Actor, staff_actor
from tui_app.services.views import InboxRow, inbox_row
from tui_app.store.quick import StartRead, read_start, sqlite_path

if TYPE_CHECKING:
    from tui_app.core.rules import CaseState
    from tui_app.services.context import Context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuickStart:
    """Who signed in, and their inbox as it stood when read (unfiltered, newest first)."""

    actor: Actor
    inbox: list[InboxRow]


def quick_start(url: str, login: str, now: datetime) -> QuickStart | None:
    """The first screen's data for this login, or None to start the ordinary way."""
    path = sqlite_path(url)
    read = read_start(path, login, INBOX_LIMIT) if path is not None else None
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
    rows = [
        inbox_row(
            now,
            case_id=case_id,
            sent_at=sent,
            deadline_at=deadline,
            patient_messages=messages,
            handled=handled is not None,
            file_count=files,
            pnr=pnr,
            first_name=p_first,
            last_name=p_last,
            unit_name=unit_name,
            unit_code=unit_code,
            undecided=read.undecided.get(case_id, 0),
            copies=read.copies.get(case_id, 0),
        )
        for (
            case_id,
            sent,
            deadline,
            messages,
            handled,
            files,
            pnr,
            p_first,
            p_last,
            unit_name,
            unit_code,
        ) in read.cases
    ]
    return QuickStart(actor, rows)


class InboxSource:
    """Where the inbox screen gets its rows, whether or not the data layer has loaded yet.

    `at_hand` gives, once, the page read at start-up (for its actor, unfiltered, unsearched),
    without I/O, so the UI thread may paint it at once; every other read goes through `read`
    in a worker thread, which waits for the data layer and runs the ordinary query.
    """

    def __init__(self, ctx: Context, first: QuickStart | None = None) -> None:
        self.ctx = ctx
        self._first = first

    def at_hand(self, actor: Actor, state: CaseState | None, query: str) -> list[InboxRow] | None:
        """The start-up page if it answers this request (first request only), else None."""
        first, self._first = self._first, None
        if first is None or state is not None or query.strip():
            return None
        return first.inbox if first.actor.staff_id == actor.staff_id else None

    def read(self, actor: Actor, state: CaseState | None, query: str) -> list[InboxRow]:
        """The inbox as it stands (R05): waits for the data layer first. Worker threads only."""
        self.ctx.engine  # noqa: B018  (waits for the loading thread; raises if loading failed)
        from tui_app.services import cases

        return cases.inbox(self.ctx, actor, state, query)
