"""The classroom's web server: textual-serve, with one fresh demo process per browser tab.

Every websocket a trainee's page opens gets a demo folder of its own (classroom.room) and a
demo process (classroom.child) whose HOME, XDG folders, TMPDIR and working folder all lie in
it; when the tab closes the process is told to quit (killed if it does not) and the folder is
removed. A cap limits how many demos run at once; the next trainee is told the room is full.
The trainer's page (/trainer/TOKEN) shows everyone's progress, moves every demo's clock at
once, and shows one trainee's screen read-only for the projector.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.download_manager import DownloadManager

from tui_app.classroom.exercise import STEPS
from tui_app.classroom.pages import (
    FULL_TEXT,
    full_html,
    message_html,
    page,
    terminal_text,
    trainee_html,
    trainer_html,
    viewer_html,
)
from tui_app.classroom.room import Room, read_json
from tui_app.classroom.seat import DROPPED, QUIT_SECONDS, DemoService, Seat

log = logging.getLogger("tui_app.classroom")

__all__ = ["DROPPED", "QUIT_SECONDS", "ClassroomServer", "DemoService", "Seat", "serve"]

STATIC = Path(str(textual_serve.__file__)).resolve().parent / "static"


class ClassroomServer:
    """The web server of one class."""

    def __init__(
        self, room: Room, *, host: str, port: int, cap: int, token: str, font_size: int = 16
    ) -> None:
        self.room = room
        self.host = host
        self.port = port
        self.cap = cap
        self.token = token
        self.font_size = font_size
        self.seats: dict[str, Seat] = {}
        self.joined = 0
        self._ending: set[asyncio.Future[None]] = set()
        self.download_manager = DownloadManager()

    # --- the app -------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The aiohttp application (routes only; `serve` runs it)."""
        app = web.Application()
        app.add_routes(
            [
                web.get("/", self.handle_index),
                web.get("/ws", self.handle_websocket),
                web.get("/ws/{label}", self.handle_websocket),
                web.get("/status.json", self.handle_status),
                web.get("/trainer/{token}", self.handle_trainer),
                web.get("/trainer/{token}/progress.json", self.handle_progress),
                web.post("/trainer/{token}/clock", self.handle_clock),
                web.get("/trainer/{token}/view/{demo}", self.handle_view),
                web.get("/trainer/{token}/ws/{demo}", self.handle_view_socket),
                web.static("/static", STATIC),
            ]
        )
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _on_shutdown(self, _app: web.Application) -> None:
        await asyncio.gather(*(self._end(seat) for seat in list(self.seats.values())))
        await asyncio.gather(*list(self._ending), return_exceptions=True)

    @property
    def full(self) -> bool:
        """True when as many demos run as the cap allows."""
        return len(self.seats) >= self.cap

    # --- trainees ------------------------------------------------------------------------

    async def handle_index(self, request: web.Request) -> web.Response:
        if self.full:
            return page(full_html(self.cap), status=503)
        label = request.query.get("namn", "").strip()[:40]
        ws = "/ws" + (f"/{quote(label, safe='')}" if label else "")
        return page(trainee_html(ws, self.font_size))

    async def handle_status(self, _request: web.Request) -> web.Response:
        return web.json_response({"demos": len(self.seats), "cap": self.cap, "full": self.full})

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        if self.full:
            await websocket.send_bytes(terminal_text(FULL_TEXT.format(cap=self.cap)))
            await websocket.close()
            return websocket
        self.joined += 1
        label = unquote(request.match_info.get("label", "")).strip()[:40]
        label = "".join(c for c in label if c.isprintable()) or f"Elev {self.joined}"
        width = _to_int(request.query.get("width"), 80)
        height = _to_int(request.query.get("height"), 24)
        demo = self.room.new_demo(label)
        seat = Seat(demo=demo, label=label, number=self.joined, size=(width, height))
        self.seats[demo.id] = seat
        log.info("demo %s started for %s", demo.id, label)
        try:
            seat.service = service = DemoService(
                seat,
                self.room,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
            )
            await service.start(width, height)
            await self._process_messages(websocket, seat, service)
        except asyncio.CancelledError:
            pass
        except Exception:  # one trainee's broken demo never stops the class
            log.exception("demo %s failed", demo.id)
        finally:
            # The end runs as a task of its own: aiohttp cancels this handler when the tab
            # goes away, and the demo must still quit before its folder is removed.
            ending = asyncio.ensure_future(self._end(seat))
            self._ending.add(ending)
            ending.add_done_callback(self._ending.discard)
            try:
                await asyncio.shield(ending)
            except asyncio.CancelledError:
                pass
            if not websocket.closed:
                await websocket.close()
        return websocket

    async def _process_messages(
        self, websocket: web.WebSocketResponse, seat: Seat, service: DemoService
    ) -> None:
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
                kind, data = envelope[0], (envelope[1] if len(envelope) > 1 else None)
            except (ValueError, IndexError, TypeError, KeyError):
                continue
            if kind == "stdin" and isinstance(data, str):
                await service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                seat.size = (_to_int(data.get("width"), 80), _to_int(data.get("height"), 24))
                await service.set_terminal_size(*seat.size)
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()

    async def _end(self, seat: Seat) -> None:
        """End one demo: its process quits (or is killed), its viewers close, its folder goes."""
        if self.seats.get(seat.demo.id) is not seat:
            return
        try:
            if seat.service is not None:
                await seat.service.finish()
        finally:
            for viewer in list(seat.viewers):
                await viewer.close()
            seat.viewers.clear()
            self.seats.pop(seat.demo.id, None)
            self.room.remove_demo(seat.demo)
            log.info("demo %s ended and removed", seat.demo.id)

    # --- the trainer ---------------------------------------------------------------------

    def _trainer(self, request: web.Request) -> None:
        given = request.match_info.get("token", "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.token.encode("utf-8")):
            raise web.HTTPForbidden(
                text="Fel lärarnyckel. Använd adressen som skrevs ut när lektionen startade.",
            )

    def progress(self) -> list[dict[str, Any]]:
        """Every running demo's progress, as the demos last wrote it."""
        rows = []
        for seat in sorted(self.seats.values(), key=lambda s: s.number):
            p = read_json(seat.demo.progress_file)
            raw = p.get("steps")
            ticks = {str(k): bool(v) for k, v in raw} if isinstance(raw, list) else {}
            rows.append(
                {
                    "id": seat.demo.id,
                    "label": seat.label,
                    "signed_in": p.get("signed_in", ""),
                    "done": p.get("done", 0),
                    "total": len(STEPS),
                    "steps": {key: bool(ticks.get(key)) for key, _ in STEPS},
                }
            )
        return rows

    async def handle_trainer(self, request: web.Request) -> web.Response:
        self._trainer(request)
        from tui_app.services.democlock import read_shared_offset

        note = request.query.get("ok", "")
        return page(
            trainer_html(
                self.token,
                self.progress(),
                read_shared_offset(self.room.clock_file).total_seconds(),
                cap=self.cap,
                note=note,
            )
        )

    async def handle_progress(self, request: web.Request) -> web.Response:
        self._trainer(request)
        from tui_app.services.democlock import read_shared_offset

        return web.json_response(
            {
                "demos": self.progress(),
                "cap": self.cap,
                "clock_offset_seconds": read_shared_offset(self.room.clock_file).total_seconds(),
            }
        )

    async def handle_clock(self, request: web.Request) -> web.Response:
        self._trainer(request)
        from tui_app.core.clock import parse_offset
        from tui_app.core.errors import UserError
        from tui_app.services.democlock import advance_shared

        form = await request.post()
        try:
            delta = parse_offset(str(form.get("steg", "+1 dag")))
            advance_shared(self.room.clock_file, delta)
        except UserError as exc:
            return page(message_html("Klockan flyttades inte", exc.message, self.token), 400)
        raise web.HTTPSeeOther(f"/trainer/{self.token}?ok=klocka")

    async def handle_view(self, request: web.Request) -> web.Response:
        self._trainer(request)
        seat = self.seats.get(request.match_info["demo"])
        if seat is None:
            return page(
                message_html("Ingen sådan demo", "Eleven har stängt sin flik.", self.token), 404
            )
        ws = f"/trainer/{self.token}/ws/{seat.demo.id}"
        return page(viewer_html(ws, seat.label, seat.size, self.font_size))

    async def handle_view_socket(self, request: web.Request) -> web.WebSocketResponse:
        self._trainer(request)
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        seat = self.seats.get(request.match_info["demo"])
        if seat is None or seat.service is None:
            await websocket.send_bytes(terminal_text("Eleven har stängt sin flik."))
            await websocket.close()
            return websocket
        seat.viewers.add(websocket)
        # Textual sends only what changes: a resize makes it draw the whole screen once more,
        # which the new viewer needs (the trainee sees the same picture redrawn).
        width, height = seat.size
        await seat.service.set_terminal_size(width, max(1, height - 1))
        await seat.service.set_terminal_size(width, height)
        try:
            async for message in websocket:  # read-only: keys and resizes are dropped
                if message.type == WSMsgType.TEXT and message.data.startswith('["ping"'):
                    await websocket.send_str(json.dumps(["pong", json.loads(message.data)[1]]))
        finally:
            seat.viewers.discard(websocket)
        return websocket


def _to_int(value: object, default: int) -> int:
    try:
        return max(1, min(500, int(str(value))))
    except ValueError:
        return default


def serve(server: ClassroomServer) -> None:
    """Run the server until Ctrl-C (every demo is ended and removed on the way out)."""
    web.run_app(
        server.make_app(),
        host=server.host,
        port=server.port,
        print=lambda *_args: None,
        handle_signals=True,
        shutdown_timeout=QUIT_SECONDS,
    )
