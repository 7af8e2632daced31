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

log = logging.getLogger("tui_app.ui")


class ServiceDone(Message):
    """A service call finished; `tag` says which, `value` is what it returned."""

    def __init__(self, tag: str, value: Any) -> None:
        super().__init__()
        self.tag = tag
        self.value = value


class ServiceFailed(Message):
    """A service call was refused or failed; `error` carries the Swedish message."""

    def __init__(self, tag: str, error: UserError) -> None:
        super().__init__()
        self.tag = tag
        self.error = error


class StatusLine(Static):
    """One line saying what just happened: '✓ …' for success, '✗ …' for a refusal (never colour alone)."""

    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 4; padding: 0 1; }
    StatusLine.-error { color: $error; text-style: bold; }
    StatusLine.-ok { color: $success; }
    """

    def show(self, message: str, *, error: bool = False) -> None:
        """Show a message (plain text, never markup)."""
        self.set_class(error, "-error")
        self.set_class(not error and bool(message), "-ok")
        self.update(Text(("✗ " if error else "✓ ") + message if message else ""))

    def clear(self) -> None:
        """Empty the line."""
        self.set_class(False, "-error", "-ok")
        self.update("")


class ServiceMixin:
    """Run service functions in thread workers and route their results back by message."""

    HELP: ClassVar[str] = ""

    def call_service(self, tag: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run fn(*args) off the UI thread; `done_<tag>(value)` or `failed(tag, error)` follows."""
        screen: Any = self

        def job() -> None:
            try:
                value = fn(*args, **kwargs)
            except UserError as exc:
                screen.post_message(ServiceFailed(tag, exc))
                return
            except Exception as exc:  # a bug or an outage: shown, logged, never a traceback
                log.exception("service %s failed", tag)
                screen.post_message(ServiceFailed(tag, UserError(
                    f"Något gick fel ({type(exc).__name__}). Försök igen; om felet kvarstår, "
                    "kontakta IT-support och ange tiden.")))
                return
            screen.post_message(ServiceDone(tag, value))

        screen.run_worker(job, thread=True, exclusive=False, group=tag, exit_on_error=False,
                          name=f"svc:{tag}")

    async def on_service_done(self, message: ServiceDone) -> None:
        handler = getattr(self, f"done_{message.tag}", None)
        if handler is not None:
            result = handler(message.value)
            if inspect.isawaitable(result):
                await result

    def on_service_failed(self, message: ServiceFailed) -> None:
        self.failed(message.tag, message.error)

    def failed(self, tag: str, error: UserError) -> None:
        """Show a refusal; screens override to put it somewhere specific."""
        screen: Any = self
        text = error.message + (f" ({error.rule})" if error.rule else "")
        lines = screen.query(StatusLine)
        if lines:
            lines.first().show(text, error=True)
        screen.notify(text, severity="error", timeout=8, markup=False)

    def say(self, text: str) -> None:
        """Show a success message in the status line."""
        screen: Any = self
        lines = screen.query(StatusLine)
        if lines:
            lines.first().show(text)


class AppScreen(ServiceMixin, Screen[Any]):
    """A full screen of the app."""

    @property
    def ctx(self) -> Any:
        return self.app.ctx  # type: ignore[attr-defined]

    @property
    def actor(self) -> Any:
        return self.app.actor  # type: ignore[attr-defined]


class AppModal(ServiceMixin, ModalScreen[Any]):
    """A dialog on top of a screen."""

    @property
    def ctx(self) -> Any:
        return self.app.ctx  # type: ignore[attr-defined]

    @property
    def actor(self) -> Any:
        return self.app.actor  # type: ignore[attr-defined]
