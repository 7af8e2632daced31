"""Quitting always ends the process, even when a worker's read never returns (ui/exitguard.py).

Textual runs thread workers in asyncio's default executor, and asyncio.run joins it without a
limit on Python 3.11: without the guard the child below never exits (seen in CI as an SSH
session whose app stayed after `q`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import logging, threading
    from textual.app import App
    from tui_app.ui import exitguard

    never = threading.Event()
    logging.basicConfig(level=logging.WARNING)  # the guard's line, on stderr


    def stuck_read() -> None:
        never.wait()

    class Stuck(App[None]):
        def on_mount(self) -> None:
            self.run_worker(stuck_read, thread=True)  # a read that never returns
            self.call_after_refresh(self.quit_now)

        def quit_now(self) -> None:
            if {guard}:
                exitguard.end_after(0.5, lambda: 7)
            self.exit()

    Stuck().run(headless=True)
    """
)


def _child(guard: bool, timeout: float, err: list[str] | None = None) -> int | None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(guard=guard)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    if err is not None:
        err.append(stderr)
    return proc.returncode


def test_a_quit_with_a_read_that_never_returns_still_ends_the_process() -> None:
    assert _child(guard=True, timeout=120) == 7  # the app's return code, given by the guard


def test_the_guard_logs_where_the_read_that_did_not_end_is() -> None:
    """The cause of a stuck quit is named in the log the next time it happens: every thread's
    stack, the stuck worker's function among them."""
    err: list[str] = []
    assert _child(guard=True, timeout=120, err=err) == 7
    assert "still running" in err[0] and "stuck_read" in err[0], err[0][-2000:]


def test_without_the_guard_such_a_process_stays() -> None:
    """The reason for the guard: the same child without it is still there (killed by us)."""
    assert _child(guard=False, timeout=5) is None


def test_the_real_app_arms_the_guard_only_for_a_real_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tui_app.ui import exitguard
    from tui_app.ui.app import TuiApp

    armed: list[Any] = []
    monkeypatch.setattr(exitguard, "end_after", lambda grace, code: armed.append(grace))
    app = TuiApp.__new__(TuiApp)
    monkeypatch.setattr("textual.app.App.exit", lambda self, *a, **k: None)
    app.exit_guard = False
    app.exit()
    assert armed == []  # Pilot tests: many apps in one process, never ended by a guard
    app.exit_guard = True
    app.exit()
    assert armed == [exitguard.EXIT_GRACE_S]
