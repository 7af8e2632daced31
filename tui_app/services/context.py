"""What every use case needs: the engine, the clock, the settings and the outside systems.

Built once per process by tui_app.bootstrap (the composition root); tests build it with
`open_context` and put fakes on it (`ctx.picsara = FakePicsara()`).
"""

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

    from tui_app.services.demodir import DemoDir
    from tui_app.services.ports import DownloadsPort, EArkivPort, PicsaraPort, TrashPort
    from tui_app.services.quickstart import InboxSource

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

    The outside systems are Protocol objects (services.ports) the bootstrap chose from the
    settings: `picsara` and `earkiv` are None when the deployment has none configured.
    """

    def __init__(
        self,
        engine: Engine | None,
        clock: Clock,
        data_dir: Path,
        demo: bool = False,
        *,
        config: Settings | None = None,
        picsara: PicsaraPort | None = None,
        earkiv: EArkivPort | None = None,
        downloads: DownloadsPort | None = None,
        trash: TrashPort | None = None,
        notice: str | None = None,
        demo_dir: DemoDir | None = None,
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
        self.config: Settings = config if config is not None else Settings(data_dir=data_dir)
        """The deployment's settings, validated (defaults when none were given, as in tests)."""
        self._picsara = picsara
        self._earkiv = earkiv
        self._ports_lock = threading.Lock()
        self._make_ports: Callable[[], tuple[PicsaraPort | None, EArkivPort | None]] | None = None
        self._downloads = downloads
        self._trash = trash
        self.notice = notice
        """One line the sign-in picker shows (where the demo's folders are); None outside it."""
        self.demo_dir = demo_dir
        self._inbox: InboxSource | None = None
        self.classroom: object | None = None
        """A trainee's seat in `tui-app classroom` (tui_app.classroom.room.Trainee); None else."""

    def ports_later(self, make: Callable[[], tuple[PicsaraPort | None, EArkivPort | None]]) -> None:
        """Build Picsara and E-arkiv on first use (their adapters import image and PDF code,
        which the start-up path must not wait for); the bootstrap's choice, made once."""
        self._make_ports = make

    def _ports(self) -> None:
        if self._make_ports is None:
            return
        with self._ports_lock:  # two workers at once build them once
            make, self._make_ports = self._make_ports, None
            if make is not None:
                self._picsara, self._earkiv = make()

    @property
    def picsara(self) -> PicsaraPort | None:
        """Picsara, or None when this deployment has none configured (R15)."""
        self._ports()
        return self._picsara

    @picsara.setter
    def picsara(self, port: PicsaraPort | None) -> None:
        self._ports()
        self._picsara = port

    @property
    def earkiv(self) -> EArkivPort | None:
        """E-arkiv (a print queue or a folder), or None when none is configured (R20)."""
        self._ports()
        return self._earkiv

    @earkiv.setter
    def earkiv(self, port: EArkivPort | None) -> None:
        self._ports()
        self._earkiv = port

    @property
    def downloads(self) -> DownloadsPort:
        """Hämtade filer: the configured folder, else the user's own Downloads (as the settings
        in force say: built on each use, it follows `config`)."""
        if self._downloads is None:
            from tui_app.adapters.downloads import UserDownloads

            return UserDownloads(self.config.download_dir)
        return self._downloads

    @downloads.setter
    def downloads(self, port: DownloadsPort) -> None:
        self._downloads = port

    @property
    def trash(self) -> TrashPort:
        """The desktop trash deleted copies may sit in."""
        if self._trash is None:
            from tui_app.adapters.trash import DesktopTrash

            self._trash = DesktopTrash()
        return self._trash

    @trash.setter
    def trash(self, port: TrashPort) -> None:
        self._trash = port

    @property
    def inbox(self) -> InboxSource:
        """Where the inbox screen gets its rows (services.quickstart.InboxSource): the page
        read at start-up first, the ordinary query after; the screen need not know which."""
        if self._inbox is None:
            from tui_app.services.quickstart import InboxSource

            self._inbox = InboxSource(self)
        return self._inbox

    @inbox.setter
    def inbox(self, source: InboxSource) -> None:
        self._inbox = source

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
    def files_dir(self) -> Path:
        """Where received files are stored under generated names."""
        return self.data_dir / "files"


def _open_engine(url: str) -> Engine:
    from tui_app.store.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    return engine


def open_context(
    url: str,
    data_dir: Path,
    *,
    demo: bool = False,
    clock: Clock | None = None,
    config: Settings | None = None,
) -> Context:
    """Open the database (upgrading its schema) and return a ready context with no Picsara or
    E-arkiv (tui_app.bootstrap adds the configured ones; tests add fakes)."""
    ctx = Context(
        engine=_open_engine(url),
        clock=clock or SystemClock(),
        data_dir=data_dir,
        demo=demo,
        config=config,
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
