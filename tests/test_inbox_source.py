"""One inbox source, one inbox query (issue 13 part 3).

services.cases.inbox is the inbox query's one definition; the start-up read (store.quick's
plain SQL, services.quickstart) is its twin for the first, unfiltered page. This is the one
place the two are checked against each other: for the same database they give the same rows,
and every status filter and search of the query picks exactly the rows of the start-up page
that the filter or search names. The screen reads through InboxSource, whichever is at hand.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import pg
from tests.conftest import ANNA, ELIN, JOHAN, MARCO, send, staff
from tests.handling_fixtures import Places, case_with_files
from tests.test_quickstart import add_case, url_of
from tui_app.core.limits import INBOX_LIMIT
from tui_app.core.rules import CaseState
from tui_app.services import handling
from tui_app.services.cases import inbox
from tui_app.services.context import Context
from tui_app.services.quickstart import InboxSource, QuickStart, quick_start
from tui_app.services.views import InboxRow

pytestmark = pytest.mark.skipif(pg.enabled(), reason="the start-up read is SQLite-only by design")

LOGINS = ["danan12", "marsv3", "reumgk", "karjo7"]  # the administrator starts the ordinary way


def every_kind_of_case(ctx: Context) -> int:
    """Cases in every state, with and without files, in several units; the answered case."""
    number, img, _pdf = case_with_files(ctx)  # answered, two files
    handling.decide(ctx, staff(ctx, "danan12"), img, True)  # one file still undecided
    handling.download(ctx, staff(ctx, "danan12"), img)  # one copy not cleaned up
    send(ctx, pnr=MARCO)  # waiting
    send(ctx, login="danan12", pnr=JOHAN, code="HUD-SKO")
    add_case(ctx, "ORT-LID", ANNA)
    add_case(ctx, "BARN-FAL", ELIN, handled=True, messages=1)
    add_case(ctx, "REUM-SKO", ANNA, hours_ago=60)  # closed automatically
    add_case(ctx, "REUM-SKO", ELIN, hours_ago=50, messages=2)  # closed after an answer
    add_case(ctx, "REUM-SKO", MARCO, handled=True)  # handled
    return number


def searched(rows: list[InboxRow], q: str) -> list[InboxRow]:
    """The rows a search names, worked out from the rows themselves (the searches used here:
    a case number or the start of a personal identity number, a whole one, a name part)."""
    digits = "".join(ch for ch in q if ch.isdigit())
    if q.isdigit() and len(q) <= 9:
        return [r for r in rows if r.case_id == int(q) or _digits(r).startswith(q)]
    if digits and len(digits) >= 10:
        return [r for r in rows if _digits(r).endswith(digits[-10:])]
    return [r for r in rows if q.casefold() in r.patient_name.casefold()]


def _digits(row: InboxRow) -> str:
    return "".join(ch for ch in row.patient_pnr_display if ch.isdigit()).rjust(12, "?")[-12:]


def first_page(ctx: Context, login: str) -> QuickStart:
    quick = quick_start(url_of(ctx), login, ctx.now())
    assert quick is not None, login
    return quick


def test_r05_the_start_up_page_and_the_query_agree_for_every_filter_and_search(
    ctx: Context, places: Places
) -> None:
    number = every_kind_of_case(ctx)
    assert {r.state for r in first_page(ctx, "danan12").inbox} == set(CaseState)
    for days in (0, 1, 3):  # deadlines pass: states move, both follow the clock alike
        ctx.clock.advance(timedelta(days=days))  # type: ignore[attr-defined]
        for login in LOGINS:
            quick = first_page(ctx, login)
            actor = staff(ctx, login)
            assert quick.actor == actor
            assert quick.inbox == inbox(ctx, actor), login
            assert len(quick.inbox) < INBOX_LIMIT  # the page is whole: filters may be derived
            for state in CaseState:
                expected = [r for r in quick.inbox if r.state == state]
                assert inbox(ctx, actor, state) == expected, (login, state)
            for q in (str(number), "2000", "20000125-2386", "200001252386", "elin", "ROSSI"):
                assert inbox(ctx, actor, None, q) == searched(quick.inbox, q), (login, q)
                for state in CaseState:
                    assert inbox(ctx, actor, state, q) == [
                        r for r in searched(quick.inbox, q) if r.state == state
                    ]


def test_the_inbox_source_gives_the_start_up_page_once_then_the_query(
    ctx: Context, places: Places
) -> None:
    every_kind_of_case(ctx)
    quick = first_page(ctx, "danan12")
    dan, maria = staff(ctx, "danan12"), staff(ctx, "marsv3")
    source = InboxSource(ctx, first=quick)
    assert source.at_hand(dan, CaseState.WAITING, "") is None  # filtered: the query's
    source = InboxSource(ctx, first=quick)
    assert source.at_hand(maria, None, "") is None  # someone else's page is never shown
    source = InboxSource(ctx, first=quick)
    at_hand = source.at_hand(dan, None, "  ", limit=200)
    assert at_hand is not None and at_hand.rows == quick.inbox == inbox(ctx, dan)
    assert source.at_hand(dan, None, "") is None  # once: refreshes read the database
    for state in (None, *CaseState):
        for q in ("", "elin", "2000"):
            assert source.read(dan, state, q) == inbox(ctx, dan, state, q)
            assert source.page(dan, state, q, limit=200).rows == inbox(ctx, dan, state, q)
    assert InboxSource(ctx).at_hand(dan, None, "") is None  # the ordinary start has none
    assert quick.page == source.page(dan, limit=200)  # the same page, flags and all
    assert InboxSource(ctx, first=quick).at_hand(dan, limit=2) == source.page(dan, limit=2)
