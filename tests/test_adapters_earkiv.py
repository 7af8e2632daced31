"""E-arkiv: the document printed behind a cover sheet the scanning routine can read (R14, R20)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import date
from pathlib import Path

import pytest

from tui_app.adapters.earkiv import (
    DEFAULT_DOCUMENT_TYPE,
    FolderPrinter,
    LpPrinter,
    PrintJob,
    build_print_pdf,
    make_earkiv_adapter,
)
from tui_app.adapters.errors import AdapterError

PNR = "199002222397"


def source_pdf(path: Path, pages: int = 2) -> Path:
    import pikepdf

    pdf = pikepdf.new()
    for i in range(pages):
        pdf.add_blank_page(page_size=(200 + i, 300))
    pdf.save(path)
    return path


def job(src: Path, **kw: object) -> PrintJob:
    base: dict[str, object] = {
        "pnr12": PNR,
        "patient_name": "Anna Åsa Andersson",
        "unit_name": "Reumatologi - testenhet för 1177, Skövde",
        "case_number": "123",
        "document_type": DEFAULT_DOCUMENT_TYPE,
        "date": date(2026, 6, 4),
        "source_pdf": src,
    }
    base.update(kw)
    return PrintJob(**base)  # type: ignore[arg-type]


def cover_text(pdf: Path) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return str(doc[0].get_textpage().get_text_range())
    finally:
        doc.close()


def test_r20_cover_sheet_lists_what_the_scanning_routine_needs(tmp_path: Path) -> None:
    out = tmp_path / "job.pdf"
    build_print_pdf(job(source_pdf(tmp_path / "doc.pdf")), out)
    text = cover_text(out)
    for expected in [
        "Försättsblad för skanning till E-arkiv",
        "19900222-2397",
        "199002222397",
        "Anna Åsa Andersson",
        "Reumatologi - testenhet för 1177, Skövde",
        "Ärendenummer (1177): 123",
        "Inskickat dokument från patient via 1177",
        "2026-06-04",
        "Antal sidor i dokumentet: 2",
        "199002222397-123",  # the barcode's human-readable line
    ]:
        assert expected in text, expected


def test_r20_cover_sheet_barcode_reads_back(tmp_path: Path) -> None:
    import pypdfium2 as pdfium
    import zxingcpp

    out = tmp_path / "job.pdf"
    build_print_pdf(job(source_pdf(tmp_path / "doc.pdf"), case_number="4711"), out)
    doc = pdfium.PdfDocument(str(out))
    image = doc[0].render(scale=300 / 72).to_pil()  # as a 300 dpi scanner sees it
    doc.close()
    found = zxingcpp.read_barcodes(image)
    assert [(b.text, b.format) for b in found] == [(f"{PNR}-4711", zxingcpp.BarcodeFormat.Code128)]


def test_r20_print_pdf_is_cover_plus_every_source_page(tmp_path: Path) -> None:
    import pikepdf

    out = tmp_path / "job.pdf"
    pages = build_print_pdf(job(source_pdf(tmp_path / "doc.pdf", pages=3)), out)
    assert pages == 4
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 4
        assert [float(p.mediabox[2]) for p in pdf.pages[1:]] == [200, 201, 202]
        assert [round(float(v)) for v in pdf.pages[0].mediabox] == [0, 0, 595, 842]  # A4
    with pytest.raises(AdapterError, match="finns redan"):
        build_print_pdf(job(tmp_path / "doc.pdf"), out)  # never overwrites


def fake_lp(bin_dir: Path, log: Path, *, exit_code: int = 0, stderr: str = "") -> None:
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "lp"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, shutil, sys\n"
        f"log = {str(log)!r}\n"
        "shutil.copy(sys.argv[-1], log + '.pdf')\n"
        "json.dump(sys.argv[1:], open(log, 'w'))\n"
        f"sys.stderr.write({stderr!r})\n"
        f"print('request id is E_ARKIV_1-42 (1 file(s))') if {exit_code} == 0 else None\n"
        f"sys.exit({exit_code})\n",
        encoding="utf-8",
    )
    script.chmod(0o755)


def test_r20_lp_printer_sends_the_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pikepdf

    log = tmp_path / "lp-args.json"
    fake_lp(tmp_path / "bin", log)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    result = LpPrinter("E_ARKIV_1").submit(job(source_pdf(tmp_path / "doc.pdf")))
    args = json.loads(log.read_text())
    assert args[:4] == ["-d", "E_ARKIV_1", "-t", "E-arkiv ärende 123"] and len(args) == 5
    assert PNR not in " ".join(args)  # the print queue is visible to everyone on the server
    assert not Path(args[4]).exists()  # the temp PDF is gone once lp has it
    with pikepdf.open(str(log) + ".pdf") as sent:
        assert len(sent.pages) == 3
    assert (result.job_id, result.pages, result.destination_sv) == (
        "E_ARKIV_1-42",
        3,
        "skrivaren E_ARKIV_1",
    )


def test_r20_missing_lp_is_a_swedish_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(AdapterError) as err:
        LpPrinter("E_ARKIV_1").submit(job(source_pdf(tmp_path / "doc.pdf")))
    assert err.value.message_sv.startswith("Skrivaren E_ARKIV_1 kunde inte nås: programmet lp")


def test_r20_printer_refusing_the_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_lp(
        tmp_path / "bin",
        tmp_path / "log.json",
        exit_code=1,
        stderr="lp: The printer or class does not exist.\n",
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(AdapterError) as err:
        LpPrinter("SAKNAS").submit(job(source_pdf(tmp_path / "doc.pdf")))
    msg = err.value.message_sv
    assert "Skrivaren SAKNAS kunde inte nås" in msg and "does not exist" in msg
    assert "earkiv_printer" in msg


@pytest.mark.parametrize("name", ["-o evil", "two words", "a/b", ""])
def test_r20_invalid_printer_name(name: str) -> None:
    with pytest.raises(AdapterError, match="Skrivarnamnet"):
        LpPrinter(name)


def test_r20_folder_printer_writes_the_job(tmp_path: Path) -> None:
    out_dir = tmp_path / "utskrifter"
    out_dir.mkdir()
    result = FolderPrinter(out_dir).submit(job(source_pdf(tmp_path / "doc.pdf")))
    assert result.path is not None and result.path.parent == out_dir and result.pages == 3
    assert result.path.name.startswith("E-arkiv-arende-123-2026-06-04-")
    assert os.listdir(out_dir) == [result.path.name]
    assert PNR not in result.path.name


def test_r20_folder_printer_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(AdapterError) as err:
        FolderPrinter(tmp_path / "borta").submit(job(source_pdf(tmp_path / "doc.pdf")))
    assert "finns inte" in err.value.message_sv and "earkiv_folder" in err.value.message_sv


def test_r20_adapter_choice_follows_settings(tmp_path: Path) -> None:
    assert isinstance(make_earkiv_adapter("E_ARKIV_1", tmp_path), LpPrinter)
    assert isinstance(make_earkiv_adapter(None, tmp_path), FolderPrinter)
    assert isinstance(make_earkiv_adapter("  ", tmp_path), FolderPrinter)
    with pytest.raises(AdapterError, match="earkiv_printer.*earkiv_folder"):
        make_earkiv_adapter(None, None)


def test_r14_an_image_is_never_printed_as_a_document(tmp_path: Path) -> None:
    from PIL import Image

    img = tmp_path / "photo.pdf"
    Image.new("RGB", (8, 8)).save(img, format="JPEG")
    with pytest.raises(AdapterError, match="inte en PDF.*Picsara"):
        build_print_pdf(job(img), tmp_path / "out.pdf")


def test_r20_unprintable_documents(tmp_path: Path) -> None:
    import pikepdf

    locked = tmp_path / "locked.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(locked, encryption=pikepdf.Encryption(user="hemligt", owner="hemligt"))
    with pytest.raises(AdapterError, match="lösenordsskyddat"):
        build_print_pdf(job(locked), tmp_path / "a.pdf")

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 4)
    with pytest.raises(AdapterError, match="skadad PDF"):
        build_print_pdf(job(broken), tmp_path / "b.pdf")

    src = source_pdf(tmp_path / "doc.pdf")
    with pytest.raises(AdapterError, match="har ändrats"):
        build_print_pdf(job(src, sha256="0" * 64), tmp_path / "c.pdf")
    good = hashlib.sha256(src.read_bytes()).hexdigest()
    assert build_print_pdf(job(src, sha256=good), tmp_path / "d.pdf") == 3
    with pytest.raises(AdapterError, match="finns inte längre"):
        build_print_pdf(job(tmp_path / "gone.pdf"), tmp_path / "e.pdf")
    assert sorted(os.listdir(tmp_path)) == ["broken.pdf", "d.pdf", "doc.pdf", "locked.pdf"]


def test_r20_barcode_refuses_characters_it_cannot_carry(tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match="streckkod"):
        build_print_pdf(job(source_pdf(tmp_path / "doc.pdf"), case_number="Å1"), tmp_path / "o.pdf")
    assert not (tmp_path / "o.pdf").exists()
