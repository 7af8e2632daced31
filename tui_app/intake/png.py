"""A strict walk over a PNG's chunks: CRCs, order, bounds, metadata, nothing after IEND."""

from __future__ import annotations

import zlib

from tui_app.intake import reasons, scan
from tui_app.intake.structure import Refused, Structure, check_pixels, damaged

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CRITICAL = {b"IHDR", b"PLTE", b"IDAT", b"IEND"}
_PIXEL_DATA = {b"IDAT", b"fdAT"}
_MAX_TEXT = 1024 * 1024  # the same bound Pillow puts on a decompressed text chunk


def walk_png(data: bytes) -> Structure:
    """Walk every chunk of a PNG and return its declared size and frames, or raise Refused."""
    view = memoryview(data)
    n = len(data)
    pos = len(SIGNATURE)
    width = height = 0
    anim_frames = 0
    fctl = 0
    seen_idat = False
    default_in_animation = False  # an fcTL before the first IDAT makes the IDAT frame 1
    while True:
        if pos + 12 > n:
            raise damaged()  # truncated: no IEND
        length = int.from_bytes(view[pos:pos + 4], "big")
        ctype = bytes(view[pos + 4:pos + 8])
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > n or not ctype.isalpha() or not ctype.isascii():
            raise damaged()
        body = view[pos + 8:pos + 8 + length]
        if zlib.crc32(body, zlib.crc32(ctype)) != int.from_bytes(view[end - 4:end], "big"):
            raise damaged()
        if pos == len(SIGNATURE) and ctype != b"IHDR":
            raise damaged()
        if ctype == b"IHDR":
            if pos != len(SIGNATURE) or length != 13:
                raise damaged()
            width = int.from_bytes(body[0:4], "big")
            height = int.from_bytes(body[4:8], "big")
            check_pixels(width, height)
        elif ctype == b"IEND":
            if length != 0 or not seen_idat:
                raise damaged()
            _no_trailer(data[end:])
            break
        elif ctype == b"IDAT":
            seen_idat = True
        elif ctype == b"acTL" and length == 8:
            anim_frames = int.from_bytes(body[0:4], "big")
        elif ctype == b"fcTL" and length == 26:
            fctl += 1
            default_in_animation = default_in_animation or not seen_idat
            _check_fctl(body, width, height)
        elif ctype[0:1].isupper() and ctype not in _CRITICAL:
            raise damaged()  # an unknown critical chunk: the PNG spec says decoders must fail
        if ctype not in _PIXEL_DATA:
            _scan_chunk(ctype, bytes(body))
        pos = end
    if anim_frames and anim_frames != fctl:
        raise damaged()
    frames = 1
    if anim_frames:  # Pillow shows a default image outside the animation as an extra frame
        frames = anim_frames + (0 if default_in_animation else 1)
    check_pixels(width, height, frames)
    return Structure(width, height, frames)


def _check_fctl(body: memoryview, width: int, height: int) -> None:
    """An APNG frame must lie within the canvas that IHDR declares."""
    fw, fh, fx, fy = (int.from_bytes(body[i:i + 4], "big") for i in (4, 8, 12, 16))
    if fw == 0 or fh == 0 or fx + fw > width or fy + fh > height:
        raise damaged()


def _scan_chunk(ctype: bytes, body: bytes) -> None:
    """Refuse a payload hidden in a metadata chunk (text is decompressed first)."""
    what = scan.find_hostile(body)
    if what is None and ctype in (b"zTXt", b"iTXt"):
        what = scan.find_hostile(_text_of(ctype, body))
    if what:
        raise Refused(reasons.hidden(what, "PNG"))


def _text_of(ctype: bytes, body: bytes) -> bytes:
    """The decompressed text of a zTXt/iTXt chunk (empty when not compressed)."""
    key_end = body.find(b"\x00")
    if key_end < 0:
        raise damaged()
    if ctype == b"zTXt":
        comp = body[key_end + 2:]
    else:
        if body[key_end + 1:key_end + 2] != b"\x01":
            return b""
        rest = body[key_end + 3:]
        parts = rest.split(b"\x00", 2)
        if len(parts) < 3:
            raise damaged()
        comp = parts[2]
    d = zlib.decompressobj()
    try:
        text = d.decompress(comp, _MAX_TEXT)
    except zlib.error:
        raise damaged() from None
    if d.unconsumed_tail:
        raise damaged()  # a text bomb; Pillow refuses it too
    return text


def _no_trailer(trailer: bytes) -> None:
    """Refuse any byte after IEND, naming a known payload."""
    if trailer:
        what = scan.trailing_what(trailer)
        raise Refused(reasons.hidden(what, "PNG") if what else reasons.TRAILING.format(fmt="PNG"))
