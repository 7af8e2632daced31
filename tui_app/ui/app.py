"""The Textual app and the one factory that the CLI and the tests both call."""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input

from tui_app.ui.commands import ScreenActions, own_binding
from tui_app.ui.idlegc import IDLE_S, IdleCollector
from tui_app.ui.widgets import HandOffInput

if TYPE_CHECKING:
    from textual.driver import Driver

    from tui_app.crashlog import Crash
    from tui_app.services.api import Actor, Context, InboxRow


class DataLayerLoaded(Message, bubble=False):
    """The database engine is ready (posted from the loading thread)."""


class TuiApp(App[None]):
    """Skicka in filer via 1177 e-tjänster."""

    CSS_PATH = "app.tcss"
    TITLE = "Skicka in filer via 1177 e-tjänster"
    COMMANDS: ClassVar[set[Any]] = {ScreenActions}
    COMMAND_PALETTE_BINDING = "f10"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "help", "Hjälp", id="help"),
        Binding("f10", "command_palette", "Kommandon", id="palette", show=False),
    ]

    def __init__(
        self,
        ctx: Context,
        actor: Actor | None,
        *,
        first_inbox: list[InboxRow] | None = None,
        load_url: str | None = None,
    ) -> None:
        """`first_inbox` is the inbox read at start-up (services.quickstart); with it comes
        `load_url`, the database the data layer opens in a thread once the inbox is painted."""
        super().__init__()
        self.ctx = ctx
        self.actor: Actor | None = actor
        self.first_inbox = first_inbox
        self._load_url = load_url
        self.crash: Crash | None = None  # set by an unexpected error; the CLI reports it
        # Set by the CLI for a real session (never under Pilot, which runs many apps in one
        # process): quitting then always ends the process (ui/exitguard.py).
        self.exit_guard = False
        self._idle_gc = IdleCollector()

    def exit(self, result: None = None, return_code: int = 0, message: Any = None) -> None:
        if self.exit_guard:
            from tui_app.ui.exitguard import EXIT_GRACE_S, end_after

            end_after(EXIT_GRACE_S, lambda: self.return_code or 0)
        super().exit(result, return_code, message)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._idle_gc.input()
        await super().on_event(event)

    async def _on_key(self, event: events.Key) -> None:
        """A character that reaches the app while a text field has the focus was typed ahead:
        queued for the widget that had the focus before a key moved it into the field ("/" and
        a name typed at once, or pasted, or arriving in one SSH packet). It belongs in the
        field, never to a binding of the screen (n would open a new case). A field handles
        every character typed into it itself, so none of its own comes this way."""
        focused = self.focused
        # The search field (HandOffInput) handles Enter and Esc itself too: typed ahead, they
        # leave it in their turn ("/", Esc, f: f is the list's again).
        handed = isinstance(focused, HandOffInput) and event.key in ("enter", "escape")
        if isinstance(focused, Input) and (handed or (event.is_printable and event.character)):
            event.stop()
            event.prevent_default()  # App's own _on_key (the bindings) is not run for it
            focused.post_message(events.Key(event.key, event.character))
        # Otherwise App's own _on_key runs next (Textual calls each class's handler in turn).

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error: the traceback goes to the private log (crashlog), never to the
        screen. Textual's own handler would print a Rich traceback with local variables, which
        may hold patient data, after the app exits; here the app only exits (the terminal is
        restored as on any exit) and the CLI prints one Swedish line with the error id."""
        from textual.worker import WorkerFailed

        from tui_app.crashlog import EXIT_CRASH, record_crash

        cause = error.error if isinstance(error, WorkerFailed) else error
        if self.crash is None:
            self.crash = record_crash(cause)
        self._return_code = EXIT_CRASH
        if self._exception is None:  # what run_test re-raises, so a test still sees the error
            self._exception = error
            self._exception_event.set()
        self._close_messages_no_wait()

    def load_data_layer(self) -> None:
        """Open the database in a thread (once), after the first screen has been painted."""
        url, self._load_url = self._load_url, None
        if url is not None:
            self.ctx.load_later(url, on_done=lambda: self.post_message(DataLayerLoaded()))

    def on_data_layer_loaded(self) -> None:
        self.screen_stack[0].post_message(DataLayerLoaded())

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run the app (once per process). What start-up made (the modules and classes of
        Textual, SQLAlchemy and pydantic, the mapped tables: some 85k objects) lives until
        exit, so it is frozen first: the cyclic collector never walks it again while the app
        runs, nor at exit, where that walk alone took longer than the whole inbox query."""
        gc.freeze()
        self._idle_gc.start()  # the collector's full pass when nobody types (ui/idlegc.py)
        try:
            return super().run(*args, **kwargs)
        finally:
            self._idle_gc.stop()

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal; on Linux and macOS the one that reports a lone
        Esc once the escape delay has passed (ui/keyinput.py), not up to 100 ms after it."""
        from textual.drivers.linux_driver import LinuxDriver

        driver = super().get_driver_class()
        if driver is LinuxDriver:  # not one chosen by $TEXTUAL_DRIVER (textual-serve's web)
            from tui_app.ui.keyinput import PromptEscDriver

            return PromptEscDriver
        return driver

    def get_default_screen(self) -> Screen[Any]:
        """The first screen: the signed-in person's start screen itself (one screen to lay
        out and paint at start-up, not an empty default screen and then theirs)."""
        if self.actor is None:
            return super().get_default_screen()  # under the sign-in picker (on_mount)
        return home_screen(self.ctx, self.actor)

    def on_mount(self) -> None:
        if self._idle_gc.running:
            self.set_interval(IDLE_S / 2.5, self._idle_gc.tick)
        if os.environ.get("TUI_APP_TEST_CRASH") == "1":  # tests: an error inside the running app
            self.call_after_refresh(_test_crash)
        if self._load_url is not None:
            self.call_after_refresh(self.load_data_layer)
        if self.ctx.config.keys:
            self.set_keymap(dict(self.ctx.config.keys))
        if self.actor is None:
            from tui_app.ui.screens.signin import SignInScreen

            self.push_screen(SignInScreen(self.ctx))

    def sign_in(self, actor: Actor) -> None:
        """Become this person (demo mode) and open their start screen."""
        self.actor = actor
        self.push_screen(home_screen(self.ctx, actor))

    def sign_out(self) -> None:
        """Back to the sign-in picker (demo), or quit (staff)."""
        if not self.ctx.demo:
            self.exit()
            return
        # The signed-in screens leave the stack first; only then is nobody signed in. Each
        # screen keeps the actor it was built with (ui.base.AppScreen) until it is removed.
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.actor = None

    def action_command_palette(self) -> None:
        """F10: the current screen's actions, searchable, in Swedish."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(cast("App[object]", self)):
            self.push_screen(
                CommandPalette(
                    placeholder="Sök bland kommandon för skärmen …", id="--command-palette"
                )
            )

    def action_help(self) -> None:
        from tui_app.ui.widgets import key_label

        screen = self.screen
        keys = []
        for key, active in screen.active_bindings.items():
            if own_binding(active.binding) and active.enabled and key not in ("f1", "f10"):
                keys.append(
                    (key_label(key, active.binding.key_display), active.binding.description)
                )
        title = getattr(screen, "HELP_TITLE", "") or self.TITLE
        from tui_app.ui.dialogs import HelpScreen

        self.push_screen(HelpScreen(title, getattr(screen, "HELP", ""), keys))


