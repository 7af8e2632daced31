"""The classroom server without a browser (issue 17): a websocket per trainee gets a demo of
its own in its own folder, closing it ends the demo and removes its data, the cap tells the
next trainee the room is full, and the trainer's page needs its token."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="the classroom extra (textual-serve) is not installed")

from aiohttp import WSMsgType  # noqa: E402
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from tui_app.classroom.room import Room, open_room  # noqa: E402
from tui_app.classroom.server import ClassroomServer  # noqa: E402

TOKEN = "lärarnyckel-123"
WAIT = 90.0  # generous: demos start on a loaded machine


async def until(check: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    """Wait for a condition (polling), failing with `what` after a generous timeout."""
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[ClassroomServer, TestClient, Room]]:
    room = open_room(tmp_path / "room")
    server = ClassroomServer(room, host="127.0.0.1", port=0, cap=1, token=TOKEN)
    client = TestClient(TestServer(server.make_app()))
    await client.start_server()
    try:
        yield server, client, room
    finally:
        await client.close()


async def test_classroom_each_tab_gets_its_own_demo_removed_on_close(
    served: tuple[ClassroomServer, TestClient, Room],
) -> None:
    server, client, room = served
    page = await client.get("/?namn=Elev%20A")
    assert page.status == 200 and "Din egen demo startar" in await page.text()
    ws = await client.ws_connect("/ws/Elev%20A?width=80&height=24")
    screen = bytearray()

    async def read() -> None:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                screen.extend(msg.data)

    reader = asyncio.create_task(read())
    await until(lambda: len(server.seats) == 1, "the seat")
    seat = next(iter(server.seats.values()))
    assert seat.label == "Elev A"
    await until(lambda: (seat.demo.data / "demo.sqlite").exists(), "the demo database")
    await until(lambda: b"Daniel" in screen, "the sign-in picker on the trainee's screen")
    await until(lambda: seat.demo.progress_file.exists(), "the exercise's progress")

    # Everything the demo writes is inside its own folder: HOME, XDG folders, TMPDIR, cwd.
    assert seat.service is not None and seat.service.pid is not None
    pid = seat.service.pid
    env = dict(
        line.split("=", 1)
        for line in Path(f"/proc/{pid}/environ").read_text().split("\0")
        if "=" in line
    )
    for key in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "TMPDIR"):
        assert Path(env[key]).is_relative_to(seat.demo.path), key
    assert env["TUI_APP_CONFIG"] == str(room.settings_file)
    assert not any(k.startswith("TUI_APP_TEST") for k in env)
    assert Path(os.readlink(f"/proc/{pid}/cwd")) == seat.demo.home

    # The room is full (cap 1): the page and the terminal both say so, in Swedish.
    full = await client.get("/")
    assert full.status == 503 and "Rummet är fullt" in await full.text()
    other = await client.ws_connect("/ws")
    said = b""
    async for msg in other:
        if msg.type == WSMsgType.BINARY:
            said += msg.data
    assert "Rummet är fullt".encode() in said and len(server.seats) == 1

    # The trainer's page needs the token; it lists the demo and moves the shared clock.
    assert (await client.get("/trainer/fel")).status == 403
    assert (await client.get("/trainer/fel/progress.json")).status == 403
    trainer = await client.get(f"/trainer/{TOKEN}")
    assert trainer.status == 200 and "Elev A" in await trainer.text()
    progress = await (await client.get(f"/trainer/{TOKEN}/progress.json")).json()
    assert [d["label"] for d in progress["demos"]] == ["Elev A"]
    assert progress["demos"][0]["done"] == 0 and progress["clock_offset_seconds"] == 0
    moved = await client.post(
        f"/trainer/{TOKEN}/clock", data={"steg": "+1 dag"}, allow_redirects=False
    )
    assert moved.status == 303
    assert float(room.clock_file.read_text()) == 86400
    bad = await client.post(f"/trainer/{TOKEN}/clock", data={"steg": "i morgon"})
    assert bad.status == 400 and "förstås inte" in await bad.text()

    # A read-only view of the trainee's screen gets the whole screen drawn again.
    view = await client.get(f"/trainer/{TOKEN}/view/{seat.demo.id}")
    assert view.status == 200 and "bara visning" in await view.text()
    viewer = await client.ws_connect(f"/trainer/{TOKEN}/ws/{seat.demo.id}?width=80&height=24")
    seen = bytearray()

    async def watch() -> None:
        async for msg in viewer:
            if msg.type == WSMsgType.BINARY:
                seen.extend(msg.data)

    watcher = asyncio.create_task(watch())
    await until(lambda: b"Daniel" in seen, "the trainee's screen on the viewer")
    await viewer.send_json(["stdin", "q"])  # dropped: a viewer never types into a demo

    # Closing the tab ends the demo and removes its data.
    await ws.close()
    await until(lambda: not server.seats, "the demo to end")
    await until(lambda: not seat.demo.path.exists(), "the demo folder to be removed")
    assert not _alive(pid)
    assert room.demos() == []
    await asyncio.wait_for(reader, WAIT)
    await asyncio.wait_for(watcher, WAIT)  # the viewer is closed with the demo
    again = await client.get("/")
    assert again.status == 200  # a seat is free again


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"
