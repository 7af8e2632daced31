"""Pictures for the terminal: Sixel, the kitty graphics protocol, half blocks or shades of grey.

Pure functions (Pillow in, text out) with no Textual in them, so they are tested byte for byte.
The sequences never ask the terminal for an answer (kitty: q=2), because an answer would arrive
as key presses.
"""

from __future__ import annotations

import base64
import io
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image
    from rich.text import Text

SIXEL_COLOURS = 128  # enough for a photo preview; fewer colours keep the stream short over SSH
_SIXEL_CHARS = bytes(range(63, 127))  # a six-pixel column (bits 0..5) is the character 63 + bits
_RUN = re.compile(rb"(.)\1{3,}")  # runs of four or more compress to !<count><char>
KITTY_CHUNK = 4096  # the protocol's maximum payload per escape code


def fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with size's aspect ratio that fits box (at least 1×1)."""
    w, h = size
    scale = min(box[0] / max(w, 1), box[1] / max(h, 1))
    return max(1, round(w * scale)), max(1, round(h * scale))


def flatten(image: Image, background: tuple[int, int, int] = (0, 0, 0)) -> Image:
    """The image as RGB, transparent parts drawn over background."""
    from PIL import Image as PILImage

    rgba = image.convert("RGBA")
    flat = PILImage.new("RGBA", rgba.size, background + (255,))
    flat.alpha_composite(rgba)
    return flat.convert("RGB")


def sixel(image: Image, colours: int = SIXEL_COLOURS) -> str:
    """A complete Sixel sequence (DCS … ST) drawing image at its pixel size.

    The image is reduced to a palette of at most `colours` colours without dithering (dithering
    bloats the run-length encoding). Each band of six pixel rows sends, per colour present, one
    run-length-encoded row of sixel characters; '$' returns to the band's start, '-' moves down.
    """
    from PIL import Image as PILImage

    rgb = flatten(image)
    pal_image = rgb.quantize(
        colors=max(2, min(colours, 256)),
        method=PILImage.Quantize.MEDIANCUT,
        dither=PILImage.Dither.NONE,
    )
    w, h = pal_image.size
    data = pal_image.tobytes()
    palette = pal_image.getpalette() or []
    used = sorted(set(data))
    out = [f'\x1bP0;1;0q"1;1;{w};{h}']  # 1:1 pixel aspect; pixels not set stay transparent
    for i in used:
        r, g, b = palette[3 * i : 3 * i + 3]
        out.append(f"#{i};2;{r * 100 // 255};{g * 100 // 255};{b * 100 // 255}")
    for top in range(0, h, 6):
        masks: dict[int, bytearray] = {}
        for dy in range(min(6, h - top)):
            bit = 1 << dy
            start = (top + dy) * w
            row = data[start : start + w]
            for x, c in enumerate(row):
                m = masks.get(c)
                if m is None:
                    m = masks[c] = bytearray(w)
                m[x] |= bit
        parts = []
        for c, m in masks.items():
            line = _RUN.sub(
                lambda r: b"!%d%c" % (len(r.group(0)), r.group(1)[0]),
                bytes(m).translate(_SIXEL_TABLE).rstrip(b"?"),
            )
            parts.append(f"#{c}" + line.decode("ascii"))
        out.append("$".join(parts) + ("-" if top + 6 < h else ""))
    out.append("\x1b\\")  # no '-' after the last band: it would move below the picture
    return "".join(out)


_SIXEL_TABLE = bytes(_SIXEL_CHARS[b] if b < 64 else 63 for b in range(256))


def kitty_transmit(image: Image, image_id: int) -> str:
    """Kitty graphics: hand the terminal the image as PNG under image_id, without showing it.

    Sent once; each redraw then only places it (kitty_place), so a repaint costs a few bytes.
    The terminal sends no reply (q=2 on every chunk).
    """
    buf = io.BytesIO()
    flatten(image).save(buf, "PNG")
    payload = base64.standard_b64encode(buf.getvalue()).decode("ascii")
    chunks = [payload[i : i + KITTY_CHUNK] for i in range(0, len(payload), KITTY_CHUNK)] or [""]
    out = []
    for n, chunk in enumerate(chunks):
        more = 1 if n < len(chunks) - 1 else 0
        keys = f"a=t,f=100,i={image_id},q=2,m={more}" if n == 0 else f"q=2,m={more}"
        out.append(f"\x1b_G{keys};{chunk}\x1b\\")
    return "".join(out)


def kitty_place(image_id: int) -> str:
    """Show a transmitted image at the cursor, at its own pixel size (no stretching to whole
    cells), without moving the cursor; placing it again replaces the earlier placement."""
    return f"\x1b_Ga=p,i={image_id},p=1,C=1,q=2\x1b\\"


def kitty_delete(image_id: int) -> str:
    """Remove the image and free its data in the terminal."""
    return f"\x1b_Ga=d,d=I,i={image_id},q=2\x1b\\"


def halfblock_text(image: Image) -> Text:
    """The image drawn with upper half blocks (▀): one cell shows two pixels, top and bottom.

    The image must already have its final size (width = cells, height = 2 × rows).
    """
    from rich.style import Style
    from rich.text import Text

    rgb = flatten(image)
    w, h = rgb.size
    px = rgb.tobytes()
    text = Text(no_wrap=True, overflow="crop")
    styles: dict[tuple[bytes, bytes], Style] = {}
    for y in range(0, h, 2):
        for x in range(w):
            i = (y * w + x) * 3
            top = px[i : i + 3]
            bottom = px[i + w * 3 : i + w * 3 + 3] if y + 1 < h else b""
            style = styles.get((top, bottom))
            if style is None:
                style = styles[(top, bottom)] = Style(
                    color="#" + top.hex(), bgcolor="#" + bottom.hex() if bottom else None
                )
            text.append("▀", style)
        if y + 2 < h:
            text.append("\n")
    return text


SHADES = " .:-=+*#%@"  # light to dark: for terminals without colour (NO_COLOR)


def shade_text(image: Image) -> Text:
    """The image in characters of increasing darkness, one character per cell.

    The image has the size half-block drawing would use (2 pixels per cell vertically); pairs
    of rows are averaged into one row of characters.
    """
    from PIL import Image as PILImage
    from rich.text import Text

    grey = flatten(image).convert("L")
    w, h = grey.size
    rows = max(1, (h + 1) // 2)
    px = grey.resize((w, rows), PILImage.Resampling.BOX).tobytes()
    top = len(SHADES) - 1
    lines = [
        "".join(SHADES[(255 - px[y * w + x]) * top // 255] for x in range(w)) for y in range(rows)
    ]
    return Text("\n".join(lines), no_wrap=True, overflow="crop")
