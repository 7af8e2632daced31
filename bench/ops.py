"""The operator jobs at scale (issue 14): sweep, audit verify, leftovers, the log search.

Run: .venv/bin/python bench/ops.py --db /work/scale/m1m.db [--code /work/main] [--runs 5]
The source database (and its `<name>.data` folder next to it, when there is one) is copied to
`--work` (default /work/scale/ops/<code>-<name>) and migrated by the code under test (`--code`,
default this checkout; give /work/main for "before"); the source is never written. Each CLI verb
runs in a child process of a fresh wrapper, so its peak RSS is its own (ru_maxrss of the child).

Printed per job: wall time and peak RSS of the real CLI verb; for `audit verify` also the raw
hashing floor (the same hashing over the same rows fetched with raw sqlite3 in a tight loop) and
the walk's ratio to it (in-process, this checkout's code only); for the log search, median and
p95 per filter over --runs, next to the same page read with raw sqlite3 (the floor).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WRAP = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
found = p.stdout.count("Hämtade filer:") + p.stdout.count("Papperskorgen:")
print(json.dumps({"wall": wall, "rss": rss, "rc": p.returncode, "out": p.stdout[-600:],
                  "err": p.stderr[-600:], "found": found}))
"""


def _env(code: Path, work: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(code), "TUI_APP_CONFIG": str(work / "tui.toml")}
    env["HOME"] = str(work / "home")  # the trash leftovers looks in is the bench's own
    env["XDG_DATA_HOME"] = str(work / "home" / ".local" / "share")
    env["XDG_STATE_HOME"] = str(work / "home" / ".local" / "state")
    env.pop("TUI_APP_KILLPOINT", None)
    return env


def verb(code: Path, work: Path, *args: str) -> dict[str, object]:
    """One CLI verb in a child process: wall, peak RSS (MiB), exit status, output's end."""
    cmd = [sys.executable, "-c", WRAP, sys.executable, "-m", "tui_app", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env(code, work), cwd=code)
    return dict(json.loads(out.stdout))


def prepare(src: Path, code: Path, work: Path) -> Path:
    """Copy the database (and its data folder) to `work` and migrate it with `code`."""
    work.mkdir(parents=True, exist_ok=True)
    db = work / src.name
    for suffix in ("", "-wal", "-shm"):
        (work / (src.name + suffix)).unlink(missing_ok=True)
    shutil.copyfile(src, db)
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    src_data = src.with_suffix(".data")
    if src_data.is_dir():
        shutil.copytree(src_data, data)
    else:
        data.mkdir()
    shutil.rmtree(work / "home", ignore_errors=True)
    (work / "home").mkdir()
    (work / "tui.toml").write_text(
        f'data_dir = "{data}"\ndatabase_url = "sqlite:///{db}"\n'
        f'audit_key_file = "{work / "home" / "audit.key"}"\n'
    )
    r = verb(code, work, "migrate")
    assert r["rc"] == 0, r
    print(f"prepared {db} with {code} (migrate {r['wall']:.1f} s)")
    return db


def hashing_floor(db: Path) -> tuple[float, int]:
    """The same hashing as verify over the same rows, fetched with raw sqlite3: (s, rows)."""
    sys.path.insert(0, str(ROOT))
    from tui_app.services.audit import _hash
    from tui_app.services.auditverify import at_text

    cols = "seq, at, actor, unit_code, patient_pnr, case_id, action, outcome, detail, hash"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    t = time.perf_counter()
    prev, n = "0" * 64, 0
    for seq, at, actor, unit, pnr, case, action, outcome, detail, h in conn.execute(
        f"SELECT {cols} FROM audit_entry ORDER BY seq"
    ):
        ok = _hash(prev, seq, at_text(at), actor, unit, pnr, case, action, outcome, detail) == h
        if not ok:
            raise SystemExit(f"the chain breaks at {seq}")
        prev, n = h, n + 1
    conn.close()
    return time.perf_counter() - t, n


def walk_time(db: Path, work: Path) -> float:
    """This checkout's full walk alone (no file check, no imports counted), in-process."""
    sys.path.insert(0, str(ROOT))
    from tui_app.services.auditverify import walk_all
    from tui_app.services.context import close_context, open_context

    ctx = open_context(f"sqlite:///{db}", work / "data")
    try:
        t = time.perf_counter()
        report, _ = walk_all(ctx, None, check_file=False)
        took = time.perf_counter() - t
        assert report.ok, report
        return took
    finally:
        close_context(ctx)


def downloads(work: Path, db: Path) -> Path:
    """A Downloads folder: 20 copies of stored files (renamed) and 200 other files."""
    folder = work / "Downloads"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    stored = sorted((work / "data" / "files").glob("*/*"))[:20]
    for i, p in enumerate(stored):
        shutil.copyfile(p, folder / f"kopia-{i}{p.suffix}")
    for i in range(200):
        (folder / f"annat-{i}.txt").write_bytes(os.urandom(1000 + 37 * i))
    return folder


def _ms(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    return f"median {statistics.median(xs) * 1000:7.2f} ms  p95 {p95 * 1000:7.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--code", type=Path, default=ROOT)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--jobs", default="sweep,verify,leftovers,search")
    args = ap.parse_args()
    code = args.code.resolve()
    work = args.work or Path("/work/scale/ops") / f"{code.name}-{args.db.stem}"
    db = prepare(args.db.resolve(), code, work)
    jobs = args.jobs.split(",")
    mine = code == ROOT
    if "sweep" in jobs:
        first = verb(code, work, "sweep")
        print(f"sweep (first, with what is due): {first['wall']:.2f} s, {first['rss']:.0f} MiB")
        again = verb(code, work, "sweep")
        print(f"sweep (nothing to do)          : {again['wall']:.2f} s, {again['rss']:.0f} MiB")
        print("   ", str(again["out"]).strip().replace("\n", "\n    "))
    if "verify" in jobs:
        full = verb(code, work, "audit", "verify", *(["--full"] if mine else []))
        print(
            f"audit verify{' --full' if mine else ''}: {full['wall']:.2f} s, {full['rss']:.0f} MiB"
        )
        print("   ", str(full["out"] or full["err"]).strip()[:300])
        floor, n = hashing_floor(db)
        print(f"raw hashing floor: {floor:.2f} s over {n} entries")
        if mine:
            walk = walk_time(db, work)
            print(f"verify's full walk alone: {walk:.2f} s = {walk / floor:.2f}× the floor")
            verb(code, work, "sweep")  # a few new entries since the checkpoint
            inc = verb(code, work, "audit", "verify")
            print(f"audit verify (incremental): {inc['wall']:.2f} s, {inc['rss']:.0f} MiB")
    if "leftovers" in jobs:
        folder = downloads(work, db)
        r = verb(code, work, "leftovers", "--dir", str(folder))
        found = r["found"]
        print(f"leftovers: {r['wall']:.2f} s, {r['rss']:.0f} MiB, found {found} (20 planted)")
    if "search" in jobs:
        env = _env(code, work)
        cmd = [sys.executable, str(ROOT / "bench" / "ops_search.py"), str(db), str(work)]
        subprocess.run([*cmd, str(args.runs)], env=env, cwd=code, check=True)


if __name__ == "__main__":
    main()
