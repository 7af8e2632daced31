"""Issue 11.13 (case screen at 80 columns): every file status the case table can show — each
decision/print/scan/Picsara/pending/copies combination, with the ' ⚠N' copies suffix — fits the
Status column the table gives it at 80x24, with room for a vertical scroll bar."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from rich.cells import cell_len

from tests.conftest import staff
from tests.handling_fixtures import case_with_files
from tests.test_snapshots import screen_text
from tests.test_ui_flow import settle
from tui_app.services.context import Context
from tui_app.services.files import file_status
from tui_app.store.models import Attachment
from tui_app.ui.app import build_app
from tui_app.ui.keys import render
from tui_app.ui.screens.case import CaseScreen

WHEN = datetime(2026, 6, 4, 9, 48, tzinfo=timezone.utc)
COPIES = (0, 1, 9, 10, 99)


def shown(status: str, copies: int) -> str:
    """What the case table writes in the Status cell (tui_app/ui/screens/case.py), its key
    hints rendered with the case screen's default keys."""
    return render(CaseScreen, status) + (f" ⚠{copies}" if copies else "")


def every_status() -> set[str]:
    out = set()
    for decision, mime, printed, scanned, picsara, pending, copies in itertools.product(
        (None, "journalförs", "journalförs inte"),
        ("image/jpeg", "application/pdf"),
        (False, True),
        (False, True),
        (False, True),
        (None, "picsara", "e-arkiv"),
        COPIES,
    ):
        a = Attachment(
            case_id=1,
            message_id=1,
            original_name="x",
            storage_key="k",
            mime=mime,
            size=1,
            decision=decision,
            printed_at=WHEN if printed else None,
            scanned_at=WHEN if scanned else None,
            picsara_at=WHEN if picsara else None,
            pending_action=pending,
        )
        out.add(shown(file_status(a, copies), copies))
    return out


async def status_width(ctx: Context) -> int:
    """The cells the case table leaves its Status column at 80 columns (a scroll bar included)."""
    case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        t = app.screen.query_one("#files")
        status = t.ordered_columns[2]
        assert str(status.label) == "Status"
        others = sum(c.get_render_width(t) for c in t.ordered_columns[:2])
        width = t.size.width - others - 2 * t.cell_padding - t.styles.scrollbar_size_vertical
        shown_now = shown(app.screen.view.files[0].status, app.screen.view.files[0].copies)
        assert shown_now in screen_text(app)  # the table really shows a status in full
        return width


async def test_every_file_status_fits_the_case_table_at_80_columns(ctx: Context) -> None:
    width = await status_width(ctx)
    assert width >= 30
    statuses = every_status()
    assert len(statuses) > 30  # the combinations really vary
    too_long = sorted(s for s in statuses if cell_len(s) > width)
    assert not too_long, f"wider than {width} cells: {too_long}"
