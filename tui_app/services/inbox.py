"""The inbox: one page of the actor's cases (R05), newest first, filtered, searched, keyset-paged.

The SQL is store.inboxsql's (the one definition the start-up read shares); this module picks
the page (InboxWhere), the search's strategy and the flags, and turns the rows into views.
A search naming few patients (a bounded count, PROBE) is driven from those patients; one
naming many (a common surname) filters the ordered case scan, which then stops after a page:
either way the cost follows the page, not the database.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import lru_cache
from math import isqrt
from datetime import datetime
from typing import Any

from tui_app.core.rules import CaseState
from tui_app.services.actor import Actor
from tui_app.services.cancel import Cancel
from tui_app.services.context import Context
from tui_app.services.identity import deactivated
from tui_app.services.inboxrows import rows_of
from tui_app.services.views import InboxCounts, InboxKey, InboxPage, InboxRow, InboxWhere
from tui_app.store import inboxsql as sql
from tui_app.store.db import ReadConnection, read_connection
from tui_app.store.inboxsearch import search_for

MAX_LIMIT = 200  # rows a page may ask for
PROBE = 100  # matching patients below which a search is always driven from the patients
# For the strategy: the index entries the ordered case scan tests (the name in the index, about
# 0.3 us each at 1M) in the time one matching patient costs when patients drive (the trigram
# match, one seek per unit, the sort: about 12 us). Measured at 1M on SQLite.
SCAN_PER_PATIENT = 40
_last_bound = PROBE  # the probe's bound last chosen here (a guess: only the strategy uses it)
PROGRESS_STEPS = 10_000  # SQLite virtual-machine steps between two looks at a cancel token

Raw = Sequence[Any]
_running: ContextVar[Cancel | None] = ContextVar("inbox_cancel", default=None)


def _dialect(conn: ReadConnection) -> sql.Dialect:
    return "postgresql" if conn.dialect == "postgresql" else "sqlite"


@contextmanager
def cancellable(conn: ReadConnection, token: Cancel | None) -> Iterator[None]:
    """Run the statements inside so that `token.cancel()` stops them: SQLite is interrupted
    (and checks the token every PROGRESS_STEPS steps, so a cancel that comes just before a
    statement starts still stops it), psycopg cancels on the server. Raises Cancelled."""
    if token is None:
        yield
        return
    mark = _running.set(token)
    try:
        with _interrupted(conn, token):
            yield
    finally:
        _running.reset(mark)


@contextmanager
def _interrupted(conn: ReadConnection, token: Cancel) -> Iterator[None]:
    raw: Any = conn.dbapi
    if isinstance(raw, sqlite3.Connection):
        raw.set_progress_handler(lambda: token.cancelled, PROGRESS_STEPS)
        try:
            with token.interrupting(raw.interrupt):
                yield
        finally:
            raw.set_progress_handler(None, 0)
        return
    with token.interrupting(getattr(raw, "cancel_safe", None) or raw.cancel, repeat=True):
        yield


@lru_cache(maxsize=512)
def _pyformat(statement: str) -> str:
    """psycopg's placeholders for store.inboxsql's `:name` ones (the SQL has no other colon
    and no literal percent sign)."""
    return re.sub(r":(\w+)", r"%(\1)s", statement)


def run(conn: ReadConnection, statement: str, params: sql.Params) -> list[Raw]:
    """The rows of one statement, through the driver itself: SQLAlchemy's text() would parse
    and compile the SQL on every call, costing more than the indexed read does."""
    token = _running.get()
    if token is not None:
        token.check()  # cancelled between two statements: the next one is not even sent
    raw: Any = conn.dbapi
    if isinstance(raw, sqlite3.Connection):
        return raw.execute(statement, params).fetchall()
    with raw.cursor() as cur:
        cur.execute(_pyformat(statement), params)
        return list(cur.fetchall())


def actor_units(conn: ReadConnection, actor: Actor) -> tuple[int, ...]:
    """The actor's units as they stand now (R05); a deactivated account is refused."""
    if actor.staff_id is None:
        return ()
    found = run(conn, sql.units_sql(), {"staff": actor.staff_id})
    if found and not found[0][0]:
        raise deactivated(actor.login)
    return tuple(u for _, u in found if u is not None)


