"""Pictures in the terminal: an image drawn with upper half blocks (▀), two pixels per cell.

Meant for the thumbnails that `prepare` wrote (already checked and re-encoded); the image is
still opened as PNG only and size-checked, so a stray path cannot hand Pillow anything else.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.core.limits import MAX_PIXELS_PER_FRAME

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from rich.text import Text

UPPER_HALF = "▀"
_BACKGROUND = (0, 0, 0)  # transparent pixels are drawn over black


def open_thumbnail(path: Path) -> PILImage:
    """A thumbnail that prepare wrote, as RGBA: opened as PNG only and size-checked."""
    from PIL import Image

    with Image.open(path, formats=["PNG"]) as im:
        if im.width * im.height > MAX_PIXELS_PER_FRAME:
            raise ValueError("image too large for a terminal preview")
        return im.convert("RGBA")


def halfblock(image_path: Path, width: int, height: int) -> Text:
    """The image scaled to fit width × height terminal cells, keeping its aspect ratio."""
    from PIL import Image
    from rich.style import Style
    from rich.text import Text

    rgba = open_thumbnail(image_path)
    scale = min(max(width, 1) / rgba.width, 2 * max(height, 1) / rgba.height)
    w, h = max(1, round(rgba.width * scale)), max(1, round(rgba.height * scale))
    small = rgba.resize((w, h), Image.Resampling.LANCZOS)
    flat = Image.new("RGBA", (w, h), _BACKGROUND + (255,))
    flat.alpha_composite(small)
    px = flat.convert("RGB").tobytes()
    text = Text(no_wrap=True, overflow="crop")
    styles: dict[tuple[bytes, bytes], Style] = {}
    for y in range(0, h, 2):
        for x in range(w):
            i = (y * w + x) * 3
            top = px[i : i + 3]
            bottom = px[i + w * 3 : i + w * 3 + 3] if y + 1 < h else b""
            key = (top, bottom)
            style = styles.get(key)
            if style is None:
                style = styles[key] = Style(
                    color=_rgb(top), bgcolor=_rgb(bottom) if bottom else None
                )
            text.append(UPPER_HALF, style)
        if y + 2 < h:
            text.append("\n")
    return text


def _rgb(pixel: bytes) -> str:
    """A Rich colour string for three RGB bytes."""
    return "#" + pixel.hex()
