"""Benchmark of the file intake: the full sandboxed check of large files against a floor.

Creates 5 noisy JPEGs and 5 noisy PNGs just under MAX_FILE_BYTES, then (in a fresh, small
measuring process, so that its own memory does not leak into the children's figures) times:

- check:   `check_paths` on each batch of 5 (one sandboxed worker per batch; what a reply costs
           to check), and `prepare_many` (check + re-encode + thumbnail + fsync) for reference;
- floor:   for the same files, reading them, SHA-256, and one full Pillow decode, in-process.

It prints the time per batch, the floor, their ratio (target: check within 3x of the floor), and
peak resident memory of the workers (RUSAGE_CHILDREN ru_maxrss; an upper bound, since Linux
counts the spawning process's own peak into a vfork'ed child) and of the measuring process.

Run: python bench/intake.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui_app.core.limits import MAX_FILE_BYTES

N = 5
TARGET = int(MAX_FILE_BYTES * 0.98)


def noise(w: int, h: int):  # type: ignore[no-untyped-def]
    """An RGB image of random pixels."""
    from PIL import Image

    return Image.frombytes("RGB", (w, h), os.urandom(w * h * 3))


def make_jpeg(path: Path) -> None:
    """A noisy JPEG at quality 95, just under the size limit."""
    probe = io.BytesIO()
    noise(512, 512).save(probe, "JPEG", quality=95)
    per_px = len(probe.getvalue()) / (512 * 512)
    side = int((TARGET / per_px) ** 0.5)
    while True:
        out = io.BytesIO()
        noise(side, side).save(out, "JPEG", quality=95)
        if len(out.getvalue()) <= MAX_FILE_BYTES:
            break
        side = int(side * 0.99)
    path.write_bytes(out.getvalue())


def make_png(path: Path) -> None:
    """A noisy RGB PNG just under the size limit."""
    side = int((TARGET / 3.01) ** 0.5)
    out = io.BytesIO()
    noise(side, side).save(out, "PNG", compress_level=1)
    assert len(out.getvalue()) <= MAX_FILE_BYTES
    path.write_bytes(out.getvalue())


def floor(paths: list[Path]) -> float:
    """Seconds to read, hash and fully decode each file once, in this process."""
    from PIL import Image

    t = time.perf_counter()
    for p in paths:
        data = p.read_bytes()
        hashlib.sha256(data).hexdigest()
        with Image.open(io.BytesIO(data)) as im:
            im.load()
    return time.perf_counter() - t


def measure(folder: Path) -> None:
    """Time the sandboxed check against the floor and print the figures."""
    from tui_app.intake import check_paths, prepare_many

    batches = {kind: sorted(folder.glob(f"*.{kind}")) for kind in ("jpg", "png")}
    results: dict[str, dict[str, float]] = {}
    for kind, paths in batches.items():
        t = time.perf_counter()
        verdicts = check_paths(paths)
        check_s = time.perf_counter() - t
        assert all(v.accepted for v in verdicts), [v.reason for v in verdicts]
        t = time.perf_counter()
        prepared = prepare_many(paths, folder / "work")
        prepare_s = time.perf_counter() - t
        assert all(p.verdict.accepted for p in prepared)
        results[kind] = {"check": check_s, "prepare": prepare_s,
                         "mb": sum(p.stat().st_size for p in paths) / 2**20}
    for kind, paths in batches.items():
        results[kind]["floor"] = floor(paths)
    print(f"{'batch':<12}{'MB':>7}{'check':>9}{'floor':>9}{'ratio':>7}{'prepare':>9}{'ratio':>7}")
    for kind, r in results.items():
        print(f"{N} x {kind:<8}{r['mb']:>7.1f}{r['check']:>8.2f}s{r['floor']:>8.2f}s"
              f"{r['check'] / r['floor']:>6.1f}x{r['prepare']:>8.2f}s"
              f"{r['prepare'] / r['floor']:>6.1f}x")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: workers {children:.0f} MiB (upper bound), measuring process {own:.0f} MiB")
    print("target: check within 3x of the floor (SHA-256 + one full Pillow decode)")


def main() -> int:
    """Create the files, then measure in a fresh process."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keep", type=Path, help="create the files here and keep them")
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.measure:
        measure(args.measure)
        return 0
    folder = args.keep or Path(tempfile.mkdtemp(prefix="intake-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    for i in range(N):
        make_jpeg(folder / f"noise{i}.jpg")
        make_png(folder / f"noise{i}.png")
    print(f"created {2 * N} files in {folder} in {time.perf_counter() - t:.1f}s")
    try:
        return subprocess.call([sys.executable, __file__, "--measure", str(folder)])
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
