"""What the case screen says after a step is true of what it shows (R16, R19, R21).

A step (decide, download, clean up) runs in a worker, then the case is read again in a second
one. Said before that reload lands, "Nedladdad till …" sat over a screen that still showed the
file as not downloaded: a nurse who pressed s (Picsara) at once was told to download it first.
Over a slow link or on a loaded server that window is long (the SSH test fell into it). So
the message comes with the reloaded case, and a key pressed after it acts on what it says.

The reload is held back here on purpose (a gate the test opens), never timed.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.conftest import staff
from tests.handling_fixtures import Places, case_with_files
from tests.test_ui_flow import settle, status
from tui_app.services import api
from tui_app.services.context import Context
from tui_app.ui.app import build_app


class Gate:
    """Holds every case reload (open_case without an access-log line) until opened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = threading.Event()
        self.open.set()
        self.waiting = threading.Event()
        real = api.open_case

        def gated(*a: Any, **kw: Any) -> Any:
            if kw.get("log_access") is False:
                self.waiting.set()
                self.open.wait(60)  # a bound for a broken test, not a timing assumption
            return real(*a, **kw)

        monkeypatch.setattr(api, "open_case", gated)

    def hold(self) -> None:
        self.open.clear()
        self.waiting.clear()


@asynccontextmanager
async def the_case(ctx: Context) -> AsyncIterator[tuple[Any, Any]]:
    """A nurse on the case screen of a case with an image and a PDF (the image highlighted)."""
    case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        yield app, pilot


async def until_reload_waits(pilot, gate: Gate) -> None:  # type: ignore[no-untyped-def]
    """Let the step's worker finish and its answer arrive, up to the held reload."""
    for _ in range(200):
        if gate.waiting.is_set():
            break
        await pilot.pause()
    assert gate.waiting.is_set(), "the step never asked for the case again"
    for _ in range(5):  # the step's answer, and anything it posted, handled
        await pilot.pause()


async def test_r19_after_the_download_is_said_s_opens_picsara_at_once(
    ctx: Context, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    async with the_case(ctx) as (app, pilot):
        await pilot.press("j")  # journaled: the image
        await settle(pilot)
        gate.hold()
        await pilot.press("l")
        await until_reload_waits(pilot, gate)
        assert len(list(places.downloads.iterdir())) == 1  # the copy is there
        # While the screen still shows the file as not downloaded it does not say it is.
        assert "Nedladdad till" not in status(app)
        gate.open.set()
        await settle(pilot)
        assert "Nedladdad till" in status(app)
        await pilot.press("s")
        await settle(pilot)
        assert type(app.screen).__name__ == "AskDialog", status(app)


async def test_r21_the_cleanup_is_said_with_the_reloaded_case(
    ctx: Context, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    async with the_case(ctx) as (app, pilot):
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        gate.hold()
        await pilot.press("r")
        await until_reload_waits(pilot, gate)
        assert list(places.downloads.iterdir()) == []
        assert "Ingen kopia finns kvar" not in status(app)
        gate.open.set()
        await settle(pilot)
        assert "Ingen kopia finns kvar" in status(app)


async def test_r16_a_decision_is_said_with_the_reloaded_case(
    ctx: Context, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    async with the_case(ctx) as (app, pilot):
        gate.hold()
        await pilot.press("j")
        await until_reload_waits(pilot, gate)
        assert "Journalförs:" not in status(app)
        gate.open.set()
        await settle(pilot)
        assert "Journalförs:" in status(app)
        await pilot.press("l")  # the decision shown: the download is allowed at once
        await settle(pilot)
        assert "Nedladdad till" in status(app), status(app)
