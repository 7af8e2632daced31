"""The inbox pages through its whole result and keeps only a window (issue 14): End reaches the
oldest case of 100,000, Down at the last row reads on, the table never holds more than three
pages, g puts the window around the case, a refresh keeps the cursor on its case, and the line
under the list says where one is. Driven by Pilot at 80x24 over an in-memory source with the
contract's keyset reads (FakeInbox, also used by bench/inbox_ui.py) and over the database."""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from datetime import UTC, datetime, timedelta
from typing import Any

from textual.widgets import Static
from textual.widgets.data_table import ColumnKey

from tests.conftest import ELIN, MARCO, send, staff
from tests.handling_fixtures import case_with_files
from tests.test_ui_flow import press, settle, status
from tui_app.core.rules import CaseState
from tui_app.services import api
from tui_app.services.api import Actor, Cancel, Context, InboxCounts, InboxPage, InboxRow
from tui_app.services.api import InboxWhere
from tui_app.services.quickstart import InboxSource
from tui_app.ui.app import build_app
from tui_app.ui.widgets import FixedLine, PagedTable

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def make_rows(n: int, now: datetime = NOW) -> list[InboxRow]:
    """n inbox rows, newest first: case n is the newest, case 1 the oldest."""
    states = list(CaseState)
    return [
        InboxRow(
            case_id=i,
            unit_name="Reumatologmottagningen",
            patient_pnr_display=f"1950{i % 12 + 1:02d}{i % 28 + 1:02d}-{i % 10000:04d}",
            patient_name=f"Patient Nummer{i}",
            state=states[i % len(states)],
            sent_at=now - timedelta(minutes=n - i),
            deadline=now + timedelta(days=2),
            remaining="1 d 3 h",
            file_count=i % 4,
            todo="Väntar på patienten",
            unit_code="REUM-SKO",
        )
        for i in range(n, 0, -1)
    ]


class FakeInbox(InboxSource):
    """ctx.inbox over rows in memory, read as the contract reads (keyset; never OFFSET).

    Search matches the patient's name or the case number as text; `gate`, when given, makes
    every read wait until the test sets it (and raise Cancelled if its token was cancelled
    meanwhile); `calls` records (query, where, token, limit) of every read."""

    def __init__(self, ctx: Context, rows: list[InboxRow], gate: threading.Event | None = None):
        super().__init__(ctx)
        self.all = rows
        self.gate = gate
        self.calls: list[tuple[str, InboxWhere, Cancel | None, int]] = []
        self._cache: dict[tuple[CaseState | None, str], tuple[list[InboxRow], list[Any]]] = {}

    def at_hand(
        self,
        actor: Actor,
        state: CaseState | None = None,
        query: str = "",
        where: InboxWhere = InboxWhere(),
        limit: int = 50,
    ) -> InboxPage | None:
        return None

    def result(self, state: CaseState | None, query: str) -> tuple[list[InboxRow], list[Any]]:
        """The matching rows newest first, and their keys oldest first (for bisect)."""
        got = self._cache.get((state, query))
        if got is None:
            q = query.strip().lower()
            rows = [
                r
                for r in self.all
                if (state is None or r.state is state)
                and (not q or q in r.patient_name.lower() or q == str(r.case_id))
            ]
            got = self._cache[(state, query)] = (rows, [r.key for r in reversed(rows)])
        return got

    def page(
        self,
        actor: Actor,
        state: CaseState | None = None,
        query: str = "",
        where: InboxWhere = InboxWhere(),
        limit: int = 50,
        cancel: Cancel | None = None,
    ) -> InboxPage:
        self.calls.append((query, where, cancel, limit))
        if self.gate is not None:
            assert self.gate.wait(60), "the test never opened the gate"
        if cancel is not None:
            cancel.check()
        rows, asc = self.result(state, query)
        return keyset_page(rows, asc, where, limit)


