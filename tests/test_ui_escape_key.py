"""A lone Esc (back from a case, close a dialog) is reported once the escape delay has passed.

Textual's input thread only checked the parser's Esc deadline when `select` returned, and it
slept 100 ms when no byte came, so Esc arrived ~100 ms after the delay (119 ms in tmux at 1M,
bench/inbox_keys.py). The tests read what the input thread asks `select` for, not a clock."""

from __future__ import annotations

import asyncio
import os
import selectors
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import constants, events
from textual.drivers.headless_driver import HeadlessDriver

from tests.conftest import staff
from tui_app.services.api import Context
from tui_app.ui.app import build_app
from tui_app.ui.keyinput import PromptEscDriver

ROOT = Path(__file__).resolve().parents[1]


class _Recording(selectors.SelectSelector):
    """A select that records (timeout asked for, whether input was ready)."""

    calls: list[tuple[float | None, bool]] = []

    def select(self, timeout: float | None = None) -> list[Any]:
        ready = super().select(timeout)
        _Recording.calls.append((timeout, bool(ready)))
        return ready


def _read_keys(driver: Any, chunks: list[bytes], wanted: int) -> list[tuple[str, float | None]]:
    """Run the driver's input thread on a pipe, write each chunk once the key before it was
    reported; return the keys and the wait asked of select right after each chunk was read."""
    read_fd, write_fd = os.pipe()
    driver.fileno = read_fd
    keys: list[events.Key] = []
    got = threading.Condition()

    def collect(message: object) -> None:
        if isinstance(message, events.Key):
            with got:
                keys.append(message)
                got.notify_all()

    driver.process_message = collect
    _Recording.calls = []
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    try:
        for count, chunk in enumerate(chunks, start=1):
            os.write(write_fd, chunk)
            with got:  # an upper bound for a stuck thread, never what the test measures
                assert got.wait_for(lambda n=count: len(keys) >= n, timeout=30), keys
    finally:
        driver.exit_event.set()
        thread.join(timeout=30)
        os.close(write_fd)
        os.close(read_fd)
    calls = _Recording.calls
    after = [calls[i + 1][0] for i, (_t, ready) in enumerate(calls[:-1]) if ready]
    assert len(keys) == wanted
    waits = after + [None] * (len(keys) - len(after))  # keys of one read share its wait
    return [(key.key, wait) for key, wait in zip(keys, waits, strict=False)]


@pytest.fixture
def driver(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(selectors, "SelectSelector", _Recording)
    monkeypatch.setattr(constants, "ESCAPE_DELAY", 0.025)
    app = build_app(ctx, staff(ctx, "danan12"))
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTSTP, signal.SIGCONT)}

    async def make() -> Any:  # a driver is made inside the app's event loop
        return app.driver_class(app)

    yield asyncio.run(make())
    for sig, handler in saved.items():  # it installs Ctrl+Z handlers for the app
        signal.signal(sig, handler)


def test_a_lone_esc_wakes_the_input_thread_at_the_escape_delay(driver: Any) -> None:
    """After a lone ESC the thread sleeps no longer than the delay (25 ms here), so Esc is
    reported then; main slept Textual's 100 ms idle wait. Keys that are whole sequences
    (an arrow) and plain characters read as before."""
    read = _read_keys(driver, [b"\x1b", b"\x1b[A", b"q"], wanted=3)
    assert [key for key, _wait in read] == ["escape", "up", "q"]
    esc_wait = read[0][1]
    assert esc_wait is not None and esc_wait <= constants.ESCAPE_DELAY + 0.002, read


