"""The PDF check: can PDFium render every page? Then the flattened copy is what is stored.

Since the received PDF is never stored or handed out (see `flatten`), its content is not
judged: JavaScript, forms, attachments, links, fonts and data after %%EOF are all left behind
when the pages are rendered to pixels. A PDF is refused only when it cannot be rendered, with
the real reason: a password (encrypted for opening), a file cut short (no %%EOF at all), a file
neither qpdf (with its repairs) nor PDFium can open, a page PDFium fails to draw, no pages or
absurdly many. One rule of caution stays: images compressed with JBIG2 are refused, because
the JBIG2 decoder is the part of PDF renderers most often exploited (FORCEDENTRY), and
rendering is exactly where it would run. Harmless qpdf warnings (e.g. "extraneous whitespace
seen before xref") no longer refuse anything.
"""

from __future__ import annotations

import io
from typing import Any

from tui_app.core.limits import MAX_PDF_PAGES
from tui_app.intake import reasons
from tui_app.intake.structure import Refused


def check_pdf(data: bytes, ocr: bool = False) -> Any:
    """Check that data renders and return its `Flattened` copy, or raise Refused."""
    if b"%%EOF" not in data:
        raise Refused(reasons.PDF_TRUNCATED)
    pages = _qpdf_pages(data)
    if pages == 0:
        raise Refused(reasons.PDF_NO_PAGES)
    if pages > MAX_PDF_PAGES:
        raise Refused(reasons.PDF_TOO_MANY_PAGES.format(pages=pages))
    from tui_app.intake.flatten import flatten_pdf

    budget = None
    if ocr:
        from tui_app.intake.ocr import Budget, tesseract

        program = tesseract()
        budget = Budget(program) if program else None
    return flatten_pdf(data, budget, max_pages=MAX_PDF_PAGES)


def _qpdf_pages(data: bytes) -> int:
    """The page count qpdf sees (repairs allowed), after refusing passwords and JBIG2."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise Refused(reasons.ENCRYPTED) from None
    except (pikepdf.PdfError, RuntimeError, ValueError):
        raise Refused(reasons.PDF_UNRENDERABLE) from None
    with pdf:
        try:
            _no_jbig2(pdf)
            return len(pdf.pages)
        except (pikepdf.PdfError, RuntimeError, ValueError, TypeError, KeyError):
            raise Refused(reasons.PDF_UNRENDERABLE) from None


def _no_jbig2(pdf: Any) -> None:
    """Refuse any stream compressed with JBIG2 (or carrying JBIG2 globals)."""
    import pikepdf

    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        f = obj.stream_dict.get("/Filter")
        names = {str(v) for v in f} if isinstance(f, pikepdf.Array) else {str(f)} if f else set()
        if "/JBIG2Decode" in names:
            raise Refused(reasons.PDF_JBIG2)
