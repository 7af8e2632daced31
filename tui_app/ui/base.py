"""What every screen shares: service calls in thread workers, results as messages, a status line."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui_app.core.errors import UserError
from tui_app.core.safetext import visible_lines

log = logging.getLogger("tui_app.ui")


class ServiceDone(Message):
    """A service call finished; `tag` says which, `value` is what it returned."""

    def __init__(self, tag: str, value: Any, seq: int = 0) -> None:
        super().__init__()
        self.tag = tag
        self.value = value
        self.seq = seq


class ServiceFailed(Message):
    """A service call was refused or failed; `error` carries the Swedish message."""

    def __init__(self, tag: str, error: UserError, seq: int = 0) -> None:
        super().__init__()
        self.tag = tag
        self.error = error
        self.seq = seq


class StatusLine(Static):
    """One line saying what just happened: '✓ …' for success, '✗ …' for a refusal (never colour alone)."""

    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 6; padding: 0 1; }
    StatusLine.-error { color: $error; text-style: bold; }
    StatusLine.-ok { color: $success; }
    """

    def show(self, message: str, *, error: bool = False) -> None:
        """Show a message (plain text, never markup; what it quotes made visible-safe)."""
        from tui_app.ui.keys import render

        message = render(self.screen, message)  # action hints -> the active keymap's keys
        self.set_class(error, "-error")
        self.set_class(not error and bool(message), "-ok")
        self.update(Text(("✗ " if error else "✓ ") + visible_lines(message) if message else ""))

    def clear(self) -> None:
        """Empty the line."""
        self.set_class(False, "-error", "-ok")
        self.update("")


class ServiceMixin:
    """Run service functions in thread workers and route their results back by message."""

    HELP: ClassVar[str] = ""

    #: Tags of actions that change something: a second press while one runs is ignored.
    ONCE: ClassVar[frozenset[str]] = frozenset(
        {
            "send",
            "reply",
            "draft",
            "downloaded",
            "archived",
            "changed",
            "cleaned",
            "relation",
            "clock",
            "reviewed",
            "newcase",
        }
    )
    #: Tags of lists reloaded as the user types: only the newest answer is shown.
    LATEST: ClassVar[frozenset[str]] = frozenset({"inbox", "rows", "cases", "choices"})

    def _calls(self) -> tuple[dict[str, int], set[str]]:
        """Per-screen bookkeeping: the newest call number per tag, and the tags running now."""
        if not hasattr(self, "_service_seq"):
            self._service_seq: dict[str, int] = {}
            self._service_busy: set[str] = set()
        return self._service_seq, self._service_busy

    def call_service(self, tag: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run fn(*args) off the UI thread; `done_<tag>(value)` or `failed(tag, error)` follows.

        For a tag in LATEST only the newest call is answered (an older search result never
        overwrites a newer one); an action in ONCE is not started twice (a double F2 sends once).
        """
        screen: Any = self
        seqs, busy = self._calls()
        if tag in self.ONCE and tag in busy:
            return
        seqs[tag] = seq = seqs.get(tag, 0) + 1
        busy.add(tag)

        def job() -> None:
            try:
                value = fn(*args, **kwargs)
            except UserError as exc:
                screen.post_message(ServiceFailed(tag, exc, seq))
                return
            except Exception as exc:  # a bug or an outage: shown, logged, never a traceback
                from tui_app.services.errors import as_user_error

                log.exception("service %s failed", tag)
                screen.post_message(ServiceFailed(tag, as_user_error(exc), seq))
                return
            screen.post_message(ServiceDone(tag, value, seq))

        screen.run_worker(
            job, thread=True, exclusive=False, group=tag, exit_on_error=False, name=f"svc:{tag}"
        )

    def _current(self, message: ServiceDone | ServiceFailed) -> bool:
        """Mark the tag idle, and say whether this answer should be shown: never on a screen
        that has left the stack (a sign-out popped it; its answer would act for someone who
        is no longer there, e.g. push their case onto the sign-in picker)."""
        seqs, busy = self._calls()
        newest = seqs.get(message.tag) == message.seq
        if newest:
            busy.discard(message.tag)
        on_stack = getattr(self, "is_on_stack", None)
        if on_stack is not None and not on_stack():
            return False
        return newest or message.tag not in self.LATEST

    async def on_service_done(self, message: ServiceDone) -> None:
        if not self._current(message):
            return
        handler = getattr(self, f"done_{message.tag}", None)
        if handler is not None:
            result = handler(message.value)
            if inspect.isawaitable(result):
                await result

    def on_service_failed(self, message: ServiceFailed) -> None:
        if self._current(message):
            self.failed(message.tag, message.error)

    #: Whether refusals name the rule (staff know R01–R24; patients do not).
    SHOW_RULES: ClassVar[bool] = True

    def failed(self, tag: str, error: UserError) -> None:
        """Show a refusal in the status line (a toast only where a screen has none)."""
        screen: Any = self
        text = error.message + (f" ({error.rule})" if error.rule and self.SHOW_RULES else "")
        lines = screen.query(StatusLine)
        if lines:
            lines.first().show(text, error=True)
        else:
            from tui_app.ui.keys import render

            text = render(screen, text)
            screen.notify(visible_lines(text), severity="error", timeout=8, markup=False)

    def say(self, text: str) -> None:
        """Show a success message in the status line."""
        screen: Any = self
        lines = screen.query(StatusLine)
        if lines:
            lines.first().show(text)


class SessionMixin:
    """The ctx and the actor a screen was built for, kept for the screen's whole life.

    A screen is built while someone is signed in and reads that person, never the app's
    current one: after sign-out a screen on its way out (a footer recompose, a timer, a late
    worker answer) still sees who it was built for, never None (issue 9.1).
    """

    _bound: tuple[Any, Any] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bind()

    def _bind(self) -> tuple[Any, Any]:
        if self._bound is None:
            try:
                app: Any = self.app  # type: ignore[attr-defined]
            except RuntimeError:  # NoActiveAppError: built outside a running app; bound on use
                return (None, None)
            self._bound = (app.ctx, app.actor)
        return self._bound

    @property
    def ctx(self) -> Any:
        return self._bind()[0]

    @property
    def actor(self) -> Any:
        return self._bind()[1]

    def is_on_stack(self) -> bool:
        """Whether this screen is still on the app's screen stack (not popped by a sign-out)."""
        screen: Any = self
        try:
            return any(s is screen for s in screen.app.screen_stack)
        except RuntimeError:  # NoActiveAppError: the app is gone
            return False


class AppScreen(SessionMixin, ServiceMixin, Screen[Any]):
    """A full screen of the app."""


class AppModal(SessionMixin, ServiceMixin, ModalScreen[Any]):
    """A dialog on top of a screen."""
