"""Driving classroom pages in headless Chromium (Debian's) with Playwright: read the terminal's
text from xterm.js's buffer and press keys on its textarea. Used by test_classroom_browser.py
and bench/classroom.py."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: Captures every xterm.js Terminal the page makes (textual.js keeps them out of reach) and
#: reads the visible screen as text.
CAPTURE = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true,
                                             enumerable: true});
    (window.__terminals = window.__terminals || []).push(value);
  },
});
window.__screen = () => {
  const t = (window.__terminals || [])[0];
  if (!t) return "";
  const b = t.buffer.active, rows = [];
  for (let i = 0; i < t.rows; i++) {
    const line = b.getLine(b.viewportY + i);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
};
"""


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
        import textual_serve  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e '.[test]')"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Classroom:
    """A `tui-app classroom` server run as its own process, on loopback."""

    def __init__(self, workdir: Path, *, cap: int = 4) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.root = workdir / "room"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TUI_APP_", "XDG_"))}
        env.update(
            HOME=str(workdir / "home"),
            TUI_APP_CONFIG=os.devnull,
            PYTHONPATH=str(Path(__file__).resolve().parents[1]),
        )
        (workdir / "home").mkdir(parents=True, exist_ok=True)
        self.log = open(workdir / "server.log", "w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tui_app",
                "classroom",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.root),
                "--max-demos",
                str(cap),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.trainer = self._trainer_url()

    def _trainer_url(self, timeout: float = 60.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = (self.workdir / "server.log").read_text(encoding="utf-8")
            found = re.search(r"Lärarsidan[^\n]*?(http://\S+/trainer/\S+)", text)
            if found and self._listening():
                return found.group(1)
            if self.process.poll() is not None:
                raise AssertionError(f"the classroom server ended: {text}")
            time.sleep(0.1)
        raise AssertionError("the classroom server did not start")

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (each browser context gets a fresh profile)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Tab:
    """One trainee's browser tab: its screen as text, and keys pressed on the terminal."""

    def __init__(self, browser: Any, url: str, shots: Path, name: str) -> None:
        self.context = browser.new_context(viewport={"width": 1100, "height": 760})
        self.page = self.context.new_page()
        self.page.add_init_script(CAPTURE)
        self.shots = shots
        self.name = name
        self.opened = time.monotonic()
        self.page.goto(url)

    def screen(self) -> str:
        return str(self.page.evaluate("window.__screen ? window.__screen() : ''"))

    def wait_for(self, *texts: str, timeout: float = 90.0) -> str:
        """The screen once it shows every one of texts (polled, generous timeout)."""
        end = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if all(t in shown for t in texts):
                return shown
            if time.monotonic() > end:
                raise AssertionError(f"{self.name}: {texts} not on the screen:\n{shown}")
            self.page.wait_for_timeout(100)

    def wait_gone(self, text: str, timeout: float = 90.0) -> str:
        """The screen once it no longer shows text (polled, generous timeout)."""
        end = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if text not in shown:
                return shown
            if time.monotonic() > end:
                raise AssertionError(f"{self.name}: {text!r} still on the screen:\n{shown}")
            self.page.wait_for_timeout(100)

    def press(self, *keys: str) -> None:
        box = self.page.locator(".xterm-helper-textarea")
        for key in keys:
            box.press(key)

    def type(self, text: str) -> None:
        self.page.locator(".xterm-helper-textarea").press_sequentially(text)

    def shot(self, label: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self.name}-{label}.png"
        self.page.screenshot(path=path)
        return path

    def close(self) -> None:
        self.context.close()


def clean(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
