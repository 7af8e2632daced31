"""The preview of a received file, full screen: page through a PDF, zoom in and move around.

Sixel or kitty graphics where the terminal said it can (ui/termcaps.py), else half-block
characters (two pixels a cell), or shades of grey under NO_COLOR. Each view is rendered from
the stored (cleaned) file and encoded in a thread worker, at the size of the terminal; the
widget only hands the finished escape sequence or text to the terminal.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass

from rich.segment import ControlType, Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from tui_app.core.errors import UserError
from tui_app.services import api
from tui_app.services.api import ZOOMS, Preview, PreviewSource, Rendered, View
from tui_app.ui import termcaps
from tui_app.ui.base import AppModal
from tui_app.ui.widgets import app_footer

CHROME_ROWS = 3  # the name line, the page/zoom line and the footer; the picture gets the rest
SETTLE = 0.3  # seconds: the window's opening repaints pass before the picture is sent


@dataclass(frozen=True)
class Picture:
    """An image for the terminal, covering cols × rows cells.

    Sixel: data is the picture, sent on every redraw (the terminal keeps nothing). Kitty: data
    is the transmission, sent once; a redraw only places image_id again.
    """

    protocol: str  # "sixel" or "kitty"
    data: str
    cols: int
    rows: int
    image_id: int = 0

    @property
    def draw(self) -> str:
        """What a redraw sends at the picture's top-left corner."""
        if self.protocol == "kitty":
            from tui_app.ui.graphics import kitty_place

            return kitty_place(self.image_id)
        return self.data


def draw(
    source: PreviewSource,
    view: View,
    cols: int,
    rows: int,
    graphics: termcaps.Graphics,
    no_color: bool,
) -> tuple[Rendered, Text | Picture]:
    """Render a view to fill cols × rows cells and encode it for this terminal (in a worker)."""
    from tui_app.ui import graphics as gfx

    if graphics.protocol in ("sixel", "kitty"):
        cw, ch = graphics.cell
        rendered = api.render_view(source, view, (cols * cw, rows * ch))
        image = rendered.image
        w, h = image.size
        used_cols, used_rows = min(cols, math.ceil(w / cw)), min(rows, math.ceil(h / ch))
        if graphics.protocol == "kitty":
            image_id = random.randint(1, 2**31 - 1)
            return rendered, Picture(
                "kitty", gfx.kitty_transmit(image, image_id), used_cols, used_rows, image_id
            )
        return rendered, Picture("sixel", gfx.sixel(image), used_cols, used_rows)
    rendered = api.render_view(source, view, (cols, rows * 2))  # a cell shows two pixels
    if no_color:  # colour blocks would show nothing: use light and shade
        return rendered, gfx.shade_text(rendered.image)
    return rendered, gfx.halfblock_text(rendered.image)


class TerminalPicture(Widget):
    """Blank cells with the picture drawn over them by the terminal itself.

    Textual paints the cells; the escape sequence rides on the last line as a zero-width control
    segment that moves the cursor to the widget's corner, draws, and moves back to where Textual
    expects the cursor. Drawn only once the window has settled (its opening repaints would each
    resend the picture), only when the whole widget is visible, and never on the screen's last
    row (a Sixel there scrolls the whole screen in xterm).
    """

    DEFAULT_CSS = "TerminalPicture { width: auto; height: auto; }"

    def __init__(self, pic: Picture, settle: float = SETTLE) -> None:
        super().__init__()
        self.pic = pic
        self.styles.width = pic.cols
        self.styles.height = pic.rows
        self._armed = False
        self._settle = settle

    def on_mount(self) -> None:
        if self.pic.protocol == "kitty":
            self._write(self.pic.data)  # the image data goes once; redraws only place it
        self.set_timer(self._settle, self._arm)

    def _arm(self) -> None:
        self._armed = True
        self.refresh()

    def _write(self, data: str) -> None:
        driver = getattr(self.app, "_driver", None)
        if driver is not None:
            driver.write(data)

    def render_lines(self, crop: Region) -> list[Strip]:
        width = crop.width
        style = self.rich_style  # the window's background, not the terminal's default
        blank = Strip([Segment(" " * width, style)], width)
        lines = [blank] * crop.height
        region = self.content_region
        whole = crop == Region(0, 0, region.width, region.height)
        if not (
            self._armed and whole and self.screen.is_active and region.bottom < self.app.size.height
        ):
            return lines
        x, y = region.x, region.y
        draw = (
            f"\x1b[{y + 1};{x + 1}H{self.pic.draw}\x1b[{y + region.height};{x + region.width + 1}H"
        )
        lines[-1] = Strip(
            [
                Segment(" " * width, style),
                Segment(draw, Style(), [(ControlType.CURSOR_FORWARD, 0)]),
            ],
            width,
        )
        return lines

    def on_unmount(self) -> None:
        if self.pic.protocol == "kitty":  # kitty pictures sit above the text until deleted
            from tui_app.ui.graphics import kitty_delete

            self._write(kitty_delete(self.pic.image_id))


def where_text(rendered: Rendered) -> str:
    """Which page, how large, and which part is shown, in words (never only in the picture)."""
    v = rendered.view
    out = f"Sida {v.page + 1} av {rendered.pages} · zoom {round(v.zoom * 100)} %"
    if v.zoom == 1.0:
        return out + " (hela sidan)"
    left, top, right, bottom = (round(x * 100) for x in rendered.window)
    return out + f" · visar {left}–{right} % av bredden, {top}–{bottom} % av höjden"


