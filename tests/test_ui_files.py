"""Pilot: the patient attaches good and bad files; staff walk an image to Picsara and a PDF to E-arkiv."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, TextArea

from tests.conftest import ELIN, patient, send, staff
from tests.handling_fixtures import SAMPLES, Places, case_with_files
from tests.test_ui_flow import settle, status
from tui_app.services.context import Context
from tui_app.ui.app import build_app


async def attach(pilot, path: Path) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await settle(pilot)
    inp = pilot.app.screen.query_one("#path", Input)
    inp.value = str(path)
    await pilot.press("enter")
    await settle(pilot)


async def test_r08_r09_r11_patient_attaches_fixes_and_sends(ctx: Context) -> None:
    number = send(ctx, pnr=ELIN)
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"Här är bilden.")
        await attach(pilot, SAMPLES / "handled.jpg")
        await attach(pilot, SAMPLES / "iphone-bild.jpg")
        screen = app.screen
        assert [f.accepted for f in screen.staged] == [True, False]
        assert "HEIC" in (screen.staged[1].reason or "")
        await pilot.press("f2")
        await settle(pilot)
        # R11: the reason is in the list; the patient is not shown our rule codes.
        assert "Svaret skickades inte" in status(app) and "iphone-bild.jpg" in status(app)
        assert "(R11)" not in status(app)
        assert screen.query_one("#reply", TextArea).text == "Här är bilden."  # nothing retyped
        # Remove the refused file from the list (d), then send again.
        lst = screen.query_one("#attachments")
        lst.focus()
        lst.highlighted = 1
        await pilot.press("d")
        await settle(pilot)
        assert [f.name for f in screen.staged] == ["handled.jpg"]
        await pilot.press("f2")
        await settle(pilot)
        assert "Ditt svar är skickat" in status(app)
    from tui_app.services.cases import open_case

    view = open_case(ctx, staff(ctx, "danan12"), number)
    assert [f.display_name for f in view.files] == ["handled.jpg"]
    assert view.messages[1].body == "Här är bilden."


async def test_r08_a_sixth_file_is_refused_in_the_form(ctx: Context) -> None:
    send(ctx, pnr=ELIN)
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        for _ in range(5):
            await attach(pilot, SAMPLES / "utslag.png")
        assert len(app.screen.staged) == 5
        await pilot.press("f3")
        await settle(pilot)
        assert "högst 5 filer" in status(app)
        assert type(app.screen).__name__ == "PatientCaseScreen"  # no picker opened


async def test_r19_r20_r21_staff_walk_image_to_picsara_and_pdf_to_earkiv(
    ctx: Context, places: Places
) -> None:
    import pydicom
    import pypdfium2 as pdfium

    number, _, _ = case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"
        files = app.screen.query_one("#files", DataTable)
        assert files.row_count == 2
        # The image: preview, decide, download, Picsara with laterality, clean up.
        await pilot.press("p")
        await settle(pilot)
        assert type(app.screen).__name__ == "PreviewScreen"
        await pilot.press("escape")
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert len(list(places.downloads.iterdir())) == 1
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"vänster", "enter")
        await settle(pilot)
        await pilot.press(*"handled", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("j")  # yes: delete the downloaded copy now
        await settle(pilot)
        assert "Ingen kopia finns kvar" in status(app)
        assert list(places.downloads.iterdir()) == []
        dicoms = list(places.picsara.glob("*.dcm"))
        assert len(dicoms) == 1
        ds = pydicom.dcmread(dicoms[0])
        assert ds.PatientID == ELIN and ds.ImageLaterality == "L"
        # The PDF: decide, download, print for E-arkiv, clean up, mark scanned.
        app.screen.query_one("#files", DataTable).move_cursor(row=1)
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert list(places.downloads.iterdir()) == []
        import zxingcpp

        job = next(places.earkiv.iterdir())
        doc = pdfium.PdfDocument(job)
        assert ELIN in doc[0].get_textpage().get_text_range()
        scan = doc[0].render(scale=300 / 72).to_pil()  # as the scanning routine sees the sheet
        doc.close()
        assert [b.text for b in zxingcpp.read_barcodes(scan)] == [f"{ELIN}-{number}"]
        assert app.screen.view.files[1].status == "Utskriven, ej skannad"
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("h", "j")  # j: yes, the patient may reply no more (issue 11.1)
        await settle(pilot)
        assert app.screen.view.state.value == "Hanterat"


async def test_r16_gk_account_sees_download_refused(ctx: Context, places: Places) -> None:
    case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "reumgk"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "GK-konto" in str(app.screen.query_one("UserBar").render())
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("l")  # the key is there; the refusal says why (R16) and is logged
        await settle(pilot)
        assert "GK-konto" in status(app) and "(R16)" in status(app)
        assert list(places.downloads.iterdir()) == []
