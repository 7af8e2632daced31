"""Live inbox delay: how long after another server commits a change an open inbox knows of it.

Run: .venv/bin/python bench/live.py [--rounds 30] [--url URL]

SQLite by default (a file in a temporary folder); `--url postgresql+psycopg://…/postgres?host=…`
runs on a PostgreSQL server (a fresh database `bench_…`, dropped after). A watcher
(services/live.py) runs in this process, as in an open inbox; a second process, as another app
server, sends a case per round. For each round it prints nothing; at the end: the delay from
the writer's commit to the watcher's notice, and that plus the inbox query the screen then runs
(what the nurse waits for), as median, p95 and worst.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "data" / "demo.json"


def _writer(url: str, data_dir: str, conn: object) -> None:
    """Another app server: on each "go", send a case and answer with the commit time."""
    from tui_app.services.cases import draft_message, send_case
    from tui_app.services.context import open_context
    from tui_app.services.identity import staff_by_login

    ctx = open_context(url, Path(data_dir))
    dan = staff_by_login(ctx, "danan12")
    unit = next(u.id for u in dan.units if u.code == "REUM-SKO")
    conn.send("ready")  # type: ignore[attr-defined]
    while conn.recv() == "go":  # type: ignore[attr-defined]
        d = draft_message(ctx, dan, unit, "200001252386")
        send_case(ctx, dan, d.unit_id, d.patient.id, d.text)
        conn.send(time.time())  # type: ignore[attr-defined]  # just after the commit


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--url", help="a PostgreSQL server's URL (default: a SQLite file)")
    args = ap.parse_args()
    from bench.concurrency import _drop_database, _new_database
    from tui_app.services.cases import inbox
    from tui_app.services.context import close_context, open_context
    from tui_app.services.identity import staff_by_login
    from tui_app.services.live import POLL_SECONDS, watch
    from tui_app.services.seed import load_file

    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        url = _new_database(args.url) if args.url else f"sqlite:///{Path(tmp) / 'live.sqlite'}"
        ctx = open_context(url, Path(tmp) / "data")
        load_file(ctx, DEMO, with_cases=False)
        dan = staff_by_login(ctx, "danan12")
        heard = threading.Event()
        at: list[float] = []

        def on_change() -> None:
            at.append(time.time())
            heard.set()

        watcher = watch(ctx, on_change)
        watcher.ready.wait(60)
        parent, child = mp.get_context("spawn").Pipe()
        proc = mp.get_context("spawn").Process(
            target=_writer, args=(url, str(Path(tmp) / "data2"), child)
        )
        proc.start()
        assert parent.recv() == "ready"
        notice: list[float] = []
        visible: list[float] = []
        missed = 0
        for _ in range(args.rounds):
            time.sleep(0.3)  # idle between changes, as in real use
            heard.clear()
            at.clear()
            parent.send("go")
            committed = parent.recv()
            if not heard.wait(10):
                missed += 1
                continue
            first = next((t for t in at if t >= committed - 1), at[-1])
            notice.append(max(0.0, first - committed))
            t0 = time.perf_counter()
            inbox(ctx, dan)
            visible.append(notice[-1] + time.perf_counter() - t0)
        parent.send("stop")
        proc.join(60)
        watcher.stop()
        watcher.join(30)
        close_context(ctx)
        if args.url:
            _drop_database(args.url, url)
    engine = url.split(":", 1)[0]
    print(f"engine: {engine}; {args.rounds} rounds; SQLite poll interval {POLL_SECONDS} s")
    for name, v in (("notice", notice), ("inbox shown", visible)):
        if v:
            print(
                f"  {name:<12} median {1000 * statistics.median(v):6.0f} ms  "
                f"p95 {1000 * _pct(v, 0.95):6.0f} ms  max {1000 * max(v):6.0f} ms"
            )
    print(f"  missed (no notice within 10 s): {missed}")
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
