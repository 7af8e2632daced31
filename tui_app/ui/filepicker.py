"""A keyboard file picker: a path line with Tab completion, and a directory view.

File names are untrusted (a patient's own files, a shared folder): every name and path shown
here goes through core.safetext, in Textual's own widgets too (the directory tree's labels,
the input box's text), so no escape sequence in a name reaches the terminal (issue 9.9).
The real names and paths are kept for opening the file; only what is drawn is made safe.

In classroom mode (`tui-app classroom`) the picker is confined (`Confinement`) to the demo's
own folders: nothing outside them is offered, completed or chosen, and no symbolic link is
followed or shown, so a trainee never reaches the server's files or another trainee's demo.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.cells import cell_len
from typing import Any

from rich.text import Text, TextType
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Static

from tui_app.core.safetext import safe_display_name, visible_chars, visible_text


OUTSIDE = (
    "I undervisningsläget går det bara att välja filer i demons egna mappar: "
    "{roots}. Välj en fil där."
)


@dataclass(frozen=True)
class Confinement:
    """The only folders the picker may show and choose from (classroom mode)."""

    roots: tuple[Path, ...]

    def allows(self, path: Path | str) -> bool:
        """True when path is one of the roots or lies under one, with no symbolic link on the
        way down from the root (a link to /etc or a sibling demo is never followed)."""
        target = Path(os.path.normpath(os.path.abspath(os.path.expanduser(str(path)))))
        for root in self.roots:
            base = Path(os.path.normpath(os.path.abspath(root)))
            if target != base and base not in target.parents:
                continue
            step = base
            for part in target.relative_to(base).parts:
                step = step / part
                try:
                    if stat.S_ISLNK(os.lstat(step).st_mode):
                        return False
                except FileNotFoundError:
                    return True  # nothing there to follow (it is never chosen: it does not exist)
                except OSError:
                    return False
            return True
        return False

    def shown(self) -> str:
        """The roots, for a message."""
        home = os.path.expanduser("~")
        return " och ".join(
            "~ (din egen mapp)" if str(r) == home else visible_text(str(r), max_len=80)
            for r in self.roots
        )


def picker_roots(ctx: object) -> Confinement | None:
    """The classroom's confinement of the picker, or None (the picker may go anywhere)."""
    seat = getattr(ctx, "classroom", None)
    roots: Iterable[Path] | None = getattr(seat, "picker_roots", None)
    return Confinement(tuple(roots)) if roots is not None else None


def complete(text: str, confine: Confinement | None = None) -> tuple[str, list[str]]:
    """Complete a typed path as a shell would: the longest common prefix, and the candidates
    (confined: only in an allowed folder, and never a symbolic link)."""
    expanded = os.path.expanduser(text) if text else ""
    folder, prefix = os.path.split(expanded)
    base = Path(folder or ".")
    if confine is not None and not confine.allows(base):
        return text, []
    try:
        names = sorted(
            n for n in os.listdir(base) if n.startswith(prefix) and not n.startswith(".")
        )
    except OSError:
        return text, []
    if confine is not None:
        names = [n for n in names if confine.allows(base / n)]
    if not names:
        return text, []
    common = os.path.commonprefix(names)
    done = os.path.join(folder, common) if folder else common
    if len(names) == 1 and (base / names[0]).is_dir():
        done += "/"
    return done, names


class SafeDirectoryTree(DirectoryTree):
    """Textual's DirectoryTree with every label made visible-safe (it draws names raw)."""

    def __init__(self, path: str | Path, *, confine: Confinement | None = None, **kw: Any) -> None:
        self.confine = confine
        super().__init__(path, **kw)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        """Confined: no hidden entries and no symbolic links (neither shown nor followed)."""
        if self.confine is None:
            return paths
        confine = self.confine
        return [p for p in paths if not p.name.startswith(".") and confine.allows(p)]

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

    confine: Confinement | None = None

    def action_complete(self) -> None:
        done, names = complete(self.value, self.confine)
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
        Binding("f5", "next_root", "Nästa mapp", id="picker_next_root"),
    ]
    DEFAULT_CSS = """
    FilePickerScreen { align: center middle; }
    FilePickerScreen > Vertical { width: 76; height: 20; border: thick $primary; background: $surface; }
    FilePickerScreen DirectoryTree { height: 1fr; }
    FilePickerScreen #picker-hint { height: auto; max-height: 3; }
    """

    def __init__(self, start: Path, *, confine: Confinement | None = None) -> None:
        super().__init__()
        self.confine = confine
        if confine is not None and confine.roots and not confine.allows(start):
            start = confine.roots[0]
        self.start = start

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_root":  # only a confined picker has several roots to go between
            return self.confine is not None and len(self.confine.roots) > 1
        return True

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text("Bifoga fil – skriv sökväg (Tab kompletterar) eller välj nedan", style="bold")
            )
            path = PathInput(value=str(self.start) + "/", id="path")
            path.confine = self.confine
            yield path
            yield Static(
                Text(OUTSIDE.format(roots=self.confine.shown()) if self.confine else ""),
                id="picker-hint",
            )
            yield SafeDirectoryTree(self.start, id="tree", confine=self.confine)
            yield Static(
                Text(
                    "Enter väljer · F4 byter mellan sökväg och mappar · "
                    + ("F5 nästa mapp · " if self.confine and len(self.confine.roots) > 1 else "")
                    + "Esc avbryter",
                    style="dim",
                )
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
        if folder.is_dir() and self._allowed(folder):
            self.query_one(DirectoryTree).path = folder

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(os.path.expanduser(event.value.strip()))
        if not self._allowed(path):
            assert self.confine is not None
            self._hint("✗ " + OUTSIDE.format(roots=self.confine.shown()))
            return
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
        if self._allowed(Path(event.path)):
            self.dismiss(Path(event.path))

    def _allowed(self, path: Path) -> bool:
        return self.confine is None or self.confine.allows(path)

    def action_next_root(self) -> None:
        """F5 (confined): the tree and the path line go to the next of the demo's folders."""
        if self.confine is None or not self.confine.roots:
            return
        tree = self.query_one(SafeDirectoryTree)
        roots = list(self.confine.roots)
        now = Path(tree.path)
        nxt = roots[(roots.index(now) + 1) % len(roots)] if now in roots else roots[0]
        tree.path = nxt
        inp = self.query_one("#path", PathInput)
        inp.value = str(nxt) + "/"
        inp.cursor_position = len(inp.value)

    def action_toggle_focus(self) -> None:
        if self.query_one("#path", PathInput).has_focus:
            self.query_one(DirectoryTree).focus()
        else:
            self.query_one("#path", PathInput).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
