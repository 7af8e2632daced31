"""Re-encode an accepted image from its pixels alone, and draw thumbnails.

What is kept: the pixels, turned upright by the EXIF orientation and converted to sRGB when an
ICC profile came with them; transparency; for animated GIF/PNG every frame with its duration and
loop count (an animation may show something a single frame does not) as long as all its
frames together are no larger than the largest still image (MAX_PIXELS_PER_FRAME); a larger
animation (up to MAX_TOTAL_PIXELS passes the check) is stored as its first frame, so that
cleaning never needs more memory or time than the largest still image. Everything else is gone:
EXIF (GPS, camera serial numbers), XMP, ICC, comments, text chunks, MPF secondaries (depth maps,
gain maps) and any unknown data. JPEG stays JPEG (quality 92), PNG stays PNG, GIF stays GIF.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from tui_app.core.limits import MAX_PIXELS_PER_FRAME

if TYPE_CHECKING:
    from PIL import Image as PILImage

THUMB_BOX = (640, 640)  # big enough for a Sixel or kitty preview (70 × 17 cells)
JPEG_QUALITY = 92
_SAVE_FORMAT = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF"}
# zlib level 1: a 20 MB photo-like PNG saves in 0.7 s instead of 2.6 s at Pillow's default 6, and
# is no larger (measured on noise; scans grow a little). Patients wait for this; disks do not.
_SAVE_OPTIONS: dict[str, dict[str, object]] = {"png": {"compress_level": 1}}


def clean_image(im: PILImage.Image, kind: str) -> tuple[bytes, PILImage.Image]:
    """Re-encode im (loaded at frame 0) as kind; return the new bytes and the upright first frame."""
    frames = int(getattr(im, "n_frames", 1))
    first = _upright_srgb(im)
    out = io.BytesIO()
    if kind == "jpeg":
        if first.mode not in ("L", "RGB"):
            first = first.convert("RGB")
        first.save(out, "JPEG", quality=JPEG_QUALITY)
    elif frames > 1 and kind in ("gif", "png") and keeps_animation(im.width, im.height, frames):
        _save_animation(im, kind, first, out)
    else:
        first = _savable(first, kind)
        first.save(
            out, _SAVE_FORMAT[kind], **_SAVE_OPTIONS.get(kind, {}), **_transparency(im, first)
        )
    return out.getvalue(), first


def keeps_animation(width: int, height: int, frames: int) -> bool:
    """Whether an animation is stored whole (else as its first frame)."""
    return width * height * frames <= MAX_PIXELS_PER_FRAME


def _fresh(im: PILImage.Image) -> PILImage.Image:
    """A copy of the current frame's pixels (and palette) without any metadata."""
    copy = im.copy()
    copy.info.clear()
    return copy


def _upright_srgb(im: PILImage.Image) -> PILImage.Image:
    """The current frame turned upright by its EXIF orientation and converted to sRGB."""
    from PIL import Image

    from tui_app.intake.images import orientation

    frame = _fresh(im)
    # The same table as ImageOps.exif_transpose, applied to the metadata-free copy.
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation(im))
    if method is not None:
        frame = frame.transpose(method)
        frame.info.clear()
    return _to_srgb(frame, im.info.get("icc_profile"))


def _to_srgb(frame: PILImage.Image, icc: bytes | None) -> PILImage.Image:
    """Convert pixels from their embedded ICC profile to sRGB (unchanged when that fails)."""
    if not icc or frame.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return frame if frame.mode != "CMYK" else frame.convert("RGB")
    from PIL import ImageCms

    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        dst = ImageCms.createProfile("sRGB")
        out_mode = "RGBA" if frame.mode == "RGBA" else ("L" if frame.mode == "L" else "RGB")
        if out_mode == "L":
            return frame  # a grey profile: keep the grey values
        converted = ImageCms.profileToProfile(frame, src, dst, outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        converted = None  # a broken profile: the pixels as they are are the best we have
    result = converted if converted is not None else frame
    if result.mode == "CMYK":
        result = result.convert("RGB")
    result.info.clear()
    return result


def _savable(frame: PILImage.Image, kind: str) -> PILImage.Image:
    """The frame in a mode the target format can store."""
    ok = {
        "png": ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"),
        "gif": ("L", "P", "RGB", "RGBA"),
    }[kind]
    return frame if frame.mode in ok else frame.convert("RGBA" if "A" in frame.mode else "RGB")


def _transparency(im: PILImage.Image, frame: PILImage.Image) -> dict[str, object]:
    """The transparency setting to keep, when the frame's mode still matches the original's."""
    t = im.info.get("transparency")
    return {"transparency": t} if t is not None and frame.mode == im.mode else {}


def _save_animation(im: PILImage.Image, kind: str, first: PILImage.Image, out: io.BytesIO) -> None:
    """Save every frame of an animated GIF/PNG with its duration and loop count."""
    frames: list[PILImage.Image] = []
    durations: list[int] = []
    for i in range(int(getattr(im, "n_frames", 1))):
        im.seek(i)
        frame = first if i == 0 else _to_srgb(_fresh(im), im.info.get("icc_profile"))
        frames.append(_savable(frame, kind))
        durations.append(int(im.info.get("duration", 100) or 0))
    im.seek(0)
    options: dict[str, object] = {
        "save_all": True,
        "append_images": frames[1:],
        "duration": durations,
        **_SAVE_OPTIONS.get(kind, {}),
    }
    loop = im.info.get("loop")
    if isinstance(loop, int):
        options["loop"] = loop
    options.update(_transparency(im, frames[0]))
    frames[0].save(out, _SAVE_FORMAT[kind], **options)


def thumbnail_png(frame: PILImage.Image) -> bytes:
    """A small PNG (at most THUMB_BOX) of an image frame."""
    from PIL import Image

    if frame.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        frame = frame.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif frame.mode not in ("L", "LA", "RGB", "RGBA"):
        frame = frame.convert("RGBA")
    else:
        frame = frame.copy()
    frame.info.clear()
    frame.thumbnail(THUMB_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    frame.save(out, "PNG")
    return out.getvalue()
