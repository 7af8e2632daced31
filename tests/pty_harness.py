"""Run `tui-app` on a real pseudo-terminal and record every byte it writes to the terminal.

Waiting is by content (read until a marker has arrived), never by time; the only clock is a
generous hang guard that fails the test if the app stops answering altogether.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
from pathlib import Path

from tests.conftest import ROOT

HANG_GUARD = 180.0  # seconds: only ever reached when something hangs


class PtyApp:
    """`python -m tui_app ARGS` (or `python ARGV` with module=None) on a pty of 80x24;
    `.out` is every byte it wrote to the terminal."""

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        cols: int = 80,
        rows: int = 24,
        module: str | None = "tui_app",
    ):
        argv = [sys.executable, *(["-m", module] if module else []), *args]
        self.out = b""
        self.status: int | None = None
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the pty is its stdin, stdout and stderr
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.chdir(ROOT)
                os.execve(sys.executable, argv, env)
            finally:
                os._exit(127)
        # The terminal's modes before the app touched them (a sane terminal has these after).
        self.modes_before = termios.tcgetattr(self.fd)

    def _read_some(self, wait: float) -> bool:
        """Read what is there (waiting at most `wait`); False at end of output."""
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        self.out += chunk
        return True

    def read_until(self, marker: bytes, start: int = 0) -> int:
        """Read until `marker` appears in the output after `start`; its position."""
        import time

        deadline = time.monotonic() + HANG_GUARD
        while marker not in self.out[start:]:
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"{marker!r} never came; output ends {self.out[-400:]!r}")
            if not self._read_some(1.0) and marker not in self.out[start:]:
                raise AssertionError(f"the app ended before {marker!r}: {self.out[-600:]!r}")
        return self.out.index(marker, start)

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def modes_now(self) -> list:  # type: ignore[type-arg]
        return termios.tcgetattr(self.fd)

    def wait(self) -> int:
        """Read to the end of the output and return the exit status (a signal as -N)."""
        import time

        deadline = time.monotonic() + HANG_GUARD
        while self._read_some(1.0):
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"the app did not end; output ends {self.out[-400:]!r}")
        _, status = os.waitpid(self.pid, 0)
        self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        if self.status is None:
            self.kill()
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
        try:
            os.close(self.fd)
        except OSError:
            pass


def app_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A private HOME and state folder, no colour, no graphics question, the worktree's code."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "share"),
        "TERM": "xterm-256color",
        "NO_COLOR": "1",
        "LANG": "C.UTF-8",
        "TUI_APP_GRAPHICS": "text",
        "PYTHONPATH": str(ROOT),
        "TUI_APP_CONFIG": str(cfg),
    }
    env.update(extra)
    return env
