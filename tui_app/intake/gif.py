"""A strict walk over a GIF's blocks: descriptors, sub-blocks, extensions, trailer, nothing after."""

from __future__ import annotations

from tui_app.intake import reasons, scan
from tui_app.intake.structure import Refused, Structure, check_frames, check_pixels, damaged

_SCANNED_EXTENSIONS = {0x01, 0xFE, 0xFF}  # plain text, comment, application


def walk_gif(data: bytes) -> Structure:
    """Walk every block of a GIF and return its canvas size and frame count, or raise Refused."""
    n = len(data)
    if n < 13:
        raise damaged()
    screen_w = int.from_bytes(data[6:8], "little")
    screen_h = int.from_bytes(data[8:10], "little")
    pos = 13 + _color_table(data[10])
    canvas_w, canvas_h = screen_w, screen_h
    frames = 0
    while True:
        if pos >= n:
            raise damaged()  # truncated: no trailer
        block = data[pos]
        if block == 0x3B:  # trailer
            _no_trailer(data[pos + 1 :])
            break
        if block == 0x21:  # extension
            if pos + 2 > n:
                raise damaged()
            label = data[pos + 1]
            pos, payload = _sub_blocks(data, pos + 2, keep=label in _SCANNED_EXTENSIONS)
            what = scan.find_hostile(payload)
            if what:
                raise Refused(reasons.hidden(what, "GIF"))
        elif block == 0x2C:  # image descriptor
            if pos + 10 > n:
                raise damaged()
            left, top, w, h = (
                int.from_bytes(data[i : i + 2], "little")
                for i in (pos + 1, pos + 3, pos + 5, pos + 7)
            )
            check_pixels(w, h)
            canvas_w, canvas_h = max(canvas_w, left + w), max(canvas_h, top + h)
            pos += 10 + _color_table(data[pos + 9])
            if pos >= n or not 1 <= data[pos] <= 12:  # LZW minimum code size
                raise damaged()
            pos, _ = _sub_blocks(data, pos + 1, keep=False)
            frames += 1
            check_frames(frames)
        else:
            raise damaged()
    if frames == 0:
        raise damaged()
    check_pixels(canvas_w, canvas_h, frames)  # Pillow composites every frame at canvas size
    return Structure(canvas_w, canvas_h, frames)


def _color_table(flags: int) -> int:
    """Bytes of the colour table that a descriptor's flags announce."""
    return 3 * (2 << (flags & 7)) if flags & 0x80 else 0


def _sub_blocks(data: bytes, pos: int, keep: bool) -> tuple[int, bytes]:
    """Skip a chain of data sub-blocks ending with a zero length; return (next pos, payload)."""
    n = len(data)
    parts: list[bytes] = []
    while True:
        if pos >= n:
            raise damaged()
        size = data[pos]
        pos += 1
        if size == 0:
            return pos, b"".join(parts)
        if pos + size > n:
            raise damaged()
        if keep:
            parts.append(data[pos : pos + size])
        pos += size


def _no_trailer(trailer: bytes) -> None:
    """Refuse any byte after the trailer, naming a known payload."""
    if trailer:
        what = scan.trailing_what(trailer)
        raise Refused(reasons.hidden(what, "GIF") if what else reasons.TRAILING.format(fmt="GIF"))
