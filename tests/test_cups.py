"""E-arkiv through a real CUPS (issue 16): a cups-pdf queue on a private scheduler, the app's
printer adapter (`lp` with a held job, then resumed), and the PDF CUPS produced read back: the
cover sheet's text and its Code 128 barcode, as the scanning routine would read them (R20)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import cupsd
from tests.conftest import ELIN, staff
from tests.handling_fixtures import case_with_files
from tui_app.services import handling
from tui_app.services.context import Context


@pytest.fixture
def cups(monkeypatch: pytest.MonkeyPatch) -> Iterator[cupsd.Cups]:
    with cupsd.running() as server:
        monkeypatch.setenv("CUPS_SERVER", server.server)
        yield server


def test_r20_a_document_printed_through_cups_comes_out_with_a_readable_cover_sheet(
    ctx: Context, tmp_path: Path, cups: cupsd.Cups, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pypdfium2 as pdfium
    import zxingcpp

    from tui_app.adapters.downloads import UserDownloads
    from tui_app.adapters.earkiv import LpPrinter

    home = tmp_path / "home"
    (home / "Downloads").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    ctx.downloads = UserDownloads(home / "Downloads")
    ctx.earkiv = LpPrinter(cups.queue)  # the queue, as the bootstrap builds it from earkiv_printer
    number, _, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, pdf, True)
    handling.download(ctx, dan, pdf)
    sent = handling.print_earkiv(ctx, dan, pdf)
    assert sent.where.startswith(f"skrivaren {cups.queue}") and sent.pages == 2, sent

    job, out = cups.wait_for_pdf()
    assert cups.completed() == [job]  # one job: held, resumed, printed once
    # Anyone on the server can list the queue: the job shows the case, never the patient.
    listing = cups.lp("lpstat", "-W", "completed", "-l", "-o", cups.queue).stdout
    assert ELIN not in listing and ELIN not in out.name and str(number) in out.name

    doc = pdfium.PdfDocument(str(out))
    try:
        assert len(doc) == 2  # the cover sheet and the document's one page
        cover = str(doc[0].get_textpage().get_text_range())
        image = doc[0].render(scale=300 / 72).to_pil()  # as a 300 dpi scanner sees it
    finally:
        doc.close()
    # The text layer survives only in ASCII: cups-pdf distils the job through PostScript
    # (pdftops, then Ghostscript at PDF 1.2), which drops the fonts' Unicode maps. The page
    # itself is what the scanner reads, and Tesseract reads it back below.
    for expected in (
        "E-arkiv",
        "20000125-2386",
        ELIN,
        "Elin",
        "Reumatologi",
        f"(1177): {number}",
        f"{ELIN}-{number}",  # the barcode's human-readable line
    ):
        assert expected in cover, (expected, cover)
    ocr = _ocr(image, tmp_path)
    if ocr is not None:  # Tesseract with Swedish (installed by .ci/run): the page as printed
        for line in (
            "Försättsblad för skanning till E-arkiv",
            "Personnummer (12 siffror): 200001252386",
            "Namn: Elin Lund",
            "Enhet: Reumatologi - testenhet för 1177, Skövde",
            f"Ärendenummer (1177): {number}",
            "Dokumenttyp: Inskickat dokument från patient via 1177",
            "Antal sidor i dokumentet: 1",
        ):
            assert line in ocr, (line, ocr)
    found = zxingcpp.read_barcodes(image)
    assert [(b.text, b.format) for b in found] == [
        (f"{ELIN}-{number}", zxingcpp.BarcodeFormat.Code128)
    ]


def _ocr(image: object, tmp_path: Path) -> str | None:
    """The page's text as Tesseract (Swedish) reads it, or None without Tesseract."""
    import os
    import shutil
    import subprocess

    program = shutil.which("tesseract")
    if program is None:
        assert os.environ.get("CI", "").lower() != "true", "CI installs Tesseract (.ci/run)"
        return None
    png = tmp_path / "cover.png"
    image.save(png)  # type: ignore[attr-defined]
    proc = subprocess.run(
        [program, str(png), "-", "-l", "swe"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout
