"""The inbox window's logic alone (tui_app/ui/inbox_window.py): what it reads for each key, and
how the page read changes the rows and the cursor. No I/O, no Textual: a list stands in for the
result, read by keyset as the contract's InboxWhere reads it."""

from __future__ import annotations

from dataclasses import dataclass

from tui_app.ui.inbox_window import KEEP, PAGE, Aim, Fetch, Go, Page, Window


@dataclass(frozen=True)
class Row:
    case_id: int


def result(n: int) -> list[Row]:
    """n cases, newest first (a higher case number is newer here)."""
    return [Row(n - i) for i in range(n)]


def read(rows: list[Row], f: Fetch[Row]) -> Page[Row]:
    """The page the contract's inbox_page gives for this fetch (by position: keyset order)."""
    at = {r.case_id: i for i, r in enumerate(rows)}
    n, limit = len(rows), f.limit
    found = None
    if f.go is Go.FIRST:
        lo = 0
    elif f.go is Go.AFTER:
        assert f.anchor is not None
        lo = at[f.anchor.case_id] + 1
    elif f.go is Go.START:
        assert f.anchor is not None
        lo = at[f.anchor.case_id]
    elif f.go is Go.BEFORE:
        assert f.anchor is not None
        lo = max(at[f.anchor.case_id] - limit, 0)
        limit = at[f.anchor.case_id] - lo
    elif f.go is Go.LAST:
        lo = max(n - limit, 0)
    else:
        assert f.case_id is not None
        if f.case_id not in at:
            lo = 0
        else:
            lo = min(max(at[f.case_id] - limit // 2, 0), max(n - limit, 0))
            found = at[f.case_id] - lo
    got = rows[lo : lo + limit]
    return Page(got, newer=lo > 0, older=lo + len(got) < n, found=found)


def run(w: Window[Row], rows: list[Row], f: Fetch[Row] | None) -> bool:
    """Read the fetch (if any) and apply it, as the screen does."""
    if f is None:
        return False
    return w.apply(f, read(rows, f))


def opened(n: int) -> tuple[Window[Row], list[Row]]:
    rows = result(n)
    w: Window[Row] = Window()
    run(w, rows, w.first())
    return w, rows


def test_the_first_page_is_the_newest_and_says_older_rows_exist() -> None:
    w, rows = opened(100_000)
    assert [r.case_id for r in w.rows] == [r.case_id for r in rows[:PAGE]]
    assert not w.newer and w.older and w.cursor == 0 and w.pending is None


def test_down_at_the_last_row_reads_the_next_page_by_key_and_moves_one_down() -> None:
    w, rows = opened(100_000)
    w.moved(PAGE - 1)
    assert w.down() is not None and w.pending is not None
    f = w.pending
    assert f.go is Go.AFTER and f.anchor == rows[PAGE - 1]  # keyset: after the last row's key
    run(w, rows, f)
    assert len(w.rows) == 2 * PAGE and w.on == rows[PAGE]
    assert w.down() is None and w.on == rows[PAGE + 1]  # inside the window: no read


def test_a_key_while_a_read_is_pending_asks_for_nothing_more() -> None:
    w, rows = opened(1_000)
    w.moved(PAGE - 1)
    f = w.down()
    assert f is not None and w.down() is None and w.page_down(9) is None
    run(w, rows, f)
    assert w.on == rows[PAGE]


def test_paging_down_through_everything_keeps_at_most_three_pages() -> None:
    w, rows = opened(10_000)
    seen = {r.case_id for r in w.rows}
    for _ in range(10_000):
        f = w.page_down(9)
        run(w, rows, f)
        assert len(w.rows) <= KEEP
        assert w.rows == rows[rows.index(w.rows[0]) : rows.index(w.rows[0]) + len(w.rows)]
        seen.update(r.case_id for r in w.rows)
        if not w.older and w.cursor == len(w.rows) - 1:
            break
    assert w.on == rows[-1] and len(seen) == len(rows) and w.newer


def test_paging_up_from_the_end_reaches_the_newest_case() -> None:
    w, rows = opened(3_000)
    run(w, rows, w.end())
    assert w.on == rows[-1] and w.newer and not w.older and len(w.rows) == PAGE
    for _ in range(3_000):
        run(w, rows, w.page_up(9))
        assert len(w.rows) <= KEEP
        if not w.newer and w.cursor == 0:
            break
    assert w.on == rows[0]


def test_up_at_the_first_row_reads_the_newer_page_and_lands_on_the_row_above() -> None:
    w, rows = opened(1_000)
    run(w, rows, w.end())
    w.moved(0)
    above = rows[rows.index(w.rows[0]) - 1]
    f = w.up()
    assert f is not None and f.go is Go.BEFORE
    run(w, rows, f)
    assert w.on == above


def test_end_and_home_read_the_oldest_and_newest_pages() -> None:
    w, rows = opened(100_000)
    f = w.end()
    assert f is not None and f.go is Go.LAST and f.aim is Aim.BOTTOM
    run(w, rows, f)
    assert w.on == rows[-1]
    f = w.home()
    assert f is not None and f.go is Go.FIRST
    run(w, rows, f)
    assert w.on == rows[0] and not w.newer


def test_home_and_end_inside_a_short_result_only_move_the_cursor() -> None:
    w, rows = opened(7)
    assert not w.older and w.end() is None and w.on == rows[-1]
    assert w.home() is None and w.on == rows[0]


def test_around_puts_the_cursor_on_the_case_and_a_missing_case_changes_nothing() -> None:
    w, rows = opened(100_000)
    f = w.around(40_000)
    assert run(w, rows, f)
    assert w.on == Row(40_000) and w.newer and w.older
    before = list(w.rows)
    assert not run(w, rows, w.around(999_999))  # not in the result: the window stays
    assert w.rows == before and w.on == Row(40_000)


def test_refresh_at_the_top_rereads_the_newest_rows_and_keeps_the_cursor_on_its_case() -> None:
    w, rows = opened(200)
    w.moved(3)
    rows = [Row(201), Row(202), *rows][::1]
    rows.sort(key=lambda r: -r.case_id)  # two new cases on top
    f = w.refresh()
    assert f is not None and f.go is Go.FIRST and f.aim is Aim.KEEP
    run(w, rows, f)
    assert w.on == Row(197) and w.cursor == 5


def test_refresh_further_down_rereads_from_the_windows_first_row() -> None:
    w, rows = opened(1_000)
    run(w, rows, w.around(500))
    first = w.rows[0]
    f = w.refresh()
    assert f is not None and f.go is Go.START and f.anchor == first and f.limit == len(w.rows)
    run(w, rows, f)
    assert w.on == Row(500)


def test_refresh_waits_for_a_pending_read_and_redoes_one_cut_off_by_leaving() -> None:
    w, rows = opened(1_000)
    f = w.around(300)
    assert w.refresh() is None  # the pending read brings fresh rows itself
    w.interrupt()  # the case screen was pushed: the read was cancelled
    again = w.refresh()
    assert again is f
    run(w, rows, again)
    assert w.on == Row(300) and w.refresh() is not None


def test_a_refresh_asked_while_a_read_was_pending_is_made_if_that_read_fails() -> None:
    """u pressed while a read is pending asks for nothing (the read brings fresh rows). If
    that read then fails (it began while the database could not be opened), the refresh
    was never made: the error stayed on screen until u was pressed once more."""
    w, rows = opened(1_000)
    f = w.refresh()
    assert f is not None and w.refresh() is None  # u while it is pending
    again = w.failed(f)
    assert again is not None and w.pending is again
    assert w.failed(again) is None  # that one fails too: no refresh was asked since
    f = w.refresh()
    assert f is not None and w.failed(f) is None  # a failed read alone asks for nothing
    f = w.refresh()
    assert f is not None and w.refresh() is None
    run(w, rows, f)  # it came: its rows are the fresh ones
    g = w.first()
    assert w.failed(g) is None


def test_a_page_for_an_edge_that_moved_is_not_applied() -> None:
    w, rows = opened(1_000)
    w.moved(PAGE - 1)
    f = w.down()
    assert f is not None
    run(w, rows, w.first())  # a new search came in between
    assert not w.apply(f, read(rows, f)) and len(w.rows) == PAGE


def test_an_empty_reread_with_newer_rows_falls_back_to_the_oldest_page() -> None:
    w, rows = opened(1_000)
    run(w, rows, w.end())
    f = w.refresh()
    assert f is not None and f.go is Go.START
    gone = Page[Row]([], newer=True, older=False)  # those cases left the filter
    w.apply(f, gone)
    follow = w.follow_up(f, gone)
    assert follow is not None and follow.go is Go.LAST


def test_an_empty_result_has_no_cursor_row_and_no_read_for_keys() -> None:
    w, rows = opened(0)
    assert w.on is None and w.down() is None and w.end() is None and w.home() is None


def test_a_reread_that_finds_the_rows_as_they_were_changes_nothing_to_repaint() -> None:
    w, rows = opened(1_000)
    w.moved(7)
    f = w.refresh()
    assert f is not None and not run(w, rows, f)  # the same rows: no repaint
    assert w.pending is None and w.cursor == 7
    rows[3] = Row(-1)  # one changed
    f = w.refresh()
    assert f is not None and run(w, rows, f)
