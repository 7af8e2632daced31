"""Start-up time: process start to the inbox being usable, next to a bare Textual app (target ≤ 1.5×),
and with --memory the RSS of a session after scrolling and searching (target ≤ 100 MB at 1M).

Run: .venv/bin/python bench/startup.py [runs] [--db PATH [--login bench_nurse] [--data-dir D]]
                                      [--cases N] [--memory]
Each run starts a fresh Python process on the staff path of `tui-app run` (the OS login, which
the bench makes stand for danan12 in a demo database, or for `--login` in the database given:
`--db` a COPY of a generated one, migrated first, the login set back after; `--cases N` makes
one with bench/gen.py), so interpreter start, imports, the terminal question, opening the
database and reading the inbox all count. 'Usable' means the inbox table shows its rows and a
key press (down) has been handled; the bare app (a table with two rows and a footer) is timed
to the same moment. Also printed: when the data layer has loaded in its thread and the inbox has
been refreshed through it (from then on opening a case waits for nothing), and the time to
process exit. With --memory each app run then scrolls (End, PgUp, Home, PgDn in the inbox, and
every page of the result through the calls the inbox makes) and searches each form before its
RSS is read. Bare and app runs alternate, so a slow spell on this shared 2-core machine hits both
alike. PYTHONPATH decides which code runs."""

from __future__ import annotations

import argparse
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
# case no longer waits for anything. Then (with MEMORY) the nurse scrolls and searches: End,
# Page Up, Home in the inbox, and through the same calls the inbox makes, every page of the
# result and each search form; the RSS is read after that (now and at its peak).
APP = """
import os, sys, threading, time
from tui_app.cli import _parser, start_app
from tui_app.config import load_settings
from tui_app.ui.screens.inbox import InboxScreen
MEMORY = os.environ.get("BENCH_MEMORY") == "1"
app = start_app("run", _parser().parse_args(["run"]), load_settings())
# The method the rows arrive in: a page (paged inbox), or the whole list (before it).
HOOK = next(m for m in ("_paged", "_listed", "done_inbox") if hasattr(InboxScreen, m))
original = getattr(InboxScreen, HOOK)
STAMPS = {}
def done(self, *args):
    original(self, *args)
    rows = getattr(args[-1], "rows", args[-1])
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
    if "usable" in STAMPS and "loaded" in STAMPS and "after" not in STAMPS:
        STAMPS["after"] = 0
        if not MEMORY:
            app.exit()
            return
        for key in ("end", "pageup", "pageup", "home", "pagedown"):
            app.simulate_key(key)
        threading.Thread(target=scroll_and_search, daemon=True).start()
def scroll_and_search():
    import importlib.util
    try:  # this bench's own browse(), whichever tui_app PYTHONPATH gives
        spec = importlib.util.spec_from_file_location("_startup", BENCH)
        bench = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench)
        screen = app.screen
        STAMPS["pages"] = bench.browse(screen.ctx, screen.actor)
    finally:
        app.call_from_thread(app.exit)
setattr(InboxScreen, HOOK, done)
app.run(headless=True, size=(80, 24))
def status(key):
    with open("/proc/self/status") as f:
        return next((int(l.split()[1]) for l in f if l.startswith(key)), 0) / 1024
print("ready", STAMPS["usable"], STAMPS["loaded"])
print("memory", status("VmRSS:"), status("VmHWM:"), STAMPS.get("pages", 0))
"""

#: The searches a nurse types (every form the inbox takes), after the scrolling.
SEARCHES = ("19900222-2397", "199002222397", "900222-2397", "19900222", "Andersson", "Anna", "12")


def browse(ctx: object, actor: object, limit: int = 50) -> int:
    """Page through the whole unfiltered result and search each form, as the inbox would: by
    keyset pages (api.inbox_page) where the code has them, else the inbox's one read. Returns
    the number of pages read."""
    from tui_app.services import api

    if not hasattr(api, "inbox_page"):
        for q in ("", *SEARCHES):
            api.inbox(ctx, actor, None, q)  # type: ignore[arg-type]
        return 1 + len(SEARCHES)
    pages, where = 0, api.InboxWhere()
    while True:
        page = api.inbox_page(ctx, actor, None, "", where, limit)  # type: ignore[arg-type]
        pages += 1
        if not page.older or not page.rows:
            break
        where = api.InboxWhere(after=page.rows[-1].key)
    for q in SEARCHES:
        api.inbox_page(ctx, actor, None, q, api.InboxWhere(), limit)  # type: ignore[arg-type]
        pages += 1
    api.inbox_counts(ctx, actor)  # type: ignore[arg-type]
    return pages


def timed(code: str, env: dict[str, str] | None = None) -> tuple[list[float], list[float]]:
    """Seconds from spawning a Python process to each moment it reports, then to its exit;
    and what it says of its memory (RSS now and at peak, MiB; pages read), if anything."""
    t0 = time.time()  # wall clock: the child's stamps are compared with it
    # The child's tui_app is the one PYTHONPATH names (ROOT only after it, for bench.startup).
    code = (
        f"import sys; sys.path.append({str(ROOT)!r}); BENCH = {str(Path(__file__).resolve())!r}\n"
        + code
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd="/",
        check=False,
        env=env,
        timeout=900,
    )
    elapsed = time.time() - t0
    lines = [line.split() for line in out.stdout.splitlines()]
    ready = [line[1:] for line in lines if line[:1] == ["ready"]]
    if not ready:
        raise SystemExit(f"run failed:\n{out.stderr[-2000:]}")
    memory = [float(x) for line in lines if line[:1] == ["memory"] for x in line[1:]]
    return [float(stamp) - t0 for stamp in ready[0]] + [elapsed], memory


