"""Small display widgets; they show what they are given and load nothing themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual import events
from textual.widgets import DataTable, Footer, Input, OptionList, Static

from tui_app.core.clock import fmt_datetime
from tui_app.core.rules import CaseState
from tui_app.core.safetext import visible_text

if TYPE_CHECKING:
    from datetime import datetime

    from tui_app.services.api import Actor

STATE_MARK = {
    CaseState.WAITING: "◷",
    CaseState.ANSWERED: "✉",
    CaseState.CLOSED_AUTO: "⊘",
    CaseState.CLOSED: "■",
    CaseState.HANDLED: "✓",
}


def state_text(state: CaseState) -> Text:
    """The state as symbol + words (never colour alone)."""
    style = {CaseState.ANSWERED: "bold", CaseState.CLOSED_AUTO: "dim"}.get(state, "")
    return Text(f"{STATE_MARK[state]} {state.value}", style=style)


class UserBar(Static):
    """Who is signed in (GK accounts marked), and the demo clock when in demo mode."""

    DEFAULT_CSS = """
    UserBar { height: 1; background: $panel; padding: 0 1; }
    UserBar.-shared { background: $warning 30%; }
    """

    def show(self, actor: Actor, now: datetime, demo: bool) -> None:
        """Render the bar for this actor and time."""
        a = actor
        t = Text()
        t.append(visible_text(a.display_name), style="bold")
        pnr = a.patient_pnr
        ident = f"{pnr[:8]}-{pnr[8:]}" if pnr else a.login
        t.append(f" ({visible_text(ident)}) · {a.badge}")
        if a.shared_account:
            t.append(" ⚠", style="bold")
        if demo:
            t.append(f" · DEMO {fmt_datetime(now)}")
        self.set_class(a.shared_account, "-shared")
        self.update(t)


#: Key names as a Swedish keyboard user reads them (Textual's own are English: escape, slash).
KEY_NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "space": "Mellanslag",
    "backspace": "Backsteg",
    "delete": "Del",
    "insert": "Ins",
    "home": "Home",
    "end": "End",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "slash": "/",
    "question_mark": "?",
    "plus": "+",
    "minus": "-",
    "full_stop": ".",
    "comma": ",",
    "ctrl": "Ctrl",
    "shift": "Shift",
    "alt": "Alt",
}


def key_label(key: str, display: str | None = None) -> str:
    """A key as shown in the footer, F1 and F10: 'Esc', '/', 'F1', 'Shift+Tab', 'g'."""
    if display:
        return display
    parts = []
    for part in key.split("+"):
        if len(part) > 1 and part[0] == "f" and part[1:].isdigit():
            parts.append(part.upper())
        else:
            parts.append(KEY_NAMES.get(part, part))
    return "+".join(parts)


FOOTER_GAP = "  "  # two spaces between keys, so "g Gå till  / Sök" reads as two keys


def footer_items(screen: object) -> list[tuple[str, str, bool]]:
    """(key, description, enabled) for each key the footer shows, once per action, in order."""
    seen: set[str] = set()
    out = []
    for key, active in screen.active_bindings.items():  # type: ignore[attr-defined]  # Screen has it; typed as DOMNode here
        b = active.binding
        if not b.show or b.action in seen:
            continue
        seen.add(b.action)
        out.append((key_label(key, b.key_display), b.description, bool(active.enabled)))
    return out


def _footer_item(key: str, desc: str, enabled: bool) -> Text:
    item = Text(no_wrap=True)
    item.append(key, style="bold reverse" if enabled else "dim")
    if desc:
        item.append(" " + desc, style="" if enabled else "dim")
    return item


def footer_rows(items: list[tuple[str, str, bool]], width: int) -> list[Text]:
    """The items in lines of at most `width` cells, never a key cut off: one line with two
    spaces between keys; where that is too wide, one space (the key itself is bold and
    reversed); where even that is too wide, a second line."""
    texts = [_footer_item(*i) for i in items]
    for gap in (FOOTER_GAP, " "):
        if sum(t.cell_len for t in texts) + len(gap) * max(len(texts) - 1, 0) <= width:
            return [Text(gap).join(texts)]
    rows: list[Text] = []
    row = Text()
    for item in texts:
        if row.cell_len and row.cell_len + len(FOOTER_GAP) + item.cell_len > width:
            rows.append(row)
            row = Text()
        if row.cell_len:
            row.append(FOOTER_GAP)
        row.append_text(item)
    rows.append(row)
    return rows


class AppFooter(Footer):
    """The key footer: Swedish key names, two spaces between keys, and a second line rather
    than a key cut off at the edge (80 columns). Greyed keys (check_action None) are dim.

    It is rebuilt only when the keys it would show have changed: a screen that starts (mount,
    first focus, the refresh after it) says so three times with the same keys.
    """

    DEFAULT_CSS = """
    AppFooter { layout: vertical; height: auto; min-height: 1; max-height: 3; }
    AppFooter > .footer-row { height: 1; width: 1fr; }
    """

    _shown: object = None

    def _width(self) -> int:
        return self.size.width or self.screen.size.width or self.app.size.width or 80

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        for row in footer_rows(footer_items(self.screen), self._width()):
            yield Static(row, classes="footer-row")

    async def recompose(self) -> None:
        if self.is_attached and not any(s is self.screen for s in self.app.screen_stack):
            # A recompose queued before the screen was popped (Esc, sign-out): the screen is
            # being torn down, its widgets going; asking its check_action now would read a
            # half-removed screen (issue 9.1). It is never shown again, so nothing to draw.
            return
        if self.is_attached and self._bindings_ready:
            shown = (self._width(), tuple(footer_items(self.screen)))
            if shown == self._shown and self.children:
                return
            self._shown = shown
        await super().recompose()

    def on_resize(self) -> None:
        if self._bindings_ready and self._shown is not None and self._shown[0] != self._width():  # type: ignore[index]  # _shown is a (width, text) pair once set
            self.call_after_refresh(self.recompose)


def app_footer() -> Footer:
    """The key footer of every screen (F10 is in F1's help)."""
    return AppFooter(compact=True, show_command_palette=False)


class HandOffInput(Input):
    """A field that Enter and Esc leave for the widget `hand_to` names (a selector), at once:
    keys typed ahead of that (Enter, then f for the filter) go where the focus now is, not into
    the field. (Focus moves through the message queue; the keys already queued for the field
    would otherwise land in it: seen as an 'f' in the search field after Enter.)"""

    def __init__(self, *args: object, hand_to: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Input's own arguments
        self._hand_to = hand_to

    async def _on_key(self, event: events.Key) -> None:
        if self.screen.focused is not self:  # queued before the focus left: not for the field
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
            return
        if event.key in ("enter", "escape"):
            event.stop()
            event.prevent_default()
            if event.key == "enter":
                self.post_message(self.Submitted(self, self.value))
            self.screen.set_focus(self.screen.query_one(self._hand_to))
            return
        await super()._on_key(event)  # a printable key is typed; any key restarts the blink
        if not event.is_printable and await self.app._check_bindings(event.key):
            # The field's own keys (ctrl+u, backspace, arrows) act now, while it has the
            # focus. Left to Textual, their bindings are looked up once the key has bubbled
            # up to the app: an Esc queued right behind (one read: `C-u Escape`) has moved
            # the focus by then, and the key was lost.
            event.stop()
            event.prevent_default()


class FixedLine(Widget):
    """One line of text whose size never follows its text (height 1, the width it is given),
    so changing the text repaints this line only. A Static's update re-lays out the whole
    screen, which on the inbox cost every key that reached a new page a full repaint."""

    DEFAULT_CSS = "FixedLine { height: 1; width: 1fr; padding: 0 1; }"

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text(text, no_wrap=True, overflow="ellipsis")

    @property
    def text(self) -> str:
        return self._text.plain

    def render(self) -> Text:
        return self._text

    def show(self, text: str) -> None:
        """The line's text (plain, never markup); repaints only when it changed."""
        if text != self._text.plain:
            self._text = Text(text, no_wrap=True, overflow="ellipsis")
            self.refresh()


class MarkedTable(DataTable):  # type: ignore[type-arg]  # cells are Text or str, mixed per column
    """A row table whose highlighted row also starts with ▶: under NO_COLOR a background alone
    is lost. Every row's first cell is stored with two blank cells in front (give that column
    two cells more); the ▶ is drawn into them when the cell is rendered as the cursor's, so
    moving the cursor changes no cell data. (Changing a cell bumps the DataTable's update
    count, which throws away every cached cell and line: each key would re-render the whole
    screen. Rendered cells are cached per cursor state, so a move re-renders two rows.)"""

    MARK = "▶ "
    NO_MARK = "  "

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # DataTable's keywords, passed through
        self._marked_lines: dict[int, tuple[object, list[list[Segment]]]] = {}

    def _blank_first(self, cell: object) -> Text:
        text = cell if isinstance(cell, Text) else Text(str(cell))
        lines = text.split("\n", allow_blank=True)
        out = Text("\n").join([Text(self.NO_MARK) + line for line in lines])
        out.no_wrap, out.overflow = text.no_wrap, text.overflow
        return out

    def add_row(self, *cells: object, **kwargs: object) -> object:  # type: ignore[override]  # same call, first cell marked
        if not cells:
            return super().add_row(**kwargs)  # type: ignore[arg-type]  # DataTable's keywords, passed through
        return super().add_row(self._blank_first(cells[0]), *cells[1:], **kwargs)  # type: ignore[arg-type]  # DataTable's keywords, passed through

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        if not (cursor and column_index == 0 and row_index >= 0 and self.cursor_type == "row"):
            return lines
        seen = self._marked_lines.get(id(lines))  # the same cached lines: the same marked ones
        if seen is not None and seen[0] is lines:
            return seen[1]
        marked = [self._mark_line(lines[0]), *lines[1:]] if lines else lines
        if len(self._marked_lines) > 64:
            self._marked_lines.clear()
        self._marked_lines[id(lines)] = (lines, marked)
        return marked

    def _mark_line(self, line: list[Segment]) -> list[Segment]:
        """The line with MARK over the two blank cells after the cell's padding."""
        at, pos, out = self.cell_padding, 0, []
        for seg in line:
            text, n = seg.text, len(seg.text)
            lo, hi = max(at - pos, 0), min(at + len(self.MARK) - pos, n)
            if seg.control is None and lo < hi and text[lo:hi].strip() == "":
                part = self.MARK[pos + lo - at : pos + hi - at]
                text = text[:lo] + part + text[hi:]
                seg = Segment(text, seg.style)
            out.append(seg)
            pos += n
        return out

    def drawn_marks(self) -> list[int]:
        """The rows whose first line is drawn with the marker now, by the same rendering the
        screen uses (for tests and checks: the cell data never holds the marker)."""
        out = []
        for row in range(self.row_count):
            key = self._row_locations.get_key(row)
            if key is None:
                continue
            _, cells = self._render_line_in_row(
                key, 0, Style(), self.cursor_coordinate, self.hover_coordinate
            )
            text = "".join(seg.text for seg in cells[0]) if cells else ""
            if text[self.cell_padding :].startswith(self.MARK):
                out.append(row)
        return out


class MarkedOptionList(OptionList):
    """An option list whose highlighted option also starts with ▶, as MarkedTable does for
    rows: under NO_COLOR a background alone is lost. Every enabled option's first line gets two
    cells in front (▶ or blanks); disabled options (headings) are left as they are."""

    MARK = "▶ "
    NO_MARK = "  "

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._plain: dict[int, Text] = {}  # option index -> its prompt without the marker
        self._marked: int | None = None
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # OptionList's keywords, passed through

    def _prompt(self, text: Text, on: bool) -> Text:
        out = Text(self.MARK if on else self.NO_MARK) + text
        out.no_wrap, out.overflow = text.no_wrap, text.overflow
        return out

    def add_options(self, items: Any) -> MarkedOptionList:
        start = self.option_count
        super().add_options(items)
        for i in range(start, self.option_count):
            option = self.get_option_at_index(i)
            if option.disabled:
                continue
            prompt = option.prompt
            plain = prompt if isinstance(prompt, Text) else Text(str(prompt))
            self._plain[i] = plain
            self.replace_option_prompt_at_index(i, self._prompt(plain, False))
        self._sync_mark()
        return self

    def clear_options(self) -> MarkedOptionList:
        self._plain.clear()
        self._marked = None
        super().clear_options()
        return self

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        self._sync_mark()

    def _sync_mark(self) -> None:
        """Put the marker on the highlighted option (and take it off the one that had it)."""
        now = self.highlighted if self.highlighted in self._plain else None
        if now == self._marked:
            return
        if self._marked is not None and self._marked in self._plain:
            self.replace_option_prompt_at_index(
                self._marked, self._prompt(self._plain[self._marked], False)
            )
        if now is not None:
            self.replace_option_prompt_at_index(now, self._prompt(self._plain[now], True))
        self._marked = now


class PagedTable(MarkedTable):
    """A MarkedTable showing a window of a longer list: a key that would leave the window
    (Down on the last row, Page Down past it, End, and the same upwards) posts `Reach` when
    more rows exist that way (`more_above` / `more_below`, set by its screen), which reads
    them; inside the window the keys move the cursor as a DataTable's do. Home and End go
    to the first and last row of the whole list."""

    BINDINGS = [
        Binding("home,ctrl+home", "first_row", "Första", show=False),
        Binding("end,ctrl+end", "last_row", "Sista", show=False),
    ]

    class Reach(Message):
        """A key asks for rows beyond the window: `where` is down, up, page_down, page_up,
        home or end; `rows` how many rows it moves."""

        def __init__(self, where: str, rows: int = 1) -> None:
            super().__init__()
            self.where = where
            self.rows = rows

    more_above = False
    more_below = False

    def page_rows(self) -> int:
        """How many rows a Page Down moves (those the table shows at once)."""
        height = self.scrollable_content_region.height - (
            self.header_height if self.show_header else 0
        )
        row = self.ordered_rows[self.cursor_row].height if self.row_count else 1
        return max(height // max(row, 1), 1)

    def action_cursor_down(self) -> None:
        if self.more_below and self.cursor_row >= self.row_count - 1:
            self.post_message(self.Reach("down"))
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.more_above and self.cursor_row <= 0:
            self.post_message(self.Reach("up"))
        else:
            super().action_cursor_up()

    def action_page_down(self) -> None:
        rows = self.page_rows()
        if self.more_below and self.cursor_row + rows >= self.row_count:
            self.post_message(self.Reach("page_down", rows))
        else:
            super().action_page_down()

    def action_page_up(self) -> None:
        rows = self.page_rows()
        if self.more_above and self.cursor_row - rows < 0:
            self.post_message(self.Reach("page_up", rows))
        else:
            super().action_page_up()

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        """The wheel at the window's bottom reads on, as Down on its last row does."""
        if (
            self.more_below
            and not (event.ctrl or event.shift)
            and self.scroll_y >= self.max_scroll_y
        ):
            event.stop()
            self.move_cursor(row=self.row_count - 1, scroll=False)
            self.post_message(self.Reach("down"))
            return
        super()._on_mouse_scroll_down(event)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        """The wheel at the window's top reads the newer rows, as Up on its first row does."""
        if self.more_above and not (event.ctrl or event.shift) and self.scroll_y <= 0:
            event.stop()
            self.move_cursor(row=0, scroll=False)
            self.post_message(self.Reach("up"))
            return
        super()._on_mouse_scroll_up(event)

    def move_cursor(
        self,
        *,
        row: int | None = None,
        column: int | None = None,
        animate: bool = False,
        scroll: bool = True,
    ) -> None:
        """DataTable's move, but rows added just before are measured first (what DataTable
        leaves for its next idle), so the scroll to the cursor is made now: DataTable would
        scroll after the next refresh, and a page read further down was painted twice, the
        new rows at the old scroll place and then, a frame (17 ms and a render) later, in
        view."""
        self.measure_new_rows()
        super().move_cursor(row=row, column=column, animate=animate, scroll=scroll)

    def measure_new_rows(self) -> None:
        """The column widths and row heights of the cells and rows added or changed since
        the last idle, now (the same work as DataTable's idle handler, which then has none)."""
        if self._updated_cells:
            updated = self._updated_cells.copy()
            self._updated_cells.clear()
            self._update_column_widths(updated)
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(new_rows)

    def action_first_row(self) -> None:
        if self.more_above:
            self.post_message(self.Reach("home"))
        elif self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.more_below:
            self.post_message(self.Reach("end"))
        elif self.row_count:
            self.move_cursor(row=self.row_count - 1)
