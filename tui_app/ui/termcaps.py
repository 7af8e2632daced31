"""Which pictures the terminal can show: Sixel, kitty graphics, or characters only.

The terminal is asked once, before Textual takes the keyboard: the kitty graphics query, the
cell-size report (CSI 16 t) and then Primary Device Attributes (CSI c), which every terminal
answers, and answers last. Reading stops at that answer, so a slow SSH link only costs its
round trip (and nothing when the answer arrived while the program was still importing); there
is no guessing timeout after which a late reply would leak into the app as key presses.

Setting `graphics` (or $TUI_APP_GRAPHICS) to "sixel", "kitty" or "text" skips the question.
No Textual here: the probe runs before the UI is imported.
"""

from __future__ import annotations

import os
import re
import select
import sys
import time
from typing import Any
from dataclasses import dataclass

MODES = ("auto", "sixel", "kitty", "text")
DEFAULT_ESCDELAY_MS = 25  # how long a lone ESC waits for the rest of a sequence (ui/keyinput.py)
# Textual paints a screen at most this often: a change waits for the next 1/FPS step after
# the last paint. At its 60 a key pressed right after another one's paint waited up to
# 16.7 ms, twice when its rows came a moment after its cursor: Home right after Page Up
# took 41 ms, 25 ms at 120, 20 at 240 (bench/inbox_keys.py). 240 cost g (the case screen,
# painted in more steps as it is built) 3 ms of CPU a time; 120 costs it nothing. Paints
# come only when something changed; animations keep their own 60 (Textual's animator).
DEFAULT_FPS = 120
DEFAULT_CELL = (10, 20)  # pixels per cell when the terminal does not say (VT340 size)
_KITTY_QUERY = "\x1b_Gi=4711,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
_CELL_QUERY = "\x1b[16t"
_DA1_QUERY = "\x1b[c"
_DA1 = re.compile(rb"\x1b\[\?([\d;]*)c")
_KITTY_OK = re.compile(rb"\x1b_Gi=4711;OK\x1b\\")
_CELL = re.compile(rb"\x1b\[6;(\d+);(\d+)t")


@dataclass(frozen=True)
class Graphics:
    """How previews are drawn: protocol is "sixel", "kitty" or "text"; cell is (w, h) in px."""

    protocol: str = "text"
    cell: tuple[int, int] = DEFAULT_CELL
    source: str = "standard"


_current = Graphics()


def prefer_prompt_keys_and_paint() -> None:
    """Textual reads $ESCDELAY (ms) and $TEXTUAL_FPS once, when it is imported: ours unless
    the user set them."""
    os.environ.setdefault("ESCDELAY", str(DEFAULT_ESCDELAY_MS))
    os.environ.setdefault("TEXTUAL_FPS", str(DEFAULT_FPS))


def current() -> Graphics:
    """The terminal's graphics, as found at start (text until a probe or setting said more)."""
    return _current


def use(graphics: Graphics) -> None:
    """Record what the terminal can do (at start, or in tests)."""
    global _current
    _current = graphics


def parse(reply: bytes) -> tuple[bool, bool, tuple[int, int] | None, bool]:
    """(sixel, kitty, cell size, complete) from the bytes the terminal sent back."""
    da1 = _DA1.search(reply)
    sixel = bool(da1 and "4" in da1.group(1).decode().split(";"))
    kitty = bool(_KITTY_OK.search(reply))
    cell_m = _CELL.search(reply)
    cell = None
    if cell_m:
        h, w = int(cell_m.group(1)), int(cell_m.group(2))
        if 0 < w < 200 and 0 < h < 400:
            cell = (w, h)
    return sixel, kitty, cell, da1 is not None


def choose(mode: str, sixel: bool, kitty: bool) -> str:
    """The protocol for a mode and what the terminal answered (kitty draws better than Sixel)."""
    if mode in ("sixel", "kitty", "text"):
        return mode
    if kitty:
        return "kitty"
    return "sixel" if sixel else "text"


