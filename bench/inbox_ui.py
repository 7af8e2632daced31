"""The inbox as a user scrolls it: key -> repaint, through Pilot, at 80x24 (issue 14).

Run:  PYTHONPATH=$PWD .venv/bin/python bench/inbox_ui.py --cases 100000          (in memory)
      PYTHONPATH=$PWD .venv/bin/python bench/inbox_ui.py --db /work/scale/me/m1m.db
                                                    [--login bench_nurse] [--runs 15] [--page N]
`--cases N` reads N generated rows from memory (tests/test_inbox_paging_ui.py's FakeInbox, the
contract's keyset reads over a list): the UI's own cost. `--db PATH` reads a generated database
(a copy, migrated: never /work/scale's own files) as `--login`: UI and query together.

Each figure is the time from a key press to the screen having handled what it started (the
read in its worker, the rows painted: tests/test_ui_flow.settle), median and p95 over the
runs, as wall time and as the process's CPU time (steadier on a shared machine: it leaves
out waiting for a core), each with its ratio to the floor: the same Pilot press of Down on a bare app showing a 50-row
static table. Timed: Down at the window's last row (reads the next page), Page Down, End (the
oldest case of the whole result), Home, `g` + number + Enter (the window around that case;
over the database the case screen opens, and Esc back is timed too), and typing a name in the
search field as one types (the keys before the last one not waited for: their reads are
cancelled by the next key; the last key -> its rows). Also printed: the most rows the table ever held.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


Sample = tuple[float, float]  # (wall seconds, CPU seconds of the whole process)


def stats(values: list[float]) -> tuple[float, float]:
    ms = sorted(v * 1000 for v in values)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def figures(name: str, samples: list[Sample], floor: Sample) -> str:
    wall, wall95 = stats([w for w, _ in samples])
    cpu, cpu95 = stats([c for _, c in samples])
    return (
        f"{name:<26} wall {wall:6.1f} / p95 {wall95:6.1f} ms ×{wall / floor[0] / 1000:4.1f}"
        f"  cpu {cpu:6.1f} / p95 {cpu95:6.1f} ms ×{cpu / floor[1] / 1000:4.1f}  (n={len(samples)})"
    )


async def timed(pilot: Any, keys: list[str], burst: bool = False) -> Sample:
    """Press the keys; the time of the last one until everything it started has settled.
    `burst`: the keys before it as typed, their reads still running (cancelled by the next)."""
    from tests.test_ui_flow import settle

    for k in keys[:-1]:
        await pilot.press(k)
    if not burst:
        await settle(pilot)
    t0, c0 = time.perf_counter(), time.process_time()
    await pilot.press(keys[-1])
    await settle(pilot)
    return time.perf_counter() - t0, time.process_time() - c0


async def floor_run(runs: int) -> Sample:
    """Median (wall, CPU) seconds of a Down press on a bare app with a static 50-row table."""
    from rich.text import Text
    from textual.app import App, ComposeResult

    from tui_app.ui.widgets import MarkedTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield MarkedTable(cursor_type="row")

        def on_mount(self) -> None:
            t = self.query_one(MarkedTable)
            t.add_columns("a", "b", "c")
            for i in range(50):
                t.add_row(Text(f"{i}\nx"), Text("Patient\nNamn"), Text("◷ Väntar"), height=2)

    samples = []
    async with Bare().run_test(size=(80, 24)) as pilot:
        for i in range(runs * 2):
            samples.append(await timed(pilot, ["down" if i % 20 < 10 else "up"]))
    return statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)


async def scenario(
    pilot: Any, runs: int, jump: int, name: str, db: bool
) -> dict[str, list[Sample]]:
    """Every timed key, `runs` times each."""
    from tui_app.ui.widgets import PagedTable

    screen = pilot.app.screen
    table = screen.query_one(PagedTable)
    out: dict[str, list[Sample]] = {k: [] for k in ("down at edge", "page down", "end", "home")}
    most = table.row_count
    for _ in range(runs):
        left = table.row_count - 1 - table.cursor_row
        out["down at edge"].append(await timed(pilot, ["down"] * left + ["down"]))
        out["page down"].append(await timed(pilot, ["pagedown"]))
        most = max(most, table.row_count)
    for _ in range(runs):
        out["end"].append(await timed(pilot, ["end"]))
        out["home"].append(await timed(pilot, ["home"]))
    out["g jump (Enter)"] = []
    if db:
        out["Esc back from the case"] = []
    for _ in range(runs):
        out["g jump (Enter)"].append(await timed(pilot, ["g", *str(jump), "enter"]))
        if db:
            out["Esc back from the case"].append(await timed(pilot, ["escape"]))
        most = max(most, table.row_count)
        await timed(pilot, ["home"])
    out["typing a name (last key)"] = []
    for _ in range(runs):
        out["typing a name (last key)"].append(await timed(pilot, ["slash", *name], burst=True))
        await timed(pilot, ["ctrl+u", "enter"])
    print(f"most rows held by the table: {most}")
    return out


def fake_ctx(n: int, tmp: Path) -> tuple[Any, Any, int, str]:
    from tests.test_inbox_paging_ui import FakeInbox, fake_counts, make_rows
    from tui_app.services import api
    from tui_app.services.context import open_context
    from tui_app.services.identity import staff_by_login
    from tui_app.services.seed import load_file
    from tui_app.store.db import sqlite_url

    ctx = open_context(sqlite_url(tmp / "demo.sqlite"), tmp / "data")
    load_file(ctx, ROOT / "data" / "demo.json", with_cases=False)
    api.inbox_counts = fake_counts(n)  # type: ignore[assignment]  # the bench's stand-in
    ctx.inbox = FakeInbox(ctx, make_rows(n))
    return ctx, staff_by_login(ctx, "danan12"), n // 3, "Nummer4711"


def db_ctx(path: Path, login: str, tmp: Path) -> tuple[Any, Any, int, str]:
    from tui_app.services.context import open_context
    from tui_app.services.identity import staff_by_login
    from tui_app.store.db import sqlite_url

    ctx = open_context(sqlite_url(path), tmp / "data")
    actor = staff_by_login(ctx, login)
    units = [u.id for u in actor.units]
    marks = ",".join("?" * len(units))
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (jump,) = con.execute(
            f"SELECT id FROM cases WHERE unit_id IN ({marks}) ORDER BY sent_at LIMIT 1 OFFSET 5000",
            units,
        ).fetchone()
        (name,) = con.execute(
            "SELECT p.last_name FROM cases c JOIN patient p ON p.id = c.patient_id "
            f"WHERE c.unit_id IN ({marks}) ORDER BY c.id LIMIT 1",
            units,
        ).fetchone()
    finally:
        con.close()
    return ctx, actor, int(jump), str(name)


async def main_async(args: argparse.Namespace) -> None:
    from tests.test_ui_flow import settle
    from tui_app.ui.app import build_app

    tmp = Path(tempfile.mkdtemp(prefix="inbox_ui."))
    os.environ.setdefault("XDG_STATE_HOME", str(tmp / "state"))
    import tui_app.ui.screens.inbox as inbox_screen

    inbox_screen.REFRESH_SECONDS = 24 * 3600  # no timer refresh in the middle of a figure
    if args.page:
        inbox_screen.InboxScreen.PAGE = args.page
    if args.db:
        ctx, actor, jump, name = db_ctx(Path(args.db), args.login, tmp)
        what = f"database {args.db} as {args.login}"
    else:
        ctx, actor, jump, name = fake_ctx(args.cases, tmp)
        what = f"{args.cases:,} rows in memory"
    floor = await floor_run(args.runs)
    app = build_app(ctx, actor)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        label = str(app.screen.query_one("#filter-label").render()).strip()
        print(
            f"inbox over {what}; {label}; floor (Down on a 50-row static table): "
            f"wall {floor[0] * 1000:.1f} ms, cpu {floor[1] * 1000:.1f} ms"
        )
        out = await scenario(pilot, args.runs, jump, name, bool(args.db))
    for key, samples in out.items():
        print(figures(key, samples, floor))
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the bench process (the app, Pilot, {what}): {rss:.0f} MiB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=100_000, help="rows in memory (no --db)")
    p.add_argument("--db", help="a migrated copy of a generated database")
    p.add_argument("--login", default="bench_nurse")
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--page", type=int, help="rows per read (default: the screen's)")
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
