"""The whole check of one file's bytes, in order; runs inside the sandboxed worker."""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from tui_app.core.limits import MAX_FILE_BYTES
from tui_app.intake import reasons, scan
from tui_app.intake.sniff import Sniffed, sniff
from tui_app.intake.structure import Refused, Structure, damaged
from tui_app.intake.verdict import Verdict, refused

# MIME types libmagic may report for each allowed format.
_MAGIC_AGREES = {
    "png": {"image/png", "image/x-png", "image/apng"},
    "jpeg": {"image/jpeg", "image/pjpeg"},
    "gif": {"image/gif"},
    "pdf": {"application/pdf", "application/x-pdf"},
}


@dataclass
class Checked:
    """An accepted file with what `prepare` needs: its format and, for images, the decoded image."""

    verdict: Verdict
    data: bytes
    kind: str
    image: Any = None
    #: For a PDF: the flattened copy (`flatten.Flattened`), which is what is stored.
    flat: Any = None


def check_bytes(data: bytes, ocr: bool = False) -> tuple[Verdict, Checked | None]:
    """Check one file's bytes (R09, R10); return the verdict and, when accepted, what to store.

    A PDF is flattened as part of the check (whether it renders is the check); `ocr` adds a
    text layer to that copy when Tesseract is there (only worth its time when storing).
    """
    size = len(data)
    if size == 0:
        return refused(reasons.EMPTY, 0), None
    if size > MAX_FILE_BYTES:
        return refused(reasons.TOO_BIG, size), None
    sha = hashlib.sha256(data).hexdigest()
    fmt = sniff(data)
    try:
        checked = _check_format(data, fmt, ocr)
    except Refused as exc:
        return refused(exc.reason, size, exc.mime or fmt.mime, sha), None
    except MemoryError:
        return refused(reasons.SANDBOX, size, fmt.mime, sha), None
    v = checked.verdict
    checked.verdict = Verdict(True, fmt.mime, None, size, v.width, v.height, v.pages, v.frames, sha)
    return checked.verdict, checked


def _check_format(data: bytes, fmt: Sniffed, ocr: bool) -> Checked:
    """Run the checks of the detected format; raise Refused on the first failure."""
    if fmt.kind == "pdf-junk":
        raise Refused(reasons.PDF_JUNK_BEFORE, fmt.mime)
    if not fmt.allowed:
        raise Refused(reasons.for_format(fmt.kind, fmt.name), fmt.mime)
    if fmt.kind == "pdf":
        # No polyglot hunting: the received bytes are never stored, only the rendered pages.
        _magic_agrees(data, fmt)
        from tui_app.intake.pdf import check_pdf

        flat = check_pdf(data, ocr)
        return Checked(
            Verdict(True, fmt.mime, None, len(data), pages=flat.pages), data, "pdf", flat=flat
        )
    # An image is re-encoded from its pixels, but a polyglot must not get past a viewer or a
    # browser that sniffs the first KiB, nor a ZIP reader looking at the end, before that.
    what = scan.head_hostile(data)
    if what is None and scan.zip_in_tail(data):
        what = reasons.WHAT_ZIP
    if what:
        raise Refused(reasons.hidden(what, fmt.name))
    structure = _walk(data, fmt.kind)
    _magic_agrees(data, fmt)
    from tui_app.intake.images import decode, display_size

    im = decode(data, fmt.kind, structure)
    w, h = display_size(im)
    return Checked(
        Verdict(True, fmt.mime, None, len(data), width=w, height=h, frames=structure.frames),
        data,
        fmt.kind,
        im,
    )


def _walk(data: bytes, kind: str) -> Structure:
    """The format's own structure walk."""
    try:
        if kind == "png":
            from tui_app.intake.png import walk_png

            return walk_png(data)
        if kind == "jpeg":
            from tui_app.intake.jpeg import walk_jpeg

            return walk_jpeg(data)
        from tui_app.intake.gif import walk_gif

        return walk_gif(data)
    except (IndexError, ValueError, struct.error, zlib.error):
        raise damaged() from None


def _magic_agrees(data: bytes, fmt: Sniffed) -> None:
    """libmagic, a second opinion on the format, must agree with our signature check."""
    import magic

    found = magic.from_buffer(data[: 1024 * 1024], mime=True)
    if found not in _MAGIC_AGREES[fmt.kind]:
        raise Refused(reasons.UNSURE.format(fmt=fmt.name), fmt.mime)
