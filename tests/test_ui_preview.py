"""Pilot: the preview uses the whole terminal (80x24 and 120x40), pages through a PDF and zooms
in on a part, in every graphics mode; each view is rendered in a worker from the stored file."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import DataTable

from tests.conftest import ELIN, patient, send, staff
from tests.handling_fixtures import SAMPLES, case_with_files
from tests.test_snapshots import screen_text
from tests.test_ui_flow import settle
from tui_app.services.context import Context
from tui_app.services.conversation import patient_reply
from tui_app.services.files import stage_files
from tui_app.services.preview import View, preview_source, render_view
from tui_app.ui import graphics, termcaps
from tui_app.ui.app import build_app


@pytest.fixture
def terminal_graphics():  # type: ignore[no-untyped-def]
    """Pretend the terminal answered; put back the character mode after the test."""
    yield termcaps.use
    termcaps.use(termcaps.Graphics())


def three_page_pdf(path: Path) -> Path:
    """A letter of three pages, each with a big page number and a small line of text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for n in (1, 2, 3):
        c.setFont("Helvetica", 120)
        c.drawString(200, 500, str(n))
        c.setFont("Helvetica", 8)
        c.drawString(40, 60, f"Sidan {n} av 3 - liten text längst ned")
        c.showPage()
    c.save()
    return path


def case_with_letter(ctx: Context, tmp_path: Path) -> int:
    number = send(ctx, pnr=ELIN)
    staged = stage_files(ctx, [three_page_pdf(tmp_path / "brev.pdf"), SAMPLES / "handled.jpg"])
    assert all(f.accepted for f in staged), [f.reason for f in staged]
    patient_reply(ctx, patient(ctx, ELIN), number, "Brevet.", staged)
    return number


async def drawn(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait (by events, not time) until the preview shows what was last asked for."""
    screen = pilot.app.screen
    for _ in range(200):
        await settle(pilot)
        await pilot.pause()
        if screen.up_to_date:
            return
    raise AssertionError("the preview was never drawn")


async def open_preview(pilot, row: int = 0) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    pilot.app.screen.query_one("#files", DataTable).move_cursor(row=row)
    await pilot.press("p")
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "PreviewScreen"
    await drawn(pilot)


def picture_rows(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(cols, rows) of the characters drawn for the picture (text mode)."""
    text = app.screen.query_one("#image Static").render()
    lines = str(text).split("\n")
    return max(len(line) for line in lines), len(lines)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_preview_fills_the_terminal_in_text_mode(ctx: Context, size) -> None:  # type: ignore[no-untyped-def]
    case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=size) as pilot:
        await open_preview(pilot)
        cols, rows = picture_rows(app)
        w, h = size
        # handled.jpg is portrait: it takes the full height left by the two text lines and the
        # footer (the old window gave 17 rows at both sizes).
        assert rows == h - 3 and cols <= w, (cols, rows)
        shown = screen_text(app)
        assert "handled.jpg" in shown and "Sida 1 av 1 · zoom 100 % (hela sidan)" in shown
        assert "▀" in shown


async def test_a_pdf_pages_with_pgdn_pgup_and_says_which_page(ctx: Context, tmp_path: Path) -> None:
    case_with_letter(ctx, tmp_path)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_preview(pilot, row=0)
        assert "Sida 1 av 3" in screen_text(app)
        first = app.screen.shown.image.tobytes()
        await pilot.press("pagedown")
        await drawn(pilot)
        assert "Sida 2 av 3" in screen_text(app)
        assert app.screen.shown.image.tobytes() != first  # another page is drawn
        await pilot.press("n", "n")  # past the last page: stays on it
        await drawn(pilot)
        assert "Sida 3 av 3" in screen_text(app)
        await pilot.press("pageup", "b")
        await drawn(pilot)
        assert "Sida 1 av 3" in screen_text(app)
        assert "PgDn" in screen_text(app).splitlines()[-1]


async def test_zoom_and_pan_show_a_part_and_say_which(ctx: Context, tmp_path: Path) -> None:
    case_with_letter(ctx, tmp_path)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_preview(pilot, row=0)
        footer = screen_text(app).splitlines()[-1]
        assert "←↑↓→" not in footer  # nothing to move while the whole page is shown
        await pilot.press("+", "+")
        await drawn(pilot)
        assert app.screen.view.zoom == 2.0
        shown = screen_text(app)
        # A4 on a wide screen: at 200 % the page is as wide as the screen, half its height shows.
        assert "zoom 200 %" in shown and "0–100 % av bredden, 25–75 % av höjden" in shown, shown
        assert "←↑↓→" in shown.splitlines()[-1]
        cols, rows = picture_rows(app)
        assert rows == 21  # still fills the screen
        for _ in range(6):  # far past the bottom edge: the view stops at the page's end
            await pilot.press("down")
        await drawn(pilot)
        assert "50–100 % av höjden" in screen_text(app)
        await pilot.press("0")
        await drawn(pilot)
        assert app.screen.view == View() and "(hela sidan)" in screen_text(app)
        await pilot.press("-")
        await drawn(pilot)
        assert app.screen.view.zoom == 1.0


