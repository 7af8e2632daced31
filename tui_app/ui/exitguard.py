"""A quit that always ends the process.

Textual runs thread workers in asyncio's default executor, and `asyncio.run` joins that
executor's threads before it returns (Python 3.11 waits without limit). A read that cannot
finish (a file system or database that stopped answering) would keep a closed session's
process, with its patient data in memory, alive for ever after the nurse quit or her SSH
connection closed. So quitting arms a guard: if the process is still there EXIT_GRACE_S after
the quit, it ends itself with the app's return code. The terminal is restored before the
executor is joined, and every write is one transaction, so ending here is no worse than the
crash the store is built to survive (tested with SIGKILL).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable

EXIT_GRACE_S = 10.0

log = logging.getLogger(__name__)
_armed = threading.Event()


def thread_stacks() -> str:
    """Where every other thread is now (the read that did not end is among them)."""
    frames = sys._current_frames()
    out = []
    for t in threading.enumerate():
        if t is threading.current_thread() or t.ident not in frames:
            continue
        stack = "".join(traceback.format_stack(frames[t.ident])[-12:])
        out.append(f"thread {t.name!r} (daemon={t.daemon}):\n{stack}")
    return "\n".join(out) or "(none)"


def end_after(grace: float, code: Callable[[], int]) -> None:
    """Arm the guard once: end the process `grace` seconds from now unless it has ended."""
    if _armed.is_set():
        return
    _armed.set()

    def guard() -> None:
        time.sleep(grace)  # a daemon thread: gone with the process when it ends in time
        log.warning(
            "still running %.0f s after quitting (a read that does not end): exiting; "
            "the threads still running:\n%s",
            grace,
            thread_stacks(),
        )
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code())

    threading.Thread(target=guard, name="tui_app-exit-guard", daemon=True).start()
