"""Small display widgets; they show what they are given and load nothing themselves."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Footer, Static

from tui_app.core.clock import fmt_datetime
from tui_app.core.rules import CaseState
from tui_app.core.safetext import visible_text

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
        t.append(visible_text(getattr(a, "display_name", "")), style="bold")
        pnr = getattr(a, "patient_pnr", None)
        ident = f"{pnr[:8]}-{pnr[8:]}" if pnr else getattr(a, "login", "")
        t.append(f" ({visible_text(ident)}) · {getattr(a, 'badge', '')}")
        if getattr(a, "shared_account", False):
            t.append(" ⚠", style="bold")
        if demo:
            t.append(f" · DEMO {fmt_datetime(now)}")  # type: ignore[arg-type]
        self.set_class(bool(getattr(a, "shared_account", False)), "-shared")
        self.update(t)


class AppFooter(Footer):
    """Textual's key footer, rebuilt only when the keys it would show have changed.

    Footer rebuilds every key whenever a screen's bindings may have changed; a screen that
    starts (mount, first focus, the refresh after it) says so three times with the same keys,
    and each rebuild mounts and styles all keys again: the costliest step in showing the inbox.
    """

    _shown: object = None

    async def recompose(self) -> None:
        if self.is_attached and not any(s is self.screen for s in self.app.screen_stack):
            # A recompose queued before the screen was popped (Esc, sign-out): the screen is
            # being torn down, its widgets going; asking its check_action now would read a
            # half-removed screen (issue 9.1). It is never shown again, so nothing to draw.
            return
        if self.is_attached and self._bindings_ready:  # what Footer.compose reads, no more
            app = self.app
            shown = (self.show_command_palette, app.ENABLE_COMMAND_PALETTE, tuple(
                (key, active.binding, active.enabled, active.tooltip,
                 app.get_key_display(active.binding))
                for key, active in self.screen.active_bindings.items()))
            if shown == self._shown and self.children:
                return
            self._shown = shown
        await super().recompose()


def app_footer() -> Footer:
    """The key footer: compact, so a screen's main keys fit in 80 columns (F10 is in F1's help)."""
    return AppFooter(compact=True, show_command_palette=False)