@dataclass(frozen=True)
class _Reader:
    """Reads pages of one result (one actor, status and search) on one connection."""

    conn: ReadConnection
    dialect: sql.Dialect
    base: sql.PageQuery

    def fetch(
        self, bound: sql.Bound | None, direction: sql.Direction, n: int, only: int | None = None
    ) -> list[Raw]:
        """Up to n rows beyond the bound, nearest first (older: newest first; newer: oldest)."""
        b = self.base  # dataclasses.replace, without its look at the fields each call
        q = sql.PageQuery(
            units=b.units,
            now=b.now,
            state=b.state,
            search=b.search,
            bound=bound,
            direction=direction,
            limit=n,
            patient_ids=b.patient_ids,
            only_case=only,
        )
        built = sql.page_sql(q, self.dialect)
        if built is None:
            return []
        return run(self.conn, *built)

    def exists(self, bound: sql.Bound, direction: sql.Direction) -> bool:
        return bool(self.fetch(bound, direction, 1))


def _bound(key: InboxKey | Raw, inclusive: bool = False) -> sql.Bound:
    # An InboxRow is a tuple too (a NamedTuple), which the type cannot tell from a raw row:
    # pass its `.key`.
    assert not isinstance(key, InboxRow), "an InboxRow: pass row.key"
    if isinstance(key, InboxKey):  # a garbled sent_at: bound by the value as stored
        at = key.sent_at if key.stored is None else key.stored
        return sql.Bound(at, key.case_id, inclusive)
    return sql.Bound(key[1], key[0], inclusive)  # a row's own stored key


def _older_from(r: _Reader, bound: sql.Bound, n: int) -> tuple[list[Raw], bool, bool]:
    rows = r.fetch(bound, "older", n + 1)
    newer = r.exists(
        _bound(rows[0]) if rows else replace(bound, inclusive=not bound.inclusive), "newer"
    )
    return rows[:n], newer, len(rows) > n


