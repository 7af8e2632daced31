"""Start-up time: process start to the inbox being usable, next to a bare Textual app (target ≤ 2×).

Run: .venv/bin/python bench/startup.py [runs]
Each run starts a fresh Python process, so interpreter start, imports, opening the database and the
first inbox query all count. 'Usable' means the inbox table holds its rows and accepts keys.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE = """
import sys
from textual.app import App
from textual.widgets import DataTable, Footer
class Bare(App):
    def compose(self):
        yield DataTable()
        yield Footer()
    def on_mount(self):
        t = self.query_one(DataTable)
        t.add_columns("a", "b")
        t.add_row("1", "2")
        self.call_after_refresh(self.exit)
Bare().run(headless=True, size=(80, 24))
print("ready")
"""

APP = """
import sys
from pathlib import Path
from tui_app.services.context import open_context
from tui_app.services.identity import staff_by_login
from tui_app.store.db import sqlite_url
from tui_app.ui.app import build_app
from tui_app.ui.screens.inbox import InboxScreen
data = Path(sys.argv[1])
ctx = open_context(sqlite_url(data / "demo.sqlite"), data, demo=True)
app = build_app(ctx, staff_by_login(ctx, "danan12"))
original = InboxScreen.done_inbox
def done(self, rows):
    original(self, rows)
    assert rows, "inbox empty"
    self.app.call_after_refresh(self.app.exit)
InboxScreen.done_inbox = done
app.run(headless=True, size=(80, 24))
print("ready")
"""


def timed(code: str, *args: str) -> float:
    """Seconds from spawning a Python process to it having shown its screen and exited."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         cwd=ROOT)
    elapsed = time.perf_counter() - t0
    if "ready" not in out.stdout:
        raise SystemExit(f"run failed:\n{out.stderr[-2000:]}")
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    sys.path.insert(0, str(ROOT))
    from tui_app.cli import make_demo_context

    with tempfile.TemporaryDirectory() as tmp:
        make_demo_context(Path(tmp) / "demo").engine.dispose()
        timed(BARE)  # warm the OS file cache for both
        timed(APP, str(Path(tmp) / "demo"))
        bare = [timed(BARE) for _ in range(runs)]
        app = [timed(APP, str(Path(tmp) / "demo")) for _ in range(runs)]
    b, a = statistics.median(bare), statistics.median(app)
    print(f"runs: {runs} each (median; min–max)")
    print(f"bare Textual app : {b * 1000:7.0f} ms  ({min(bare) * 1000:.0f}–{max(bare) * 1000:.0f})")
    print(f"tui-app to inbox : {a * 1000:7.0f} ms  ({min(app) * 1000:.0f}–{max(app) * 1000:.0f})")
    print(f"ratio            : {a / b:7.2f}×  (target ≤ 2.00×)")


if __name__ == "__main__":
    main()
