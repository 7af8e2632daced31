"""How many statements an inbox page costs (issue 14): on PostgreSQL each one is a round trip
to the server, so a page sends no statement it can do without, and still shows the right
counts. Recorded at services.inbox.run, which every inbox statement goes through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ELIN, staff
from tests.handling_fixtures import Places, case_with_files
from tui_app.core.pnr import parse_pnr
from tui_app.services import handling
from tui_app.services import inbox as inbox_query
from tui_app.services.context import Context


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    real = inbox_query.run

    def recording(conn, statement, params):  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))
        return real(conn, statement, params)

    monkeypatch.setattr(inbox_query, "run", recording)
    yield seen


def test_a_pages_undecided_files_and_copies_left_are_read_in_one_statement(
    ctx: Context, places: Places, statements: list[str]
) -> None:
    dan = staff(ctx, "danan12")
    number, img, _pdf = case_with_files(ctx)
    handling.decide(ctx, dan, img, True)  # one of the two files still undecided
    handling.download(ctx, dan, img)  # one copy not cleaned up
    statements.clear()
    row = next(r for r in inbox_query.page(ctx, dan).rows if r.case_id == number)
    assert (row.file_count, row.todo, row.leftovers) == (2, "Bedöm 1 fil", 1)
    files = [s for s in statements if "FROM attachment" in s or "FROM download" in s]
    assert len(files) == 1, files


def test_the_patient_count_is_read_only_when_many_patients_match(
    ctx: Context, places: Places, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fewer than PROBE matching patients always drive the search, whatever the count of all
    patients: an exact number (one patient at most) or a birth date that few share reads no
    `max(id)`; only PROBE or more matches need it to choose the strategy."""
    from tui_app.services import inbox

    dan = staff(ctx, "danan12")
    number, _img, _pdf = case_with_files(ctx)
    digits = parse_pnr(ELIN).digits
    for form in (digits, f"{digits[:8]}-{digits[8:]}", f"{digits[2:8]}-{digits[8:]}", digits[:8]):
        statements.clear()
        assert number in [r.case_id for r in inbox_query.page(ctx, dan, query=form).rows]
        assert not [s for s in statements if "max(id)" in s], form
    monkeypatch.setattr(inbox, "PROBE", 1)  # now one matching patient is "many"
    statements.clear()
    assert number in [r.case_id for r in inbox_query.page(ctx, dan, query=digits[:8]).rows]
    assert [s for s in statements if "max(id)" in s]


def test_an_exact_identity_number_is_read_in_the_page_itself_without_a_probe(
    ctx: Context, places: Places, statements: list[str]
) -> None:
    """One patient at most has the number (the unique index): on SQLite the page's own SQL
    finds it by its subquery, so no statement reads the patient's id first. PostgreSQL plans
    each statement anew, and planning that page costs more than the probe's round trip: it
    probes. A prefix probes on both."""
    dan = staff(ctx, "danan12")
    number, _img, _pdf = case_with_files(ctx)
    digits = parse_pnr(ELIN).digits
    sqlite = ctx.engine.dialect.name == "sqlite"
    for form in (digits, f"{digits[:8]}-{digits[8:]}", f"{digits[2:8]}-{digits[8:]}"):
        statements.clear()
        assert [r.case_id for r in inbox_query.page(ctx, dan, query=form).rows] == [number]
        assert bool([s for s in statements if "LIMIT :probe" in s]) is not sqlite, form
        # units, (the probe,) the page, its file counts
        assert len(statements) == (3 if sqlite else 4), statements
    statements.clear()
    assert number in [r.case_id for r in inbox_query.page(ctx, dan, query=digits[:8]).rows]
    assert [s for s in statements if "LIMIT :probe" in s]


def test_each_page_read_carries_every_field_of_the_query(monkeypatch: pytest.MonkeyPatch) -> None:
    """_Reader.fetch builds each statement's PageQuery field by field (cheaper than
    dataclasses.replace): a field added to PageQuery must reach page_sql too."""
    from dataclasses import fields, replace
    from datetime import UTC, datetime

    from tui_app.core.routine import CaseState
    from tui_app.store import inboxsql as sql

    base = sql.PageQuery(
        units=(1, 2),
        now=datetime(2026, 12, 1, tzinfo=UTC),
        state=CaseState.ANSWERED,
        search=sql.Search(case_id=7),
        patient_ids=(3,),
    )
    set_by_fetch = {"bound", "direction", "limit", "only_case"}
    defaults = sql.PageQuery(units=(), now=datetime(2000, 1, 1, tzinfo=UTC))
    assert {f.name for f in fields(sql.PageQuery) if f.name not in set_by_fetch} == {
        f.name for f in fields(sql.PageQuery) if getattr(base, f.name) != getattr(defaults, f.name)
    }  # every other field differs from its default in `base`, so a dropped one shows below
    built: list[sql.PageQuery] = []
    monkeypatch.setattr(sql, "page_sql", lambda q, _d: built.append(q))
    bound = sql.Bound("2026-11-30 10:00:00.000000", 5, True)
    inbox_query._Reader(None, "sqlite", base).fetch(bound, "newer", 9, only=7)  # type: ignore[arg-type]
    assert built == [replace(base, bound=bound, direction="newer", limit=9, only_case=7)]


def test_a_search_with_many_matching_patients_asks_the_index_once(
    ctx: Context, places: Places, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PROBE or more matching patients: the probe was asked at PROBE, then again at the
    bound, so the index (a trigram match, the dearest part of a name search: 1.8 of 4.6 ms
    for "daniel persson" at 1M) answered twice. The bound chosen once is the next probe's
    length: one probe from the second search on."""
    from tui_app.services import inbox

    monkeypatch.setattr(inbox, "PROBE", 1)  # one matching patient is already "many"
    monkeypatch.setattr(inbox, "SCAN_PER_PATIENT", 1)  # so that the bound is more than PROBE
    monkeypatch.setattr(inbox, "_last_bound", 1, raising=False)
    dan = staff(ctx, "danan12")
    number, _img, _pdf = case_with_files(ctx)
    birth = parse_pnr(ELIN).digits[:8]
    probes = []
    for _ in range(3):
        statements.clear()
        assert number in [r.case_id for r in inbox_query.page(ctx, dan, query=birth).rows]
        probes.append(len([s for s in statements if "LIMIT :probe" in s]))
    assert probes == [2, 1, 1]
