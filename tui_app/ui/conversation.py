"""The conversation as chat bubbles: staff on the left, the patient on the right."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui_app.core.clock import fmt_datetime
from tui_app.core.fmt import fmt_size
from tui_app.core.safetext import visible_lines, visible_text
from tui_app.services.api import CaseView, MessageView


class Bubble(Static):
    """One message; author, time and body always shown as plain text."""

    DEFAULT_CSS = """
    Bubble { width: 1fr; height: auto; border: round $primary; padding: 0 1; margin: 0 10 1 0; }
    Bubble.-patient { margin: 0 0 1 10; border: round $accent; }
    """

    def __init__(self, m: MessageView) -> None:
        t = Text()
        who = "Patient" if m.from_patient else "Vården"
        t.append(f"{who}: {visible_text(m.author)}", style="bold")
        t.append(f" · {fmt_datetime(m.sent_at)}\n", style="dim")
        t.append(visible_lines(m.body))  # the patient's own text: never raw to the terminal
        for f in m.files:
            t.append(f"\n📎 {f.display_name} ({f.mime}, {fmt_size(f.size)})")
        super().__init__(t, classes="-patient" if m.from_patient else "-staff")


def case_header(view: CaseView) -> Text:
    """The facts at the top of a case: number, unit, patient, state, deadline, read status."""
    from tui_app.ui.widgets import state_text

    t = Text()
    t.append(f"Ärende {view.case_id}", style="bold")
    t.append(f" · {visible_text(view.unit_name)}\n")
    t.append(f"{view.patient.pnr_display} {visible_text(view.patient.name)}", style="bold")
    t.append(" · ")
    t.append_text(state_text(view.state))
    t.append("\n")
    if view.accepts_reply:
        t.append(f"Svar senast {fmt_datetime(view.deadline)} (kvar {view.remaining})")
    elif view.closed_early:  # handled before the 48 hours: replies stopped then
        t.append(f"Avslutat (hanterat) {fmt_datetime(view.deadline)}")
    else:
        t.append(f"Tar inte emot svar sedan {fmt_datetime(view.deadline)}")
    if view.handled_at and not view.closed_early:
        t.append(f" · hanterat {fmt_datetime(view.handled_at)}")
    if view.patient_read_at:
        t.append(f" · ✓ Läst {fmt_datetime(view.patient_read_at)}")
    else:
        t.append(" · ○ Ej läst")
    return t
