"""The preview of a received file: its thumbnail in half-block characters, and its facts."""

from __future__ import annotations

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
        from tui_app.intake.halfblock import halfblock

        return pv, halfblock(pv.thumb, 70, 17)
    except Exception:
        return pv, Text("Förhandsvisningen kunde inte visas.")


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
