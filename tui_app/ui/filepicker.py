"""A keyboard file picker: a path line with Tab completion, and a directory view.

File names are untrusted (a patient's own files, a shared folder): every name and path shown
here goes through core.safetext, in Textual's own widgets too (the directory tree's labels,
the input box's text), so no escape sequence in a name reaches the terminal (issue 9.9).
The real names and paths are kept for opening the file; only what is drawn is made safe.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text, TextType
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Static

from tui_app.core.safetext import safe_display_name, visible_chars, visible_text


def complete(text: str) -> tuple[str, list[str]]:
    """Complete a typed path as a shell would: the longest common prefix, and the candidates."""
    expanded = os.path.expanduser(text) if text else ""
    folder, prefix = os.path.split(expanded)
    base = Path(folder or ".")
    try:
        names = sorted(
            n for n in os.listdir(base) if n.startswith(prefix) and not n.startswith(".")
        )
    except OSError:
        return text, []
    if not names:
        return text, []
    common = os.path.commonprefix(names)
    done = os.path.join(folder, common) if folder else common
    if len(names) == 1 and (base / names[0]).is_dir():
        done += "/"
    return done, names


class SafeDirectoryTree(DirectoryTree):
    """Textual's DirectoryTree with every label made visible-safe (it draws names raw)."""

    def process_label(self, label: TextType) -> Text:
        # visible_text, not safe_display_name: Textual may pass a label through here twice,
        # and only visible_text leaves its own output unchanged (the root's label is a path).
        raw = label.plain if isinstance(label, Text) else str(label)
        return Text(visible_text(raw, max_len=70), no_wrap=True, overflow="ellipsis")


class PathInput(Input):
    """An Input where Tab completes the path instead of moving focus; its text is drawn
    character for character through safetext (the value itself stays the real path)."""

    BINDINGS = [Binding("tab", "complete", "Komplettera", id="path_complete", show=False)]

    @property
    def _value(self) -> Text:  # what Input draws (Textual 8); one shown character per character
        return Text(visible_chars(self.value), no_wrap=True, overflow="ignore", end="")

    def _position_to_cell(self, position: int) -> int:  # the cursor, on the drawn text
        return cell_len(visible_chars(self.value[:position]))

    def action_complete(self) -> None:
        done, names = complete(self.value)
        self.value = done
        self.cursor_position = len(done)
        self.post_message(PathInput.Completed(self, names))

    class Completed(Input.Changed):
        """Tab was pressed; `names` are the candidates."""

        def __init__(self, input: Input, names: list[str]) -> None:
            super().__init__(input, input.value)
            self.names = names


class FilePickerScreen(ModalScreen[Path | None]):
    """Välj fil: skriv sökvägen (Tab kompletterar) eller välj i mappvyn; Enter väljer."""

    BINDINGS = [
        Binding("escape", "cancel", "Avbryt", id="picker_cancel"),
        Binding("f4", "toggle_focus", "Sökväg/mappar", id="picker_focus"),
    ]
    DEFAULT_CSS = """
    FilePickerScreen { align: center middle; }
    FilePickerScreen > Vertical { width: 76; height: 20; border: thick $primary; background: $surface; }
    FilePickerScreen DirectoryTree { height: 1fr; }
    FilePickerScreen #picker-hint { height: auto; max-height: 3; }
    """

    def __init__(self, start: Path) -> None:
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text("Bifoga fil – skriv sökväg (Tab kompletterar) eller välj nedan", style="bold")
            )
            yield PathInput(value=str(self.start) + "/", id="path")
            yield Static("", id="picker-hint")
            yield SafeDirectoryTree(self.start, id="tree")
            yield Static(
                Text("Enter väljer · F4 byter mellan sökväg och mappar · Esc avbryter", style="dim")
            )

    def on_mount(self) -> None:
        inp = self.query_one("#path", PathInput)
        inp.focus()
        inp.cursor_position = len(inp.value)

    def _hint(self, text: str) -> None:
        self.query_one("#picker-hint", Static).update(Text(text))

    def on_path_input_completed(self, event: PathInput.Completed) -> None:
        event.stop()
        if len(event.names) > 1:
            self._hint("  ".join(safe_display_name(n, 40) for n in event.names[:30]))
        elif not event.names:
            self._hint("Ingen fil eller mapp börjar så.")
        else:
            self._hint("")
        folder = Path(os.path.expanduser(event.value))
        if folder.is_dir():
            self.query_one(DirectoryTree).path = folder

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(os.path.expanduser(event.value.strip()))
        if path.is_dir():
            self.query_one(DirectoryTree).path = path
            self._hint("Det är en mapp. Välj en fil i den.")
            return
        if not path.exists():
            self._hint(
                f"✗ Filen {visible_text(str(path), max_len=120)} finns inte. Kontrollera sökvägen."
            )
            return
        self.dismiss(path)

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(Path(event.path))

    def action_toggle_focus(self) -> None:
        if self.query_one("#path", PathInput).has_focus:
            self.query_one(DirectoryTree).focus()
        else:
            self.query_one("#path", PathInput).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
