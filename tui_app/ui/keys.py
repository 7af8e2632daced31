"""No key does nothing: a key that cannot act is hidden or greyed, and says why when pressed.

A screen says, per action, why it cannot act now (`why_not`), and whether that is for good on
this item for this person (hidden: `check_action` returns False) or until an earlier step is
done (greyed: None; the reason names the step). The footer, F1 and F10 follow `check_action`;
a key pressed anyway shows the reason in the status line instead of doing nothing.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from textual import events


class Refusal(NamedTuple):
    """Why an action cannot act now; `later` = it will once an earlier step is done (greyed);
    `log` = the access-log action under which a press anyway is logged as refused (R24)."""

    reason: str
    later: bool = False
    log: str = ""


class ExplainsKeys:
    """Mixin for a screen: `check_action` from `why_not`, and the reason shown on a key press."""

    def why_not(self, action: str) -> Refusal | None:
        """Why this action cannot act now (None: it can)."""
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        refusal = self.why_not(action) if getattr(self, "is_mounted", False) else None
        if refusal is None:
            return True
        return None if refusal.later else False

    def on_key(self, event: events.Key) -> None:
        """A key of this screen pressed while it cannot act: say why, in one line."""
        screen: Any = self
        # The screen's own keys as they stand now: remapped by the user's keymap, and without
        # those a focused input takes as text.
        mine = None
        for node, bindings in screen._binding_chain:
            if node is screen:
                mine = bindings
                break
            if event.key in bindings.key_to_bindings:
                return  # the focused widget's own key (Enter in a search field)
        for binding in mine.key_to_bindings.get(event.key, ()) if mine else ():
            refusal = self.why_not(binding.action)
            if refusal is not None:
                event.stop()
                event.prevent_default()
                self.explain(refusal.reason)
                if refusal.log:
                    self.log_refusal(refusal)
                return

    def log_refusal(self, refusal: Refusal) -> None:
        """Record a refused attempt in the access log (screens that show patient data do)."""

    def explain(self, reason: str) -> None:
        """Show the reason (the status line, or a toast where a screen has none)."""
        from tui_app.ui.base import StatusLine

        screen: Any = self
        lines = screen.query(StatusLine)
        if lines:
            lines.first().show(reason, error=True)
        else:
            screen.notify(reason, severity="warning", timeout=6, markup=False)
