"""Start-up time: process start to the inbox being usable, next to a bare Textual app (target ≤ 2×).

Run: .venv/bin/python bench/startup.py [runs]
Each run starts a fresh Python process, so interpreter start, imports, opening the database and the
first inbox query all count. 'Usable' means the inbox table holds its rows and accepts keys.
Two times per run: to the moment the screen was usable (the issue's measure, reported by the
child, so interpreter teardown is not counted), and to the process having exited. Bare and app
runs alternate, so a slow spell on this shared machine hits both alike.
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
        self.call_after_refresh(self.usable)
    def usable(self):
        global USABLE
        USABLE = time.time()
        self.exit()
import time
Bare().run(headless=True, size=(80, 24))
print("ready", USABLE)
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
    self.app.call_after_refresh(usable, self.app)
def usable(app):
    global USABLE
    USABLE = time.time()
    app.exit()
import time
InboxScreen.done_inbox = done
app.run(headless=True, size=(80, 24))
print("ready", USABLE)
"""


def timed(code: str, *args: str) -> tuple[float, float]:
    """Seconds from spawning a Python process to it having exited, and to it being usable."""
    t0 = time.time()  # wall clock: the child's "usable" stamp is compared with it
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         cwd=ROOT, check=False)
    elapsed = time.time() - t0
    ready = [line.split() for line in out.stdout.splitlines() if line.startswith("ready ")]
    if not ready:
        raise SystemExit(f"run failed:\n{out.stderr[-2000:]}")
    return elapsed, float(ready[0][1]) - t0


def _line(label: str, times: list[float]) -> str:
    return (f"{label}: {statistics.median(times) * 1000:7.0f} ms  "
            f"({min(times) * 1000:.0f}–{max(times) * 1000:.0f})")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    sys.path.insert(0, str(ROOT))
    from tui_app.cli import make_demo_context

    with tempfile.TemporaryDirectory() as tmp:
        make_demo_context(Path(tmp) / "demo").engine.dispose()
        timed(BARE)  # warm the OS file cache for both
        timed(APP, str(Path(tmp) / "demo"))
        bare, app = [], []
        for _ in range(runs):  # alternating
            bare.append(timed(BARE))
            app.append(timed(APP, str(Path(tmp) / "demo")))
    print(f"runs: {runs} each, alternating (median; min–max)")
    for what, i in (("to usable (the target's measure)", 1), ("to exit", 0)):
        b = [t[i] for t in bare]
        a = [t[i] for t in app]
        print(f"{what}:")
        print(_line("  bare Textual app ", b))
        print(_line("  tui-app to inbox ", a))
        print(f"  ratio            : {statistics.median(a) / statistics.median(b):7.2f}×"
              "  (target ≤ 2.00×)")


if __name__ == "__main__":
    main()