def _test_crash() -> None:
    """What TUI_APP_TEST_CRASH=1 does once the first screen is painted (tests/test_crash.py).
    The local variable stands for patient data that must never reach the screen."""
    patient_text = "TESTKRASCH-LOKAL 19121212-1212"
    raise RuntimeError(f"TUI_APP_TEST_CRASH: a forced error ({len(patient_text)})")


def home_screen(ctx: Context, actor: Actor) -> Screen[Any]:
    """The start screen for this kind of user, built for them."""
    if actor.is_patient:
        from tui_app.ui.screens.patient import PatientHomeScreen

        return PatientHomeScreen(ctx, actor)
    if actor.is_admin:
        from tui_app.ui.screens.admin import AdminScreen

        return AdminScreen(ctx, actor)
    from tui_app.ui.screens.inbox import InboxScreen

    return InboxScreen(ctx, actor)


def build_app(
    ctx: Context,
    actor: Actor | None = None,
    *,
    first_inbox: list[InboxRow] | None = None,
    load_url: str | None = None,
) -> TuiApp:
    """The one factory: the CLI and the tests build the app the same way."""
    if ctx.classroom is not None:  # a trainee's demo in `tui-app classroom`
        from tui_app.ui.exercise import ClassroomApp

        return ClassroomApp(ctx, actor, first_inbox=first_inbox, load_url=load_url)
    return TuiApp(ctx, actor, first_inbox=first_inbox, load_url=load_url)