class PreviewScreen(AppModal):
    """Förhandsvisning, över hela skärmen."""

    HELP_TITLE = "Förhandsvisning"
    HELP = (
        "Filen visas så stor som terminalen tillåter. PgDn/PgUp (eller n/b) bläddrar i ett "
        "dokument, + och - zoomar, piltangenterna flyttar det inzoomade utsnittet, 0 visar "
        "hela sidan igen. Esc stänger."
    )
    BINDINGS = [
        Binding("escape,p,q", "close", "Stäng", key_display="Esc", id="preview_close"),
        Binding("pagedown,n", "page(1)", "Nästa", key_display="PgDn", id="preview_next_page"),
        Binding("pageup,b", "page(-1)", "Förra", key_display="PgUp", id="preview_prev_page"),
        Binding("plus,equals_sign", "zoom(1)", "Zoom", key_display="+", id="preview_zoom_in"),
        Binding("minus", "zoom(-1)", "Ut", key_display="-", id="preview_zoom_out"),
        Binding("0", "fit", "Hela", id="preview_fit"),
        Binding("left", "pan(-1, 0)", "Flytta", key_display="←↑↓→", id="preview_pan"),
        Binding("right", "pan(1, 0)", "Flytta höger", show=False),
        Binding("up", "pan(0, -1)", "Flytta upp", show=False),
        Binding("down", "pan(0, 1)", "Flytta ned", show=False),
        Binding("f1", "app.help", "Hjälp", id="preview_help"),
    ]
    DEFAULT_CSS = """
    PreviewScreen { background: $surface; }
    PreviewScreen > #preview-name, PreviewScreen > #preview-where { height: 1; padding: 0 1; }
    PreviewScreen > #image { height: 1fr; width: 1fr; align: center middle; }
    PreviewScreen #image > Static { width: auto; height: auto; }
    """

    def __init__(self, pv: Preview, image: PreviewSource | Text) -> None:
        super().__init__()
        self.pv = pv
        self.source = image if isinstance(image, PreviewSource) else None
        self.message = image if isinstance(image, Text) else None
        self.view = View()
        self.shown: Rendered | None = None
        self._want: tuple[View, int, int] | None = None
        self._busy = False
        self._drawn_once = False
        self.drawn_want: tuple[View, int, int] | None = None  # what the screen shows now

    def compose(self) -> ComposeResult:
        name = Text(self.pv.name, style="bold", no_wrap=True, overflow="ellipsis")
        name.append(f" · {self.pv.facts}", style="")
        yield Static(name, id="preview-name")
        yield Static(Text("Ritar …" if self.source else ""), id="preview-where")
        with Container(id="image"):
            if self.message is not None:
                yield Static(self.message)
        yield app_footer()

    def on_mount(self) -> None:
        self.request()

    def on_resize(self) -> None:
        self.request()

    def box(self) -> tuple[int, int]:
        """Cells the picture may fill: the whole terminal but the text lines and the footer."""
        w, h = self.app.size
        return max(w, 1), max(h - CHROME_ROWS, 1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.source is None:
            return action == "close" or None
        if action == "page":
            return self.source.pages > 1
        if action == "pan":
            return self.view.zoom > 1.0
        if action == "fit":
            return self.view.zoom > 1.0
        if action == "zoom":  # only the keys that can act are offered
            step = parameters[0] if parameters else 1
            return self.view.zoom < ZOOMS[-1] if step == 1 else self.view.zoom > ZOOMS[0]
        return True

    def request(self) -> None:
        """Draw the current view at the current size; while one is drawn, only the newest waits."""
        if self.source is None:
            return
        cols, rows = self.box()
        self._want = (self.view, cols, rows)
        if not self._busy:
            self._start()

    def _start(self) -> None:
        assert self.source is not None and self._want is not None
        self._busy = True
        want = self._want
        source, (view, cols, rows) = self.source, want
        graphics, no_color = termcaps.current(), bool(os.environ.get("NO_COLOR"))
        self.run(
            lambda: (want, *draw(source, view, cols, rows, graphics, no_color)),
            on_done=self._drawn,
            on_error=self._not_drawn,
        )

    async def _drawn(self, result: tuple[tuple[View, int, int], Rendered, Text | Picture]) -> None:
        self._busy = False
        want, rendered, image = result
        if want != self._want:  # keys were pressed meanwhile: draw what is wanted now
            self._start()
            return
        self.shown = rendered
        self.drawn_want = self._want
        self.view = rendered.view  # kept on the page by the renderer
        self.query_one("#preview-where", Static).update(Text(where_text(rendered)))
        box = self.query_one("#image", Container)
        await box.remove_children()
        if isinstance(image, Picture):
            await box.mount(
                TerminalPicture(image, settle=SETTLE / 3 if self._drawn_once else SETTLE)
            )
        else:
            await box.mount(Static(image))
        self._drawn_once = True
        self.refresh_bindings()

    @property
    def up_to_date(self) -> bool:
        """Whether what is shown is what was last asked for (tests wait for this)."""
        return not self._busy and self.drawn_want is not None and self.drawn_want == self._want

    def _not_drawn(self, error: UserError) -> None:
        self._busy = False
        self.query_one("#preview-where", Static).update(Text("✗ " + error.message))

    def action_page(self, step: int) -> None:
        if self.source is not None:
            self.view = self.view.paged(step, self.source.pages)
            self.request()

    def action_zoom(self, step: int) -> None:
        self.view = self.view.zoomed(step)
        self.refresh_bindings()
        self.request()

    def action_fit(self) -> None:
        self.view = View(page=self.view.page)
        self.refresh_bindings()
        self.request()

    def action_pan(self, dx: int, dy: int) -> None:
        self.view = self.view.panned(dx, dy)
        self.request()

    def action_close(self) -> None:
        self.dismiss(None)
