"""Issue 11.15: under NO_COLOR the highlighted row is shown by ▶, not by colour alone, on the
sign-in picker, the patient's inbox, the administrator's tables and the access log (80x24)."""

from __future__ import annotations

from tests.conftest import ELIN, patient, send, staff
from tests.test_snapshots import screen_text
from tests.test_ui_flow import settle
from tui_app.services.context import Context
from tui_app.ui.app import build_app


def marked_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in screen_text(app).splitlines() if "▶" in line]


def marked_at(app) -> list[int]:  # type: ignore[no-untyped-def]
    return [i for i, line in enumerate(screen_text(app).splitlines()) if "▶" in line]


async def test_signin_picker_marks_the_highlighted_person(ctx: Context) -> None:
    ctx.demo = True
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ol = app.screen.query_one("#people")
        for _ in range(2):
            label = app.screen.choices[ol.get_option_at_index(ol.highlighted).id].label
            lines = marked_lines(app)
            assert len(lines) == 1 and label in lines[0], lines
            await pilot.press("down")
            await pilot.pause()
        assert label not in marked_lines(app)[0]  # the marker moved with the highlight


async def test_patient_inbox_marks_the_highlighted_case(ctx: Context) -> None:
    send(ctx, pnr=ELIN)
    send(ctx, "danan12", ELIN, "REUM-SKO")
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ol = app.screen.query_one("#patient-cases")
        assert ol.highlighted == 0
        first = marked_at(app)
        assert len(first) == 1, first
        await pilot.press("down")
        await pilot.pause()
        assert ol.highlighted == 1
        second = marked_at(app)
        assert len(second) == 1 and second[0] > first[0], second
        assert str(ol.get_option_at_index(1).prompt).startswith("▶ ")
        assert str(ol.get_option_at_index(0).prompt).startswith("  ")


async def test_admin_tables_mark_the_highlighted_row(ctx: Context) -> None:
    app = build_app(ctx, staff(ctx, "lenjo54"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        units = app.screen.query_one("#units")
        staff_t = app.screen.query_one("#staff")

        def marks(t) -> list[int]:  # type: ignore[no-untyped-def]
            return t.drawn_marks()  # type: ignore[no-any-return]

        assert marks(units) == [0] and marks(staff_t) == [0]
        assert units.has_focus
        lines = marked_lines(app)
        assert len(lines) == 2 and app.screen.unit_rows[0].name in lines[0], lines
        await pilot.press("down")
        await pilot.pause()
        assert marks(units) == [1] and marks(staff_t) == [0]
        assert app.screen.unit_rows[1].name in marked_lines(app)[0]
        await pilot.press("tab", "down")
        await pilot.pause()
        assert marks(staff_t) == [1]


async def test_access_log_marks_the_highlighted_entry(ctx: Context) -> None:
    send(ctx, pnr=ELIN)
    app = build_app(ctx, staff(ctx, "lenjo54"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        t = app.screen.query_one("#log")
        assert t.row_count >= 2

        def marks() -> list[int]:
            return t.drawn_marks()  # type: ignore[no-any-return]

        assert marks() == [0] and len(marked_lines(app)) == 1
        await pilot.press("down")
        await pilot.pause()
        assert marks() == [1] and len(marked_lines(app)) == 1
        assert all(len(line) <= 80 for line in screen_text(app).splitlines())


async def test_moving_the_cursor_changes_no_cell_so_the_rendered_rows_stay_cached(
    ctx: Context,
) -> None:
    """Issue 14 (repaint): the ▶ is drawn at render time. Writing it into the first cell
    (update_cell) bumped the table's update count on every key, which drops every cached cell
    and line, so each Down re-rendered the whole screen."""
    from textual.widgets import DataTable

    for _ in range(3):
        send(ctx, pnr=ELIN)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape")  # the list, not the search field
        t = app.screen.query_one("#cases", DataTable)
        assert t.row_count >= 3 and t.drawn_marks() == [0]  # type: ignore[attr-defined]
        before = t._update_count
        first_cells = [str(t.get_cell_at((r, 0))) for r in range(t.row_count)]
        await pilot.press("down")
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        assert t.cursor_row == 2 and t.drawn_marks() == [2]  # type: ignore[attr-defined]
        assert t._update_count == before  # no cell changed: the caches were kept
        assert [str(t.get_cell_at((r, 0))) for r in range(t.row_count)] == first_cells
        assert all(not c.startswith("▶") for c in first_cells)
        assert len(marked_lines(app)) == 1 and marked_at(app) == [marked_at(app)[0]]
