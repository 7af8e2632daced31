"""The administrator reviews the access log: filters, the chain check, recorded sample checks."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input

from tui_app.core.clock import fmt_datetime
from tui_app.core.safetext import visible_text
from tui_app.services import audit, auditlog
from tui_app.services.auditlog import LogRow
from tui_app.ui.base import AppScreen, StatusLine
from tui_app.ui.dialogs import AskDialog
from tui_app.ui.widgets import UserBar, app_footer


class AuditScreen(AppScreen):
    """Logguppföljning."""

    HELP_TITLE = "Logguppföljning – åtkomstloggen"
    HELP = ("Varje åtkomst till patientuppgifter och varje nekad åtgärd loggas (vem, enhet, "
            "patient, vad, när). Filtrera på personal (inloggning), patient (personnummer), "
            "enhet (kod eller del av koden) och från-datum; Tab flyttar mellan fälten, Enter söker. k kontrollerar att loggkedjan är obruten. g registrerar "
            "ett stickprov med granskare, datum och resultat.")
    BINDINGS = [
        Binding("k", "verify", "Kontrollera kedjan", id="audit_verify"),
        Binding("g", "review", "Registrera stickprov", id="audit_review"),
        Binding("escape", "back", "Tillbaka", id="back"),
    ]

    def compose(self) -> ComposeResult:
        yield UserBar()
        with Horizontal(id="audit-filters"):
            yield Input(placeholder="Personal", id="f-staff")
            yield Input(placeholder="Patient ÅÅÅÅMMDD-NNNN", id="f-patient")
            yield Input(placeholder="Enhet", id="f-unit")
            yield Input(placeholder="Från ÅÅÅÅ-MM-DD", id="f-since")
        yield DataTable(id="log", cursor_type="row")
        yield StatusLine()
        yield app_footer()

    def on_mount(self) -> None:
        self.query_one(UserBar).show(self.actor, self.ctx.now(), self.ctx.demo)
        t = self.query_one(DataTable)
        for label, w in (("Tid", 16), ("Vem", 8), ("Enhet", 8), ("Patient", 13)):
            t.add_column(label, width=w)
        t.add_column("Åtgärd")
        self.search()
        t.focus()

    def search(self) -> None:
        self.call_service("rows", auditlog.search, self.ctx, self.actor,
                          staff=self.query_one("#f-staff", Input).value,
                          patient=self.query_one("#f-patient", Input).value,
                          unit=self.query_one("#f-unit", Input).value,
                          since_text=self.query_one("#f-since", Input).value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search()

    def done_rows(self, rows: list[LogRow]) -> None:
        t = self.query_one(DataTable)
        t.clear()
        for r in rows:
            what = ("✗ NEKAD " if r.outcome == audit.REFUSED else "") + r.action
            if r.detail:
                what += f": {r.detail}"
            pnr = f"{r.patient_pnr[:8]}-{r.patient_pnr[8:]}" if r.patient_pnr else ""
            t.add_row(Text(fmt_datetime(r.at)), Text(visible_text(r.actor)),
                      Text(visible_text(r.unit_code)), Text(pnr), Text(visible_text(what)))
        self.say(f"{len(rows)} poster (högst {auditlog.PAGE}, nyaste först).")

    def action_verify(self) -> None:
        self.call_service("verified", audit.verify, self.ctx)

    def done_verified(self, r: audit.ChainReport) -> None:
        if r.ok:
            self.say(f"Loggkedjan är obruten: {r.entries} poster.")
        else:
            self.query_one(StatusLine).show(
                f"Loggkedjan är BRUTEN vid post {r.broken_at}: {r.problem}.", error=True)

    def action_review(self) -> None:
        labels = {"staff": "personal", "patient": "patient", "unit": "enhet", "since": "från"}
        scope = ", ".join(f"{labels[k]} {self.query_one(f'#f-{k}', Input).value}" for k in
                          labels if self.query_one(f"#f-{k}", Input).value)

        def chosen(finding: str | None) -> None:
            if finding is not None:
                self.call_service("reviewed", auditlog.record_review, self.ctx, self.actor,
                                  scope or "hela loggen", finding)

        self.app.push_screen(AskDialog("Registrera stickprov", f"Granskat: {scope or 'hela loggen'}. "
                                       "Resultat:", placeholder="t.ex. inga avvikelser"), chosen)

    def done_reviewed(self, _v: object) -> None:
        self.say("Stickprovet är registrerat med granskare och datum.")

    def action_back(self) -> None:
        self.app.pop_screen()
