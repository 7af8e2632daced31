"""The administrator reviews the access log: filters, one entry in full, the chain check, and
recorded sample checks. Every logged value is shown through core.safetext: a log entry holds
what staff and patients typed (search terms, reasons, file names)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from tui_app.core.clock import fmt_datetime
from tui_app.core.safetext import visible_text
from tui_app.services import api
from tui_app.services.api import PAGE, REFUSED, ChainReport, LogRow
from tui_app.ui.base import AppScreen, Policy, StatusLine
from tui_app.ui.dialogs import AskDialog
from tui_app.ui.keys import ExplainsKeys, Refusal
from tui_app.ui.widgets import MarkedTable, UserBar, app_footer

#: Columns at 80×24: time, who, patient, and what happened (unit and detail are in the entry
#: view, Enter); the first starts with ▶ on the highlighted row. Widths are text cells; the
#: table adds one cell of padding on each side.
COLUMNS = (("  Tid", 18), ("Vem", 8), ("Patient", 13))
WHAT_WIDTH = 80 - sum(w + 2 for _, w in COLUMNS) - 2 - 2  # padding, scroll bar: fits 80 columns


def _pnr(digits: str) -> str:
    return f"{digits[:8]}-{digits[8:]}" if len(digits) == 12 and digits.isdigit() else digits


def _what(r: LogRow) -> str:
    return ("✗ NEKAD " if r.outcome == REFUSED else "") + r.action


def entry_lines(r: LogRow) -> list[tuple[str, str]]:
    """One entry as (label, value) pairs, every value made safe to show."""
    outcome = "nekad (✗)" if r.outcome == REFUSED else r.outcome
    return [
        (label, visible_text(str(value)))
        for label, value in (
            ("Post", r.seq),
            ("Tid", fmt_datetime(r.at)),
            ("Vem", r.actor),
            ("Enhet", r.unit_code or "–"),
            ("Patient", _pnr(r.patient_pnr) or "–"),
            ("Ärende", r.case_id if r.case_id is not None else "–"),
            ("Åtgärd", r.action),
            ("Utfall", outcome),
            ("Detalj", r.detail or "–"),
        )
    ]


class LogTable(MarkedTable):
    """The log's rows; Enter (shown in the footer) opens the highlighted entry."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Visa post", id="audit_entry", key_display="Enter")
    ]


