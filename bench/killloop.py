"""Kill -9 at random moments during Picsara export, E-arkiv printing (folder and lp) and download.

For each operation: a case is set up once (bench/crash_runner.py), then N times the prepared
state is restored, the step runs in its own process and is killed with SIGKILL at a random
moment within its own run time, the database, folders and access log are checked, the next
start's recovery runs (services/pending.py, where the code has it), and everything is checked
again, until 30 (--runs) runs were really killed. Printed: per operation, kills/runs, and how
many runs ended badly, by kind.

    python bench/killloop.py                      # this checkout, 30 kills per operation
    python bench/killloop.py --code /tmp/main     # another checkout (e.g. main, to compare)
    python bench/killloop.py --runs 50 --ops picsara,download

"Bad" (see crash_runner.problems): recorded as done with nothing sent, done without a log entry,
sent twice, or (after recovery) sent but not recorded, still pending, temp files left; for
downloads, a copy in Downloads the app does not track, or a recorded copy that is not there.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import crash_runner  # noqa: E402

OPS = ("picsara", "earkiv", "lp", "download")


def _env(code: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(code), "TUI_APP_KILLPOINT": ""}


def _runner(cmd: str, base: Path, op: str, *extra: str) -> list[str]:
    return [sys.executable, str(BENCH / "crash_runner.py"), cmd, str(base), op, *extra]


def _restore(template: Path, base: Path) -> None:
    shutil.rmtree(base, ignore_errors=True)
    shutil.copytree(template, base, symlinks=True)


def _timed_run(
    code: Path, base: Path, op: str, file_id: int, kill_after: float | None
) -> tuple[bool, float]:
    """Run the step; kill it kill_after seconds after it said "go". (killed?, step seconds)."""
    proc = subprocess.Popen(
        _runner("run", base, op, str(file_id)),
        env=_env(code),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    start = time.perf_counter()
    if line.strip() != "go":
        proc.wait()
        raise SystemExit(f"{op}: the step did not start ({line!r}, exit {proc.returncode})")
    if kill_after is None:
        said = proc.stdout.readline()  # "ok" once the step returned
        took = time.perf_counter() - start
        proc.wait()
        if said.strip() != "ok":
            raise SystemExit(f"{op}: the step failed unkilled (exit {proc.returncode})")
        return False, took
    try:
        proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return proc.returncode == -signal.SIGKILL, time.perf_counter() - start


def loop(code: Path, op: str, runs: int, work: Path, rng: random.Random) -> dict[str, object]:
    """N random kills of one operation; counts of outcomes."""
    template, base = work / f"{op}-template", work / op
    shutil.rmtree(template, ignore_errors=True)
    out = subprocess.run(
        _runner("setup", base, op), env=_env(code), capture_output=True, text=True, check=True
    )
    file_id = int(out.stdout.split()[-1])
    shutil.rmtree(template, ignore_errors=True)
    shutil.copytree(base, template, symlinks=True)
    # The step's own run time, unkilled (twice; the longer one bounds the kill moment).
    durations = []
    for _ in range(2):
        _restore(template, base)
        durations.append(_timed_run(code, base, op, file_id, None)[1])
    span = max(durations)
    killed = 0
    before: collections.Counter[str] = collections.Counter()
    after: collections.Counter[str] = collections.Counter()
    bad_before = bad_after = settled = confirmed = 0
    tries = 0
    while killed < runs and tries < 3 * runs:  # count real kills, not runs that finished first
        tries += 1
        _restore(template, base)
        was_killed, _ = _timed_run(code, base, op, file_id, rng.uniform(0, span))
        killed += was_killed
        p1 = crash_runner.problems(crash_runner.inspect(base, op, file_id), op, settled=False)
        said = subprocess.run(
            _runner("resolve", base, op), env=_env(code), capture_output=True, text=True, check=True
        ).stdout
        settled += bool(said.strip())
        confirmed += "bekräftad" in said or "finns och följs upp" in said
        p2 = crash_runner.problems(crash_runner.inspect(base, op, file_id), op, settled=True)
        before.update(p.split(":")[0] for p in p1)
        after.update(p.split(":")[0] for p in p2)
        bad_before += bool(p1)
        bad_after += bool(p2)
    shutil.rmtree(template, ignore_errors=True)
    return {
        "op": op,
        "runs": tries,
        "killed": killed,
        "step_s": span,
        "bad_before": bad_before,
        "bad_after": bad_after,
        "settled": settled,
        "confirmed": confirmed,
        "kinds_before": dict(before),
        "kinds_after": dict(after),
    }


def main() -> int:
    """Command line: see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", type=Path, default=BENCH.parent, help="checkout to measure")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--seed", type=int, default=1177)
    ap.add_argument("--work", type=Path, default=Path("/tmp") / f"killloop-{os.getpid()}")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"code: {args.code.resolve()}  runs per operation: {args.runs}  seed: {args.seed}")
    try:
        for op in args.ops.split(","):
            r = loop(args.code.resolve(), op, args.runs, args.work, rng)
            print(
                f"{op:9} killed {r['killed']:3}/{r['runs']}  (step ~{r['step_s']:.2f} s)  "
                f"bad before recovery {r['bad_before']:3}  bad after recovery "
                f"{r['bad_after']:3}  (recovery settled {r['settled']}: "
                f"{r['confirmed']} confirmed, {r['settled'] - r['confirmed']} released)"
            )
            for label in ("kinds_before", "kinds_after"):
                for kind, n in sorted(r[label].items()):  # type: ignore[attr-defined]
                    print(f"    {label[6:]:6} {n:3} × {kind}")
    finally:
        shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
