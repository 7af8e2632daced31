"""The cover sheet (försättsblad) that lets the scanning routine file a printed document in E-arkiv (R20).

One A4 page: heading, the personal identity number in both forms, name, unit, case number, document
type, date, the document's page count, and a Code128 barcode of `<pnr12>-<case number>` with its text
below. Text uses DejaVu Sans when the system has it (covers names in any European script), else
Helvetica (Latin-1 only: other letters print as boxes).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.adapters.errors import AdapterError

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

HEADING = "Försättsblad för skanning till E-arkiv"
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
_MM = 72 / 25.4


@dataclass(frozen=True)
class CoverSheet:
    """What the cover sheet shows."""

    pnr12: str
    patient_name: str
    unit_name: str
    case_number: str
    document_type: str
    date: date
    document_pages: int


def barcode_value(pnr12: str, case_number: str) -> str:
    """The text the barcode encodes: `<pnr12>-<case number>` (printable ASCII only)."""
    value = f"{pnr12}-{case_number}"
    if not re.fullmatch(r"[\x20-\x7e]+", value):
        raise AdapterError(
            f"Ärendenumret {case_number} innehåller tecken som inte går att skriva i en streckkod."
        )
    return value


def _fonts() -> tuple[str, str]:
    """Regular and bold font names: DejaVu Sans if installed, else Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
        return "DejaVuSans", "DejaVuSans-Bold"
    for folder in _FONT_DIRS:
        regular, bold = Path(folder, "DejaVuSans.ttf"), Path(folder, "DejaVuSans-Bold.ttf")
        if regular.is_file() and bold.is_file():
            try:
                pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
                pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
                return "DejaVuSans", "DejaVuSans-Bold"
            except Exception:  # noqa: BLE001 - a broken font file must not stop printing
                break
    return "Helvetica", "Helvetica-Bold"


def _draw_intro(c: Canvas, fonts: tuple[str, str], x: float, y: float, text_width: float) -> float:
    """The heading and what to do with the sheet; returns the y below them."""
    from reportlab.lib.utils import simpleSplit

    regular, bold = fonts
    c.setFont(bold, 20)
    c.drawString(x, y, HEADING)
    y -= 22
    c.setFont(regular, 10)
    for line in simpleSplit(
        "Lägg bladet överst och skanna det tillsammans med dokumentet enligt rutinen för E-arkiv.",
        regular,
        10,
        text_width,
    ):
        c.drawString(x, y, line)
        y -= 13
    return y - 18


def _draw_facts(
    c: Canvas, sheet: CoverSheet, fonts: tuple[str, str], x: float, y: float, text_width: float
) -> float:
    """The patient's number in large type, then one labelled row per fact; returns the y below."""
    from reportlab.lib.utils import simpleSplit

    regular, bold = fonts
    # A samordningsnummer (day of birth + 60) is not a personnummer: say which it is.
    id_kind = "Samordningsnummer" if int(sheet.pnr12[6:8]) > 60 else "Personnummer"
    c.setFont(regular, 11)
    c.drawString(x, y, id_kind)
    y -= 28
    c.setFont(bold, 26)
    c.drawString(x, y, f"{sheet.pnr12[:8]}-{sheet.pnr12[8:]}")
    y -= 30
    rows = [
        (f"{id_kind} (12 siffror)", sheet.pnr12),
        ("Namn", sheet.patient_name),
        ("Enhet", sheet.unit_name),
        ("Ärendenummer (1177)", sheet.case_number),
        ("Dokumenttyp", sheet.document_type),
        ("Datum", sheet.date.isoformat()),
        ("Antal sidor i dokumentet", f"{sheet.document_pages} (utöver detta försättsblad)"),
    ]
    label_width = 62 * _MM
    for label, value in rows:
        c.setFont(regular, 11)
        c.drawString(x, y, f"{label}:")
        c.setFont(bold, 12)
        for line in simpleSplit(value, bold, 12, text_width - label_width) or [""]:
            c.drawString(x + label_width, y, line)
            y -= 16
        y -= 6
    return y


def cover_sheet_pdf(sheet: CoverSheet) -> bytes:
    """The cover sheet as a one-page A4 PDF."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    code = barcode_value(sheet.pnr12, sheet.case_number)
    fonts = _fonts()
    buf = io.BytesIO()
    width, height = A4
    margin = 20 * _MM
    text_width = width - 2 * margin
    c = Canvas(buf, pagesize=A4, invariant=True)
    c.setTitle("Försättsblad E-arkiv")
    y = height - margin - 10

    y = _draw_intro(c, fonts, margin, y, text_width)
    y = _draw_facts(c, sheet, fonts, margin, y, text_width)

    _draw_barcode(c, code, margin, y - 30 * _MM, text_width)
    c.setFont(fonts[0], 9)
    c.drawString(
        margin,
        margin,
        "Radera den hämtade filen och töm papperskorgen när dokumentet är utskrivet.",
    )
    c.showPage()
    c.save()
    return buf.getvalue()


def _draw_barcode(c: Canvas, code: str, x: float, y: float, max_width: float) -> None:
    """A Code128 barcode with its text below, 0.5 mm modules, narrowed only if it would not fit."""
    from reportlab.graphics.barcode.code128 import Code128Auto

    def make(bar_width: float) -> Code128Auto:
        return Code128Auto(
            code, barWidth=bar_width, barHeight=18 * _MM, humanReadable=True, fontSize=11
        )

    barcode = make(0.5 * _MM)
    if barcode.width > max_width:
        barcode = make(max(0.25 * _MM, 0.5 * _MM * max_width / barcode.width))
    barcode.drawOn(c, x, y)