def keyset_page(rows: list[InboxRow], asc: list[Any], where: InboxWhere, limit: int) -> InboxPage:
    n, found = len(rows), None
    if where.after is not None:
        lo = n - bisect_left(asc, where.after)
    elif where.start is not None:
        lo = n - bisect_right(asc, where.start)
    elif where.before is not None:
        hi = n - bisect_right(asc, where.before)
        lo, limit = max(hi - limit, 0), min(limit, hi)
    elif where.last:
        lo = max(n - limit, 0)
    elif where.around is not None:
        at = next((i for i, r in enumerate(rows) if r.case_id == where.around), None)
        lo = 0 if at is None else min(max(at - limit // 2, 0), max(n - limit, 0))
        found = None if at is None else at - lo
    else:
        lo = 0
    got = rows[lo : lo + limit]
    return InboxPage(got, newer=lo > 0, older=lo + len(got) < n, found=found)


def fake_counts(n: int) -> Any:
    def counts(ctx: Context, actor: Actor) -> InboxCounts:
        return InboxCounts({s: n // 5 for s in CaseState}, n)

    return counts


def fake_app(
    ctx: Context, n: int, monkeypatch: Any, page: int | None = 50
) -> tuple[Any, FakeInbox]:
    """The app over n rows in memory, reading `page` rows at a time (None: as the screen
    sizes it)."""
    from tui_app.ui.screens.inbox import InboxScreen

    monkeypatch.setattr(InboxScreen, "PAGE", page)
    monkeypatch.setattr(api, "inbox_counts", fake_counts(n))
    source = FakeInbox(ctx, make_rows(n))
    ctx.inbox = source
    return build_app(ctx, staff(ctx, "danan12")), source


def on(app: Any) -> InboxRow:
    table = app.screen.query_one(PagedTable)
    return app.screen.rows[table.cursor_row]  # type: ignore[no-any-return]


def in_table(app: Any) -> list[str]:
    return [str(row.key.value) for row in app.screen.query_one(PagedTable).ordered_rows]


def marker(table: PagedTable, row: int) -> bool:
    return row in table.drawn_marks()  # as drawn: the cell data never holds the ▶


def where_line(app: Any) -> str:
    return app.screen.query_one("#empty", FixedLine).text  # type: ignore[no-any-return]


async def test_end_reaches_the_oldest_of_100000_cases_and_home_the_newest(
    ctx: Context, monkeypatch: Any
) -> None:
    app, source = fake_app(ctx, 100_000, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        assert table.row_count == 50 and on(app).case_id == 100_000
        assert "Filter: Alla (100 000)" in str(app.screen.query_one("#filter-label").render())
        assert where_line(app) == ""  # at the top: nothing to say
        await press(pilot, "end")
        assert on(app).case_id == 1 and table.row_count <= 150
        assert source.calls[-1][1] == InboxWhere(last=True)
        assert "nyare ärenden finns ovanför" in where_line(app)
        assert "Home går till början" in where_line(app)
        await press(pilot, "home")
        assert on(app).case_id == 100_000 and where_line(app) == ""


async def test_down_at_the_last_row_reads_on_and_the_table_keeps_three_pages(
    ctx: Context, monkeypatch: Any
) -> None:
    app, source = fake_app(ctx, 100_000, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        await pilot.press(*["down"] * 49)  # to the last row of the first page
        await press(pilot, "down", "down")  # on into the next page
        assert on(app).case_id == 100_000 - 51 and table.row_count == 100
        for _ in range(20):
            await press(pilot, "pagedown")
            assert table.row_count <= 150
            assert in_table(app) == [str(r.case_id) for r in app.screen.rows]  # in order
            marked = [i for i in range(table.row_count) if marker(table, i)]
            assert marked == [table.cursor_row]  # ▶ on the cursor's row, and only there
        below = on(app).case_id
        assert below < 100_000 - 51 - 20 * 6  # each Page Down moved about a screenful
        assert all(w.after is not None or w == InboxWhere() for _, w, _, _ in source.calls)
        await press(pilot, "pageup")
        assert on(app).case_id > below
        await press(pilot, "u")  # a refresh re-reads the window: the cursor stays on its case
        assert on(app).case_id > below and source.calls[-1][1].start is not None


async def test_up_from_the_end_reads_newer_rows_above(ctx: Context, monkeypatch: Any) -> None:
    app, source = fake_app(ctx, 1_000, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "end", "home", "end")
        await pilot.press(*["up"] * 49)  # to the first row of the last page
        await press(pilot, "up", "up")  # on into the page above it
        assert on(app).case_id == 52
        assert any(w.before is not None for _, w, _, _ in source.calls)


async def test_g_puts_the_window_around_the_case_and_esc_lands_on_it(
    ctx: Context, monkeypatch: Any
) -> None:
    from tui_app.ui.screens.inbox import InboxScreen

    ids = [send(ctx, pnr=ELIN if i % 2 else MARCO) for i in range(12)]
    app = build_app(ctx, staff(ctx, "danan12"))
    monkeypatch.setattr(InboxScreen, "PAGE", 4)  # small pages: 12 cases are three pages
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        assert table.row_count == 4
        assert "Filter: Alla (12)" in str(app.screen.query_one("#filter-label").render())
        await press(pilot, "g", *str(ids[1]), "enter")
        assert type(app.screen).__name__ == "CaseScreen", status(app)
        await press(pilot, "escape")
        assert type(app.screen).__name__ == "InboxScreen"
        assert on(app).case_id == ids[1] and table.row_count <= 12
        assert "nyare ärenden finns ovanför" in where_line(app)
        await press(pilot, "end")
        assert on(app).case_id == ids[0]
        await press(pilot, "home")
        assert on(app).case_id == ids[-1]


async def test_g_reads_the_list_around_the_case_once_the_case_is_shown_not_while_it_opens(
    ctx: Context, monkeypatch: Any
) -> None:
    """The read around the case and its paint would compete with building the case screen:
    while the case opens the list reads nothing (also not the refresh of g's dialog closing);
    once the case screen is up it reads around the case, and Esc back has ▶ on the case."""
    from tui_app.ui.screens.inbox import InboxScreen

    ids = [send(ctx, pnr=ELIN if i % 2 else MARCO) for i in range(12)]
    app = build_app(ctx, staff(ctx, "danan12"))
    monkeypatch.setattr(InboxScreen, "PAGE", 4)
    reads: list[tuple[int | None, bool]] = []  # (around, the case screen already up)
    page = ctx.inbox.page

    def recorded(*a: Any, **k: Any) -> InboxPage:
        where = a[3] if len(a) > 3 else k["where"]
        up = any(type(s).__name__ == "CaseScreen" for s in list(app.screen_stack))
        reads.append((where.around, up))
        return page(*a, **k)

    monkeypatch.setattr(ctx.inbox, "page", recorded)
    gate, real_open = threading.Event(), api.open_case

    def held_open(*a: Any, **k: Any) -> Any:
        assert gate.wait(60), "the test never opened the gate"
        return real_open(*a, **k)

    monkeypatch.setattr(api, "open_case", held_open)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "g", *str(ids[1]))
        reads.clear()
        await pilot.press("enter")  # the case opens (held): the dialog closes meanwhile
        for _ in range(5):
            await pilot.pause()
        window = app.screen.window
        assert type(app.screen).__name__ == "InboxScreen" and window.pending is None
        assert reads == []  # nothing read for the list while the case opens
        gate.set()
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen", status(app)
        assert reads == [(ids[1], True)]  # around the case, with the case screen up
        await press(pilot, "escape")
        assert on(app).case_id == ids[1]
        assert all(around is None for around, _ in reads[1:])  # Esc: a plain refresh


async def test_removing_the_marked_row_moves_the_marker_to_the_cursors_new_row() -> None:
    from textual.app import App, ComposeResult

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield PagedTable(cursor_type="row")

        def on_mount(self) -> None:
            t = self.query_one(PagedTable)
            t.add_column("Nr")
            for i in range(5):
                t.add_row(f"{i}", key=str(i))

    app = One()
    async with app.run_test(size=(80, 24)) as pilot:
        t = app.query_one(PagedTable)
        t.remove_row("0")  # the cursor's row, the one with the ▶
        t.remove_row("1")
        await pilot.pause()
        assert t.row_count == 3 and marker(t, t.cursor_row)
        assert [i for i in range(t.row_count) if marker(t, i)] == [t.cursor_row]


async def test_an_empty_inbox_and_a_search_without_match_say_so(
    ctx: Context, monkeypatch: Any
) -> None:
    app, source = fake_app(ctx, 0, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "u")  # a refresh that finds it empty again still says so
        assert "Inga ärenden. Tryck n för att skicka mallen" in where_line(app)
        source.all = make_rows(30)
        source._cache.clear()
        await press(pilot, "slash", *"ingen sådan")
        assert "Inga ärenden matchar sökningen eller filtret." in where_line(app)
        await press(pilot, "ctrl+u")
        assert where_line(app) == "" and len(app.screen.rows) == 30


async def test_a_mistyped_identity_number_says_what_is_wrong_with_it(ctx: Context) -> None:
    """An identity number with a wrong digit finds nobody; "Inga ärenden matchar" read as
    "no such patient". The line under the list says which part does not hold."""
    send(ctx, pnr=ELIN)
    app = build_app(ctx, staff(ctx, "danan12"))
    wrong_check = ELIN[:-1] + str((int(ELIN[-1]) + 1) % 10)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash", *f"{wrong_check[:8]}-{wrong_check[8:]}")
        assert app.screen.rows == []
        assert where_line(app) == (
            f"Kontrollsiffran i {wrong_check[:8]}-{wrong_check[8:]} stämmer inte – "
            "kontrollera personnumret."
        )
        await press(pilot, "ctrl+u", *f"{ELIN[2:8]}-{ELIN[8:]}")  # the right one, 10 digits
        assert len(app.screen.rows) == 1 and where_line(app) == ""
        await press(pilot, "ctrl+u", *"19900230-2397")
        assert where_line(app) == "Datumet i 19900230-2397 finns inte – kontrollera personnumret."
        await press(pilot, "ctrl+u", *"20991231-2399")
        assert "Datumet i 20991231-2399 ligger i framtiden" in where_line(app)
        await press(pilot, "ctrl+u", *"19900222-239")  # not a whole number yet: no hint
        assert "Inga ärenden matchar sökningen eller filtret." in where_line(app)
        await press(pilot, "ctrl+u", *"1990022223")  # 12 digits half typed: no hint yet
        assert "Inga ärenden matchar sökningen eller filtret." in where_line(app)


async def test_at_80x24_a_read_is_three_screenfuls_and_the_window_nine(
    ctx: Context, monkeypatch: Any
) -> None:
    app, source = fake_app(ctx, 100_000, monkeypatch, page=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "end")  # the table is laid out by now: 8 rows show
        assert source.calls[-1][3] == 24 and on(app).case_id == 1
        await press(pilot, "home")
        for _ in range(20):
            await press(pilot, "pagedown")
            assert len(app.screen.rows) <= 72
        assert on(app).case_id < 100_000 - 20 * 6


async def test_the_longest_filter_label_fits_on_one_line_at_80_columns(
    ctx: Context, monkeypatch: Any
) -> None:
    """'Filter: Avslutat automatiskt (22 414)' wrapped onto a second line (cut by the bar)."""
    app, _ = fake_app(ctx, 1_000_000, monkeypatch)  # counts of 200 000 per status
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        label = app.screen.query_one("#filter-label", Static)
        for _ in CaseState:
            await press(pilot, "f")
            text = str(label.render())
            assert text.startswith("Filter: ") and "(200 000)" in text
            assert label.content_region.width >= len(text.rstrip()), text
        assert app.screen.query_one("#search").size.width >= 30  # room to type a search


async def test_the_list_keeps_its_size_when_the_line_under_it_speaks(
    ctx: Context, monkeypatch: Any
) -> None:
    """Issue 14 (repaint): the line under the list is always laid out. It used to appear and
    vanish (display), which re-laid out the whole screen and moved the table's bottom edge on
    every key that reached a new page; 8 two-line rows still show at 80x24."""
    app, _ = fake_app(ctx, 100_000, monkeypatch, page=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        region = table.region
        assert where_line(app) == "" and table.scrollable_content_region.height == 17
        await press(pilot, "end")
        assert "Slutet av listan" in where_line(app) and table.region == region
        await press(pilot, "home")
        assert where_line(app) == "" and table.region == region


async def test_keys_typed_ahead_of_enter_in_the_search_go_to_the_list(
    ctx: Context, monkeypatch: Any
) -> None:
    """Enter leaves the search field at once: an f typed right after it (before the screen has
    handled Enter) cycles the filter, it is not typed into the field (seen in the terminal
    bench: 'f' in the search field, the filter unchanged)."""
    from textual import events
    from textual.widgets import Input

    app, _ = fake_app(ctx, 1_000, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        search = app.screen.query_one("#search", Input)
        assert search.has_focus
        for key, char in (("x", "x"), ("enter", "\r"), ("f", "f"), ("f", "f")):
            app.post_message(events.Key(key, char))  # all queued before any is handled
        await settle(pilot)
        assert search.value == "x" and not search.has_focus
        assert app.screen.filter_index == 2  # both f's reached the list's binding
        for key, char in (("slash", "/"), ("escape", "\x1b"), ("f", "f")):
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert search.value == "x" and app.screen.filter_index == 3


async def test_the_mouse_wheel_reads_on_past_the_window(ctx: Context, monkeypatch: Any) -> None:
    """Scrolling with the wheel (tmux with the mouse on) does not stop at the end of the rows
    the table holds: at its bottom the wheel reads the next rows, at its top the newer ones."""
    from textual import events

    app, _ = fake_app(ctx, 100_000, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        first = in_table(app)[0]

        def wheel(kind: type[events.MouseEvent]) -> None:
            table.post_message(kind(table, 5, 5, 0, 1, 0, False, False, False))

        for _ in range(200):  # far past the 150 rows a window holds
            wheel(events.MouseScrollDown)
            await settle(pilot)
        assert first not in in_table(app) and table.row_count <= 150
        assert on(app).case_id < 100_000 - 150  # it read on, and the cursor came along
        oldest = in_table(app)[-1]
        for _ in range(400):
            wheel(events.MouseScrollUp)
            await settle(pilot)
        assert in_table(app)[0] == first and oldest not in in_table(app)


async def test_a_page_read_further_down_is_scrolled_into_view_as_it_is_painted(
    ctx: Context, monkeypatch: Any
) -> None:
    """The rows a key read are in view in the frame that paints them: the scroll to the cursor
    is made as the rows go into the table, not after the next refresh (which painted the new
    rows once at the old place and once more in view: two frames for one key)."""
    from tui_app.ui.screens.inbox import InboxScreen

    app, _ = fake_app(ctx, 1_000, monkeypatch)
    seen: list[tuple[int, float, float, int]] = []
    paint = InboxScreen._paint

    def painted(self: InboxScreen, fetch: Any = None) -> None:
        paint(self, fetch)
        t = self.query_one(PagedTable)
        top = t._get_row_region(t.cursor_row).y - t.header_height  # the row's place in the rows
        seen.append((t.cursor_row, t.scroll_y, top, t.scrollable_content_region.height))

    monkeypatch.setattr(InboxScreen, "_paint", painted)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen.clear()
        for key in ("end", "home", "end"):
            await press(pilot, key)
        await pilot.press(*["pageup"] * 12)  # past the top of the window: reads newer rows
        await settle(pilot)
    assert len(seen) >= 4
    for row, scroll_y, top, height in seen:
        assert scroll_y <= top and top + 2 <= scroll_y + height - 1, (row, scroll_y, top, height)


async def test_a_refresh_that_keeps_the_cursor_paints_its_rows_measured(ctx: Context) -> None:
    """The rows a refresh puts in are measured as they go in, not at DataTable's next idle:
    with the cursor left where it was nothing else measured them, and the first frame showed
    the to-do column as wide as its heading, "Bedöm 2 / filer" wrapped (the inbox snapshot
    on a loaded machine, in CI)."""
    case_with_files(ctx)
    send(ctx, pnr=MARCO)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one(PagedTable)
        screen._paint()  # type: ignore[attr-defined]  # as a refresh's answer paints: no await
        assert not table._require_update_dimensions and not table._new_rows
        todo = table.columns[ColumnKey("todo")]
        assert todo.content_width >= len("Bedöm 2 filer")