def _around(r: _Reader, case_id: int, n: int) -> tuple[list[Raw], bool, bool, int | None]:
    hit = r.fetch(None, "older", 1, only=case_id)
    if not hit:
        rows = r.fetch(None, "older", n + 1)
        return rows[:n], False, len(rows) > n, None
    at = _bound(hit[0])
    newer = r.fetch(at, "newer", n)  # nearest first
    older = r.fetch(replace(at, inclusive=True), "older", n + 1)  # the case first
    n_take = min(len(newer), n // 2)
    o_take = min(len(older), n - n_take)
    n_take = min(len(newer), n - o_take)
    rows = list(reversed(newer[:n_take])) + older[:o_take]
    return rows, len(newer) > n_take, len(older) > o_take, n_take


def _pick(r: _Reader, where: InboxWhere, n: int) -> tuple[list[Raw], bool, bool, int | None]:
    """The page's raw rows in inbox order, whether rows are newer / older, the found index."""
    asked = [where.after, where.start, where.before, where.last or None, where.around]
    if sum(a is not None for a in asked) > 1:
        raise ValueError(f"InboxWhere names more than one page: {where}")
    if where.around is not None:
        return _around(r, where.around, n)
    if where.after is not None:
        return (*_older_from(r, _bound(where.after), n), None)
    if where.start is not None:
        return (*_older_from(r, _bound(where.start, inclusive=True), n), None)
    if where.before is not None or where.last:
        bound = _bound(where.before) if where.before is not None else None
        rows = r.fetch(bound, "newer", n + 1)
        newer, rows = len(rows) > n, list(reversed(rows[:n]))
        if where.last:
            return rows, newer, False, None
        assert bound is not None
        after = _bound(rows[-1]) if rows else replace(bound, inclusive=True)
        return rows, newer, r.exists(after, "older"), None
    rows = r.fetch(None, "older", n + 1)
    return rows[:n], False, len(rows) > n, None


def _file_counts(conn: ReadConnection, raw: list[Raw]) -> tuple[dict[int, int], dict[int, int]]:
    ids = [r[0] for r in raw if r[5]]
    if not ids:
        return {}, {}
    return sql.file_counts_of(run(conn, *sql.file_counts_sql(ids)))


def probe_bound(n: int, patients: int) -> int:
    """How many matching patients a search may have and still be driven from them. Driven by
    patient, a page costs about m patients' seeks; as a filter on the ordered case scan it
    reads about n × patients / m index entries until the page is full (SCAN_PER_PATIENT of
    them cost one patient): equal at m = sqrt(n × patients / SCAN_PER_PATIENT)."""
    return max(PROBE, isqrt(n * patients // SCAN_PER_PATIENT))


def _probe(conn: ReadConnection, pf: sql.PatientFilter, bound: int) -> list[Raw]:
    probe = sql.probe_sql(pf, bound)
    assert probe is not None
    return run(conn, *probe)


def _reader(
    conn: ReadConnection, actor: Actor, now: datetime, state: CaseState | None, query: str, n: int
) -> _Reader:
    dialect = _dialect(conn)
    search = search_for(query, dialect)
    base = sql.PageQuery(actor_units(conn, actor), now, state, search)
    pf = search.patients
    # SQLite: an exact identity number is found by the page's own subquery (one statement
    # less; SQLite keeps the prepared statement). PostgreSQL plans every statement (never
    # prepared, for pgbouncer): planning that page took 0.19 ms more than the probe's round
    # trip saves, so there it is probed like the other patient searches.
    inline = pf is not None and pf.unique and dialect == "sqlite"
    if pf is not None and pf.ids is not None and not inline and base.units:
        # One probe, as long as the bound this process last chose (PROBE at first): probing
        # PROBE and then the bound asked the index twice whenever PROBE or more matched, and
        # for a name the index's answer is most of the page's cost (the trigram match: 1.8
        # of 4.6 ms for "daniel persson" at 1M). Fewer than PROBE always drive, whatever
        # the count of all patients, so only PROBE or more matches read it (`max(id)`).
        global _last_bound
        guess = max(PROBE, _last_bound)  # PROBE at least: fewer found is all there is
        found = _probe(conn, pf, guess)
        drive = len(found) < PROBE
        if not drive:
            patients = run(conn, "SELECT max(id) FROM patient", {})[0][0] or 0
            bound = _last_bound = probe_bound(n, patients)
            if len(found) >= guess and bound > guess:  # cut short by the guess: ask again
                found = _probe(conn, pf, bound)
            drive = len(found) < bound  # else many: a filter on the ordered case scan
        if drive:  # few: they drive, read once here
            base = replace(base, patient_ids=tuple(sorted(i for (i,) in found)))
    return _Reader(conn, dialect, base)


def page(
    ctx: Context,
    actor: Actor,
    state: CaseState | None = None,
    query: str = "",
    where: InboxWhere = InboxWhere(),
    limit: int = 50,
    cancel: Cancel | None = None,
) -> InboxPage:
    """One page of the cases of the actor's units (R05); `limit` is taken as 1..MAX_LIMIT.
    Raises Cancelled when `cancel` is (or gets) cancelled: the query is interrupted."""
    return read(ctx, actor, state, query, where, max(1, min(limit, MAX_LIMIT)), cancel)


def read(
    ctx: Context,
    actor: Actor,
    state: CaseState | None,
    query: str,
    where: InboxWhere,
    n: int,
    cancel: Cancel | None = None,
) -> InboxPage:
    """`page` without the limit's bound (services.cases.inbox reads its INBOX_LIMIT)."""
    if cancel is not None:
        cancel.check()  # cancelled already: not even a connection is taken
    now = ctx.now()
    with read_connection(ctx.engine) as conn:
        with cancellable(conn, cancel):
            r = _reader(conn, actor, now, state, query, n)
            raw, newer, older, found = _pick(r, where, n)
            undecided, copies = _file_counts(conn, raw)
    return InboxPage(rows_of(now, raw, undecided, copies), newer, older, found)


def first_rows(
    ctx: Context, actor: Actor, state: CaseState | None, query: str, n: int
) -> list[InboxRow]:
    """The first n rows (the inbox as a list, for the callers that want one)."""
    return read(ctx, actor, state, query, InboxWhere(), n).rows


def counts(ctx: Context, actor: Actor) -> InboxCounts:
    """The actor's cases per status (R05; no search), in one statement of indexed counts."""
    now = ctx.now()
    with read_connection(ctx.engine) as conn:
        units = actor_units(conn, actor)
        waiting_all = waiting = answered_all = answered = handled = 0
        if units:
            got = run(conn, *sql.counts_sql(units, now, _dialect(conn)))[0]
            waiting_all, waiting, answered_all, answered, handled = (int(n) for n in got)
    by_state = {
        CaseState.WAITING: waiting,
        CaseState.ANSWERED: answered,
        CaseState.CLOSED_AUTO: waiting_all - waiting,
        CaseState.CLOSED: answered_all - answered,
        CaseState.HANDLED: handled,
    }
    return InboxCounts(by_state, sum(by_state.values()))
