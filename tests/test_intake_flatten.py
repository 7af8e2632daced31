"""R09/R11: a PDF is stored as its rendered pixels only (Dangerzone-style), never as received."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

import pikepdf
import pytest

from tests import intake_fixtures as fx
from tui_app.intake import Prepared, prepare_many
from tui_app.intake.sandbox import SandboxConfig

NO_OCR = SandboxConfig(extra_env={"TUI_APP_OCR": "off"})


def _everything_hostile(p: pikepdf.Pdf) -> None:
    """JavaScript, a form with a value, an attachment, a link with an action, a sender's font."""
    p.Root.OpenAction = p.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('hej')"))
    )
    p.attachments["faktura.exe"] = pikepdf.AttachedFileSpec(
        p, fx.MZ + fx.pe_image(), filename="faktura.exe"
    )
    field = p.make_indirect(
        pikepdf.Dictionary(
            FT=pikepdf.Name.Tx,
            T=pikepdf.String("namn"),
            V=pikepdf.String("Anna"),
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            Rect=[72, 600, 300, 620],
            P=p.pages[0].obj,
        )
    )
    link = p.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[0, 0, 100, 100],
            A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")),
        )
    )
    p.pages[0].Annots = pikepdf.Array([field, link])
    p.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))
    font = p.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    p.pages[0].Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    p.pages[0].Contents = p.make_stream(b"BT /F1 24 Tf 72 720 Td (Remiss) Tj ET")


def _rotated(p: pikepdf.Pdf) -> None:
    p.pages[0].Rotate = 90


FILES: dict[str, bytes] = {
    **{name: data for name, (data, _) in fx.HOSTILE_PDFS.items()},
    "everything-hostile.pdf": fx.pdf(build=_everything_hostile),
    "pdf-zip-appended.pdf": fx.pdf() + fx.zip_bytes({"x.exe": fx.MZ}),
    "rotated.pdf": fx.pdf(build=_rotated),
    "two-pages.pdf": fx.pdf(pages=2),
}


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Prepared]:
    src = tmp_path_factory.mktemp("src")
    work = tmp_path_factory.mktemp("work")
    out: dict[str, Prepared] = {}
    names = list(FILES)
    for i in range(0, len(names), 5):
        batch = names[i : i + 5]
        paths = [fx.write(src, n, FILES[n]) for n in batch]
        out.update(zip(batch, prepare_many(paths, work, NO_OCR)))
    return out


def _body(r: Prepared) -> bytes:
    assert r.verdict.accepted, r.verdict.reason
    assert r.stored_path is not None
    return r.stored_path.read_bytes()


@pytest.mark.parametrize("name", list(fx.HOSTILE_PDFS))
def test_r09_pdf_payload_in_a_stream_never_reaches_the_stored_file(
    stored: dict[str, Prepared], name: str
) -> None:
    body = _body(stored[name])
    payload = fx.HOSTILE_PDFS[name][1]
    assert payload not in body and payload[:64] not in body
    assert fx.pixels_only_problems(body) == []


@pytest.mark.parametrize("name", list(FILES))
def test_r09_stored_pdf_is_pixels_only(stored: dict[str, Prepared], name: str) -> None:
    body = _body(stored[name])
    assert body.startswith(b"%PDF-")
    assert fx.pixels_only_problems(body) == []
    assert b"Helvetica" not in body and b"JavaScript" not in body and b"PK\x03\x04" not in body


def test_r11_original_sha256_is_kept_and_the_stored_copy_is_new(
    stored: dict[str, Prepared],
) -> None:
    r = stored["everything-hostile.pdf"]
    assert r.verdict.sha256 == hashlib.sha256(FILES["everything-hostile.pdf"]).hexdigest()
    assert r.stored_sha256 == hashlib.sha256(_body(r)).hexdigest() != r.verdict.sha256
    assert r.stored_mime == "application/pdf"
    assert r.thumbnail_path is not None and r.thumbnail_path.read_bytes().startswith(b"\x89PNG")


def test_r09_flattened_pages_keep_size_count_and_rotation(stored: dict[str, Prepared]) -> None:
    with pikepdf.open(io.BytesIO(_body(stored["two-pages.pdf"]))) as p:
        assert len(p.pages) == 2
        assert [float(v) for v in p.pages[0].MediaBox] == [0, 0, 595, 842]
    with pikepdf.open(io.BytesIO(_body(stored["rotated.pdf"]))) as p:
        assert [float(v) for v in p.pages[0].MediaBox] == [0, 0, 842, 595]  # landscape now


def test_r09_flattened_page_shows_the_text_and_form_value_as_pixels(
    stored: dict[str, Prepared],
) -> None:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(_body(stored["everything-hostile.pdf"]))
    page = doc[0]
    assert page.get_textpage().get_text_range().strip() == ""  # no text: pixels only
    image = page.render(scale=1).to_pil().convert("L")
    # "Remiss" drawn at (72, 720) in 24 pt: dark pixels there, in the rendered copy.
    assert image.crop((72, 842 - 740, 200, 842 - 715)).getextrema()[0] < 100
    doc.close()


FAKE_TESSERACT = """#!/bin/sh
# A stand-in for tesseract: answers with a one-page text-only PDF (as tesseract would).
cat > /dev/null
cat "$(dirname "$0")/layer.pdf"
"""


def _text_layer_pdf() -> bytes:
    """What tesseract's text-only PDF renderer writes: invisible text in GlyphLessFont."""
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /GlyphLessFont >>"
    return fx.pdf_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /f-0-0 5 0 R >> >> /Contents 4 0 R >>",
            fx.stream(b"BT 3 Tr /f-0-0 12 Tf 72 720 Td (Remiss) Tj ET"),
            font,
        ]
    )


def test_r09_ocr_text_layer_is_laid_over_the_pixels(tmp_path: Path) -> None:
    tool = tmp_path / "tesseract"
    tool.write_text(FAKE_TESSERACT)
    tool.chmod(0o755)
    (tmp_path / "layer.pdf").write_bytes(_text_layer_pdf())
    src = fx.write(tmp_path, "brev.pdf", fx.pdf(build=_everything_hostile))
    work = tmp_path / "work"
    cfg = SandboxConfig(extra_env={"TUI_APP_TESSERACT": str(tool)})
    r = prepare_many([src], work, cfg)[0]
    body = _body(r)
    assert fx.pixels_only_problems(body) == []
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(body)
    assert "Remiss" in doc[0].get_textpage().get_text_range()
    doc.close()


def test_r09_real_tesseract_reads_a_flattened_letter(tmp_path: Path) -> None:
    if shutil.which("tesseract") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install tesseract-ocr and tesseract-ocr-swe (see README)")
        pytest.skip("tesseract-ocr is not installed here (CI installs it)")
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont("Helvetica", 16)
    c.drawString(72, 720, "Remiss till Reumatologi")
    c.drawString(72, 690, "Svullna handleder sedan i våras")
    c.showPage()
    c.save()
    src = fx.write(tmp_path, "remiss.pdf", out.getvalue())
    body = _body(prepare_many([src], tmp_path / "work")[0])
    assert fx.pixels_only_problems(body) == []
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(body)
    text = doc[0].get_textpage().get_text_range()
    doc.close()
    assert "Reumatologi" in text and "handleder" in text