def test_the_app_reads_keys_with_that_driver_unless_textual_driver_names_one(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(ctx, staff(ctx, "danan12"))
    assert app.driver_class is PromptEscDriver
    # textual-serve (the classroom) names its web driver in $TEXTUAL_DRIVER: that one is kept
    monkeypatch.setattr(
        constants, "DRIVER", "textual.drivers.headless_driver:HeadlessDriver", raising=True
    )
    assert build_app(ctx, staff(ctx, "danan12")).driver_class is HeadlessDriver


@pytest.mark.parametrize(
    ("env", "delay", "fps"),
    [({}, 0.025, 120), ({"ESCDELAY": "80"}, 0.08, 120), ({"TEXTUAL_FPS": "30"}, 0.025, 30)],
)
def test_tui_app_waits_25_ms_for_an_escape_sequence_and_paints_at_120_unless_set(
    env: dict[str, str], delay: float, fps: int
) -> None:
    """`tui-app run`/`demo` set $ESCDELAY and $TEXTUAL_FPS before Textual is imported; a
    user's own wins. (At Textual's own 60 a key's paint waited for the next 16.7 ms step
    after the last one: Home right after Page Up took 41 ms at 1M, 25 ms at 120.)"""
    child = (
        "import sys, types\n"
        "from tui_app.commands import app as verb\n"
        "from tui_app.ui import termcaps\n"
        "class Stop(Exception): pass\n"
        "def stop(*a, **k): raise Stop\n"
        "termcaps.Probe = stop\n"  # run() goes no further than asking the terminal
        "try:\n"
        "    verb.run(None, types.SimpleNamespace(graphics='text'))\n"
        "except Stop:\n"
        "    pass\n"
        "assert 'textual' not in sys.modules\n"
        "import textual.constants as c\n"
        "import textual.screen as s\n"
        "print(c.ESCAPE_DELAY, c.MAX_FPS, round(1 / s.UPDATE_PERIOD))\n"
    )
    environ = {k: v for k, v in os.environ.items() if k not in ("ESCDELAY", "TEXTUAL_FPS")}
    environ.update(env)
    out = subprocess.run(
        [sys.executable, "-c", child],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    escape, max_fps, period = out.stdout.split()
    assert float(escape) == pytest.approx(delay)
    assert int(max_fps) == int(period) == fps


def test_the_thread_sleeps_its_idle_wait_when_no_esc_is_pending() -> None:
    from tui_app.ui.keyinput import IDLE_WAIT_S, next_wait

    assert next_wait(10.0, None) == IDLE_WAIT_S == 0.1  # as Textual: no busy waking
    assert next_wait(10.0, 10.02) == pytest.approx(0.021)
    assert next_wait(10.0, 9.0) == pytest.approx(0.001)  # overdue: at once (tick reports it)
    assert next_wait(10.0, 11.0) == IDLE_WAIT_S  # never longer than idle


def test_bytes_after_an_esc_move_the_wake_up_on_as_they_move_the_parsers_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ESC, then '[' a moment later (a sequence split in two reads): the parser waits anew
    from the '[', so the thread must too, or it wakes too early, finds nothing due, and
    sleeps its whole idle wait (Esc ~115 ms late; found in review)."""
    from tui_app.ui.keyinput import esc_deadline_after

    monkeypatch.setattr(constants, "ESCAPE_DELAY", 0.025)
    first = esc_deadline_after("\x1b", None, now=10.0)
    assert first == pytest.approx(10.025)
    assert esc_deadline_after("[", first, now=10.01) == pytest.approx(10.035)  # moved on
    assert esc_deadline_after("q", None, now=10.5) is None  # nothing pending: idle


@pytest.mark.parametrize(
    ("data", "keys"),
    [
        (b"\x1bg9", ["escape", "g", "9"]),  # tmux `send-keys Escape g9`, or one SSH packet
        (b"\x15\x1bg9", ["ctrl+u", "escape", "g", "9"]),
        (b"\x1b\x1bq9", ["escape", "escape", "q", "9"]),
        (b"a\x1b[A\x1bOP\x1bqx", ["a", "up", "f1", "escape", "q", "x"]),  # sequences whole
        # Left as the parser reads them: Alt and a key alone in its read, and the pairs it
        # knows (Option+right arrow in macOS Terminal is ESC f).
        (b"\x1bq", ["alt+q"]),
        (b"\x1bfx", ["ctrl+right", "x"]),
        (b"\x1bbx", ["ctrl+left", "x"]),
    ],
)
def test_an_esc_and_keys_in_one_read_are_an_esc_and_keys(
    driver: Any, data: bytes, keys: list[str]
) -> None:
    """Textual's parser read ESC + 'g' + more as an unknown sequence and reissued it as '^',
    'g', …: in the search field `Escape g931573` (seen in tmux) typed "g931573" and kept the
    focus, and on the list the Esc was lost."""
    read = _read_keys(driver, [data], wanted=len(keys))
    assert [key for key, _wait in read] == keys


def test_a_pasted_esc_and_letter_stay_in_the_paste_also_when_a_marker_is_cut() -> None:
    from tui_app.ui.keyinput import lone_escapes

    fresh = (False, "")
    pasted = "\x1b[200~a\x1bgb\x1b[201~"
    assert lone_escapes(pasted, fresh) == ([pasted], fresh)
    assert lone_escapes("\x1b[200~a\x1bgh", fresh) == (["\x1b[200~a\x1bgh"], (True, ""))
    assert lone_escapes("b\x1b[201~\x1bgh", (True, "")) == (["b\x1b[201~", None, "gh"], fresh)
    # A paste's opening marker cut between two reads: the paste is still seen.
    pieces, state = lone_escapes("x\x1b[20", fresh)
    assert (pieces, state) == (["x\x1b[20"], (False, "\x1b[20"))
    assert lone_escapes("0~ab\x1bcd\x1b[201~", state) == (["0~ab\x1bcd\x1b[201~"], fresh)
    # Its closing marker cut: the paste ends, and Esc g after it is cut again.
    pieces, state = lone_escapes("\x1b[200~hi\x1b[20", fresh)
    assert state == (True, "\x1b[20")
    pieces, state = lone_escapes("1~", state)
    assert (pieces, state) == (["1~"], fresh)
    assert lone_escapes("\x1bg9", state) == ([None, "g9"], fresh)
    assert lone_escapes("", fresh) == ([], fresh)
