"""No key does nothing: a key that cannot act is hidden or greyed, and says why when pressed.

A screen says, per action, why it cannot act now (`why_not`), and whether that is for good on
this item for this person (hidden: `check_action` returns False) or until an earlier step is
done (greyed: None; the reason names the step). The footer, F1 and F10 follow `check_action`;
a key pressed anyway shows the reason in the status line instead of doing nothing.
The why-binding carries its main binding's id, so a user's keymap moves both (issue 11).

Messages name actions, not keys (`{file_cleanup}`, see core/routine/): `render` puts in the
key the ACTIVE keymap binds to each, so a hint follows remapping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from tui_app.core.routine import Action, render_hints

if TYPE_CHECKING:
    from tui_app.core.routine import Blocker


class Refusal(NamedTuple):
    """Why an action cannot act now; `later` = it will once an earlier step is done (greyed);
    `log` = the access-log action under which a press anyway is logged as refused (R24)."""

    reason: str
    later: bool = False
    log: str = ""

    @classmethod
    def of(cls, blocker: Blocker | None, *, rules: bool = True) -> Refusal | None:
        """The routine's blocker as a key's refusal (its rule named where staff see rules)."""
        if blocker is None:
            return None
        rule = f" ({blocker.rule})" if blocker.rule and rules else ""
        return cls(blocker.text + rule, blocker.later, blocker.log)


#: The default key of each action of the routine; the case screen binds these, and a hint on
#: another screen (the inbox's to-do names the case screen's clean-up key) falls back to them.
ROUTINE_KEYS: dict[Action, str] = {
    Action.FILE_PREVIEW: "p",
    Action.FILE_JOURNAL: "j",
    Action.FILE_NOT_JOURNAL: "i",
    Action.FILE_DOWNLOAD: "l",
    Action.FILE_PICSARA: "s",
    Action.FILE_EARKIV: "e",
    Action.FILE_SCANNED: "m",
    Action.FILE_CLEANUP: "r",
    Action.CASE_HANDLED: "h",
    Action.CASE_REOPEN: "o",
    Action.REFRESH_CASE: "u",
}


def key_for(screen: Any, action: Action | str) -> str | None:
    """The key that runs `action` (a binding id) on this screen now, as the footer names it:
    the user's keymap first, then the default of the screen's or a widget's binding. A screen
    class gives its default keys."""
    from textual.binding import Binding

    from tui_app.ui.widgets import key_label

    bid = str(action)
    try:
        keymap: dict[str, str] = dict(getattr(screen.app, "_keymap", None) or {})
    except Exception:  # NoActiveAppError: not running (a test rendering by hand)
        keymap = {}
    if keymap.get(bid):
        return key_label(keymap[bid].split(",")[0].strip())
    nodes = [screen]
    try:
        nodes += list(screen.walk_children())
    except Exception:  # not mounted: the screen's own bindings only
        pass
    for node in nodes:
        for b in getattr(node if isinstance(node, type) else type(node), "BINDINGS", ()):
            if isinstance(b, Binding) and b.id == bid:
                return key_label(b.key.split(",")[0].strip(), b.key_display)
    default = ROUTINE_KEYS.get(Action(bid)) if bid in set(Action) else None
    return key_label(default) if default else None


def render(screen: Any, text: str) -> str:
    """The text with each action hint replaced by the key the active keymap gives it."""
    if "{" not in text:
        return text
    return render_hints(text, lambda action: key_for(screen, action))


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
        why = [Binding(b.key, f"why({b.action!r})", "", show=False, id=b.id) for b in own]
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
            lines.first().show(reason, error=True)  # renders the key hints itself
        else:
            screen.notify(render(screen, reason), severity="warning", timeout=6, markup=False)
