"""The staff inbox: the cases of one's own units (R05), filter by state, search, countdowns."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from tui_app.core.clock import parse_offset
from tui_app.core.errors import UserError
from tui_app.core.rules import CaseState, parse_case_number
from tui_app.core.safetext import visible_text
from tui_app.services import api
from tui_app.services.api import CaseView, InboxRow, copies_left
from tui_app.ui.base import AppScreen, Policy, StatusLine
from tui_app.core import routine
from tui_app.ui.keys import ExplainsKeys, Refusal, render
from tui_app.ui.widgets import MarkedTable, UserBar, app_footer, state_text

FILTERS: list[CaseState | None] = [None, *CaseState]
REFRESH_SECONDS = 30


class InboxScreen(ExplainsKeys, AppScreen):
    """Ärenden för mina enheter."""

    HELP_TITLE = "Inkorg – ärenden för dina enheter"
    HELP = (
        "Här ser du ärendena för de enheter du tillhör, nyaste först. Status står i ord: "
        "◷ Väntar på svar, ✉ Besvarat, ⊘ Avslutat automatiskt (inget svar inom 2 dagar), "
        "■ Avslutat (svarstiden slut), ✓ Hanterat. 'Kvar' är tiden tills ärendet slutar ta emot "
        "svar. / söker på personnummer, namn eller ärendenummer; g går direkt till ett "
        "ärendenummer. ▶ visar den markerade raden."
    )
    AUTO_FOCUS = "#cases"  # the table, not the search field before it
    BINDINGS = [
        Binding("n", "new_case", "Nytt ärende", id="new_case"),
        Binding("enter", "open", "Öppna", id="open_case", show=False),
        # g is a shortcut for what / also finds (a case number): listed in F1 and F10, not in
        # the footer, which then fits 80 columns with room between keys.
        Binding("g", "goto", "Gå till ärende", id="goto_case", show=False),
        Binding("slash", "search", "Sök", id="search"),
        Binding("f", "cycle_filter", "Filter", id="filter"),
        Binding("u", "refresh", "Uppdatera", id="refresh", show=False),
        Binding("t", "clock", "Klocka+", id="demo_clock"),
        Binding("x", "sign_out", "Logga ut", id="sign_out"),
        Binding("q", "app.quit", "Avsluta", id="quit"),
    ]

    def __init__(self, ctx: api.Context, actor: api.Actor) -> None:
        super().__init__(ctx, actor)
        self.filter_index = 0
        self.rows: list[InboxRow] = []
        self._list_failed = False  # the status line says the list could not be read

    def compose(self) -> ComposeResult:
        yield UserBar()
        with Horizontal(id="inbox-bar"):
            yield Static("", id="filter-label")
            yield Input(placeholder="Sök: personnummer, namn eller ärendenr", id="search")
        yield MarkedTable(id="cases", cursor_type="row", zebra_stripes=True)
        yield Static("", id="empty")
        yield StatusLine()
        yield app_footer()

    def on_mount(self) -> None:
        t = self.query_one(MarkedTable)
        # Labels as Text: a str label is parsed as Rich markup (and loads Rich's emoji table).
        t.add_column(Text("  Nr"), key="nr", width=10)
        t.add_column(Text("Patient"), key="patient", width=14)
        t.add_column(Text("Status / kvar"), key="status", width=22)
        t.add_column(Text("Filer"), key="files", width=5)
        t.add_column(Text("Att göra"), key="todo")
        self._show_filter()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)
        # Changes made by other sessions and servers show within a second (services/live.py).
        self._live = api.watch_changes(
            self.ctx, lambda: self.app.call_from_thread(self._live_refresh)
        )
        # The first load comes with ScreenResume, which also follows the first mount.

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def _live_refresh(self) -> None:
        if self.is_current:  # a screen above it refreshes this one when it is left
            self.action_refresh()

    def on_unmount(self) -> None:
        self._live.stop()

    def why_not(self, action: str) -> Refusal | None:
        """Why a key of the inbox cannot act now (see ui/keys.py)."""
        actor = self.actor  # the screen's own, kept after sign-out (never the app's, issue 9.1)
        if actor is None:
            return Refusal("Du är utloggad.")
        if action == "clock" and not self.ctx.demo:
            return Refusal("Klockan kan bara flyttas i demoläget.")
        if action == "new_case" and not actor.units:
            return Refusal("Du hör inte till någon enhet; be administrationsgruppen om behörighet.")
        if action == "new_case":
            return Refusal.of(routine.new_case_blocker(actor))
        if action == "open" and not self.rows:
            return Refusal("Det finns inget ärende att öppna här.")
        return None

    def on_descendant_focus(self, event: object) -> None:
        self._mark_search()

    def on_descendant_blur(self, event: object) -> None:
        self._mark_search()

    def _mark_search(self) -> None:
        """The focused search field says so in words too: a border shade alone is lost under
        NO_COLOR."""
        search = self.query_one("#search", Input)
        search.border_title = "▶ Sök – Enter eller Esc går till listan" if search.has_focus else ""

    def _show_filter(self) -> None:
        f = FILTERS[self.filter_index]
        self.query_one("#filter-label", Static).update(
            Text(f"Filter: {f.value if f else 'Alla'} ", style="bold")
        )

    def action_refresh(self) -> None:
        self.query_one(UserBar).show(self.actor, self.ctx.now(), self.ctx.demo)
        query = self.query_one("#search", Input).value
        ctx, actor, state = self.ctx, self.actor, FILTERS[self.filter_index]
        rows = ctx.inbox.at_hand(actor, state, query)  # the start-up page, once, from memory
        if rows is not None:
            self._listed(rows)  # refreshed when the data layer is loaded
            return
        # The use cases are imported in the worker, once the engine is there (services/api/).
        self.run(
            lambda: api.inbox(ctx, actor, state, query),
            on_done=self._listed,
            policy=Policy.LATEST,
            on_error=self._list_refused,
        )

    def on_data_layer_loaded(self) -> None:
        self.action_refresh()  # the ordinary query now: what changed since start-up shows

    def failed(self, error: UserError) -> None:
        super().failed(error)
        self._list_failed = False  # the status line now says something else

    def _list_refused(self, error: UserError) -> None:
        self.failed(error)
        self._list_failed = True

    def _listed(self, rows: list[InboxRow]) -> None:
        if self._list_failed:  # the list could not be read before; now it could
            self.query_one(StatusLine).clear()
            self._list_failed = False
        # The cursor stays on the case it was on (new cases above it must not move it to
        # another patient under the nurse's hands); on the same row number if that case is gone.
        t = self.query_one(DataTable)
        keep = t.cursor_row
        if 0 <= keep < len(self.rows):
            on = self.rows[keep].case_id
            keep = next((i for i, r in enumerate(rows) if r.case_id == on), keep)
        self.rows = rows
        t.clear()
        for r in rows:
            status = Text("⚠ Trasig rad") if r.broken else state_text(r.state)
            if r.state in (CaseState.WAITING, CaseState.ANSWERED):
                status.append(f"\nkvar {r.remaining}")
            several_units = len(self.actor.units) > 1
            t.add_row(
                Text(
                    f"{r.case_id}\n{r.unit_code}" if several_units else str(r.case_id),
                    no_wrap=True,
                    overflow="ellipsis",
                ),
                Text(
                    f"{r.patient_pnr_display}\n{visible_text(r.patient_name)}",
                    no_wrap=True,
                    overflow="ellipsis",
                ),
                status,
                Text(str(r.file_count) if r.file_count else "–"),
                Text(
                    render(self, r.todo)  # its key hint follows the keymap
                    + (f"\n⚠ {copies_left(r.leftovers)}" if r.leftovers else "")
                ),
                height=2,
                key=str(r.case_id),
            )
        if rows:
            t.move_cursor(row=min(keep, len(rows) - 1))
        empty = self.query_one("#empty", Static)
        empty.display = not rows
        if not rows:
            empty.update(
                Text(
                    "Inga ärenden"
                    + (
                        " matchar sökningen eller filtret."
                        if self._narrowed()
                        else ". Tryck n för att skicka mallen till en patient."
                    )
                )
            )

    def _narrowed(self) -> bool:
        return bool(self.query_one("#search", Input).value.strip()) or self.filter_index != 0

    def action_cycle_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self._show_filter()
        self.action_refresh()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.action_refresh()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()

    def key_escape(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.query_one(DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self._open(int(event.row_key.value))

    def action_open(self) -> None:
        t = self.query_one(DataTable)
        if self.rows and 0 <= t.cursor_row < len(self.rows):
            self._open(self.rows[t.cursor_row].case_id)

    def _open(self, case_id: int) -> None:
        ctx, actor = self.ctx, self.actor
        self.run(lambda: api.open_case(ctx, actor, case_id), on_done=self._opened)

    def _opened(self, view: CaseView) -> None:
        from tui_app.ui.screens.case import CaseScreen

        self.query_one(StatusLine).clear()
        self.app.push_screen(CaseScreen(self.ctx, self.actor, view))

    def action_goto(self) -> None:
        from tui_app.ui.dialogs import AskDialog

        def chosen(text: str | None) -> None:
            if text:
                self._open(parse_case_number(text))

        self.app.push_screen(
            AskDialog(
                "Gå till ärende", "Ärendenummer:", placeholder="t.ex. 12", check=parse_case_number
            ),
            chosen,
        )

    def action_new_case(self) -> None:
        if self.ctx.loaded:
            self._new_case(None)
        else:  # the new-case screen imports the use cases: not while they load in their thread
            ctx = self.ctx
            self.run(
                lambda: api.wait_for_data_layer(ctx), on_done=self._new_case, policy=Policy.ONCE
            )

    def _new_case(self, _: None) -> None:
        from tui_app.ui.screens.newcase import NewCaseScreen

        self.app.push_screen(NewCaseScreen(self.ctx, self.actor), self._sent)

    def _sent(self, case_id: int | None) -> None:
        """The new case was sent: open it, as its staff member will want to follow it."""
        if case_id is not None:
            self._open(case_id)

    def action_clock(self) -> None:
        from tui_app.ui.dialogs import AskDialog

        def chosen(text: str | None) -> None:
            if text:
                ctx, delta = self.ctx, parse_offset(text)
                self.run(
                    lambda: api.advance_clock(ctx, delta),
                    on_done=self._clock_moved,
                    policy=Policy.ONCE,
                )

        self.app.push_screen(
            AskDialog(
                "Demo: flytta klockan framåt",
                "Hur långt? (t.ex. +1 dag, +3 timmar, +30 min)",
                value="+1 dag",
                check=parse_offset,
            ),
            chosen,
        )

    def _clock_moved(self, _offset: timedelta) -> None:
        self.say("Klockan flyttad framåt.")
        self.action_refresh()

    def action_sign_out(self) -> None:
        self.tui.sign_out()
