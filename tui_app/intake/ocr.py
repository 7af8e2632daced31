"""An invisible, searchable text layer for flattened pages, made by Tesseract (when installed).

Tesseract (Debian: `tesseract-ocr tesseract-ocr-swe`) reads each rendered page and writes a
text-only PDF page (invisible text in its own "GlyphLessFont"); that page is laid over the
flattened image as a form XObject, as OCRmyPDF does. Nothing of the sender's PDF is used.

OCR is slow on dense pages (measured: 0.3 s CPU for a one-page letter, 5.9 s for a page of
small dense text at 150 dpi, one thread), so it has a budget per document, OCR_BUDGET_S of CPU
time: a document whose pages cannot all be read within it is stored without a text layer
(never with some pages searchable and others not). Without Tesseract, documents are
flattened without a text layer; nothing else changes.
"""

from __future__ import annotations

import io
import os
import resource
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image as PILImage

#: CPU seconds of OCR per document, on top of the rendering.
OCR_BUDGET_S = 8.0
LANGUAGES = "swe+eng"
#: Test and support hook: TUI_APP_OCR=off turns OCR off (TUI_APP_TESSERACT names the program).
ENV_SWITCH = "TUI_APP_OCR"
ENV_PROGRAM = "TUI_APP_TESSERACT"


def tesseract() -> str | None:
    """The Tesseract program, or None when OCR is off or Tesseract (with Swedish) is missing."""
    if os.environ.get(ENV_SWITCH, "").lower() in ("off", "0", "no"):
        return None
    program = os.environ.get(ENV_PROGRAM) or shutil.which("tesseract")
    if not program:
        return None
    return program


class Budget:
    """OCR for one document: each page's text layer, until the CPU budget runs out."""

    def __init__(self, program: str, seconds: float = OCR_BUDGET_S) -> None:
        self.program = program
        self.left = seconds
        self.exhausted = False

    def __call__(self, image: PILImage.Image, dpi: float) -> bytes | None:
        """A one-page text-only PDF for image, or None (budget spent, or Tesseract failed)."""
        if self.exhausted or self.left <= 0:
            self.exhausted = True
            return None
        png = io.BytesIO()
        image.convert("L").save(png, "PNG", compress_level=1)
        before = _children_cpu()
        try:
            done = subprocess.run(
                [
                    self.program,
                    "stdin",
                    "stdout",
                    "-l",
                    LANGUAGES,
                    "--dpi",
                    str(round(dpi)),
                    "-c",
                    "textonly_pdf=1",
                    "pdf",
                ],
                input=png.getvalue(),
                capture_output=True,
                timeout=60 + 20 * self.left,
                env={
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "OMP_THREAD_LIMIT": "1",
                    "LC_ALL": "C.UTF-8",
                },
                preexec_fn=_limit_cpu(self.left),
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            self.exhausted = True
            return None
        self.left -= _children_cpu() - before
        if done.returncode != 0 or not done.stdout.startswith(b"%PDF-") or self.left < 0:
            self.exhausted = True
            return None
        return done.stdout


def _children_cpu() -> float:
    """CPU seconds used by finished child processes of this one."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _limit_cpu(seconds: float) -> Any:
    """A preexec function giving the Tesseract process at most `seconds` of CPU time."""
    limit = max(1, int(seconds) + 1)

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))

    return apply


def overlay_text(pdf: Any, page: Any, text_pdf: bytes) -> Any:
    """Lay the text of a Tesseract text-only page over page, as a form XObject named /OCR
    (a fixed name, so that flattening stays deterministic); return the source to close later."""
    import pikepdf

    try:
        layer = pikepdf.open(io.BytesIO(text_pdf))
    except pikepdf.PdfError:
        return None
    if len(layer.pages) != 1:
        return layer
    src = layer.pages[0]
    lx0, ly0, lx1, ly1 = (float(v) for v in src.mediabox)
    px0, py0, px1, py1 = (float(v) for v in page.mediabox)
    if lx1 <= lx0 or ly1 <= ly0:
        return layer
    form = pdf.copy_foreign(src.as_form_xobject())
    page.obj.Resources.XObject.OCR = form
    sx, sy = (px1 - px0) / (lx1 - lx0), (py1 - py0) / (ly1 - ly0)
    page.contents_add(
        pikepdf.Stream(
            pdf,
            b"q %.5f 0 0 %.5f %.4f %.4f cm /OCR Do Q\n" % (sx, sy, px0 - lx0 * sx, py0 - ly0 * sy),
        ),
        prepend=False,
    )
    return layer
