"""Demo mode: pick who you are — staff, administrator or patient."""

from __future__ import annotations

import textwrap

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_app.core.safetext import visible_text
from tui_app.services import api
from tui_app.ui.base import ContextScreen, Policy, StatusLine
from tui_app.ui.widgets import MarkedOptionList, app_footer

KIND_HEAD = {
    "staff": "Personal",
    "admin": "Administration 1177 e-tjänster",
    "patient": "Patienter (1177)",
}
DETAIL_INDENT = "    "


def detail_lines(detail: str, width: int) -> list[str]:
    """The person's details (badges, every unit) wrapped to width, never cut off."""
    width = max(20, width)
    return textwrap.wrap(
        detail,
        width,
        initial_indent=DETAIL_INDENT,
        subsequent_indent=DETAIL_INDENT,
        break_on_hyphens=False,
    ) or [""]


class PeopleList(MarkedOptionList):
    """The people to sign in as; its own keys are shown in the footer (arrows move, Enter signs in)."""

    BINDINGS = [
        Binding("down", "cursor_down", "Välj", key_display="↑↓", id="signin_move"),
        Binding("up", "cursor_up", "Upp", show=False),
        Binding("enter", "select", "Logga in", key_display="Enter", id="signin_choose"),
    ]


class SignInScreen(ContextScreen):
    """Choose a person to act as; only demo mode shows this."""

    HELP_TITLE = "Demo: välj vem du är"
    HELP = (
        "I demoläget väljer du vem du är. Personal ser sina enheters ärenden; GK-konton är "
        "gemensamma konton som inte får ladda ner filer; patienten ser meddelandet som i 1177."
    )
    BINDINGS = [
        Binding("enter", "choose", "Logga in", id="signin_choose_screen", show=False),
        Binding("q", "app.quit", "Avsluta", id="quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(
            Text("Demo – Skicka in filer via 1177 e-tjänster · välj vem du är", style="bold"),
            classes="title",
        )
        yield PeopleList(id="people")
        yield StatusLine()
        yield app_footer()

    def on_mount(self) -> None:
        self.run(lambda: api.sign_in_choices(self.ctx), on_done=self._listed, policy=Policy.LATEST)
        notice = self.ctx.notice  # where the demo's folders are
        if isinstance(notice, str):
            self.query_one(StatusLine).update(Text(visible_text(notice)))

    def on_screen_resume(self) -> None:
        self.query_one(OptionList).focus()

    def _listed(self, choices: list[api.SignInChoice]) -> None:
        self.choices = {f"{c.kind}:{c.key}": c for c in choices}
        ol = self.query_one(OptionList)
        ol.clear_options()
        # The list's border and scroll bar take 4 columns; a line must not reach the edge.
        width = (ol.scrollable_content_region.width or self.app.size.width - 4) - 2
        last_kind = None
        for c in choices:
            if c.kind != last_kind:
                ol.add_option(
                    Option(Text(KIND_HEAD[c.kind], style="bold underline"), disabled=True)
                )
                last_kind = c.kind
            t = Text(f"{visible_text(c.label)}\n", no_wrap=True, overflow="ellipsis")
            # the list puts ▶ or two blanks in front of the name line only (NO_COLOR, R11.15)
            t.append("\n".join(detail_lines(visible_text(c.detail), width)), style="dim")
            ol.add_option(Option(t, id=f"{c.kind}:{c.key}"))
        ol.focus()
        ol.highlighted = 1

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._sign_in(event.option.id)

    def action_choose(self) -> None:
        ol = self.query_one(OptionList)
        if ol.highlighted is not None:
            self._sign_in(ol.get_option_at_index(ol.highlighted).id)

    def _sign_in(self, key: str | None) -> None:
        if not key:
            return
        kind, ident = key.split(":", 1)
        ctx = self.ctx
        if kind == "patient":
            self.run(lambda: api.patient_actor(ctx, int(ident)), on_done=self._chosen)
        else:
            self.run(lambda: api.staff_by_login(ctx, ident), on_done=self._chosen)

    def _chosen(self, actor: api.Actor) -> None:
        self.tui.sign_in(actor)
