"""The preview of a received file: its thumbnail in half-block characters, and its facts."""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_app.services.handling import Preview, preview


def load_preview(ctx: object, actor: object, file_id: int) -> tuple[Preview, Text]:
    """Fetch the preview (logged) and draw it in half-block characters, off the UI thread."""
    pv = preview(ctx, actor, file_id)  # type: ignore[arg-type]
    if pv.thumb is None:
        return pv, Text("Ingen förhandsvisning finns för filen.")
    try:
        if os.environ.get("NO_COLOR"):  # colour blocks would show nothing: use light and shade
            return pv, shade_art(pv.thumb, 70, 17)
        from tui_app.intake.halfblock import halfblock

        return pv, halfblock(pv.thumb, 70, 17)
    except Exception:
        return pv, Text("Förhandsvisningen kunde inte visas.")


def shade_art(path: Path, width: int, height: int) -> Text:
    """The thumbnail in characters of increasing darkness, for terminals without colour."""
    from PIL import Image

    ramp = " .:-=+*#%@"
    with Image.open(path) as im:
        im = im.convert("L")
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
    PreviewScreen #image { height: 1fr; content-align: center middle; }
    """

    def __init__(self, pv: Preview, image: Text) -> None:
        super().__init__()
        self.pv = pv
        self.image = image

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.pv.name, style="bold", no_wrap=True, overflow="ellipsis"))
            yield Static(Text(self.pv.facts))
            yield Static(self.image, id="image")
            yield Static(Text("Esc stänger", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
