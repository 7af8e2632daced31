"""The writers' queue of a SQLite database: app processes wait for its write lock in the kernel.

SQLite has no waiting list for its write lock: a writer that finds it taken sleeps and tries
again. With dozens of sessions on a shared 2-core server, the waiters' tries keep the CPU busy
while the one holding the lock waits its turn to run, so every write takes longer and waiters
time out ("database is locked"). So an app writer first takes an exclusive `flock` on a file
beside the database (`<db>-writers`), and only then BEGIN IMMEDIATE, which then normally
succeeds at once: waiters sleep in the kernel, and the next one is woken the moment the lock is
let go (at COMMIT or ROLLBACK). The wait ends at the busy timeout as before.

The gate is an optimisation, never a condition: where the file cannot be made or opened, or
for writers that do not know of it (the sqlite3 shell, an older version), SQLite's own lock
still decides, and BEGIN IMMEDIATE's retries cover it. (The lock is on a file of its own: an
fd opened and closed on the database or its -shm would drop SQLite's POSIX locks.)
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path

SUFFIX = "-writers"


def gate_path(db: Path) -> Path:
    """The gate file of a database file."""
    return Path(f"{db}{SUFFIX}")


def prepare(db: Path) -> Path | None:
    """Make the gate file (the app's file mode) if it is missing; None if that cannot be."""
    from tui_app.store import fsmode

    path = gate_path(db)
    try:
        fsmode.create_file(path)
        return path
    except OSError:
        return None


def acquire(path: Path, timeout: float) -> int | None:
    """Take the gate: the fd holding it, or None when it could not be had within `timeout`
    seconds or cannot be used at all (the caller then relies on SQLite's lock alone)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        pass
    except OSError:
        os.close(fd)
        return None
    return _wait(fd, timeout)


def _wait(fd: int, timeout: float) -> int | None:
    """Block in the kernel for the gate, in a helper thread so that the wait can end at the
    timeout; a helper that gets the gate after its caller gave up lets it go at once."""
    mutex = threading.Lock()
    got = threading.Event()
    state = ["waiting"]

    def block() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
        with mutex:
            if state[0] == "abandoned":
                os.close(fd)  # lets the gate go
                return
            state[0] = "got"
        got.set()

    threading.Thread(target=block, name="tui_app-writegate", daemon=True).start()
    if got.wait(timeout):
        return fd
    with mutex:
        if state[0] == "got":
            return fd
        state[0] = "abandoned"
    return None


class GatedConnection(sqlite3.Connection):
    """A writing connection that lets the gate go when its transaction ends."""

    gate_fd: int | None = None

    def release_gate(self) -> None:
        fd, self.gate_fd = self.gate_fd, None
        if fd is not None:
            os.close(fd)  # closing the fd releases the flock

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_gate()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_gate()
