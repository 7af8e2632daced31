"""Classroom: how many trainees' demos one machine holds (issue 17).

Run: .venv/bin/python bench/classroom.py [--demos 1,4,8] [--idle 20] [--no-browser]

Starts a `tui-app classroom` server on loopback (a temporary folder, its own HOME), then:

1. in headless Chromium (Debian's, via Playwright), the time from opening the page to a usable
   demo (the step list drawn on the terminal), for one trainee;
2. for each count N of `--demos`: N trainees join at once (websockets straight to the server,
   as the page opens them, without N browsers that would measure Chromium instead of the
   demos); the time until every demo is usable (it has written its exercise progress, which
   happens once its app runs), then each demo process's memory (RSS, its own and any intake
   workers') and its CPU use while it sits idle for `--idle` seconds;
   and the CPU each key press costs (every trainee moving through the sign-in list);
3. an estimate of how many demos one machine of this size holds: memory (80 % of RAM over the
   RSS per demo) and CPU (idle, at work at about a key a second, and the start-up of a whole
   class joining at once).

Traffic goes to 127.0.0.1 only; every loop is bounded in time; the server and its demos are
ended at the end. Prints its figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import browser  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
KEYS = 20


def demo_pids(root: Path) -> dict[str, int]:
    """Demo folder name → pid of its demo process (found through /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"tui_app.classroom.child" in args and args[-2:] and str(root).encode() in args[-2]:
            found[Path(args[-2].decode()).name] = int(entry.name)
    return found


def family(pid: int) -> list[int]:
    """pid and its descendants (intake workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_mib(pid: int) -> float:
    total = 0
    for p in family(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError):
            pass
    return total / 2**20


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in family(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
        except (OSError, IndexError, ValueError):
            pass
    return total


def browser_open_to_usable(room: browser.Classroom, shots: Path) -> float:
    with browser.chromium() as chromium:
        tab = browser.Tab(chromium, f"{room.url}/?namn=Bench", shots, "bench")
        tab.wait_for("Klart: 0 av 9", timeout=180)
        took = time.monotonic() - tab.opened
        tab.close()
    return took


async def join(room: browser.Classroom, n: int, idle: float) -> dict[str, float]:
    import aiohttp

    before = set(demo_pids(room.root))
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        sockets = [
            await session.ws_connect(f"{room.url.replace('http', 'ws')}/ws?width=80&height=24")
            for _ in range(n)
        ]
        drains = [asyncio.create_task(_drain(ws)) for ws in sockets]
        deadline = started + 300
        ready: dict[str, float] = {}
        while len(ready) < n and time.monotonic() < deadline:
            for p in room.root.glob("demo-*/progress.json"):
                ready.setdefault(p.parent.name, time.monotonic() - started)
            await asyncio.sleep(0.05)
        pids = {k: v for k, v in demo_pids(room.root).items() if k not in before}
        cpu0 = {k: cpu_seconds(p) for k, p in pids.items()}
        await asyncio.sleep(idle)
        cpu1 = {k: cpu_seconds(p) for k, p in pids.items()}
        # Active: every trainee moves through the sign-in list, one key every 0.25 s.
        for _ in range(KEYS):
            for ws in sockets:
                await ws.send_json(["stdin", "\x1b[B"])
            await asyncio.sleep(0.25)
        await asyncio.sleep(2)
        cpu2 = {k: cpu_seconds(p) for k, p in pids.items()}
        rss = [rss_mib(p) for p in pids.values()]
        for ws in sockets:
            await ws.close()
        for d in drains:
            d.cancel()
    end = time.monotonic() + 120
    while demo_pids(room.root) and time.monotonic() < end:
        await asyncio.sleep(0.1)
    times = sorted(ready.values())
    return {
        "ready": len(ready),
        "first": times[0] if times else float("nan"),
        "last": times[-1] if times else float("nan"),
        "start_cpu": sum(cpu0.values()) / max(1, len(cpu0)),
        "idle_cpu_pct": 100 * sum(cpu1[k] - cpu0[k] for k in cpu0) / max(1, len(cpu0)) / idle,
        "key_cpu_ms": 1000 * sum(cpu2[k] - cpu1[k] for k in cpu1) / max(1, len(cpu1)) / KEYS,
        "rss": sum(rss) / max(1, len(rss)),
        "rss_max": max(rss) if rss else float("nan"),
    }


async def _drain(ws: object) -> None:
    async for _ in ws:  # type: ignore[attr-defined]
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demos", default="1,4,8", help="counts of demos joining at once")
    parser.add_argument("--idle", type=float, default=20.0, help="idle seconds measured")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figure")
    args = parser.parse_args()
    counts = [int(c) for c in args.demos.split(",")]
    why = browser.missing()
    if why and not args.no_browser:
        print(f"Chromium figure skipped: {why}")
        args.no_browser = True
    with tempfile.TemporaryDirectory(prefix="bench-classroom-") as tmp:
        room = browser.Classroom(Path(tmp), cap=max(counts) + 1)
        try:
            print(f"machine: {os.cpu_count()} cores, {_ram_gib():.1f} GiB RAM; load {_load()}")
            if not args.no_browser:
                took = browser_open_to_usable(room, Path(tmp) / "shots")
                print(f"browser: page open -> usable demo (step list drawn): {took:.1f} s")
            results = {}
            for n in counts:
                r = asyncio.run(join(room, n, args.idle))
                results[n] = r
                print(
                    f"{n:3d} joining at once: usable after {r['first']:.1f} s (first) .. "
                    f"{r['last']:.1f} s (last); start-up CPU {r['start_cpu']:.2f} s per demo; "
                    f"RSS {r['rss']:.0f} MiB per demo (max {r['rss_max']:.0f}); "
                    f"idle CPU {r['idle_cpu_pct']:.1f} % of a core per demo; "
                    f"{r['key_cpu_ms']:.0f} ms CPU per key pressed"
                )
        finally:
            room.stop()
    last = results[max(counts)]
    by_memory = int(_ram_gib() * 1024 * 0.8 / last["rss"])
    cores = os.cpu_count() or 1
    by_idle_cpu = int(cores * 100 * 0.5 / max(last["idle_cpu_pct"], 0.1))
    # A trainee at work: about one key a second (reading in between), on top of idle.
    busy_pct = last["idle_cpu_pct"] + last["key_cpu_ms"] / 10
    by_busy_cpu = int(cores * 100 * 0.7 / max(busy_pct, 0.1))
    print(
        f"estimate: memory holds {by_memory} demos (80 % of RAM / RSS per demo); idle CPU holds "
        f"{by_idle_cpu} (half of {cores} cores / idle CPU per demo); trainees at work (a key a "
        f"second) {by_busy_cpu} (70 % of {cores} cores); a class joining at once "
        f"costs {last['start_cpu']:.1f} CPU-seconds per demo: "
        f"{last['start_cpu'] * 20 / cores:.0f} s of start-up for 20 trainees on {cores} cores"
    )
    return 0


def _ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    sys.exit(main())