async def test_every_view_is_rendered_off_the_ui_thread_from_the_stored_file(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui_app.services.api as api

    case_with_letter(ctx, tmp_path)
    calls: list[tuple[str, Path]] = []
    real = api.render_view

    def spy(source, view, box):  # type: ignore[no-untyped-def]
        calls.append((threading.current_thread().name, source.path))
        return real(source, view, box)

    monkeypatch.setattr(api, "render_view", spy)  # what ui/preview.py draws with
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_preview(pilot, row=0)
        await pilot.press("pagedown", "+", "right")
        await drawn(pilot)
    from sqlmodel import Session, select

    from tui_app.store.models import Attachment

    with Session(ctx.engine) as s:
        pdf_id = s.exec(select(Attachment.id).where(Attachment.mime == "application/pdf")).one()
    stored = preview_source(ctx, staff(ctx, "danan12"), pdf_id).path
    assert calls and all(name != threading.main_thread().name for name, _ in calls)
    assert {path for _, path in calls} == {stored}  # the cleaned, stored file, nothing else
    assert stored.is_relative_to(ctx.data_dir)  # files/ or, from the database, cache/


async def test_no_color_preview_is_shades_and_fills_the_screen(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_preview(pilot)
        cols, rows = picture_rows(app)
        assert rows == 21
        text = str(app.screen.query_one("#image Static").render())
        assert "▀" not in text and set(text) - {"\n"} <= set(graphics.SHADES)


@pytest.mark.parametrize("protocol", ["sixel", "kitty"])
async def test_terminal_graphics_preview_fills_120x40_and_zooms(
    ctx: Context, terminal_graphics, protocol: str
) -> None:
    from tui_app.ui.preview import TerminalPicture

    terminal_graphics(termcaps.Graphics(protocol, (10, 20), "terminalen"))
    case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(120, 40)) as pilot:
        written: list[str] = []
        app._driver.write = written.append  # type: ignore[union-attr, method-assign]
        await open_preview(pilot)
        pic = app.screen.query_one(TerminalPicture)
        assert pic.pic.rows == 37 and pic.pic.cols <= 120  # the whole height, not 17 rows
        first_id = pic.pic.image_id
        await pilot.press("+")
        await drawn(pilot)
        zoomed = app.screen.query_one(TerminalPicture)
        assert zoomed is not pic and zoomed.pic.rows == 37
        assert "zoom 150 %" in screen_text(app)
        if protocol == "kitty":  # the old picture is deleted from the terminal, the new one sent
            out = "".join(written)
            assert graphics.kitty_delete(first_id) in out
            assert f"a=t,f=100,i={zoomed.pic.image_id}," in out
        else:
            w, h, _ = __import__("tests.test_ui_graphics", fromlist=["decode_sixel"]).decode_sixel(
                zoomed.pic.data
            )
            assert h <= 37 * 20 and w <= 120 * 10


def test_render_view_keeps_the_window_on_the_page(ctx: Context) -> None:
    _, image_id, pdf_id = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    src = preview_source(ctx, dan, pdf_id)
    whole = render_view(src, View(), (400, 300))
    assert whole.window == (0.0, 0.0, 1.0, 1.0) and whole.image.height == 300
    corner = render_view(src, View(zoom=4.0, cx=5.0, cy=-3.0), (400, 300))
    assert corner.image.size == (400, 300)  # a zoomed view fills the box
    left, top, right, bottom = corner.window
    assert right == pytest.approx(1.0) and top == pytest.approx(0.0)
    assert corner.view.cx < 1.0 and corner.view.cy > 0.0


def test_a_zoomed_pdf_view_is_that_part_of_the_page_at_the_shown_size(
    ctx: Context, tmp_path: Path
) -> None:
    from PIL import ImageChops, ImageStat
    from sqlmodel import Session, select

    from tui_app.store.models import Attachment

    case_with_letter(ctx, tmp_path)
    with Session(ctx.engine) as s:
        pdf_id = s.exec(select(Attachment.id).where(Attachment.mime == "application/pdf")).one()
    src = preview_source(ctx, staff(ctx, "danan12"), pdf_id)
    big = render_view(src, View(page=0), (840, 1190)).image  # the whole page, twice the size
    part = render_view(src, View(page=0, zoom=2.0, cx=0.4, cy=0.6), (420, 595))
    assert part.image.size == (420, 595)  # only the shown part, at the box's size
    left, top, right, bottom = part.window
    assert (round(left, 2), round(top, 2), round(right, 2), round(bottom, 2)) == (
        0.15,
        0.35,
        0.65,
        0.85,
    )
    expected = big.crop(
        (
            round(left * big.width),
            round(top * big.height),
            round(right * big.width),
            round(bottom * big.height),
        )
    ).resize((420, 595))
    diff = ImageStat.Stat(ImageChops.difference(part.image, expected).convert("L")).mean[0]
    assert diff < 1, diff  # the same pixels (a window flipped top-to-bottom differs by 3.3)