def _line(label: str, times: list[float]) -> str:
    return (
        f"{label}: {statistics.median(times) * 1000:7.0f} ms  "
        f"({min(times) * 1000:.0f}–{max(times) * 1000:.0f})"
    )


def _demo_database(tmp: Path) -> tuple[Path, Path, str]:
    """A demo database in tmp: (database, data folder, the login the OS login stands for)."""
    from tui_app.cli import make_demo_context

    data = tmp / "demo"
    make_demo_context(data).engine.dispose()
    return data / "demo.sqlite", data, "danan12"


def _prepare(db: Path, login: str) -> str:
    """Bring the database to this code's schema, and make the OS login (identity is the real
    uid's login, never LOGNAME) stand for `login`; returns the OS login (restore with _restore)."""
    import pwd
    import sqlite3

    from tui_app.services.context import close_context, open_context

    close_context(open_context(f"sqlite:///{db}", db.parent))  # migrates, as `tui-app migrate`
    me = pwd.getpwuid(os.getuid()).pw_name
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE staff SET login = ? WHERE login = ?", (me, login))
    return me


def _restore(db: Path, me: str, login: str) -> None:
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE staff SET login = ? WHERE login = ?", (login, me))


def _parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="?", type=int, default=7)
    ap.add_argument("--db", type=Path, help="a COPY of a generated database (it is migrated)")
    ap.add_argument("--data-dir", type=Path, help="its data folder (default: <db>.data)")
    ap.add_argument("--login", default="bench_nurse", help="whose inbox (with --db)")
    ap.add_argument("--cases", type=int, help="generate N cases with bench/gen.py first")
    ap.add_argument("--memory", action="store_true", help="also scroll, search, read the RSS")
    return ap.parse_args()


def main() -> None:
    args = _parse()
    with tempfile.TemporaryDirectory() as tmp:
        if args.cases:
            args.db = Path(tmp) / f"gen{args.cases}.db"
            gen = [sys.executable, str(ROOT / "bench" / "gen.py"), "--cases", str(args.cases)]
            subprocess.run([*gen, "--out", str(args.db)], check=True)
        if args.db:
            db, login = args.db.absolute(), args.login
            data = (args.data_dir or Path(f"{db.with_suffix('')}.data")).absolute()
        else:
            db, data, login = _demo_database(Path(tmp))
        me = _prepare(db, login)
        try:
            bare, app = _measure(Path(tmp), db, data, args)
        finally:
            _restore(db, me, login)
    _print(args, db, bare, app)


def _measure(tmp: Path, db: Path, data: Path, args: argparse.Namespace) -> tuple[list, list]:  # type: ignore[type-arg]
    """Bare and app runs, alternating, after one of each to warm the OS file cache."""
    config = tmp / "config.toml"
    config.write_text(f'data_dir = "{data}"\ndatabase_url = "sqlite:///{db}"\n', encoding="utf-8")
    env = {**os.environ, "TUI_APP_CONFIG": str(config), "TUI_APP_GRAPHICS": "text"}
    if args.memory:
        env["BENCH_MEMORY"] = "1"
    timed(BARE)
    timed(APP, env)
    bare, app = [], []
    for _ in range(args.runs):  # alternating
        bare.append(timed(BARE))
        app.append(timed(APP, env))
    return bare, app


def _print(args: argparse.Namespace, db: Path, bare: list, app: list) -> None:  # type: ignore[type-arg]
    print(f"database: {db} ({db.stat().st_size / 2**20:,.0f} MiB)" if args.db else "database: demo")
    print(f"runs: {args.runs} each, alternating (median; min–max)")
    print("to usable: rows shown and a key press handled (the target's measure)")
    b = [t[0] for t, _ in bare]
    a = [t[0] for t, _ in app]
    print(_line("  bare Textual app ", b))
    print(_line("  tui-app inbox    ", a))
    print(
        f"  ratio            : {statistics.median(a) / statistics.median(b):7.2f}×  (target ≤ 1.50×)"
    )
    print("tui-app to loaded: data layer in, inbox refreshed through it (opening a case")
    print("no longer waits)")
    print(_line("  tui-app loaded   ", [t[1] for t, _ in app]))
    print("to exit (interpreter teardown included; with --memory the scrolling too):")
    print(_line("  bare Textual app ", [t[-1] for t, _ in bare]))
    print(_line("  tui-app          ", [t[-1] for t, _ in app]))
    mem = [m for _, m in app if m]
    if mem:
        print("RSS of the app after scrolling and searching (MiB; target ≤ 100 MB at 1M):")
        print(
            f"  now  median {statistics.median(m[0] for m in mem):6.1f}  max {max(m[0] for m in mem):6.1f}"
        )
        print(
            f"  peak median {statistics.median(m[1] for m in mem):6.1f}  max {max(m[1] for m in mem):6.1f}"
        )
        print(f"  pages read per run: {int(mem[0][2])}")


if __name__ == "__main__":
    main()
