"""Pilot: while every intake worker of the server is busy, the patient sees "väntar på kontroll"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Input

from tests import intake_fixtures as fx
from tests.conftest import ELIN, patient, send
from tests.test_intake_slots import HOLDER
from tests.test_ui_flow import settle
from tui_app.services.context import Context
from tui_app.ui.app import build_app


def _text(app) -> str:  # type: ignore[no-untyped-def]
    lst = app.screen.query_one("#attachments")
    return "\n".join(str(lst.get_option_at_index(i).prompt) for i in range(lst.option_count))


async def _until(pilot, cond) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until cond() holds (a condition, not a timed sleep)."""
    for _ in range(6000):
        if cond():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition never held")


async def test_r09_patient_sees_the_file_waiting_for_a_check_then_checked(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUI_APP_INTAKE_WORKERS", "1")
    send(ctx, pnr=ELIN)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(ctx.data_dir / "intake-slots")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    src = fx.write(tmp_path, "utslag.jpg", fx.jpeg())
    app = build_app(ctx, patient(ctx, ELIN))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("f3")
            await settle(pilot)
            app.screen.query_one("#path", Input).value = str(src)
            await pilot.press("enter")
            await _until(pilot, lambda: "väntar på kontroll" in _text(app))
            assert "utslag.jpg – väntar på kontroll" in _text(app)
            assert holder.stdin is not None
            holder.stdin.close()  # the other check on the server ends
            holder.wait()
            await settle(pilot)
            await _until(pilot, lambda: "✓ utslag.jpg" in _text(app))
            assert "väntar" not in _text(app)
    finally:
        holder.kill()
        holder.wait()
