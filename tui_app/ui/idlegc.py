"""The cyclic garbage collector's full pass, moved to a moment when nobody is typing.

A closed screen leaves cycles behind (each widget points at its parent and its parent at it):
a case screen, opened and left, is some 5,000 objects that only the collector's full pass
(generation 2) frees. CPython starts that pass when enough younger passes have run, which
is while a key is being handled (that is when objects are made): measured in the real app
at 1M cases (bench/inbox_keys.py), one g or Esc in three paid a 10-20 ms pass, the whole
difference between their median and their p95.

So while the app runs the automatic full pass is made rare (BACKSTOP times CPython's own
threshold, so memory stays bounded whatever the keys), and the app runs it itself once no
input (a key, or any mouse event, moves included) has come for IDLE_S seconds and as many
younger passes have run as CPython would have waited for. The app asks about 10 times a
second (TuiApp.on_mount). CPython also waits until the objects that survived younger passes
are a quarter of the long-lived ones before a full pass; the idle pass does not wait for that
(it costs nothing that anyone waits for). A key that comes during it waits for it, as it
would have anyway.

A collector without a third threshold (0: the automatic full pass is off, or the GC is
incremental, as in CPython 3.14, where there is no generation-2 count to wait for) is left
alone: start() does nothing and tick() never collects.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

IDLE_S = 0.25  # no key for this long: the person is reading, not typing
BACKSTOP = 4  # the automatic full pass still comes after this many times its usual wait


def due(idle_s: float, pending: int, threshold: int) -> bool:
    """Whether to run the full pass now: `idle_s` since the last key, `pending` younger
    (generation 1) passes since the last full one, `threshold` CPython's own for them."""
    return threshold > 0 and idle_s >= IDLE_S and pending >= threshold


class IdleCollector:
    """Started and stopped around a real session (TuiApp.run): the threshold is the
    process's, and tests run many apps in one process under Pilot."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.last_input = clock()
        self._saved: tuple[int, int, int] | None = None
        self.collections = 0  # full passes run when idle (for tests and curiosity)

    @property
    def running(self) -> bool:
        return self._saved is not None

    def start(self) -> None:
        if self._saved is None:
            saved = gc.get_threshold()
            if len(saved) != 3 or saved[2] <= 0 or not gc.isenabled():
                return  # no full pass to move (module docstring): stay off
            self._saved = saved
            first, second, third = saved
            gc.set_threshold(first, second, third * BACKSTOP)

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def input(self) -> None:
        """A key (or the mouse) came now."""
        self.last_input = self._clock()

    def tick(self) -> bool:
        """Run the full pass if it is due (called a few times a second); True if it ran."""
        if self._saved is None:
            return False
        if not due(self._clock() - self.last_input, gc.get_count()[2], self._saved[2]):
            return False
        gc.collect()
        self.collections += 1
        return True
