"""One bound on concurrent intake workers per server: lock files that every app process shares.

Each worker process needs a slot, a lock file `slot-N.lock` (N < the bound) held with flock
for as long as the worker runs; the kernel releases it when the holder exits or dies, so a
crash never leaks a slot. When every slot is taken, callers queue: they block on `queue.lock`
(without using CPU) and the one at the head of the queue looks for a free slot every
POLL_S seconds. The folder is the deployment's data folder (`<data_dir>/intake-slots`, shared by
every staff member's process through the app's group), or, for the command line, a folder of
the user's own in the temporary directory.

The bound is TUI_APP_INTAKE_WORKERS when set, else one worker per CPU core but no more than
one per GiB of memory (a worker needs up to ~0.7 GiB for the largest image, MAX 2 GiB).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ENV_BOUND = "TUI_APP_INTAKE_WORKERS"
POLL_S = 0.05
_GiB = 1024**3


def default_bound() -> int:
    """How many intake workers may run at once on this machine."""
    env = os.environ.get(ENV_BOUND, "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        memory = 0
    by_memory = max(1, memory // _GiB) if memory else cores or 1
    return max(1, min(cores or 1, by_memory))


def default_folder() -> Path:
    """The slots folder when no data folder is given (the command line, tests): per user."""
    return Path(tempfile.gettempdir()) / f"tui_app-intake-slots-{os.getuid()}"


@contextmanager
def slot(
    folder: Path | None = None,
    bound: int | None = None,
    on_wait: Callable[[bool], None] | None = None,
) -> Iterator[int]:
    """Hold one worker slot for the duration of the block; yields the slot number.

    `on_wait(True)` is called when the caller has to queue, `on_wait(False)` when it got a slot.
    """
    folder = folder or default_folder()
    bound = bound or default_bound()
    folder.mkdir(parents=True, exist_ok=True, mode=0o770)
    fd, number = _try_any(folder, bound)
    if fd is None:
        if on_wait is not None:
            on_wait(True)
        fd, number = _wait_in_queue(folder, bound)
        if on_wait is not None:
            on_wait(False)
    try:
        yield number
    finally:
        os.close(fd)  # releases the flock


def _open(path: Path) -> int:
    """A lock file, created readable and writable for the app's group."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o660)
    return fd


def _try_any(folder: Path, bound: int) -> tuple[int | None, int]:
    """A free slot's locked fd and number, or (None, -1) when all are taken."""
    for n in range(bound):
        fd = _open(folder / f"slot-{n}.lock")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        return fd, n
    return None, -1


def _wait_in_queue(folder: Path, bound: int) -> tuple[int, int]:
    """Queue behind other waiters, then take the first slot that frees."""
    queue = _open(folder / "queue.lock")
    try:
        fcntl.flock(queue, fcntl.LOCK_EX)  # blocks while someone else is first in line
        while True:
            fd, n = _try_any(folder, bound)
            if fd is not None:
                return fd, n
            time.sleep(POLL_S)
    finally:
        os.close(queue)
