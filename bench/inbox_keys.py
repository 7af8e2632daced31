"""The real app in a real terminal: key -> visible change, at 80x24 in tmux (issue 14).

Run:  PYTHONPATH=$PWD .venv/bin/python bench/inbox_keys.py --config /work/scale/me/tui.toml
                                  [--login bench_nurse] [--rounds 15] [--name Pereira]
                                  [--only paging goto typing filter]
`--config` names a TOML (database_url, data_dir) over a migrated COPY of a generated database
(never /work/scale's own files: opening a case writes its access log). The app runs as
`python -m tui_app` would, in a private tmux server (`-L`), signed in as `--login`: the OS
login is replaced by that name in a small launcher (the only change; run as that OS user and
the launcher is not needed, but the project's venv is often not readable by another user).
UIKEYS_PROFILE=/path.prof runs the app under cProfile and dumps it there on exit.

Each key is sent with `tmux send-keys`; then `tmux capture-pane -p` is polled in a tight loop
until the screen shows the key's change (the ▶ row's case number moved, the oldest case with
"Slutet av listan", the case screen's title, the rows of the last typed letter...). Figures:
median / p95 over the rounds in ms, and the ratio of the medians to the floor: Down inside the
window, measured in the same run the same way (so the poll's own cost, a fork of tmux per
look, is in the floor too). A bench, never a test.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CURSOR = re.compile(r"^ ▶ (\d+)\s", re.M)
CASE_LINE = re.compile(r"^ [ ▶] (\d{1,9})\s{2,}", re.M)
Done = Callable[[str], bool]
TITLE = re.compile(r"^ Ärende (\d+) ·", re.M)
LAUNCHER = """\
import os, sys
import tui_app.services.actor as actor
actor.os_login = lambda: {login!r}
from tui_app.cli import main
sys.argv = ["tui-app"]
prof = os.environ.get("UIKEYS_PROFILE")
if prof:
    import cProfile
    p = cProfile.Profile()
    try:
        p.runcall(main)
    finally:
        p.dump_stats(prof)
else:
    sys.exit(main())
