"""A strict walk over a PNG's chunks: CRCs, order, bounds, metadata, nothing after IEND."""

from __future__ import annotations

import zlib

from tui_app.intake import reasons, scan
from tui_app.intake.structure import Refused, Structure, check_frames, check_pixels, damaged

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CRITICAL = {b"IHDR", b"PLTE", b"IDAT", b"IEND"}
_PIXEL_DATA = {b"IDAT", b"fdAT"}
_MAX_TEXT = 1024 * 1024  # the same bound Pillow puts on a decompressed text chunk
# Chunks the PNG specification (3rd edition, 5.6) allows at most once.
_ONCE = {
    b"IHDR",
    b"PLTE",
    b"IEND",
    b"cHRM",
    b"gAMA",
    b"iCCP",
    b"sBIT",
    b"sRGB",
    b"cICP",
    b"mDCV",
    b"cLLI",
    b"bKGD",
    b"hIST",
    b"tRNS",
    b"eXIf",
    b"pHYs",
    b"tIME",
    b"acTL",
}
# Chunks that must come before PLTE (and IDAT), and those that must come before IDAT.
_BEFORE_PLTE = {b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"cLLI"}
_BEFORE_IDAT = _BEFORE_PLTE | {
    b"PLTE",
    b"bKGD",
    b"hIST",
    b"tRNS",
    b"pHYs",
    b"sPLT",
    b"eXIf",
    b"acTL",
}
_AFTER_PLTE = {b"bKGD", b"hIST", b"tRNS"}  # when there is a PLTE
_COLOUR_TYPES = {0: "gråskala", 2: "RGB", 3: "palett", 4: "gråskala med alfa", 6: "RGBA"}


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
    layout = _Layout()
    while True:
        if pos + 12 > n:
            raise damaged()  # truncated: no IEND
        length = int.from_bytes(view[pos : pos + 4], "big")
        ctype = bytes(view[pos + 4 : pos + 8])
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > n or not ctype.isalpha() or not ctype.isascii():
            raise damaged()
        body = view[pos + 8 : pos + 8 + length]
        if zlib.crc32(body, zlib.crc32(ctype)) != int.from_bytes(view[end - 4 : end], "big"):
            raise damaged()
        if pos == len(SIGNATURE) and ctype != b"IHDR":
            raise damaged()
        layout.see(ctype, bytes(body[:13]) if ctype == b"IHDR" else b"")
        if ctype == b"IHDR":
            if pos != len(SIGNATURE) or length != 13:
                raise damaged()
            width = int.from_bytes(body[0:4], "big")
            height = int.from_bytes(body[4:8], "big")
            check_pixels(width, height)
        elif ctype == b"IEND":
            if length != 0 or not seen_idat:
                raise damaged()
            layout.end()
            _no_trailer(data[end:])
            break
        elif ctype == b"IDAT":
            seen_idat = True
        elif ctype == b"acTL" and length == 8:
            anim_frames = int.from_bytes(body[0:4], "big")
            check_frames(anim_frames)
        elif ctype == b"fcTL" and length == 26:
            fctl += 1
            check_frames(fctl)
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


class _Layout:
    """The chunk order rules of the PNG specification; a violation refuses with its name.

    Decoders disagree on a file that breaks them (two PLTE chunks: one shows the first
    palette, another the second), so the stored copy could differ from what the patient saw.
    """

    def __init__(self) -> None:
        self.seen: set[bytes] = set()
        self.colour = -1
        self.last = b""
        self.idat_done = False  # IDAT chunks seen and then another chunk

    def see(self, ctype: bytes, ihdr: bytes) -> None:
        """Check one chunk against those before it."""
        name = ctype.decode("ascii")
        if ctype in _ONCE and ctype in self.seen:
            raise _bad(
                f"blocket {name} finns två gånger"
                + (" (två färgpaletter, som olika program visar olika)" if ctype == b"PLTE" else "")
            )
        if ctype == b"IHDR" and len(ihdr) == 13:
            self.colour = ihdr[9]
        if ctype == b"IDAT":
            if self.idat_done:
                raise _bad("bilddatan (IDAT) är uppdelad av andra block")
            if self.colour == 3 and b"PLTE" not in self.seen:
                raise _bad("färgpaletten (PLTE) saknas före bilddatan")
        elif self.last == b"IDAT":
            self.idat_done = True
        if b"IDAT" in self.seen and ctype in _BEFORE_IDAT:
            raise _bad(f"blocket {name} kommer efter bilddatan (IDAT)")
        if b"PLTE" in self.seen and ctype in _BEFORE_PLTE:
            raise _bad(f"blocket {name} kommer efter färgpaletten (PLTE)")
        if ctype == b"PLTE" and self.colour in (0, 4):
            raise _bad(f"en färgpalett (PLTE) i en bild av typen {_COLOUR_TYPES[self.colour]}")
        if ctype == b"tRNS" and self.colour in (4, 6):
            raise _bad("blocket tRNS i en bild som redan har alfakanal")
        if ctype == b"hIST" and b"PLTE" not in self.seen:
            raise _bad("blocket hIST utan färgpalett (PLTE)")
        if self.colour == 3 and ctype in _AFTER_PLTE and b"PLTE" not in self.seen:
            raise _bad(f"blocket {name} kommer före färgpaletten (PLTE)")
        self.seen.add(ctype)
        self.last = ctype

    def end(self) -> None:
        """Check what must have been there by IEND."""
        if self.colour == 3 and b"PLTE" not in self.seen:
            raise _bad("färgpaletten (PLTE) saknas")


def _bad(what: str) -> Refused:
    """The refusal for a chunk layout the PNG specification forbids."""
    return Refused(reasons.PNG_LAYOUT.format(what=what))


def _check_fctl(body: memoryview, width: int, height: int) -> None:
    """An APNG frame must lie within the canvas that IHDR declares."""
    fw, fh, fx, fy = (int.from_bytes(body[i : i + 4], "big") for i in (4, 8, 12, 16))
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
        comp = body[key_end + 2 :]
    else:
        if body[key_end + 1 : key_end + 2] != b"\x01":
            return b""
        rest = body[key_end + 3 :]
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