class EntryScreen(ModalScreen[None]):
    """One access-log entry with every field, the detail wrapped in full."""

    DEFAULT_CSS = """
    EntryScreen { align: center middle; }
    EntryScreen > VerticalScroll { width: 76; max-width: 100%; height: auto; max-height: 22;
                                   border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,enter,q", "close", "Stäng", id="audit_entry_close")]

    def __init__(self, row: LogRow) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        from rich.table import Table

        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")  # a long detail wraps under itself, in full
        for label, value in entry_lines(self.row):
            grid.add_row(label + ":", Text(value))
        with VerticalScroll(id="entry"):
            yield Static(Text(f"Loggpost {self.row.seq}", style="bold"))
            yield Static(grid)
            yield Static(Text("Esc eller Enter stänger · pilar bläddrar", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)


class AuditScreen(ExplainsKeys, AppScreen):
    """Logguppföljning."""

    HELP_TITLE = "Logguppföljning – åtkomstloggen"
    HELP = (
        "Varje åtkomst till patientuppgifter och varje nekad åtgärd loggas (vem, enhet, "
        "patient, vad, när). Filtrera på personal (inloggning), patient (personnummer), "
        "enhet (koden eller dess början, till exempel REUM; inte en del mitt i koden) och "
        "från-datum; Tab flyttar mellan fälten, Enter "
        "söker. "
        "Enter på en rad visar hela posten (enhet, ärende, detalj). k kontrollerar att "
        "loggkedjan är obruten. g registrerar ett stickprov med granskare, datum och resultat."
    )
    BINDINGS = [
        Binding("k", "verify", "Kontrollera kedjan", id="audit_verify"),
        Binding("g", "review", "Stickprov", id="audit_review"),
        Binding("escape", "back", "Tillbaka", id="back"),
        Binding("q,x", "quit_here", "Avsluta", id="audit_quit", show=False),
    ]

    def why_not(self, action: str) -> Refusal | None:
        """q and x never act here: say where they do (see ui/keys.py)."""
        if action == "quit_here":
            return Refusal(
                "Logga ut (x) och avsluta (q) gör du i administrationen: tryck Esc först."
            )
        return None

    def action_quit_here(self) -> None:
        """Never runs: why_not always says how to quit (from the administration screen)."""

    def compose(self) -> ComposeResult:
        yield UserBar()
        with Horizontal(id="audit-filters"):
            yield Input(placeholder="Personal", id="f-staff")
            yield Input(placeholder="Patient ÅÅÅÅMMDD-NNNN", id="f-patient")
            yield Input(placeholder="Enhet", id="f-unit")
            yield Input(placeholder="Från ÅÅÅÅ-MM-DD", id="f-since")
        yield LogTable(id="log", cursor_type="row")
        yield StatusLine()
        yield app_footer()

    def on_mount(self) -> None:
        self.query_one(UserBar).show(self.actor, self.ctx.now(), self.ctx.demo)
        self.rows: dict[str, LogRow] = {}
        t = self.query_one(DataTable)
        for label, w in COLUMNS:
            t.add_column(label, width=w)
        t.add_column("Åtgärd", width=WHAT_WIDTH, key="what")
        self.search()
        t.focus()

    def search(self) -> None:
        ctx, actor = self.ctx, self.actor
        staff, patient, unit, since = (
            self.query_one(f"#f-{k}", Input).value for k in ("staff", "patient", "unit", "since")
        )
        self.run(
            lambda: api.search_log(
                ctx, actor, staff=staff, patient=patient, unit=unit, since_text=since
            ),
            on_done=self._found,
            policy=Policy.LATEST,
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search()

    def _found(self, rows: list[LogRow]) -> None:
        t = self.query_one(DataTable)
        t.clear()
        self.rows = {str(r.seq): r for r in rows}
        for r in rows:
            t.add_row(
                Text(fmt_datetime(r.at)),
                Text(visible_text(r.actor), overflow="ellipsis"),
                Text(visible_text(_pnr(r.patient_pnr))),
                Text(visible_text(_what(r)), overflow="ellipsis"),
                key=str(r.seq),
            )
        self.say(f"{len(rows)} poster (högst {PAGE}, nyaste först). Enter visar hela posten.")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._show(event.row_key.value)

    def _show(self, key: str | None) -> None:
        row = self.rows.get(key or "")
        if row is not None:
            self.app.push_screen(EntryScreen(row))

    def action_verify(self) -> None:
        # Checked against the signed checkpoints; writing them is `tui-app audit verify`'s job,
        # run by the app's own account, which holds the key (the demo has its own).
        ctx = self.ctx
        self.run(
            lambda: api.verify_log(ctx, checkpoint=ctx.demo),
            on_done=self._verified,
        )

    def _verified(self, r: ChainReport) -> None:
        if r.ok:
            self.say(
                f"Loggkedjan är obruten: {r.entries} poster; huvud {r.head_hash[:16]}… "
                f"Kontrollpunkter: {r.anchor}."
            )
        else:
            where = f" vid post {r.broken_at}" if r.broken_at is not None else ""
            self.query_one(StatusLine).show(
                visible_text(f"Loggkedjan är BRUTEN{where}: {r.problem}."), error=True
            )

    def action_review(self) -> None:
        labels = {"staff": "personal", "patient": "patient", "unit": "enhet", "since": "från"}
        scope = ", ".join(
            f"{labels[k]} {self.query_one(f'#f-{k}', Input).value}"
            for k in labels
            if self.query_one(f"#f-{k}", Input).value
        )

        def chosen(finding: str | None) -> None:
            if finding is not None:
                ctx, actor = self.ctx, self.actor
                self.run(
                    lambda: api.record_review(ctx, actor, scope or "hela loggen", finding),
                    on_done=self._reviewed,
                    policy=Policy.ONCE,
                )

        self.app.push_screen(
            AskDialog(
                "Registrera stickprov",
                f"Granskat: {scope or 'hela loggen'}. Resultat:",
                placeholder="t.ex. inga avvikelser",
            ),
            chosen,
        )

    def _reviewed(self, _: None) -> None:
        self.say("Stickprovet är registrerat med granskare och datum.")

    def action_back(self) -> None:
        self.app.pop_screen()
