"""A cancellation token for a query that a newer request has made pointless.

The UI thread calls `Cancel.cancel()` (search as you type: the previous keystroke's query);
the worker running the query under the token has registered how to interrupt its database
connection (SQLite: `sqlite3.Connection.interrupt()`, psycopg: `Connection.cancel_safe()`),
so the query stops where it is and `Cancelled` is raised instead of a result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

REPEAT = 0.05  # seconds between two cancel requests to a server (see Cancel._again)


class Cancelled(Exception):
    """The query ran under a token that was cancelled: its result is no longer wanted."""


class Cancel:
    """A token: cancel() from any thread stops the query running under it (at most one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._interrupt: Callable[[], object] | None = None
        self._repeat = False

    @property
    def cancelled(self) -> bool:
        """Whether cancel() was called."""
        return self._cancelled

    def cancel(self) -> None:
        """Stop the query running under this token, or the next one before it starts."""
        with self._lock:  # held while interrupting: the query cannot end and its connection
            self._cancelled = True  # serve another one meanwhile
            interrupt = self._interrupt
            self._fire()
        if interrupt is not None and self._repeat:
            threading.Thread(target=self._again, args=(interrupt,), daemon=True).start()

    def _fire(self) -> None:
        if self._interrupt is not None:
            try:
                self._interrupt()
            except Exception:  # noqa: BLE001  (a connection already closed: nothing to stop)
                log.debug("cancel: the interrupt failed", exc_info=True)

    def _again(self, interrupt: Callable[[], object]) -> None:
        """A server's cancel reaches only a running statement: one sent just before it
        started is lost, so it is sent again every REPEAT seconds while that query lasts."""
        while True:
            time.sleep(REPEAT)
            with self._lock:
                if self._interrupt is not interrupt:
                    return
                self._fire()

    def check(self) -> None:
        """Raise Cancelled if the token was cancelled."""
        if self._cancelled:
            raise Cancelled

    @contextmanager
    def interrupting(
        self, interrupt: Callable[[], object], *, repeat: bool = False
    ) -> Iterator[None]:
        """While inside, cancel() calls `interrupt` (from the cancelling thread; with
        `repeat`, again every REPEAT seconds until the block is left); raises Cancelled at
        once if the token is already cancelled, and on leaving if it was cancelled meanwhile,
        whatever the interrupted query raised."""
        with self._lock:
            if self._cancelled:
                raise Cancelled
            self._interrupt = interrupt
            self._repeat = repeat
        try:
            yield
        except Exception as exc:
            if self._cancelled:
                raise Cancelled from exc
            raise
        finally:
            with self._lock:
                self._interrupt = None
        self.check()
