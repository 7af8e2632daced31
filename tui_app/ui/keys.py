"""No key does nothing: a key that cannot act is hidden or greyed, and says why when pressed.

A screen says, per action, why it cannot act now (`why_not`), and whether that is for good on
this item for this person (hidden: `check_action` returns False) or until an earlier step is
done (greyed: None; the reason names the step). The footer, F1 and F10 follow `check_action`;
a key pressed anyway shows the reason in the status line instead of doing nothing.
A user's keymap moves a key's main binding, not its hidden why-binding (which has no id).
"""

from __future__ import annotations

from typing import Any, NamedTuple


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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give each of the screen's own keys a hidden second binding, why(action): Textual
        tries a key's bindings in order when the key's turn comes (after the keys before it
        have acted), so when the first cannot act the second says why."""
        from textual.binding import Binding

        mine = list(cls.__dict__.get("BINDINGS", []))
        own = [b for b in mine if isinstance(b, Binding) and b.id]
        why = [Binding(b.key, f"why({b.action!r})", "", show=False) for b in own]
        setattr(cls, "BINDINGS", [*mine, *why])  # noqa: B010 (a mixin: Screen declares BINDINGS)
        super().__init_subclass__(**kwargs)  # Textual merges the bindings here

    def action_why(self, action: str) -> None:
        """A key pressed while it cannot act: say why in one line (and log it where asked)."""
        refusal = self.why_not(action)
        if refusal is not None:
            self.explain(refusal.reason)
            if refusal.log:
                self.log_refusal(refusal)

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
