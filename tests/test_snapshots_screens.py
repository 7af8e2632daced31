"""Text snapshots at 80x24 of the new-case, send-confirmation, patient reply and preview screens.

Same helpers and update rule as tests/test_snapshots.py: `UPDATE_SNAPSHOTS=1 python -m pytest
tests/test_snapshots_screens.py`, then read the diff of tests/snapshots/ before committing it.
"""

from __future__ import annotations

from tests.conftest import ELIN, patient, send, staff
from tests.handling_fixtures import case_with_files
from tests.test_snapshots import check, screen_text
from tests.test_ui_flow import settle
from tests.test_ui_preview import open_preview
from tui_app.services.context import Context
from tui_app.ui.app import build_app


async def test_snapshot_new_case_and_send_confirmation(ctx: Context) -> None:
    send(ctx, "danan12", "199002222397", "REUM-SKO")  # the unit last sent from is offered
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        check("new_case", screen_text(app))
        await pilot.press(*ELIN, "enter")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        check("new_case_confirm", screen_text(app))


async def test_snapshot_patient_typing_sees_the_reply_form(ctx: Context) -> None:
    send(ctx, pnr=ELIN)
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"Här kommer bilden")
        await pilot.pause()
        check("patient_typing", screen_text(app))


async def test_snapshot_preview_full_screen(ctx: Context) -> None:
    case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_preview(pilot)
        check("preview", screen_text(app))
