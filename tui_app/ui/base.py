"""What every screen shares: use cases run in thread workers, each result delivered to the
callback given at its call (`Runner.run`), and a status line."""

from __future__ import annotations

import enum
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from rich.text import Text
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui_app.core.errors import UserError
from tui_app.core.safetext import visible_lines

if TYPE_CHECKING:
    from tui_app.services.api import Actor, Context
    from tui_app.ui.app import TuiApp

log = logging.getLogger("tui_app.ui")
R = TypeVar("R")


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


class Policy(enum.Enum):
    """What a second call with the same key does while the first still runs (see Runner.run)."""

    ALWAYS = "always"  # every press runs
    ONCE = "once"  # a second press while one runs is ignored (actions that change something)
    LATEST = "latest"  # a newer call supersedes an older one; only the newest result is delivered


class Cancellable(Protocol):
    """A call's cancel token (api.Cancel): cancelled from the UI thread, read by the call."""

    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...


class RunFinished(Message):
    """A call started by `Runner.run` ended (posted from its worker thread to its screen).

    `deliver` calls the callback given at the call with the value or the error; the screen
    decides whether to (Runner.on_run_finished)."""

    def __init__(
        self, key: str, seq: int, latest: bool, failed: bool, deliver: Callable[[], object]
    ) -> None:
        super().__init__()
        self.key = key
        self.seq = seq
        self.latest = latest
        self.failed = failed
        self.deliver = deliver


def _key_of(fn: Callable[..., object]) -> str:
    """The default key of a call: the qualified name of its result callback."""
    name = getattr(fn, "__qualname__", None)
    return name if isinstance(name, str) else repr(fn)


def _nothing() -> None:
    """What a cancelled call delivers."""


def _outcome(
    name: str,
    call: Callable[[], R],
    on_done: Callable[[R], object],
    refused: Callable[[UserError], object],
    cancel: Cancellable | None,
) -> tuple[bool, Callable[[], object]]:
    """Run the call (in its worker): (failed, what to deliver on the UI thread). A call whose
    token was cancelled delivers nothing, whatever it returned or raised."""
    try:
        value = call()
    except UserError as exc:
        error = exc
    except Exception as exc:  # a bug or an outage: shown, logged, never a traceback
        if cancel is not None and cancel.cancelled:
            return False, _nothing
        from tui_app.services.api import as_user_error

        log.exception("service call %s failed", name)
        error = as_user_error(exc)
    else:
        if cancel is not None and cancel.cancelled:
            return False, _nothing
        return False, lambda: on_done(value)
    if cancel is not None and cancel.cancelled:
        return False, _nothing
    return True, lambda: refused(error)


class Runner:
    """Run use cases off the UI thread; their results come back to the callback of the call.

    Mixed into Textual screens only (it uses `run_worker`, `post_message` and `app`)."""

    HELP: ClassVar[str | None] = ""

    #: Whether refusals name the rule (staff know R01–R24; patients do not).
    SHOW_RULES: ClassVar[bool] = True

    def _calls(self) -> tuple[dict[str, int], set[str]]:
        """Per-screen bookkeeping: the newest call number per key, and the keys running now."""
        if not hasattr(self, "_run_seq"):
            self._run_seq: dict[str, int] = {}
            self._run_busy: set[str] = set()
            self._run_tokens: dict[str, tuple[int, Cancellable]] = {}
        return self._run_seq, self._run_busy

    def cancel_runs(self) -> None:
        """Cancel every call still running with a token (the screen is left): none delivers."""
        self._calls()
        tokens, self._run_tokens = self._run_tokens, {}
        for _, token in tokens.values():
            token.cancel()

    def run(
        self,
        call: Callable[[], R],
        *,
        on_done: Callable[[R], object],
        policy: Policy = Policy.ALWAYS,
        key: str | None = None,
        on_error: Callable[[UserError], object] | None = None,
        cancel: Cancellable | None = None,
    ) -> None:
        """Run `call()` in a thread worker; `on_done(value)` follows on the UI thread, or
        `on_error(error)` (default: the status line) when it was refused or failed.

        `key` groups calls (default: the qualified name of on_done). Under Policy.ONCE a call
        whose key still runs is not started (a double F2 sends once); under Policy.LATEST only
        the newest call's answer is delivered (an older search never overwrites a newer one).
        An answer for a screen that has left the stack is dropped: it would act for someone
        who signed out (e.g. push their case onto the sign-in picker).

        `cancel` is the token the call was given (api.Cancel): a newer call with the same key
        cancels it (under LATEST the older answer is not wanted, so its query stops), and so
        does `cancel_runs`; a call whose token was cancelled delivers nothing, neither its
        value nor its error (a `Cancelled` never reaches the status line).
        """
        screen: Any = self
        name = key if key is not None else _key_of(on_done)
        seqs, busy = self._calls()
        if policy is Policy.ONCE and name in busy:
            return
        seqs[name] = seq = seqs.get(name, 0) + 1
        busy.add(name)
        latest = policy is Policy.LATEST
        refused = on_error if on_error is not None else self.failed
        older = self._run_tokens.pop(name, None)
        if older is not None and latest:
            older[1].cancel()
        if cancel is not None:
            self._run_tokens[name] = (seq, cancel)

        def job() -> None:
            failed, deliver = _outcome(name, call, on_done, refused, cancel)
            screen.post_message(RunFinished(name, seq, latest, failed, deliver))

        screen.run_worker(
            job, thread=True, exclusive=False, group=name, exit_on_error=False, name=f"svc:{name}"
        )

    async def on_run_finished(self, message: RunFinished) -> None:
        """Mark the key idle, and deliver the answer unless it is stale or its screen is gone."""
        seqs, busy = self._calls()
        newest = seqs.get(message.key) == message.seq
        if newest:
            busy.discard(message.key)
            tokens = self._run_tokens
            if message.key in tokens and tokens[message.key][0] == message.seq:
                del tokens[message.key]
        if not self.is_on_stack():
            return
        if message.latest and not newest:
            return
        result = message.deliver()
        if inspect.isawaitable(result):
            await result

    def is_on_stack(self) -> bool:
        """Whether this screen is still on the app's screen stack (not popped by a sign-out)."""
        screen: Any = self
        try:
            return any(s is screen for s in screen.app.screen_stack)
        except RuntimeError:  # NoActiveAppError: the app is gone
            return False

    def failed(self, error: UserError) -> None:
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


class ContextScreen(Runner, Screen[Any]):
    """A full screen of the app before anyone is signed in (the demo's sign-in picker)."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx: Context = ctx

    @property
    def tui(self) -> TuiApp:
        """The running app, typed (sign in, sign out)."""
        from tui_app.ui.app import TuiApp

        app = self.app
        assert isinstance(app, TuiApp)
        return app


class AppScreen(ContextScreen):
    """A full screen of the app, built for one signed-in person.

    The ctx and the actor are handed over when the screen is built and kept for its whole
    life: after sign-out a screen on its way out (a footer recompose, a timer, a late worker
    answer) still sees who it was built for, never the app's current one (issue 9.1).
    """

    def __init__(self, ctx: Context, actor: Actor) -> None:
        super().__init__(ctx)
        self.actor: Actor = actor


class AppModal(Runner, ModalScreen[Any]):
    """A dialog on top of a screen."""
