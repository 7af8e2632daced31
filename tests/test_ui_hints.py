"""Key hints follow the user's keymap (issue 13.2, 11): services name actions, never keys, and
the screen renders the key the ACTIVE keymap binds; a remapped key still says why it cannot act."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import update
from sqlmodel import Session, col
from textual.widgets import DataTable

from tests.conftest import staff
from tests.handling_fixtures import Places, case_with_files
from tests.test_ui_flow import settle, status
from tui_app.services import handling
from tui_app.services.context import Context
from tui_app.store.models import Case
from tui_app.ui.app import build_app


def remap(ctx: Context, **keys: str) -> None:
    ctx.config = replace(ctx.config, keys=dict(keys))


async def test_r21_refusal_names_the_remapped_cleanup_key(ctx: Context, places: Places) -> None:
    """A copy left blocks "handled": the status line names clean-up by the key it now has."""
    number, img, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, False, "dubblett")
    handling.decide(ctx, dan, pdf, False, "fel patient")
    handling.download(ctx, dan, img)  # a copy lies in Downloads: the case cannot be closed
    remap(ctx, file_cleanup="k")
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.query_one("#files")
        assert "rensa (k)" in str(table.get_row_at(0)[2])  # type: ignore[attr-defined]
        await pilot.press("h")
        await settle(pilot)
        line = status(app)
        assert "kopia kvar" in line and "rensa den (k) först" in line, line
        assert "(r)" not in line
        with Session(ctx.engine) as s:  # handled while a copy is left (a colleague's, say)
            s.execute(update(Case).where(col(Case.id) == number).values(handled_at=ctx.now()))
            s.commit()
        await pilot.press("escape", "u")
        await settle(pilot)
        row = " ".join(str(c) for c in app.screen.query_one(DataTable).get_row_at(0))
        assert "Rensa kopior (k)" in row, row


async def test_a_remapped_key_that_cannot_act_still_says_why(ctx: Context, places: Places) -> None:
    """Issue 11 leftover: the why-binding moved with the key; the old key does nothing."""
    case_with_files(ctx)
    remap(ctx, file_picsara="k", file_journal="y")
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("k")  # Picsara on an undecided image: greyed, says the step first
        await settle(pilot)
        line = status(app)
        assert line.startswith("✗") and "Bestäm först" in line and "(y)" in line, line
        assert "(j)" not in line


async def test_service_refusal_names_the_remapped_key(ctx: Context, places: Places) -> None:
    """A refusal that comes from the service (not the screen) is rendered with the keymap too."""
    from tui_app.core.routine import NO_COPY_TEXT
    from tui_app.ui.keys import render

    remap(ctx, file_download="w")
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "{file_download}" in NO_COPY_TEXT
        assert "först (w)." in render(app.screen, NO_COPY_TEXT)


def test_r24_a_logged_refusal_reads_without_placeholders(ctx: Context, places: Places) -> None:
    """The access log stores the refusal's words, not the hint placeholders the UI renders."""
    import pytest
    from sqlmodel import select

    from tui_app.core.errors import UserError
    from tui_app.store.models import AuditEntry

    _, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, True)
    with pytest.raises(UserError) as e:
        handling.to_picsara(ctx, dan, img, None, None)
    assert "{file_download}" in e.value.message  # the UI puts the key in
    with Session(ctx.engine) as s:
        refused = s.exec(select(AuditEntry).where(AuditEntry.outcome == "nekad")).all()
    assert [r.action for r in refused] == ["picsara"]
    assert "Ladda ner filen först." in refused[0].detail and "{" not in refused[0].detail
