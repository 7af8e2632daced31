"""The preview of a received file: its thumbnail as terminal graphics or characters, and its facts.

Sixel or kitty graphics where the terminal said it can (ui/termcaps.py), else half-block
characters (two pixels a cell), or shades of grey under NO_COLOR. The picture is encoded in the
worker thread; the widget only hands the finished escape sequence to the terminal.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass
from pathlib import Path

from rich.segment import ControlType, Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.geometry import Region
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from tui_app.services.handling import Preview, preview
from tui_app.ui import termcaps

BOX = (70, 17)  # cells the picture may fill inside the preview window
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


def load_preview(ctx: object, actor: object, file_id: int) -> tuple[Preview, Text | Picture]:
    """Fetch the preview (logged) and draw it for this terminal, off the UI thread."""
    pv = preview(ctx, actor, file_id)  # type: ignore[arg-type]
    if pv.thumb is None:
        return pv, Text("Ingen förhandsvisning finns för filen.")
    try:
        graphics = termcaps.current()
        if graphics.protocol in ("sixel", "kitty"):
            return pv, picture(pv.thumb, graphics, *BOX)
        if os.environ.get("NO_COLOR"):  # colour blocks would show nothing: use light and shade
            return pv, shade_art(pv.thumb, *BOX)
        from tui_app.intake.halfblock import halfblock

        return pv, halfblock(pv.thumb, *BOX)
    except Exception:
        return pv, Text("Förhandsvisningen kunde inte visas.")


def picture(path: Path, graphics: termcaps.Graphics, cols: int, rows: int) -> Picture:
    """The thumbnail scaled to fill cols × rows cells (aspect kept), encoded for the terminal."""
    from PIL import Image

    from tui_app.intake.halfblock import open_thumbnail
    from tui_app.ui import graphics as gfx

    cw, ch = graphics.cell
    im = open_thumbnail(path)
    w, h = gfx.fit(im.size, (cols * cw, rows * ch))
    scaled = im.resize((w, h), Image.Resampling.LANCZOS)
    used_cols, used_rows = min(cols, math.ceil(w / cw)), min(rows, math.ceil(h / ch))
    if graphics.protocol == "kitty":
        image_id = random.randint(1, 2**31 - 1)
        return Picture("kitty", gfx.kitty_transmit(scaled, image_id), used_cols, used_rows,
                       image_id)
    return Picture("sixel", gfx.sixel(scaled), used_cols, used_rows)


class TerminalPicture(Widget):
    """Blank cells with the picture drawn over them by the terminal itself.

    Textual paints the cells; the escape sequence rides on the last line as a zero-width control
    segment that moves the cursor to the widget's corner, draws, and moves back to where Textual
    expects the cursor. Drawn only once the window has settled (its opening repaints would each
    resend the picture), only when the whole widget is visible, and never on the screen's last
    row (a Sixel there scrolls the whole screen in xterm).
    """

    DEFAULT_CSS = "TerminalPicture { width: auto; height: auto; }"

    def __init__(self, pic: Picture) -> None:
        super().__init__()
        self.pic = pic
        self.styles.width = pic.cols
        self.styles.height = pic.rows
        self._armed = False

    def on_mount(self) -> None:
        if self.pic.protocol == "kitty":
            self._write(self.pic.data)  # the image data goes once; redraws only place it
        self.set_timer(SETTLE, self._arm)

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
        if not (self._armed and whole and self.screen.is_active
                and region.bottom < self.app.size.height):
            return lines
        x, y = region.x, region.y
        draw = (f"\x1b[{y + 1};{x + 1}H{self.pic.draw}"
                f"\x1b[{y + region.height};{x + region.width + 1}H")
        lines[-1] = Strip([Segment(" " * width, style),
                           Segment(draw, Style(), [(ControlType.CURSOR_FORWARD, 0)])], width)
        return lines

    def on_unmount(self) -> None:
        if self.pic.protocol == "kitty":  # kitty pictures sit above the text until deleted
            from tui_app.ui.graphics import kitty_delete

            self._write(kitty_delete(self.pic.image_id))


def shade_art(path: Path, width: int, height: int) -> Text:
    """The thumbnail in characters of increasing darkness, for terminals without colour."""
    from tui_app.intake.halfblock import open_thumbnail

    ramp = " .:-=+*#%@"
    im = open_thumbnail(path).convert("L")
    scale = min(width / im.width, height * 2 / im.height)  # a cell is about twice as tall
    w, h = max(1, int(im.width * scale)), max(1, int(im.height * scale / 2))
    px = im.resize((w, h)).load()
    rows = ["".join(ramp[(255 - px[x, y]) * (len(ramp) - 1) // 255] for x in range(w))
            for y in range(h)]
    return Text("\n".join(rows))


class PreviewScreen(ModalScreen[None]):
    """Förhandsvisning."""

    BINDINGS = [Binding("escape,p,q", "close", "Stäng", id="preview_close")]
    DEFAULT_CSS = """
    PreviewScreen { align: center middle; }
    PreviewScreen > Vertical { width: 74; height: 22; border: thick $primary; background: $surface; }
    PreviewScreen #image { height: 1fr; content-align: center middle; align: center middle; }
    """

    def __init__(self, pv: Preview, image: Text | Picture) -> None:
        super().__init__()
        self.pv = pv
        self.image = image

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.pv.name, style="bold", no_wrap=True, overflow="ellipsis"))
            yield Static(Text(self.pv.facts))
            if isinstance(self.image, Picture):
                with Center(id="image"):
                    yield TerminalPicture(self.image)
            else:
                yield Static(self.image, id="image")
            yield Static(Text("Esc stänger", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
