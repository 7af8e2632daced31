"""A live inbox across app servers: tell a screen, within a second or so, that the database has
changed, whichever process or server changed it.

- PostgreSQL: every transaction that wrote sends `NOTIFY tui_app_changes` inside itself just
  before it commits (store.db), so the notice arrives exactly when the change is visible, and
  never for a transaction that rolled back. A watcher holds one connection that LISTENs. (A
  pooler in transaction mode cannot carry LISTEN: the watcher then falls back to polling.)
- SQLite: `PRAGMA data_version` on a connection of its own changes whenever another
  connection, in any process, has committed; the watcher reads it every half second (a read
  of the file header page, no lock writers wait for), and when it moved, the `setting` row
  that every such commit bumps (store.db.LIVE_STAMP).

Either way a transaction that only appended to the access log (every case a nurse opens is
logged, R24) tells nobody: no inbox shows it, and with 50 staff signed in a notice for each
would make every open inbox refresh about twice a second for nothing.

The watcher runs in a daemon thread and calls `on_change()` from it (at most once per
interval, changes in between are coalesced); the caller moves to its own thread (Textual:
`app.call_from_thread`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tui_app.services.context import Context

log = logging.getLogger(__name__)

CHANNEL = "tui_app_changes"  # store.db.LIVE_CHANNEL (not imported: that loads the data layer)
STAMP = "live_changes"  # store.db.LIVE_STAMP
POLL_SECONDS = 0.5


class Watcher:
    """Calls on_change when the database changed; `stop()` ends it."""

    def __init__(self, get_engine: Callable[[], Engine], on_change: Callable[[], object]) -> None:
        self._get_engine = get_engine
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tui_app-live", daemon=True)
        #: set once the watcher listens (tests and the bench wait for it)
        self.ready = threading.Event()
        #: SQLite: set each time the watcher saw the file change and looked whether an inbox
        #: would show it (tests wait for it)
        self.examined = threading.Event()

    def start(self) -> Watcher:
        """Start watching in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching (returns at once; the thread ends within an interval)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the watcher's thread to end (after stop)."""
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            engine = self._get_engine()  # waits while the data layer is still loading
            if engine.dialect.name == "postgresql":
                self._listen(engine)
            else:
                self._poll_sqlite(engine)
        except Exception:  # a live inbox is a comfort: the screen's own timer still refreshes
            log.warning("the live inbox stopped", exc_info=True)

    def _changed(self) -> None:
        try:
            self._on_change()
        except Exception:
            log.warning("live inbox: on_change failed", exc_info=True)

    def _listen(self, engine: Engine) -> None:
        import psycopg

        url = engine.url
        conninfo: dict[str, Any] = {
            k: v
            for k, v in {
                "host": url.host,
                "port": url.port,
                "user": url.username,
                "password": url.password,
                "dbname": url.database,
            }.items()
            if v is not None
        }
        conninfo.update({k: v for k, v in url.query.items() if isinstance(v, str)})
        with psycopg.connect(autocommit=True, **conninfo) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.ready.set()
            while not self._stop.is_set():
                got = False
                for _ in conn.notifies(timeout=POLL_SECONDS):
                    got = True
                    break  # one is enough: the rest of this burst is drained below
                if got:
                    for _ in conn.notifies(timeout=0.05):  # coalesce a burst of commits
                        pass
                    self._changed()

    def _poll_sqlite(self, engine: Engine) -> None:
        import sqlite3

        from tui_app.store.quick import sqlite_path

        path = sqlite_path(str(engine.url))
        if path is None:
            return  # an in-memory database: only this connection sees it
        conn = sqlite3.connect(
            f"{path.absolute().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        try:
            seen, stamp = self._version(conn), self._stamp(conn)
            self.ready.set()
            while not self._stop.wait(POLL_SECONDS):
                now = self._version(conn)
                if now == seen:
                    continue
                seen, was, stamp = now, stamp, self._stamp(conn)
                self.examined.set()
                if stamp != was:  # not an access-log append only
                    self._changed()
        finally:
            conn.close()

    @staticmethod
    def _version(conn: Any) -> int:
        return int(conn.execute("PRAGMA data_version").fetchone()[0])

    @staticmethod
    def _stamp(conn: Any) -> str | None:
        """The LIVE_STAMP row (store.db): bumped by every commit that wrote something an
        inbox shows; the access log's appends leave it (and so every inbox) alone."""
        import sqlite3

        try:
            row = conn.execute("SELECT value FROM setting WHERE key = ?", (STAMP,)).fetchone()
        except sqlite3.OperationalError:  # no tables yet: nothing an inbox shows either
            return None
        return None if row is None else str(row[0])


def watch(ctx: Context, on_change: Callable[[], object]) -> Watcher:
    """Start a watcher on the context's database (the engine may still be loading)."""
    return Watcher(lambda: ctx.engine, on_change).start()


__all__ = ["CHANNEL", "Watcher", "watch"]