class Probe:
    """The question to the terminal, sent early and read when the app is about to start."""

    def __init__(self, mode: str = "auto", fd_in: int | None = None, fd_out: int | None = None):
        env = os.environ.get("TUI_APP_GRAPHICS", "").strip().lower()
        self.mode = env if env in MODES else (mode if mode in MODES else "auto")
        self.fd_in = sys.stdin.fileno() if fd_in is None else fd_in
        self.fd_out = sys.stdout.fileno() if fd_out is None else fd_out
        self._saved: list[Any] | None = None  # termios attributes to restore
        self._sent = False

    def start(self) -> Probe:
        """Send the queries (only to a real terminal, only in auto mode)."""
        if self.mode != "auto" or os.environ.get("TERM", "") in ("", "dumb"):
            return self
        try:
            if not (os.isatty(self.fd_in) and os.isatty(self.fd_out)):
                return self
            import termios

            self._saved = termios.tcgetattr(self.fd_in)
            quiet = termios.tcgetattr(self.fd_in)
            quiet[3] &= ~(termios.ICANON | termios.ECHO)  # the reply must not be echoed
            quiet[6][termios.VMIN], quiet[6][termios.VTIME] = 0, 0
            termios.tcsetattr(self.fd_in, termios.TCSANOW, quiet)
            # tmux and screen take the kitty query (an APC string) for a window title.
            queries = ("" if _multiplexed() else _KITTY_QUERY) + _CELL_QUERY + _DA1_QUERY
            os.write(self.fd_out, queries.encode())
            self._sent = True
        except (OSError, ImportError, _TermiosError):
            self._restore()
        return self

    def finish(self, timeout: float = 1.5, *, discard: bool = False) -> Graphics:
        """Read the reply (until the device attributes arrive), restore the terminal, decide.

        discard (when the app is not going to start): also drop whatever else is waiting in the
        input, so nothing of the reply reaches the shell as typed text.
        """
        cell = self._ioctl_cell()
        if not self._sent:
            self._restore(discard)
            if self.mode == "auto":
                return Graphics("text", cell or DEFAULT_CELL, "standard")
            return Graphics(self.mode, cell or DEFAULT_CELL, "inställning")
        self._sent = False  # a second call only restores
        reply = b""
        sixel = kitty = False
        reply_cell = None
        deadline = time.monotonic() + timeout
        try:
            while True:
                sixel, kitty, reply_cell, done = parse(reply)
                left = deadline - time.monotonic()
                if done or left <= 0:
                    break
                ready, _, _ = select.select([self.fd_in], [], [], left)
                if ready:
                    chunk = os.read(self.fd_in, 4096)
                    if not chunk:
                        break
                    reply += chunk
        except OSError:
            sixel = kitty = False
        finally:
            self._restore(discard)
        cell = cell or reply_cell
        if cell is None:  # a picture of a guessed size may spill over the window: use characters
            return Graphics("text", DEFAULT_CELL, "terminalen")
        return Graphics(choose(self.mode, sixel, kitty), cell, "terminalen")

    def _ioctl_cell(self) -> tuple[int, int] | None:
        """Cell size from the window size in pixels, when the terminal (and SSH) pass it on."""
        try:
            import fcntl
            import struct
            import termios

            raw = fcntl.ioctl(self.fd_out, termios.TIOCGWINSZ, b"\0" * 8)
            rows, cols, xpx, ypx = struct.unpack("HHHH", raw)
        except (OSError, ImportError, _TermiosError):
            return None
        if rows and cols and xpx and ypx:
            return xpx // cols, ypx // rows
        return None

    def _restore(self, discard: bool = False) -> None:
        if self._saved is not None:
            import termios

            try:
                termios.tcsetattr(
                    self.fd_in, termios.TCSAFLUSH if discard else termios.TCSANOW, self._saved
                )
            except (OSError, _TermiosError):  # the terminal is gone (an SSH drop): nothing to do
                pass
            self._saved = None


def _multiplexed() -> bool:
    """Inside tmux or GNU screen (which answer device attributes themselves)."""
    term = os.environ.get("TERM", "")
    return bool(os.environ.get("TMUX") or os.environ.get("STY")) or term.startswith(
        ("tmux", "screen")
    )


try:
    from termios import error as _TermiosError
except ImportError:  # not a POSIX system: the probe never starts there

    class _TermiosError(Exception):  # type: ignore[no-redef]  # stands in where termios is missing
        """Stands in for termios.error."""
