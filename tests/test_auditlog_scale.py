"""The administrator's log search over millions of entries (issue 14, R24): every filter and
every combination reads its page newest first from an index, and gives what a plain filter of
the whole log would give. No timing: the plans are checked, and the answers against a model."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from tests.conftest import FixedClock, staff
from tui_app.services import audit, auditlog
from tui_app.services.context import Context
from tui_app.store.db import read_scope, session_scope
from tui_app.store.models import AuditEntry, Unit

ACTORS = ("danan12", "lenjo54", "system")
PNRS = ("191212121212", "200001012384", None)
UNITS = ("REUM-SKO", "REUM-BOR", "HUD-SKO", None)


def _fill(ctx: Context, clock: FixedClock, n: int = 72) -> datetime:
    """n entries an hour apart over every mix of actor, patient and unit; the first one's time."""
    start = clock.now()
    with session_scope(ctx.engine) as s:
        s.add(Unit(code="REUM-BOR", name="Reumatologi Borås"))  # two codes begin with REUM
        for i in range(n):
            audit.append(
                s,
                at=start + timedelta(hours=i),
                actor=ACTORS[i % 3],
                action="öppna ärende",
                patient_pnr=PNRS[(i // 3) % 3],
                unit_code=UNITS[(i // 2) % 4],
            )
    return start


def _model(
    ctx: Context, staff_: str, pnr: str, unit: str, since: Any, until: Any, page: int
) -> list[int]:
    with read_scope(ctx.engine) as s:
        every = s.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc())).all()
    return [
        e.seq
        for e in every
        if (not staff_ or e.actor == staff_)
        and (not pnr or e.patient_pnr == pnr)
        and (not unit or (e.unit_code or "").startswith(unit))
        and (since is None or e.at >= since)
        and (until is None or e.at < until)
    ][:page]


def _filters(start: datetime) -> list[tuple[str, str, str, Any, Any]]:
    times = [(None, None), (start + timedelta(hours=20), None), (None, start + timedelta(hours=50))]
    times.append((start + timedelta(hours=10), start + timedelta(hours=40)))
    return [
        (a, p, u, since, until)
        for a, p, u, (since, until) in itertools.product(
            ("", "danan12"), ("", "191212121212"), ("", "REUM", "HUD-SKO", "EUM"), times
        )
    ]


def test_r24_every_filter_gives_what_a_filter_of_the_whole_log_gives(
    ctx: Context, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auditlog, "PAGE", 5)  # so the page ends before the matches do
    start = _fill(ctx, clock)
    for staff_, pnr, unit, since, until in _filters(start):
        with read_scope(ctx.engine) as s:
            got = [r.seq for r in auditlog._page(s, staff_, pnr, unit, since, until)]
        want = _model(ctx, staff_, pnr, unit, since, until, 5)
        assert got == want, (staff_, pnr, unit, since, until)


def test_r24_the_unit_filter_is_the_code_or_its_beginning(ctx: Context, clock: FixedClock) -> None:
    _fill(ctx, clock)
    lena = staff(ctx, "lenjo54")
    assert {r.unit_code for r in auditlog.search(ctx, lena, unit="reum")} == {
        "REUM-SKO",
        "REUM-BOR",
    }
    assert {r.unit_code for r in auditlog.search(ctx, lena, unit="REUM-SKO")} == {"REUM-SKO"}
    assert auditlog.search(ctx, lena, unit="EUM-S") == []  # the middle of a code: no match


def test_r24_each_filter_reads_its_page_from_an_index(ctx: Context, clock: FixedClock) -> None:
    """EXPLAIN QUERY PLAN of every query the search sends: no scan of audit_entry (the page
    with no filter but an end time may walk the seq index newest first: it stops at the page),
    no sort."""
    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's EXPLAIN QUERY PLAN")
    start = _fill(ctx, clock)
    bad = []
    for staff_, pnr, unit, since, until in _filters(start):
        seen: list[tuple[str, Any]] = []

        def grab(conn: Any, cur: Any, sql: str, params: Any, context: Any, many: bool) -> None:
            if "audit_entry" in sql and sql.lstrip().upper().startswith("SELECT"):
                seen.append((sql, params))

        event.listen(Engine, "before_cursor_execute", grab)  # the reading twin too
        try:
            with read_scope(ctx.engine) as s:
                auditlog._page(s, staff_, pnr, unit, since, until)
        finally:
            event.remove(Engine, "before_cursor_execute", grab)
        assert seen
        # Only time's upper end (or nothing) filtered: newest first down the seq index, from
        # where the bound put it; it stops at the page.
        unfiltered = not (staff_ or pnr or unit or since)
        with ctx.engine.connect() as conn:
            for sql, params in seen:
                for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params):
                    line = str(row[-1])
                    ordered_walk = unfiltered and line.startswith("SCAN audit_entry USING")
                    if ("SCAN audit_entry" in line and not ordered_walk) or "TEMP B-TREE" in line:
                        bad.append((staff_, pnr, unit, since, until, line))
    assert bad == []


def test_r24_a_time_filter_finds_entries_behind_one_written_with_a_later_clock(
    ctx: Context, clock: FixedClock
) -> None:
    """An entry written earlier (lower seq) under a clock far ahead (a demo clock, a server with
    a wrong time) must not make the seq bound of a time filter hide the entries that match."""
    with session_scope(ctx.engine) as s:
        audit.append(s, at=clock.now() + timedelta(days=100), actor="system", action="test")
    start = _fill(ctx, clock, n=10)
    until = start + timedelta(hours=5)
    since = start + timedelta(hours=2)
    with read_scope(ctx.engine) as s:
        got_until = [r.seq for r in auditlog._page(s, "", "", "", None, until)]
        got_both = [r.seq for r in auditlog._page(s, "", "", "", since, until)]
    assert got_until == _model(ctx, "", "", "", None, until, auditlog.PAGE)
    assert got_both == _model(ctx, "", "", "", since, until, auditlog.PAGE)
    assert got_until  # the five entries before `until` are there