"""


def process_cpu(pid: int | None) -> float:
    """CPU seconds process `pid` has used, all its threads (schedstat: ns, not clock ticks)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(task.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


class Term:
    """The app in a detached 80x24 tmux session on a private server."""

    def __init__(self, config: str, login: str) -> None:
        self.sock = f"uikeys-{os.getpid()}"
        self.pid: int | None = None
        self.tmp = Path(tempfile.mkdtemp(prefix="inbox-keys-"))
        launcher = self.tmp / "launch.py"
        launcher.write_text(LAUNCHER.format(login=login))
        env = {
            "TUI_APP_CONFIG": config,
            "PYTHONPATH": str(ROOT),
            "XDG_STATE_HOME": str(self.tmp / "state"),
            "TERM": "xterm-256color",
        }
        for name in ("NO_COLOR", "UIKEYS_PROFILE"):
            if os.environ.get(name):
                env[name] = os.environ[name]
        cmd = " ".join(f"{k}={v}" for k, v in env.items())
        cmd = f"env {cmd} {sys.executable} {launcher}"
        self.tmux("new-session", "-d", "-s", "app", "-x", "80", "-y", "24", cmd)

    def cpu(self) -> float:
        """CPU seconds the app's process has used, all its threads (schedstat: ns, not ticks);
        steadier than wall time on a shared machine, which adds the wait for a core."""
        if self.pid is None:
            found = self.tmux("list-panes", "-t", "app", "-F", "#{pane_pid}").strip()
            self.pid = int(found) if found.isdigit() else None
        return process_cpu(self.pid)

    def tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True)
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app")

    def send(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", "-t", "app", *(["-l"] if literal else []), *keys)

    def close(self) -> None:
        self.send("q")
        time.sleep(1.0)
        self.tmux("kill-server")


def cursor(screen: str) -> int | None:
    m = CURSOR.search(screen)
    return int(m.group(1)) if m else None


def cases(screen: str) -> list[int]:
    """The case numbers the inbox shows, top to bottom."""
    return [int(n) for n in CASE_LINE.findall(screen)]


class Took(float):
    """Seconds from the key to its visible change, with the app's CPU seconds in between."""

    cpu: float = 0.0


def timed(
    term: Term, send: list[str], done: Done, literal: bool = False, limit: float = 20.0
) -> Took:
    """Send the keys; seconds until `done(screen)` holds (polled as fast as tmux answers)."""
    c0 = term.cpu()
    t0 = time.perf_counter()
    term.send(*send, literal=literal)
    while True:
        s = term.screen()
        if done(s):
            took = Took(time.perf_counter() - t0)
            took.cpu = term.cpu() - c0
            return took
        if time.perf_counter() - t0 > limit:
            raise SystemExit(f"no change after {send!r} in {limit} s; the screen:\n{s}")


def settle(term: Term, quiet: float = 0.6, limit: float = 60.0) -> str:
    """The screen once it has not changed for `quiet` seconds."""
    t0, last, since = time.perf_counter(), term.screen(), time.perf_counter()
    while time.perf_counter() - since < quiet:
        time.sleep(0.02)
        s = term.screen()
        if s != last:
            last, since = s, time.perf_counter()
        if time.perf_counter() - t0 > limit:
            break
    return last


def moved(before: int | None) -> Done:
    return lambda s: cursor(s) is not None and cursor(s) != before


def shows(rows: list[int], text: str) -> Done:
    """The screen shows this text and exactly these case numbers in the list."""
    return lambda s: text in s and cases(s) == rows


def stats(values: list[float]) -> tuple[float, float]:
    ms = sorted(v * 1000 for v in values)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def line(name: str, samples: list[float], floor: float) -> str:
    if not samples:
        return f"{name:<34} (no samples)"
    med, p95 = stats(samples)
    cpu, cpu95 = stats([getattr(x, "cpu", 0.0) for x in samples])
    return (
        f"{name:<34} median {med:6.1f} / p95 {p95:6.1f} ms ×{med / floor / 1000:4.1f}"
        f"  app cpu {cpu:5.1f} / {cpu95:5.1f} ms  (n={len(samples)})"
    )


def paging_round(term: Term, page: int, out: dict[str, list[float]]) -> None:
    """Home, Down through the first page (the floor), Down at its edge, Page Down x3, End,
    Page Up x3: each key timed to its visible change."""
    s = term.screen()
    newest = out["_newest"]
    if cursor(s) != (newest[0] if newest else None) or "Slutet" in s:
        out["Home"].append(timed(term, ["Home"], lambda s: cursor(s) == newest[0]))
    for _ in range(page - 2):
        out["Down inside the window (floor)"].append(
            timed(term, ["Down"], moved(cursor(term.screen())))
        )
    timed(term, ["Down"], moved(cursor(term.screen())))  # onto the window's last row
    out["Down at the window's edge"].append(timed(term, ["Down"], moved(cursor(term.screen()))))
    settle(term, 0.2)
    for _ in range(3):
        out["Page Down"].append(timed(term, ["PageDown"], moved(cursor(term.screen()))))
    out["End"].append(
        timed(term, ["End"], lambda s: "Slutet av listan" in s and cursor(s) is not None)
    )
    settle(term, 0.2)
    for _ in range(3):
        out["Page Up"].append(timed(term, ["PageUp"], moved(cursor(term.screen()))))
    out["Home"].append(timed(term, ["Home"], lambda s: cursor(s) == newest[0]))
    settle(term, 0.2)


def goto_round(term: Term, case_id: int, out: dict[str, list[float]]) -> None:
    """g, the number, Enter -> the case screen; Esc -> the inbox with ▶ on that case."""
    term.send("g")
    time.sleep(0.3)
    term.send(str(case_id), literal=True)
    time.sleep(0.2)
    out["g + number + Enter (case shown)"].append(
        timed(
            term,
            ["Enter"],
            lambda s: (m := TITLE.search(s)) is not None and int(m.group(1)) == case_id,
        )
    )
    settle(term, 0.3)
    out["Esc back (▶ on that case)"].append(timed(term, ["Escape"], lambda s: cursor(s) == case_id))
    settle(term, 0.3)


def typing_round(
    term: Term, name: str, expect: dict[str, list[int]], out: dict[str, list[float]]
) -> None:
    """The name typed letter by letter (each letter waited for: its rows shown), then cleared,
    then as one burst (the last key -> its rows)."""
    newest = int(out["_newest"][0])
    term.send("/")
    time.sleep(0.3)
    for i in range(1, len(name) + 1):
        want = expect[name[:i]]
        out[f"type letter ({len(name)} letters)"].append(
            timed(
                term,
                [name[i - 1]],
                shows(want, f"┃  {name[:i]} "),
                literal=True,
            )
        )
    out["clear search (ctrl+u)"].append(timed(term, ["C-u"], lambda s: cases(s)[:1] == [newest]))
    settle(term, 0.3)
    want = expect[name]
    out[f"burst '{name}' (last key -> rows)"].append(
        timed(term, [name], shows(want, f"┃  {name} "), literal=True)
    )
    timed(term, ["C-u"], lambda s: cases(s)[:1] == [newest])
    term.send("Enter")  # back to the list
    settle(term, 0.3)


def filter_round(
    term: Term, expect: list[tuple[str, list[int]]], out: dict[str, list[float]]
) -> None:
    """Each f, timed to the next filter's label and rows. The rows of a status filter move as
    the real clock closes cases (the generated times are relative to its start): rows that are
    not the calibrated ones count when they are not the previous filter's, and are then the
    expected ones for the next round."""
    prev = cases(term.screen())
    for i, (label, want) in enumerate(expect):

        def done(
            s: str, label: str = label, want: list[int] = want, prev: list[int] = prev
        ) -> bool:
            rows = cases(s)
            return label in s and (rows == want or (bool(rows) and rows != prev))

        out["f (next filter, its rows)"].append(timed(term, ["f"], done))
        prev = cases(settle(term, 0.2))
        expect[i] = (label, prev)
    settle(term, 0.3)


def calibrate(term: Term, name: str) -> tuple[dict[str, list[int]], list[tuple[str, list[int]]]]:
    """What the screen shows, settled, for each prefix of the name and each filter."""
    term.send("/")
    time.sleep(0.5)
    by_prefix: dict[str, list[int]] = {}
    for i in range(1, len(name) + 1):
        term.send(name[i - 1], literal=True)
        s = settle(term, 1.0)
        if f"┃  {name[:i]} " not in s:
            raise SystemExit(f"the search field does not show {name[:i]!r}:\n{s}")
        by_prefix[name[:i]] = cases(s)
    term.send("C-u")
    settle(term, 1.0)
    term.send("Enter")
    settle(term, 0.5)  # the list has the focus: an f sent at once can still reach the field
    filters: list[tuple[str, list[int]]] = []
    for _ in range(6):
        term.send("f")
        s = settle(term, 1.0)
        label = re.search(r"Filter: ([^(\n]+?)\s*(\(|\s{2}|$)", s, re.M)
        filters.append((f"Filter: {label.group(1).strip() if label else ''}", cases(s)))
    return by_prefix, filters


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--config", required=True, help="TOML over a migrated copy of the database")
    p.add_argument("--login", default="bench_nurse")
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--page", type=int, default=24, help="rows the first window holds (80x24: 24)")
    p.add_argument("--name", default="Pereira", help="typed in the search field")
    p.add_argument(
        "--goto", type=int, nargs="*", default=[], help="case numbers for g (else seen ones)"
    )
    p.add_argument(
        "--only",
        choices=["paging", "goto", "typing", "filter"],
        nargs="*",
        default=[],
        help="run only these rounds (e.g. `--only goto --rounds 40` for a steadier p95)",
    )
    a = p.parse_args()
    runs = set(a.only or ["paging", "goto", "typing", "filter"])
    term = Term(a.config, a.login)
    out: dict[str, list[float]] = {
        k: []
        for k in (
            "Down inside the window (floor)",
            "Down at the window's edge",
            "Page Down",
            "End",
            "Home",
            "Page Up",
            "g + number + Enter (case shown)",
            "Esc back (▶ on that case)",
            f"type letter ({len(a.name)} letters)",
            f"burst '{a.name}' (last key -> rows)",
            "clear search (ctrl+u)",
            "f (next filter, its rows)",
        )
    }
    try:
        t0 = time.perf_counter()
        timed(term, [], lambda s: cursor(s) is not None, limit=120)
        print(f"start-up to the first ▶ row: {(time.perf_counter() - t0) * 1000:.0f} ms (one run)")
        s = settle(term, 1.5)
        out["_newest"] = [float(cursor(s) or 0)]
        by_prefix, filters = calibrate(term, a.name)
        for what, rows in [*by_prefix.items(), *filters]:
            print(f"  expected for {what!r}: {rows[:3]}... ({len(rows)} rows shown)")
        settle(term, 0.5)
        seen: list[int] = cases(s)
        for r in range(a.rounds if "paging" in runs else 0):
            paging_round(term, a.page, out)
            seen.extend(cases(term.screen()))
        if "paging" not in runs:  # the floor still: Down inside the first window
            for _ in range(a.page - 2):
                out["Down inside the window (floor)"].append(
                    timed(term, ["Down"], moved(cursor(term.screen())))
                )
            term.send("Home")
            settle(term, 0.3)
        goto = a.goto or [seen[(i * 7919) % len(seen)] for i in range(a.rounds)]
        for case_id in goto[: a.rounds] if "goto" in runs else []:
            goto_round(term, case_id, out)
        term.send("Home")
        settle(term, 0.5)
        for _ in range(a.rounds if "typing" in runs else 0):
            typing_round(term, a.name, by_prefix, out)
        for _ in range(max(1, a.rounds // 6 + 1) if "filter" in runs else 0):
            filter_round(term, filters, out)
    finally:
        term.close()
    floor = statistics.median(out["Down inside the window (floor)"])
    print(
        f"80x24, login {a.login}, config {a.config}, rounds {a.rounds}; ratio = median / floor median"
    )
    for k, v in out.items():
        if not k.startswith("_"):
            print(line(k, v, floor))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
