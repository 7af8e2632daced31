"""`tui-app run` and `tui-app demo`: the app itself, built on a context from the bootstrap."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.core.errors import UserError

if TYPE_CHECKING:
    from tui_app.config import Settings
    from tui_app.services.context import Context
    from tui_app.services.demodir import DemoDir
    from tui_app.ui.app import TuiApp
    from tui_app.ui.termcaps import Probe


def run(args: argparse.Namespace, settings: Settings) -> int:
    """The `run` and `demo` verbs: ask the terminal about pictures, build and run the app."""
    from tui_app.ui.termcaps import Probe, prefer_prompt_keys_and_paint

    # Before Textual is imported: a lone Esc is Esc after 25 ms, a change painted within 8 ms.
    prefer_prompt_keys_and_paint()
    # Ask the terminal about pictures now; the reply arrives while the rest is imported.
    probe = Probe(settings.graphics).start()
    try:
        return _run_app(args.command or "run", args, settings, probe)
    finally:
        # If the app never started (unknown login, Ctrl-C, an error), wait for the reply and
        # drop it, so it does not reach the shell as typed text; after a run, only restores.
        probe.finish(timeout=1.0, discard=True)


def _run_app(cmd: str, args: argparse.Namespace, settings: Settings, probe: Probe) -> int:
    """The app itself: demo (fresh demo database, sign-in picker) or run (the OS login).

    Without a terminal the demo is refused before it replaces any demo database; `run` says
    first whether the login is known at all (that message is useful without a terminal too).
    """
    from tui_app.crashlog import EXIT_CRASH, crash_line
    from tui_app.ui import termcaps

    if cmd == "demo":
        require_terminal()
    app = start_app(cmd, args, settings)
    require_terminal()
    termcaps.use(probe.finish())
    app.exit_guard = True  # a quit ends the process even if a read never returns
    app.run()
    if app.crash is not None:  # the terminal is restored by now: the one line for IT support
        print(crash_line(app.crash), file=sys.stderr)
        return EXIT_CRASH
    return app.return_code or 0


def require_terminal() -> None:
    """The app draws on a terminal and reads keys from it: without one (`</dev/null`, `ssh`
    without -t under a ForceCommand) Textual would spin on end-of-input, so refuse instead.
    Textual draws on stderr, so that one is checked too."""
    if not all(
        stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout, sys.stderr)
    ):
        raise UserError(
            "Appen behöver en terminal för tangentbord och skärm, men startades "
            "utan. Starta den i ett terminalfönster, eller över SSH med ssh -t."
        )


def start_app(cmd: str, args: argparse.Namespace, settings: Settings) -> TuiApp:
    """The app, ready to run. Staff (`run`) normally get their inbox read with plain SQL
    (services.quickstart) and the data layer loads in a thread after it is painted: loading
    SQLAlchemy, pydantic and SQLModel takes longer than starting the whole UI."""
    if cmd == "demo":
        return _demo_app(args, settings)
    from tui_app import bootstrap
    from tui_app.commands.where import permission_warning, prepare_data_dir
    from tui_app.core.clock import SystemClock
    from tui_app.services.actor import os_login
    from tui_app.services.pending import resolve_in_background
    from tui_app.services.quickstart import InboxSource, quick_start
    from tui_app.ui.app import build_app

    settings = bootstrap.with_data_dir(settings, getattr(args, "data_dir", None))
    prepare_data_dir(settings)
    warning = permission_warning(settings)
    if warning:
        print(f"tui-app: {warning}", file=sys.stderr)
    login = os_login()
    clock = SystemClock()
    quick = quick_start(settings.url, login, clock.now())
    if quick is not None:
        ctx = bootstrap.quick_context(settings, clock)
        _responsive_while_loading(ctx)
        ctx.inbox = InboxSource(ctx, first=quick)
        resolve_in_background(ctx)  # waits for the data layer, then settles crashed sends
        return build_app(ctx, quick.actor, load_url=settings.url)
    # The ordinary way: it creates or upgrades the database, and refuses an unknown login.
    ctx = bootstrap.deployment_context(settings, clock=clock)
    resolve_in_background(ctx)
    from tui_app.services.identity import staff_by_login

    return build_app(ctx, staff_by_login(ctx, login))


def _responsive_while_loading(ctx: Context) -> None:
    """While the data layer loads in its thread (importing SQLAlchemy and the models: about a
    second of pure Python), the UI thread gets the interpreter back within 1 ms instead of
    the default 5 ms each time it wakes (a key, a paint), so a key press on the painted inbox
    is handled at once; the default returns when loading has ended."""
    import threading

    default = sys.getswitchinterval()
    sys.setswitchinterval(min(default, 0.001))

    def restore() -> None:
        try:
            ctx.engine  # noqa: B018 - waits for the data layer (never loads it from here)
        except Exception:
            pass
        finally:
            sys.setswitchinterval(default)

    threading.Thread(target=restore, name="tui_app-switch-interval", daemon=True).start()


def _demo_app(args: argparse.Namespace, settings: Settings) -> TuiApp:
    """The demo: a folder of its own (new, kept, or the one given), the sign-in picker."""
    import atexit

    from tui_app.services import demodir
    from tui_app.services.pending import resolve_in_background
    from tui_app.ui.app import build_app

    base = settings.data_dir / "demo"
    if args.data_dir is not None:
        claimed = demodir.claim(Path(args.data_dir).expanduser().absolute(), keep=args.keep)
    elif args.keep:
        claimed = demodir.claim(base / demodir.KEPT, keep=True)
    else:
        claimed = demodir.new_run(base)
    atexit.register(claimed.release)  # also after an error; a killed run is swept later
    ctx = make_demo_context(settings=settings, demo_dir=claimed)
    if args.keep:
        resolve_in_background(ctx)  # settle sends a crash left in the kept demo
    return build_app(ctx)


def make_demo_context(
    data_dir: Path | None = None,
    *,
    fresh: bool = True,
    settings: Settings | None = None,
    demo_dir: DemoDir | None = None,
) -> Context:
    """A demo database with the demo material loaded, in a folder of the demo's own (see
    services.demodir): `data_dir` (new, empty, or an earlier demo's: emptied unless not
    `fresh`), or the DemoDir given. Picsara and E-arkiv get working folders inside it."""
    from tui_app import bootstrap
    from tui_app.config import Settings
    from tui_app.services import demodir

    if demo_dir is None:
        assert data_dir is not None
        demo_dir = demodir.claim(data_dir, keep=not fresh)
    return bootstrap.demo_context(settings or Settings(), demo_dir)
