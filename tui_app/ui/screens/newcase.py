"""New case: choose unit and patient, the app checks R01–R05, then the template opens for editing."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Select, Static, TextArea

from tui_app.core.safetext import visible_text
from tui_app.core.template import TEMPLATE_NAME
from tui_app.services import cases
from tui_app.services.views import Draft
from tui_app.ui.base import AppScreen, StatusLine
from tui_app.ui.widgets import UserBar, app_footer


class NewCaseScreen(AppScreen):
    """Skicka mallen ”Bifoga bild/fil till vården” till en patient."""

    HELP_TITLE = "Nytt ärende"
    HELP = (
        "1. Välj enhet (om du tillhör flera) och skriv patientens personnummer; tryck Enter.\n"
        "2. Appen kontrollerar att enheten är aktiverad (R01), att mallen finns (R02), att "
        "patienten är aktiverad på 1177 (R03) och att enheten har vårdrelation (R04).\n"
        "3. Texten kan ändras, men meningen om högst 5 filer får inte tas bort (R06). "
        "Meddelandet signeras med ditt förnamn. F2 skickar, Esc avbryter."
    )
    BINDINGS = [
        Binding("f2", "send", "Skicka", id="send_message"),
        Binding("escape", "cancel", "Avbryt", id="cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.draft: Draft | None = None

    def compose(self) -> ComposeResult:
        yield UserBar()
        yield Static(Text(f"Nytt ärende – mallen ”{TEMPLATE_NAME}”", style="bold"), classes="title")
        units = [(Text(visible_text(u.name)), u.id) for u in self.actor.units]
        yield Select(units, value=units[0][1], allow_blank=False, id="unit", prompt="Enhet")
        yield Input(placeholder="Patientens personnummer, t.ex. 19900222-2397 – Enter",
                    id="pnr", max_length=20)
        with Vertical(id="editor"):
            yield Static("", id="patient")
            yield TextArea(id="text", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="signature")
        yield StatusLine()
        yield app_footer()

    def on_mount(self) -> None:
        self.query_one(UserBar).show(self.actor, self.ctx.now(), self.ctx.demo)
        self.query_one("#editor").display = False
        self.query_one("#pnr", Input).focus()
        self.warn_about_unit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            return self.draft is not None
        return True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        unit_id = self.query_one("#unit", Select).value
        self.call_service("draft", cases.draft_message, self.ctx, self.actor, unit_id, event.value)

    def _forget_draft(self) -> None:
        """A new number or unit means a new check before anything can be sent."""
        if self.draft is not None:
            self.draft = None
            self.query_one("#editor").display = False
            self.refresh_bindings()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._forget_draft()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._forget_draft()
        self.warn_about_unit()

    def warn_about_unit(self) -> None:
        """Say at once when the chosen unit cannot send (R01, R02), before any number is typed."""
        unit = next((u for u in self.actor.units if u.id == self.query_one("#unit", Select).value),
                    None)
        if unit is None:
            return
        if not unit.activated_1177:
            self.query_one(StatusLine).show(
                f"{unit.name} är inte aktiverad för 1177 e-tjänster (R01). Välj en annan enhet "
                "eller be administrationsgruppen aktivera den.", error=True)
        elif not unit.template_installed:
            self.query_one(StatusLine).show(
                f"Mallen är inte upplagd på {unit.name} (R02). Välj en annan enhet eller be "
                "administrationsgruppen lägga upp mallen.", error=True)
        else:
            self.query_one(StatusLine).clear()

    def done_draft(self, draft: Draft) -> None:
        self.draft = draft
        if draft.open_cases:
            nrs = ", ".join(str(n) for n in draft.open_cases)
            self.query_one(StatusLine).show(
                f"Obs! {draft.patient.name} har redan ett öppet ärende från enheten (nr {nrs}). "
                "Patienten kan svara där. Skicka ändå med F2, eller avbryt med Esc.", error=True)
        else:
            self.query_one(StatusLine).show(
                "Alla kontroller godkända (R01–R04). Redigera texten och tryck F2 för att skicka.")
        self.query_one("#patient", Static).update(Text(visible_text(
            f"Till: {draft.patient.name}, {draft.patient.pnr_display} · från {draft.unit_name}")))
        area = self.query_one("#text", TextArea)
        area.text = draft.text
        self.query_one("#signature", Static).update(
            Text(f"Signeras: {visible_text(draft.signature)} · dateras när det skickas",
                 style="italic"))
        self.query_one("#editor").display = True
        area.focus()
        self.refresh_bindings()

    def action_send(self) -> None:
        if self.draft is None:
            return
        d = self.draft
        self.call_service("send", cases.send_case, self.ctx, self.actor, d.unit_id, d.patient.id,
                          self.query_one("#text", TextArea).text)

    def done_send(self, case_id: int) -> None:
        self.notify(visible_text(
            f"Ärende {case_id} skickat till {self.draft.patient.name if self.draft else ''}."),
            markup=False)
        self.app.pop_screen()
        self.app.screen.call_service("case", cases.open_case, self.ctx, self.actor, case_id)  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        self.app.pop_screen()
