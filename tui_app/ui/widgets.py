"""Small display widgets; they show what they are given and load nothing themselves."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Footer, Static

from tui_app.core.clock import fmt_datetime
from tui_app.core.rules import CaseState

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

    def show(self, actor: object, now: object, demo: bool) -> None:
        """Render the bar for this actor and time."""
        a = actor  # an identity.Actor
        t = Text()
        t.append(getattr(a, "display_name", ""), style="bold")
        pnr = getattr(a, "patient_pnr", None)
        ident = f"{pnr[:8]}-{pnr[8:]}" if pnr else getattr(a, "login", "")
        t.append(f" ({ident}) · {getattr(a, 'badge', '')}")
        if getattr(a, "shared_account", False):
            t.append(" ⚠", style="bold")
        if demo:
            t.append(f" · DEMO {fmt_datetime(now)}")  # type: ignore[arg-type]
        self.set_class(bool(getattr(a, "shared_account", False)), "-shared")
        self.update(t)


def app_footer() -> "Footer":
    """The key footer: compact, so a screen's main keys fit in 80 columns (F10 is in F1's help)."""
    from textual.widgets import Footer

    return Footer(compact=True, show_command_palette=False)
