"""One trainee's seat in the classroom: the running demo, and the textual-serve process
manager that runs it in its own folders and also sends its screen to read-only viewers."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from textual_serve.app_service import AppService

from tui_app.classroom.child import ENV_CLOCK, ENV_DEMO
from tui_app.classroom.room import DemoFolder, Room

#: How long a demo may take to quit after its tab closed before it is killed.
QUIT_SECONDS = 10.0
#: The variables of the server's environment a demo process never inherits.
DROPPED = ("TUI_APP_", "XDG_", "TEXTUAL", "COLUMNS", "ROWS")


@dataclass
class Seat:
    """One trainee's running demo."""

    demo: DemoFolder
    label: str
    number: int
    started: float = field(default_factory=time.monotonic)
    service: DemoService | None = None
    size: tuple[int, int] = (80, 24)
    viewers: set[web.WebSocketResponse] = field(default_factory=set)
    ready_at: float | None = None  # when the demo first drew its screen (monotonic)


class DemoService(AppService):
    """textual-serve's process manager, for a demo: its own folders and environment, the
    command run without a shell, and the screen also sent to read-only viewers."""

    def __init__(self, seat: Seat, room: Room, **kwargs: Any) -> None:
        command = shlex.join([sys.executable, "-m", "tui_app.classroom.child", str(seat.demo.path)])
        super().__init__(command, **kwargs)
        self.seat = seat
        self.room = room

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = {k: v for k, v in super()._build_environment(width, height).items()}
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED)}
        served = {k: v for k, v in env.items() if k not in os.environ or k in ("COLUMNS", "ROWS")}
        home = self.seat.demo.home
        return {
            **inherited,
            **served,
            "TEXTUAL_DRIVER": env["TEXTUAL_DRIVER"],
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "TMPDIR": str(self.seat.demo.tmp),
            "TUI_APP_CONFIG": str(self.room.settings_file),
            ENV_DEMO: str(self.seat.demo.path),
            ENV_CLOCK: str(self.room.clock_file),
        }

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        self._process = process = await asyncio.create_subprocess_exec(
            *shlex.split(self.command),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            cwd=self.seat.demo.home,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def on_data(self, payload: bytes) -> None:
        if self.seat.ready_at is None:
            self.seat.ready_at = time.monotonic()
        await super().on_data(payload)
        for viewer in list(self.seat.viewers):
            try:
                await viewer.send_bytes(payload)
            except (ConnectionError, RuntimeError):
                self.seat.viewers.discard(viewer)

    async def on_meta(self, data: bytes) -> None:
        meta = json.loads(data)
        if meta.get("type") in ("open_url", "deliver_file_start"):
            return  # a demo never opens pages or hands files to the browser
        await super().on_meta(data)

    @property
    def pid(self) -> int | None:
        """The demo process's id (for measurements)."""
        return self._process.pid if self._process is not None else None

    async def finish(self) -> None:
        """Quit the demo and wait for its process; kill it if it does not quit in time."""
        try:
            await asyncio.wait_for(self.stop(), QUIT_SECONDS)
        except (TimeoutError, asyncio.TimeoutError, ConnectionError, RuntimeError):
            pass
        process = self._process
        if process is None:
            return
        try:  # its folder is removed next: only once the process is gone
            await asyncio.wait_for(process.wait(), QUIT_SECONDS)
        except (TimeoutError, asyncio.TimeoutError):
            process.kill()
            await process.wait()
