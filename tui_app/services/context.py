"""What every use case needs: the engine, the clock and the settings; built once per process."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.core.clock import Clock, SystemClock
from tui_app.core.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tui_app.config import Settings


log = logging.getLogger(__name__)

#: The use cases the first actions on the inbox run (list, open a case, its files, the clock).
_FIRST_NEEDED = (
    "tui_app.services.cases",
    "tui_app.services.handling",
    "tui_app.services.democlock",
)


class Context:
    """The running app's engine, clock and data directory; passed to every service.

    The engine may arrive later than the context: on start-up the app paints the inbox from
    a plain read (services.quickstart) while a thread loads the data layer (`load_later`).
    Whoever needs the engine before then waits for it; nothing else changes for them.
    """

    def __init__(
        self,
        engine: Engine | None,
        clock: Clock,
        data_dir: Path,
        demo: bool = False,
        settings: dict[str, object] | None = None,
    ) -> None:
        self._engine = engine
        self._url: str | None = None  # set when the engine is loaded later
        self._ready = threading.Event()
        self._retry = threading.Lock()
        self._failed: BaseException | None = None
        if engine is not None:
            self._ready.set()
        self.clock = clock
        self.data_dir = data_dir
        self.demo = demo
        self.settings: dict[str, object] = settings if settings is not None else {}

    @property
    def engine(self) -> Engine:
        """The database engine; waits while it is still being loaded. If loading failed, each
        use tries again (a database locked for a while, a share back online), so the app works
        again once the cause is gone. Use it from worker threads, not the UI thread."""
        self._ready.wait()
        if self._engine is None and self._url is not None:
            with self._retry:
                if self._engine is None:
                    try:
                        self._engine = _open_engine(self._url)
                    except Exception as exc:  # explained below, logged
                        log.warning("opening the database failed again", exc_info=True)
                        self._failed = exc
        if self._engine is None:
            from tui_app.services.errors import explain

            why = explain(self._failed) if self._failed is not None else ""
            raise UserError(
                f"Databasen kunde inte öppnas. {why} Försök igen (u) eller starta om appen."
            ) from self._failed
        return self._engine

    @property
    def loaded(self) -> bool:
        """True once loading has ended (the engine is there, or loading failed): from then on
        using the engine never waits for the background thread."""
        return self._ready.is_set()

    def load_later(self, url: str, on_done: Callable[[], object] | None = None) -> threading.Thread:
        """Load the data layer and open the engine in a thread; the app stays responsive.
        `on_done` is called from that thread when loading has ended (engine there, or failed).

        A daemon thread: quitting at once must not wait for a database that is busy. It never
        migrates (the start-up read only runs at the current schema), so stopping it is safe."""
        self._url = url

        def load() -> None:
            try:
                engine = _open_engine(url)
                for module in _FIRST_NEEDED:  # so the first key press imports nothing
                    importlib.import_module(module)
                self._engine = engine
            except BaseException as exc:  # logged; the first user of the engine explains it
                log.warning("loading the data layer failed", exc_info=True)
                self._failed = exc
            finally:
                self._ready.set()
            if on_done is not None:
                on_done()

        thread = threading.Thread(target=load, name="tui_app-data-layer", daemon=True)
        thread.start()
        return thread

    def now(self) -> datetime:
        """The current time (moved by the demo clock in demo mode)."""
        return self.clock.now()

    @property
    def config(self) -> Settings:
        """The deployment's settings (defaults when none were given, as in tests)."""
        from tui_app.config import Settings

        cfg = self.settings.get("config")
        return cfg if isinstance(cfg, Settings) else Settings(data_dir=self.data_dir)

    @property
    def files_dir(self) -> Path:
        """Where received files are stored under generated names."""
        return self.data_dir / "files"


def _open_engine(url: str) -> Engine:
    from tui_app.store.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    return engine


def open_context(
    url: str, data_dir: Path, *, demo: bool = False, clock: Clock | None = None
) -> Context:
    """Open the database (upgrading its schema) and return a ready context."""
    ctx = Context(
        engine=_open_engine(url), clock=clock or SystemClock(), data_dir=data_dir, demo=demo
    )
    if demo and isinstance(ctx.clock, SystemClock):
        from tui_app.services.democlock import load_offset

        ctx.clock.offset = load_offset(ctx)
    return ctx


def close_context(ctx: Context) -> None:
    """Release the engine's connections (once it has been loaded)."""
    if ctx.loaded and ctx._engine is not None:
        ctx._engine.dispose()


__all__ = ["Context", "close_context", "open_context"]
