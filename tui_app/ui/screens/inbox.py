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
from tui_app.core.pnr import BAD_CHECK_DIGIT, FUTURE_DATE, NO_SUCH_DATE, why_not_pnr
from tui_app.core.rules import CaseState, parse_case_number
from tui_app.services import api
from tui_app.services.api import CaseView, InboxCounts, InboxPage, InboxRow
from tui_app.ui.base import AppScreen, Policy, StatusLine
from tui_app.core import routine
from tui_app.ui.inbox_rows import cells, counted, where_of
from tui_app.ui.inbox_window import PAGE, Fetch, Go, Window, page_for
from tui_app.ui.keys import ExplainsKeys, Refusal
from tui_app.ui.widgets import FixedLine, HandOffInput, PagedTable, UserBar, app_footer

FILTERS: list[CaseState | None] = [None, *CaseState]
REFRESH_SECONDS = 30
LIST_KEY = "InboxScreen._listed"  # every read of the window: the newest one only is shown


def inbox_counts(ctx: api.Context, actor: api.Actor) -> InboxCounts:
    """The counts per status, once the data layer is there (worker threads only)."""
    api.wait_for_data_layer(ctx)
    return api.inbox_counts(ctx, actor)


class InboxScreen(ExplainsKeys, AppScreen):
    """Ärenden för mina enheter."""

    HELP_TITLE = "Inkorg – ärenden för dina enheter"
    HELP = (
        "Här ser du ärendena för de enheter du tillhör, nyaste först. Status står i ord: "
        "◷ Väntar på svar, ✉ Besvarat, ⊘ Avslutat automatiskt (inget svar inom 2 dagar), "
        "■ Avslutat (svarstiden slut), ✓ Hanterat. 'Kvar' är tiden tills ärendet slutar ta emot "
        "svar. / söker på personnummer, namn (förnamn eller efternamn först) eller "
        "ärendenummer; g går direkt till ett "
        "ärendenummer. ▶ visar den markerade raden. Listan läser fler ärenden medan du "
        "bläddrar (↓, PgDn): End går till det äldsta ärendet, Home till det nyaste."
    )
    PAGE: int | None = None  # rows read at a time (None: three screenfuls, inbox_window)
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
        self._window: Window[InboxRow] = Window(self.PAGE or PAGE)
        self.counts: InboxCounts | None = None
        self._list_failed = False  # the status line says the list could not be read
        self._opening = False  # a case is being opened from g: the list is read once it shows

    @property
    def window(self) -> Window[InboxRow]:
        """The window over the result, its page sized to the table as it is now."""
        lines = self.query_one(PagedTable).scrollable_content_region.height - 1  # the header
        self._window.resize(self.PAGE or page_for(lines // 2))
        return self._window

    @property
    def rows(self) -> list[InboxRow]:
        """The rows the table holds now (a window of the whole result)."""
        return self._window.rows

    def compose(self) -> ComposeResult:
        yield UserBar()
        with Horizontal(id="inbox-bar"):
            yield Static("", id="filter-label")
            yield HandOffInput(
                placeholder="Sök: personnr, namn, ärendenr", id="search", hand_to="#cases"
            )
        yield PagedTable(id="cases", cursor_type="row", zebra_stripes=True)
        yield FixedLine(id="empty")  # always there: showing a text never re-lays out
        yield StatusLine()
        yield app_footer()

    def on_mount(self) -> None:
        t = self.query_one(PagedTable)
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
        if not self._opening:  # back from g's dialog to open a case: read after it is shown
            self.action_refresh()

    def on_screen_suspend(self) -> None:
        """Left for a case or a dialog: the read under way stops, and is made again on return."""
        self.cancel_runs()
        self._window.interrupt()

    def _live_refresh(self) -> None:
        if self.is_current:  # a screen above it refreshes this one when it is left
            self.action_refresh()

    def on_unmount(self) -> None:
        self._live.stop()
        self.cancel_runs()

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
        search.border_title = "▶ Sök – Enter/Esc: till listan" if search.has_focus else ""

    def _show_filter(self) -> None:
        f, counts = FILTERS[self.filter_index], self.counts
        label = f"Filter: {f.value if f else 'Alla'}"
        if counts is not None:
            label += f" ({counted(counts.all if f is None else counts.by_state.get(f, 0))})"
        self.query_one("#filter-label", Static).update(Text(label + " ", style="bold"))

    def action_refresh(self) -> None:
        """Re-read the window as it stands (and the counts): the timer, change notices, u."""
        self.query_one(UserBar).show(self.actor, self.ctx.now(), self.ctx.demo)
        ctx, actor = self.ctx, self.actor
        self.run(lambda: inbox_counts(ctx, actor), on_done=self._counted, policy=Policy.LATEST)
        query = self.query_one("#search", Input).value
        page = ctx.inbox.at_hand(actor, FILTERS[self.filter_index], query)  # start-up, once
        if page is not None:
            self._paged(self.window.first(), page)  # refreshed when the data layer is loaded
            return
        self.window.moved(self.query_one(PagedTable).cursor_row)  # the table moved it since
        self._read(self.window.refresh())

    def _counted(self, counts: InboxCounts) -> None:
        self.counts = counts
        self._show_filter()

    def _read(self, fetch: Fetch[InboxRow] | None) -> None:
        """Read the page the window asks for (None: the cursor moved inside the window)."""
        if fetch is None:
            self._place_cursor()
            return
        ctx, actor, state = self.ctx, self.actor, FILTERS[self.filter_index]
        query, where, token = self.query_one("#search", Input).value, where_of(fetch), api.Cancel()
        # ctx.inbox waits for the data layer in the worker (services/api/).
        self.run(
            lambda: ctx.inbox.page(actor, state, query, where, fetch.limit, token),
            on_done=lambda page: self._paged(fetch, page),
            key=LIST_KEY,
            policy=Policy.LATEST,
            on_error=lambda error: self._list_refused(fetch, error),
            cancel=token,
        )

    def on_data_layer_loaded(self) -> None:
        self.action_refresh()  # the ordinary query now: what changed since start-up shows

    def failed(self, error: UserError) -> None:
        super().failed(error)
        self._list_failed = False  # the status line now says something else

    def _list_refused(self, fetch: Fetch[InboxRow], error: UserError) -> None:
        again = self._window.failed(fetch)
        self.failed(error)
        self._list_failed = True
        if again is not None:  # a refresh was asked for meanwhile: the database may be back
            self._read(again)

    def _paged(self, fetch: Fetch[InboxRow], page: InboxPage) -> None:
        if self._list_failed:  # the list could not be read before; now it could
            self.query_one(StatusLine).clear()
            self._list_failed = False
        follow = self.window.follow_up(fetch, page)
        if follow is not None:
            self._read(follow)
        elif self.window.apply(fetch, page):
            self._paint(fetch)

    def _paint(self, fetch: Fetch[InboxRow] | None = None) -> None:
        """The window's rows into the table, the cursor on the window's (the case it was on:
        new cases above it must not move it to another patient under the nurse's hands).
        After a read further down only the rows that left and came are changed."""
        t = self.query_one(PagedTable)
        w = self.window
        keys = [str(r.case_id) for r in w.rows]
        add = self._appended(keys) if fetch is not None and fetch.go is Go.AFTER else None
        if add is None:
            t.clear()
            add = 0
        several_units = len(self.actor.units) > 1
        for r in w.rows[add:]:
            t.add_row(*cells(self, r, several_units), height=2, key=str(r.case_id))
        # Measured now, not at DataTable's next idle: a refresh that keeps the cursor where it
        # was moves no cursor (which measures too), and its first frame showed "Att göra"
        # as wide as its heading, each to-do wrapped onto the row's second line (caught by
        # the inbox snapshot on a loaded machine, when the live inbox refreshed).
        t.measure_new_rows()
        t.more_above, t.more_below = w.newer, w.older
        self._place_cursor()

    def _appended(self, keys: list[str]) -> int | None:
        """When the table's rows, less some at the top, begin the window's: those dropped
        from the table, and the number of rows it keeps; else None (paint them all)."""
        t = self.query_one(PagedTable)
        shown = [str(row.key.value) for row in t.ordered_rows]
        if not keys or keys[0] not in shown:
            return None
        drop = shown.index(keys[0])
        kept = shown[drop:]
        if keys[: len(kept)] != kept:
            return None
        for key in shown[:drop]:
            t.remove_row(key)
        return len(kept)

    def _place_cursor(self) -> None:
        t, w = self.query_one(PagedTable), self.window
        if w.rows and t.cursor_row != w.cursor:
            t.move_cursor(row=w.cursor)
        self._show_where()

    def _show_where(self) -> None:
        """The line under the list: why it is empty, or where in a long list one is (once
        the cursor is past the first screenful of the newest cases)."""
        w, t = self.window, self.query_one(PagedTable)
        text = ""
        if not w.rows:
            narrowed = " matchar sökningen eller filtret."
            welcome = ". Tryck n för att skicka mallen till en patient."
            text = self._mistyped() or "Inga ärenden" + (narrowed if self._narrowed() else welcome)
        elif w.newer or t.cursor_row >= t.page_rows():
            end = "" if w.older or t.cursor_row < t.row_count - 1 else "Slutet av listan · "
            text = f"↑ {end}nyare ärenden finns ovanför — Home går till början"
        self.query_one("#empty", FixedLine).show(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_where()  # the cursor moved inside the window

    def _mistyped(self) -> str | None:
        """What is wrong with a searched identity number that cannot be one (it finds no
        case: a mistyped digit should not read as "no such patient")."""
        query = self.query_one("#search", Input).value.strip()
        problem = why_not_pnr(query) if query else None
        if problem is None:
            return None
        shown = query.replace(" ", "")
        what = {
            BAD_CHECK_DIGIT: "Kontrollsiffran i {} stämmer inte",
            NO_SUCH_DATE: "Datumet i {} finns inte",
            FUTURE_DATE: "Datumet i {} ligger i framtiden",
        }[problem]
        return what.format(shown) + " – kontrollera personnumret."

    def _narrowed(self) -> bool:
        return bool(self.query_one("#search", Input).value.strip()) or self.filter_index != 0

    def on_paged_table_reach(self, event: PagedTable.Reach) -> None:
        """A key asks for rows beyond the window."""
        event.stop()
        w = self.window
        w.moved(self.query_one(PagedTable).cursor_row)
        if event.where == "page_down":
            self._read(w.page_down(event.rows))
        elif event.where == "page_up":
            self._read(w.page_up(event.rows))
        else:
            self._read({"down": w.down, "up": w.up, "home": w.home, "end": w.end}[event.where]())

    def action_cycle_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self._show_filter()
        self._read(self.window.first())

    def action_search(self) -> None:
        # At once, not through the message queue (Widget.focus): the keys typed right after
        # "/" are queued already, and must land in the field, not act on the list (n, f ...).
        self.set_focus(self.query_one("#search", Input))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":  # the previous key's read is cancelled (Runner.run)
            self._read(self.window.first())

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
        self.run(
            lambda: api.open_case(ctx, actor, case_id),
            on_done=self._opened,
            on_error=self._not_opened,
        )

    def _not_opened(self, error: UserError) -> None:
        self._opening = False
        self.failed(error)
        self.action_refresh()  # the list as it stands (g's read around the case, if any)

    def _opened(self, view: CaseView) -> None:
        from tui_app.ui.screens.case import CaseScreen

        deferred, self._opening = self._opening, False
        self.query_one(StatusLine).clear()
        self.app.push_screen(CaseScreen(self.ctx, self.actor, view))
        if deferred:  # g's read around the case, once the case screen is painted: Esc finds
            self.app.call_after_refresh(lambda: self._read(self.window.refresh()))  # it there

    def action_goto(self) -> None:
        from tui_app.ui.dialogs import AskDialog

        def chosen(text: str | None) -> None:
            if text:
                case_id = parse_case_number(text)
                # The list around it is read once the case screen is shown, not now: that
                # read and its paint would take the CPU from building the case screen.
                self.window.around_later(case_id)
                self._opening = True
                self._open(case_id)

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
