"""The terminal floor for the inbox's keys: a bare Textual DataTable, next to the app (issue 14).

Run:  PYTHONPATH=$PWD .venv/bin/python bench/table_floor.py [--app CONFIG.toml --login L]
                                                        [--keys Down PageDown] [--presses 40]
Without --app it runs a bare app in tmux at 80x24: one DataTable with the inbox's columns and 150
two-line rows, nothing else. With `--app` it runs the real app over that config instead, signed
in as `--login` (the same launcher as bench/inbox_keys.py). Each key is sent with `tmux
send-keys`, then the pane is captured (with its escapes, so a moved highlight counts) until it
changes; between two keys there is a 50 ms pause. Down and PageDown alternate with Up and
PageUp every ten presses. Printed per key: median wall ms (key -> visible change) and the
median CPU ms the app's process used meanwhile (all its threads, from schedstat). A bench,
never a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from inbox_keys import LAUNCHER, process_cpu  # noqa: E402

BARE = """
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable

class Bare(App):
    def compose(self):
        yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self):
        t = self.query_one(DataTable)
        for name, w in (("  Nr", 10), ("Patient", 14), ("Status / kvar", 22), ("Filer", 5),
                        ("Att göra", None)):
            t.add_column(Text(name), width=w)
        for i in range(150):
            t.add_row(Text(f"  {999999 - i}\\n  HUD-SU", no_wrap=True),
                      Text("19390121-5636\\nUlf Persson", no_wrap=True),
                      Text("◷ Väntar på svar\\nkvar 1 d 23 h"), Text("–"), Text("Vänta på svar"),
                      height=2)

Bare().run()
"""
BACK = {"Down": "Up", "PageDown": "PageUp"}


class Pane:
    def __init__(self, command: str) -> None:
        self.sock = f"tablefloor-{time.monotonic_ns()}"
        self.tmux("new-session", "-d", "-s", "app", "-x", "80", "-y", "24", command)
        time.sleep(4.0)  # started and painted (a bench: a generous wait, never a test)
        self.pid = int(self.tmux("list-panes", "-t", "app", "-F", "#{pane_pid}").strip())

    def tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True)
        return out.stdout

    def cpu(self) -> float:
        return process_cpu(self.pid)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-e", "-t", "app")

    def press(self, key: str) -> tuple[float, float]:
        before, c0, t0 = self.screen(), self.cpu(), time.perf_counter()
        self.tmux("send-keys", "-t", "app", key)
        while self.screen() == before and time.perf_counter() - t0 < 5.0:
            pass
        return time.perf_counter() - t0, self.cpu() - c0

    def close(self) -> None:
        self.tmux("send-keys", "-t", "app", "q")
        time.sleep(2.0)
        self.tmux("kill-server")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--app", help="a TOML over a migrated COPY of a database: time the real app")
    ap.add_argument("--login", default="bench_nurse")
    ap.add_argument("--keys", nargs="*", default=["Down", "PageDown"])
    ap.add_argument("--presses", type=int, default=40)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="table-floor-"))
    script = tmp / "run.py"
    if a.app:
        script.write_text(LAUNCHER.format(login=a.login))
        env = f"TUI_APP_CONFIG={a.app} PYTHONPATH={ROOT} XDG_STATE_HOME={tmp / 'state'}"
    else:
        script.write_text(BARE)
        env = f"PYTHONPATH={ROOT}"
    pane = Pane(f"env {env} {sys.executable} {script}")
    try:
        print(f"{'the app over ' + a.app if a.app else 'a bare Textual DataTable'}, 80x24")
        for key in a.keys:
            walls, cpus = [], []
            for i in range(a.presses):
                wall, cpu = pane.press(key if i % 20 < 10 else BACK.get(key, key))
                walls.append(wall)
                cpus.append(cpu)
                time.sleep(0.05)
            print(
                f"  {key:<9} wall median {statistics.median(walls) * 1000:6.1f} ms"
                f"  app cpu median {statistics.median(cpus) * 1000:6.1f} ms  (n={a.presses})"
            )
    finally:
        pane.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
