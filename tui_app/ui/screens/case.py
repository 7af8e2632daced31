"""A case as staff see it: the facts, the conversation, and the files."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from tui_app.services import cases
from tui_app.services.views import CaseView
from tui_app.ui.base import AppScreen, StatusLine
from tui_app.ui.conversation import Bubble, case_header
from tui_app.ui.widgets import UserBar


class CaseScreen(AppScreen):
    """Ett ärende."""

    HELP_TITLE = "Ärende"
    HELP = ("Överst: ärendenummer, enhet, patient, status och svarstid. Under: konversationen – "
            "vårdens meddelanden till vänster, patientens till höger, med tider.")
    BINDINGS = [
        Binding("escape", "back", "Tillbaka", id="back"),
        Binding("u", "refresh", "Uppdatera", id="refresh_case"),
        Binding("j", "scroll_down", show=False),
        Binding("k", "scroll_up", show=False),
    ]

    def __init__(self, view: CaseView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        yield UserBar()
        yield Static(id="case-head")
        yield VerticalScroll(id="conversation")
        yield StatusLine()
        yield Footer()

    async def on_mount(self) -> None:
        await self.show_view(self.view)

    async def show_view(self, view: CaseView) -> None:
        """Render the case."""
        self.view = view
        self.query_one(UserBar).show(self.actor, self.ctx.now(), self.ctx.demo)
        self.query_one("#case-head", Static).update(case_header(view))
        conv = self.query_one("#conversation", VerticalScroll)
        await conv.remove_children()
        await conv.mount_all([Bubble(m) for m in view.messages])
        conv.focus()

    def action_refresh(self) -> None:
        self.call_service("case", cases.open_case, self.ctx, self.actor, self.view.case_id)

    async def done_case(self, view: CaseView) -> None:
        await self.show_view(view)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_scroll_down(self) -> None:
        self.query_one("#conversation", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#conversation", VerticalScroll).scroll_up()
