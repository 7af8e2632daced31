"""Start-up time: process start to the inbox being usable, next to a bare Textual app (target ≤ 2×).

Run: .venv/bin/python bench/startup.py [runs]
Each run starts a fresh Python process on the staff path of `tui-app run` (the OS login, which
the bench's demo database names as danan12's login), so interpreter start, imports, the terminal
question, opening the database and reading the inbox all count. 'Usable' means the inbox table
shows its rows and a key press (down) has been handled; the bare app (a table with two rows and a
footer) is timed to the same moment. Also printed: when the data layer has loaded in its thread
and the inbox has been refreshed through it (from then on opening a case waits for nothing), and
the time to process exit. Bare and app runs alternate, so a slow spell on this shared 2-core
machine hits both alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE = """
import sys, time
from textual.app import App
from textual.widgets import DataTable, Footer
class Bare(App):
    def compose(self):
        yield DataTable()
        yield Footer()
    def on_mount(self):
        t = self.query_one(DataTable)
        t.add_columns("a", "b")
        t.add_rows([("1", "2"), ("3", "4")])
        self.call_after_refresh(self.press)
    def press(self):
        # A key press is dropped while a table is still settling in; press until one is handled.
        if self.query_one(DataTable).cursor_row == 1:
            self.call_after_refresh(self.usable)
        else:
            self.simulate_key("down")
            self.set_timer(0.005, self.press)
    def usable(self):
        global USABLE
        USABLE = time.time()
        self.exit()
Bare().run(headless=True, size=(80, 24))
print("ready", USABLE)
"""

# The staff start path itself (`tui-app run` as the OS login, danan12's in the bench's
# database), headless. Usable: the inbox shows its rows and a key press (down) has been handled.
# Loaded: the data layer is in too and the inbox has been refreshed through it, so opening a
# case no longer waits for anything.
APP = """
import sys, time
from tui_app.cli import _parser, start_app
from tui_app.config import load_settings
from tui_app.ui.screens.inbox import InboxScreen
app = start_app("run", _parser().parse_args(["run"]), load_settings())
original = InboxScreen.done_inbox
STAMPS = {}
def done(self, rows):
    original(self, rows)
    assert rows, "inbox empty"
    if "shown" not in STAMPS:
        STAMPS["shown"] = time.time()
        self.app.call_after_refresh(press, self.query_one("#cases"))
    elif "loaded" not in STAMPS:
        self.app.call_after_refresh(stamp, "loaded")
def press(table):
    # A key press is dropped while a table is still settling in; press until one is handled.
    if table.cursor_row >= 1:
        app.call_after_refresh(stamp, "usable")
    else:
        app.simulate_key("down")
        app.set_timer(0.005, lambda: press(table))
def stamp(what):
    STAMPS[what] = time.time()
    if "usable" in STAMPS and "loaded" in STAMPS:
        app.exit()
InboxScreen.done_inbox = done
app.run(headless=True, size=(80, 24))
print("ready", STAMPS["usable"], STAMPS["loaded"])
"""


def timed(code: str, env: dict[str, str] | None = None) -> list[float]:
    """Seconds from spawning a Python process to each moment it reports, then to its exit."""
    t0 = time.time()  # wall clock: the child's stamps are compared with it
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False, env=env
    )
    elapsed = time.time() - t0
    ready = [line.split() for line in out.stdout.splitlines() if line.startswith("ready ")]
    if not ready:
        raise SystemExit(f"run failed:\n{out.stderr[-2000:]}")
    return [float(stamp) - t0 for stamp in ready[0][1:]] + [elapsed]


def _line(label: str, times: list[float]) -> str:
    return (
        f"{label}: {statistics.median(times) * 1000:7.0f} ms  "
        f"({min(times) * 1000:.0f}–{max(times) * 1000:.0f})"
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    sys.path.insert(0, str(ROOT))
    from tui_app.cli import make_demo_context

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "demo"
        make_demo_context(data).engine.dispose()
        import pwd
        import sqlite3

        # Identity is the real uid's login (never LOGNAME): make that login danan12's.
        with sqlite3.connect(data / "demo.sqlite") as db:
            db.execute(
                "UPDATE staff SET login = ? WHERE login = 'danan12'",
                (pwd.getpwuid(os.getuid()).pw_name,),
            )
        config = Path(tmp) / "config.toml"
        config.write_text(
            f'data_dir = "{data}"\ndatabase_url = "sqlite:///{data}/demo.sqlite"\n',
            encoding="utf-8",
        )
        env = {**os.environ, "TUI_APP_CONFIG": str(config), "TUI_APP_GRAPHICS": "text"}
        timed(BARE)  # warm the OS file cache for both
        timed(APP, env)
        bare, app = [], []
        for _ in range(runs):  # alternating
            bare.append(timed(BARE))
            app.append(timed(APP, env))
    print(f"runs: {runs} each, alternating (median; min–max)")
    print("to usable: rows shown and a key press handled (the target's measure)")
    b = [t[0] for t in bare]
    a = [t[0] for t in app]
    print(_line("  bare Textual app ", b))
    print(_line("  tui-app inbox    ", a))
    print(
        f"  ratio            : {statistics.median(a) / statistics.median(b):7.2f}×"
        "  (target ≤ 2.00×)"
    )
    print("tui-app to loaded: data layer in, inbox refreshed through it (opening a case")
    print("no longer waits)")
    print(_line("  tui-app loaded   ", [t[1] for t in app]))
    print("to exit (interpreter teardown included):")
    b = [t[-1] for t in bare]
    a = [t[-1] for t in app]
    print(_line("  bare Textual app ", b))
    print(_line("  tui-app          ", a))
    print(f"  ratio            : {statistics.median(a) / statistics.median(b):7.2f}×")


if __name__ == "__main__":
    main()
