"""A strict walk over a JPEG's markers: segment bounds, entropy data, metadata, EOI, nothing after.

Data after EOI is refused, with one exception: a Multi-Picture (MPF/MPO) file, as many cameras
and phones write (a depth map or HDR gain map as a second JPEG), may carry further complete JPEG
streams back to back until the end of the file, each walked just as strictly.
"""

from __future__ import annotations

import re

from tui_app.intake import reasons, scan
from tui_app.intake.structure import Refused, Structure, check_pixels, damaged

# Start-of-frame markers (not DHT C4, JPG C8, DAC CC).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
# In entropy-coded data 0xFF is followed by 0x00 (stuffing) or RST0-7; anything else is a marker.
_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")
_MAX_IMAGES = 16  # primary image plus MPF secondaries


def walk_jpeg(data: bytes) -> Structure:
    """Walk every marker of a JPEG (and MPF secondaries) and return its size, or raise Refused."""
    end, width, height, mpf = _walk_one(data, 0)
    images = 1
    while end < len(data):
        if not mpf or data[end : end + 3] != b"\xff\xd8\xff" or images >= _MAX_IMAGES:
            trailer = data[end:]
            what = scan.trailing_what(trailer)
            raise Refused(
                reasons.hidden(what, "JPEG") if what else reasons.TRAILING.format(fmt="JPEG")
            )
        end, w, h, _ = _walk_one(data, end)
        check_pixels(w, h)
        images += 1
    check_pixels(width, height, images)
    return Structure(width, height, images)


def _walk_one(data: bytes, start: int) -> tuple[int, int, int, bool]:
    """Walk one SOI..EOI stream from start; return (end, width, height, has MPF index)."""
    n = len(data)
    if data[start : start + 2] != b"\xff\xd8":
        raise damaged()
    pos = start + 2
    width = height = 0
    mpf = False
    seen_sos = False
    while True:
        if pos >= n or data[pos] != 0xFF:
            raise damaged()
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            raise damaged()
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            if not seen_sos or not width:
                raise damaged()
            return pos, width, height, mpf
        if marker == 0x01:  # TEM: no length
            continue
        if marker == 0x00 or 0xD0 <= marker <= 0xD8:
            raise damaged()  # stray RSTn/SOI outside a scan
        if pos + 2 > n:
            raise damaged()
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > n:
            raise damaged()
        seg = data[pos + 2 : pos + length]
        pos += length
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:  # APPn, COM: metadata
            what = scan.find_hostile(seg)
            if what:
                raise Refused(reasons.hidden(what, "JPEG"))
            if marker == 0xE2 and seg.startswith(b"MPF\x00"):
                mpf = True
        elif marker in _SOF:
            if width or len(seg) < 5:
                raise damaged()  # a second frame header, or a short one
            height = int.from_bytes(seg[1:3], "big")
            width = int.from_bytes(seg[3:5], "big")
            check_pixels(width, height)
        elif marker == 0xDA:  # SOS: skip the entropy-coded data up to the next marker
            if not width:
                raise damaged()
            seen_sos = True
            m = _MARKER_IN_SCAN.search(data, pos)
            if m is None:
                raise damaged()  # truncated inside the scan
            pos = m.start()
