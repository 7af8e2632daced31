"""Polyglot hunting: payloads of other formats hidden where they would be found and used.

Scanning is limited to places where a hidden payload is meaningful and false positives are
practically impossible: metadata (PNG text/ancillary chunks, JPEG APPn/COM segments, GIF
extensions) and the first KiB (where PDF readers look for their header) for the signatures of
other formats, the last 64 KiB (where ZIP readers look for their end record), and data after
the end of the image. Words of web code in metadata are not refused: images are re-encoded
without any metadata, so text there cannot reach the stored file. PDFs are not scanned at all:
they are stored as rendered pixels only (see `flatten`). Compressed pixel data
is never scanned, since random bytes would match short signatures.
"""

from __future__ import annotations

import re

from tui_app.intake import reasons

#: A ZIP reader finds the end-of-central-directory record within the last 64 KiB + 22 bytes.
ZIP_TAIL = 65536 + 22
_EOCD = b"PK\x05\x06"

# Signatures of another format hidden inside a file: ZIP, executables, PDF. These make the file
# valid as two formats (R09) wherever they sit, so they are refused in metadata too.
_HOSTILE = re.compile(rb"PK\x03\x04|PK\x05\x06|\x7fELF|MZ\x90\x00|%PDF-", re.IGNORECASE)
# Words of web code. In an image's metadata they are only text (an Apple plist in a Photoshop
# resource holds "<!DOCTYPE plist"), which re-encoding removes, so they refuse nothing there;
# they name what trails an image (data after its end is refused anyway).
_HOSTILE_OR_WEB = re.compile(
    _HOSTILE.pattern + rb"|<(?:html|script|\?php|svg|iframe|body|!doctype)|javascript:",
    re.IGNORECASE,
)


def what_is(marker: bytes) -> str:
    """The Swedish name of what a matched marker reveals."""
    m = marker.lower()
    if m.startswith(b"pk"):
        return reasons.WHAT_ZIP
    if m in (b"\x7felf", b"mz\x90\x00"):
        return reasons.WHAT_PROGRAM
    if m == b"%pdf-":
        return reasons.WHAT_PDF
    return reasons.WHAT_WEB


def find_hostile(chunk: bytes, web: bool = False) -> str | None:
    """What hidden payload (another format's signature; with `web`, also web code) chunk reveals."""
    m = (_HOSTILE_OR_WEB if web else _HOSTILE).search(chunk)
    return what_is(m.group(0)) if m else None


def zip_in_tail(data: bytes) -> bool:
    """Whether a plausible ZIP end record sits where a ZIP reader would find it (a ZIP polyglot)."""
    start = max(0, len(data) - ZIP_TAIL)
    pos = data.find(_EOCD, start)
    while pos != -1:
        if _plausible_eocd(data, pos):
            return True
        pos = data.find(_EOCD, pos + 1)
    return False


def _plausible_eocd(data: bytes, pos: int) -> bool:
    """Whether the record at pos is one a ZIP reader would use (filters random matches)."""
    rec = data[pos : pos + 22]
    if len(rec) < 22:
        return False
    disk, cd_disk = int.from_bytes(rec[4:6], "little"), int.from_bytes(rec[6:8], "little")
    cd_size, cd_off = int.from_bytes(rec[12:16], "little"), int.from_bytes(rec[16:20], "little")
    comment_len = int.from_bytes(rec[20:22], "little")
    if disk not in (0, 0xFFFF) or cd_disk not in (0, 0xFFFF):
        return False
    if comment_len > len(data) - pos - 22:
        return False
    return cd_size == 0xFFFFFFFF or cd_off == 0xFFFFFFFF or cd_size + cd_off <= pos


def head_hostile(data: bytes) -> str | None:
    """What other format's signature the first KiB reveals (PDF readers look for %PDF- there)."""
    return find_hostile(data[:1024])


def trailing_what(trailer: bytes) -> str | None:
    """What data after the end of an image is, when it is a known payload."""
    stripped = trailer.lstrip(b"\x00\r\n\t ")
    if stripped.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return reasons.WHAT_ZIP
    if stripped.startswith((b"MZ", b"\x7fELF", b"#!")):
        return reasons.WHAT_PROGRAM
    if stripped.startswith(b"%PDF-"):
        return reasons.WHAT_PDF
    return find_hostile(trailer[:65536], web=True)
