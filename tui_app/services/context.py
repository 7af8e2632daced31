"""What every use case needs: the engine, the clock and the settings; built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from tui_app.core.clock import Clock, SystemClock
from tui_app.store.db import make_engine, upgrade

if TYPE_CHECKING:
    from tui_app.config import Settings


@dataclass
class Context:
    """The running app's engine, clock and data directory; passed to every service."""

    engine: Engine
    clock: Clock
    data_dir: Path
    demo: bool = False
    settings: dict[str, object] = field(default_factory=dict)

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


def open_context(
    url: str, data_dir: Path, *, demo: bool = False, clock: Clock | None = None
) -> Context:
    """Open the database (upgrading its schema) and return a ready context."""
    engine = make_engine(url)
    upgrade(engine)
    ctx = Context(engine=engine, clock=clock or SystemClock(), data_dir=data_dir, demo=demo)
    if demo and isinstance(ctx.clock, SystemClock):
        from tui_app.services.democlock import load_offset

        ctx.clock.offset = load_offset(ctx)
    return ctx


def close_context(ctx: Context) -> None:
    """Release the engine's connections."""
    ctx.engine.dispose()


__all__ = ["Context", "open_context", "close_context"]
