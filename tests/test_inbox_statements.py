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
