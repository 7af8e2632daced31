"""Full decode of an allowed image with Pillow, restricted to the one format its signature names."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from typing import TYPE_CHECKING

from tui_app.core.limits import MAX_PIXELS_PER_FRAME
from tui_app.intake import reasons
from tui_app.intake.structure import Refused, Structure, check_pixels, damaged

if TYPE_CHECKING:
    from PIL import Image as PILImage

PIL_FORMATS = {"png": ["PNG"], "jpeg": ["JPEG"], "gif": ["GIF"]}
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
)
# EXIF orientation values that swap width and height.
_TRANSPOSING = {5, 6, 7, 8}


def configure_pillow() -> None:
    """Make Pillow strict: no truncated images, and a decompression bomb is an error."""
    from PIL import Image, ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS_PER_FRAME
    warnings.simplefilter("error", Image.DecompressionBombWarning)


def decode(data: bytes, kind: str, declared: Structure) -> PILImage.Image:
    """Open data as exactly one format and decode every frame; return the image at frame 0."""
    from PIL import Image

    configure_pillow()
    try:
        im = Image.open(io.BytesIO(data), formats=PIL_FORMATS[kind])
        frames = int(getattr(im, "n_frames", 1))
        if frames != declared.frames:
            raise damaged()  # Pillow and our walk disagree about the structure
        check_pixels(im.width, im.height, frames)
        for i in range(frames):
            if i:
                im.seek(i)
            check_pixels(im.width, im.height)
            im.load()
        if frames > 1:
            im.seek(0)
            im.load()
        orientation(im)  # a broken EXIF block would make the stored copy wrongly oriented
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(reasons.TOO_MANY_PIXELS.format(w=declared.width, h=declared.height)) from None
    except _DECODE_ERRORS:
        raise damaged() from None
    return im


def orientation(im: PILImage.Image) -> int:
    """The EXIF orientation (1..8) of an image; 1 when absent or out of range."""
    value = im.getexif().get(0x0112, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def display_size(im: PILImage.Image) -> tuple[int, int]:
    """Width and height as the image is meant to be seen (after EXIF orientation)."""
    w, h = im.size
    return (h, w) if orientation(im) in _TRANSPOSING else (w, h)
