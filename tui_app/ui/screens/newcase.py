"""New case: choose unit and patient, the app checks R01–R05, then the template opens for editing."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets.text_area import Location
from textual.widgets import Input, Select, Static, TextArea

from tui_app.core.safetext import visible_text
from tui_app.core.template import TEMPLATE_NAME
from tui_app.services import api
from tui_app.services.api import Draft
from tui_app.ui.base import AppScreen, Policy, StatusLine
from tui_app.ui.widgets import UserBar, app_footer

UNIT_HINT = "Enhet – F4 öppnar listan (↑↓ väljer, Enter tar den valda)"


class MessageEditor(TextArea):
    """The message text; Home/End (also with Shift) go to the start/end of the whole paragraph.

    With soft wrap, TextArea's End stops at the end of the wrapped screen line, so Shift+End and
    typing replaced only part of a sentence and left the rest behind, unseen. A paragraph is
    what a nurse means by a line.
    """

    def get_cursor_line_end_location(self) -> Location:
        row, _ = self.cursor_location
        return row, len(self.document[row])

    def get_cursor_line_start_location(self, smart_home: bool = False) -> Location:
        return self.cursor_location[0], 0


def send_summary(draft: Draft, text: str) -> str:
    """What the confirmation shows before sending: patient, unit, and how much text goes."""
    lines = [line for line in text.splitlines() if line.strip()]
    first, last = (lines[0], lines[-1]) if lines else ("", "")

    def cut(s: str) -> str:
        return s if len(s) <= 50 else s[:49] + "…"

    body = (
        f"Skicka meddelandet ”{TEMPLATE_NAME}”?\n\n"
        f"Till:  {draft.patient.name}, {draft.patient.pnr_display}\n"
        f"Från:  {draft.unit_name}\n"
        f"Text:  {len(text)} tecken, {len(text.splitlines())} rader\n"
        f"       börjar ”{cut(first)}”\n"
        f"       slutar ”{cut(last)}”\n"
        f"Signeras: {draft.signature}"
    )
    return body


class NewCaseScreen(AppScreen):
    """Skicka mallen ”Bifoga bild/fil till vården” till en patient."""

    HELP_TITLE = "Nytt ärende"
    HELP = (
        "1. Välj enhet: F4 öppnar listan över dina enheter (förvald är den du senast skickade "
        "från). Skriv sedan patientens personnummer och tryck Enter.\n"
        "2. Appen kontrollerar att enheten är aktiverad (R01), att mallen finns (R02), att "
        "patienten är aktiverad på 1177 (R03) och att enheten har vårdrelation (R04).\n"
        "3. Texten kan ändras, men meningen om högst 5 filer får inte tas bort (R06). Home/End "
        "går till början/slutet av stycket. Meddelandet signeras med ditt förnamn. F2 visar en "
        "sammanfattning (patient, enhet, text) som du bekräftar med j. Esc avbryter."
    )
    BINDINGS = [
        Binding("f2", "send", "Skicka", id="send_message"),
        Binding("f4", "choose_unit", "Enhet", id="choose_unit"),
        Binding("escape", "cancel", "Avbryt", id="cancel"),
    ]

    def __init__(self, ctx: api.Context, actor: api.Actor) -> None:
        super().__init__(ctx, actor)
        self.draft: Draft | None = None
        self._confirming = False

    def compose(self) -> ComposeResult:
        yield UserBar()
        yield Static(Text(f"Nytt ärende – mallen ”{TEMPLATE_NAME}”", style="bold"), classes="title")
        units = [(Text(visible_text(u.name)), u.id) for u in self.actor.units]
        only = units[0][1] if len(units) == 1 else Select.NULL
        yield Static(Text(UNIT_HINT, style="dim"), id="unit-hint", classes="title")
        yield Select(
            units, value=only, allow_blank=len(units) != 1, id="unit", prompt="Välj enhet (F4)"
        )
        yield Input(
            placeholder="Patientens personnummer, t.ex. 19900222-2397 – Enter",
            id="pnr",
            max_length=20,
        )
        with Vertical(id="editor"):
            yield Static("", id="patient")
            yield MessageEditor(id="text", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="signature")
        yield StatusLine()
        yield app_footer()

    def on_mount(self) -> None:
        self.query_one(UserBar).show(self.actor, self.ctx.now(), self.ctx.demo)
        self.query_one("#editor").display = False
        self.query_one("#pnr", Input).focus()
        if len(self.actor.units) > 1:
            ctx, actor = self.ctx, self.actor
            self.run(lambda: api.last_used_unit(ctx, actor), on_done=self._last_unit)
        self.warn_about_unit()

    def _last_unit(self, unit_id: int | None) -> None:
        sel = self.query_one("#unit", Select)
        if sel.value is not Select.NULL:
            return  # chosen meanwhile: the person's choice wins
        if unit_id is not None:
            sel.value = unit_id
        else:  # never sent from here: the unit comes first
            sel.focus()
            self.query_one(StatusLine).show(
                "Välj först vilken enhet meddelandet skickas från (F4 öppnar listan)."
            )

    def unit_id(self) -> int | None:
        """The chosen unit, or None while none is chosen."""
        value = self.query_one("#unit", Select).value
        return value if isinstance(value, int) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            return self.draft is not None
        return True

    def action_choose_unit(self) -> None:
        sel = self.query_one("#unit", Select)
        sel.focus()
        sel.expanded = True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        unit_id = self.unit_id()
        if unit_id is None:
            self.query_one(StatusLine).show(
                "Välj enhet först: F4 öppnar listan över dina enheter.", error=True
            )
            self.action_choose_unit()
            return
        ctx, actor, pnr_text = self.ctx, self.actor, event.value
        self.run(
            lambda: api.draft_message(ctx, actor, unit_id, pnr_text),
            on_done=self._drafted,
            policy=Policy.ONCE,
        )

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
        if event.select.has_focus_within:  # the unit is chosen: the number comes next
            self.query_one("#pnr", Input).focus()

    def warn_about_unit(self) -> None:
        """Say at once when the chosen unit cannot send (R01, R02), before any number is typed."""
        unit = next((u for u in self.actor.units if u.id == self.unit_id()), None)
        if unit is None:
            return
        if not unit.activated_1177:
            self.query_one(StatusLine).show(
                f"{unit.name} är inte aktiverad för 1177 e-tjänster (R01). Välj en annan enhet "
                "(F4) eller be administrationsgruppen aktivera den.",
                error=True,
            )
        elif not unit.template_installed:
            self.query_one(StatusLine).show(
                f"Mallen är inte upplagd på {unit.name} (R02). Välj en annan enhet (F4) eller be "
                "administrationsgruppen lägga upp mallen.",
                error=True,
            )
        else:
            self.query_one(StatusLine).clear()

    def _drafted(self, draft: Draft) -> None:
        self.draft = draft
        if draft.open_cases:
            nrs = ", ".join(str(n) for n in draft.open_cases)
            self.query_one(StatusLine).show(
                f"Obs! {draft.patient.name} har redan ett öppet ärende från enheten (nr {nrs}). "
                "Patienten kan svara där. Skicka ändå med F2, eller avbryt med Esc.",
                error=True,
            )
        else:
            self.query_one(StatusLine).show(
                "Alla kontroller godkända (R01–R04). Redigera texten och tryck F2 för att skicka."
            )
        self.query_one("#patient", Static).update(
            Text(
                visible_text(
                    f"Till: {draft.patient.name}, {draft.patient.pnr_display} · från {draft.unit_name}"
                )
            )
        )
        area = self.query_one("#text", TextArea)
        area.text = draft.text
        self.query_one("#signature", Static).update(
            Text(
                f"Signeras: {visible_text(draft.signature)} · dateras när det skickas",
                style="italic",
            )
        )
        self.query_one("#editor").display = True
        area.focus()
        self.refresh_bindings()

    def action_send(self) -> None:
        """Ask first, with what will be sent to whom; j sends."""
        if self.draft is None or self._confirming:
            return
        from tui_app.ui.dialogs import ConfirmDialog

        draft, text = self.draft, self.query_one("#text", TextArea).text
        self._confirming = True

        def answered(yes: bool | None) -> None:
            self._confirming = False
            if yes and self.draft is draft:
                ctx, actor = self.ctx, self.actor
                self.run(
                    lambda: api.send_case(ctx, actor, draft.unit_id, draft.patient.id, text),
                    on_done=self._sent,
                    policy=Policy.ONCE,
                )
            elif not yes:
                self.query_one(StatusLine).show("Inte skickat. Ändra texten eller tryck F2 igen.")

        self.app.push_screen(ConfirmDialog(send_summary(draft, text)), answered)

    def _sent(self, case_id: int) -> None:
        self.notify(
            visible_text(
                f"Ärende {case_id} skickat till {self.draft.patient.name if self.draft else ''}."
            ),
            markup=False,
        )
        self.dismiss(case_id)  # the inbox opens the new case

    def action_cancel(self) -> None:
        self.dismiss(None)
