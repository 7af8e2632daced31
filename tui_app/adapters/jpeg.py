"""One patient image (JPEG, PNG or GIF) as one JPEG Baseline frame for a DICOM file (R14, R19).

A JPEG is kept byte for byte (image data untouched, no generation loss) when it already is what
DICOM's JPEG Baseline transfer syntax allows: baseline DCT (SOF0), 8 bits, 3 components in YCbCr,
with no EXIF rotation (DICOM viewers ignore EXIF, so a rotated photo would show sideways). Its
metadata segments (EXIF with GPS position and camera serial, XMP, ICC, comments) are removed
losslessly. Anything else is decoded with Pillow and re-encoded: EXIF rotation applied, transparency
put on white, first frame only for an animated GIF, 4:2:2 chroma, quality 95, no metadata.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_app.adapters.errors import AdapterError
from tui_app.core.limits import MAX_PIXELS_PER_FRAME

if TYPE_CHECKING:
    from PIL import Image

SOI, EOI, SOS, SOF0, APP14, COM = 0xD8, 0xD9, 0xDA, 0xC0, 0xEE, 0xFE
_SOF = {m for m in range(0xC0, 0xD0) if m not in (0xC4, 0xC8, 0xCC)}
_DROP = set(range(0xE1, 0xEE)) | {0xEF, COM}  # APP1..APP13, APP15, COM: metadata only
_EXIF_ORIENTATION = 0x0112
JPEG_QUALITY = 95


@dataclass(frozen=True)
class JpegFrame:
    """A complete JPEG Baseline stream ready to be encapsulated, with its size."""

    data: bytes
    rows: int
    columns: int
    source_format: str  # "JPEG", "PNG" or "GIF", by content
    reencoded: bool


@dataclass(frozen=True)
class JpegHeader:
    """What the frame header and Adobe marker of a JPEG say."""

    sof_marker: int
    precision: int
    rows: int
    columns: int
    component_ids: tuple[int, ...]
    adobe_transform: int | None


def segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(marker, start, end) of each header segment up to and including SOS; ValueError if malformed."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG stream")
    i, n = 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            raise ValueError(f"marker expected at {i}")
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            break
        marker, start = data[i], i - 1
        i += 1
        if marker == EOI:
            raise ValueError("no image data before EOI")
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            yield marker, start, i
            continue
        length = int.from_bytes(data[i : i + 2], "big")
        end = i + length
        if length < 2 or end > n:
            raise ValueError(f"bad segment length at {start}")
        yield marker, start, end
        if marker == SOS:
            return
        i = end
    raise ValueError("truncated JPEG header")


def read_header(data: bytes) -> JpegHeader:
    """The SOF and Adobe information of a JPEG stream; ValueError if it has no frame header."""
    sof: tuple[int, int, int, int, tuple[int, ...]] | None = None
    adobe: int | None = None
    for marker, start, end in segments(data):
        body = data[start + 4 : end]
        if marker in _SOF and sof is None and len(body) >= 6:
            count = body[5]
            ids = tuple(body[6 + 3 * k] for k in range(count) if 6 + 3 * k < len(body))
            rows, cols = int.from_bytes(body[1:3], "big"), int.from_bytes(body[3:5], "big")
            sof = (marker, body[0], rows, cols, ids)
        elif marker == APP14 and body[:5] == b"Adobe" and len(body) >= 12:
            adobe = body[11]
    if sof is None:
        raise ValueError("no frame header")
    return JpegHeader(*sof, adobe_transform=adobe)


def strip_metadata(data: bytes) -> bytes:
    """The same JPEG without EXIF/XMP/ICC/comment segments or bytes after EOI; image data untouched."""
    out = bytearray(b"\xff\xd8")
    for marker, start, end in segments(data):
        if marker == SOS:
            # FF D9 cannot occur inside entropy-coded data (FF is stuffed as FF 00), so the first
            # one ends the image; whatever follows (an appended file) is dropped.
            eoi = data.find(b"\xff\xd9", end)
            out += data[start : eoi + 2] if eoi >= 0 else data[start:]
            break
        if marker not in _DROP:
            out += data[start:end]
    return bytes(out)


def prepare_jpeg(data: bytes, name: str) -> JpegFrame:
    """The image in `data` as a JPEG Baseline frame; AdapterError in Swedish if it is no usable image."""
    from PIL import Image, UnidentifiedImageError

    if b"%PDF-" in data[:1024]:
        raise AdapterError(
            f"{name} är en PDF. En PDF sparas aldrig i Picsara: skriv ut den till E-arkiv i stället."
        )
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            if fmt not in ("JPEG", "PNG", "GIF"):
                raise AdapterError(
                    f"{name} är inte en bild i formatet JPEG, PNG eller GIF och kan inte sparas i Picsara."
                )
            if img.width * img.height > MAX_PIXELS_PER_FRAME:
                raise AdapterError(
                    f"Bilden {name} är för stor ({img.width}×{img.height} bildpunkter) för att "
                    "sparas i Picsara."
                )
            img.load()  # decode fully: a broken file is refused here, not inside Picsara
            if fmt == "JPEG" and _keep_as_is(data, img):
                return JpegFrame(strip_metadata(data), img.height, img.width, fmt, False)
            rgb = _to_rgb(img)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
    ) as exc:
        raise AdapterError(
            f"Bilden {name} kunde inte läsas (filen är skadad eller ofullständig) och sparades inte "
            "i Picsara. Be patienten skicka bilden igen."
        ) from exc
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=1, optimize=False, progressive=False)
    return JpegFrame(out.getvalue(), rgb.height, rgb.width, fmt, True)


def _keep_as_is(data: bytes, img: Image.Image) -> bool:
    """True when the JPEG bytes already fit JPEG Baseline (8 bit, YCbCr) and need no rotation."""
    try:
        h = read_header(data)
    except ValueError:
        return False
    return (
        h.sof_marker == SOF0
        and h.precision == 8
        and len(h.component_ids) == 3
        and h.adobe_transform != 0  # Adobe transform 0 = RGB components, not YCbCr
        and h.component_ids != (ord("R"), ord("G"), ord("B"))
        and (h.rows, h.columns) == (img.height, img.width)
        and img.mode == "RGB"
        and img.getexif().get(_EXIF_ORIENTATION, 1) == 1
    )


def _to_rgb(img: Image.Image) -> Image.Image:
    """The first frame as upright 8-bit RGB, transparency on white."""
    from PIL import Image, ImageOps

    img.seek(0)
    upright = ImageOps.exif_transpose(img)
    if upright.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit or float greyscale: scale to 8 bits instead of clipping to white.
        upright = upright.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        rgba = upright.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return upright.convert("RGB")
