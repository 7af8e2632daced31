"""Flatten a PDF the way Dangerzone does: render every page to pixels, build a new PDF of them.

The received PDF is never stored. Each page is rendered by PDFium (inside the sandboxed worker)
and written as one JPEG image on a page of the same size in a new PDF made by pikepdf. The new
file holds nothing but those images (and, when Tesseract is installed, an invisible OCR text
layer in Tesseract's own glyph-less font, see `ocr`): no JavaScript, no forms, no annotations,
no embedded files, no fonts, no metadata of the sender's.

Resolution: RENDER_DPI = 150. E-arkiv prints the document and scans it again (R20), typically at
200-300 dpi; 150 dpi keeps 8-point body text and a scanned letter readable on paper, the
standard Dangerzone chose too. A page larger than A4 is rendered at fewer dots per inch so that
no page exceeds MAX_PAGE_PIXELS (A3 and posters stay within memory). Figures: see
`python bench/intake.py` and the README.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui_app.intake import reasons
from tui_app.intake.structure import Refused

if TYPE_CHECKING:
    from PIL import Image as PILImage

RENDER_DPI = 150
#: An A4 page at 150 dpi is 1240 x 1754 = 2.2 MP; allow up to A3 (4.4 MP), scale down beyond.
MAX_PAGE_PIXELS = 4_400_000
#: JPEG quality of a flattened page: text stays crisp at 150 dpi, a page is ~150-400 KB.
PAGE_JPEG_QUALITY = 85
_PT_PER_INCH = 72.0


@dataclass
class Flattened:
    """A flattened PDF: its bytes, page count, first page (for the thumbnail) and OCR state."""

    data: bytes
    pages: int
    first_page: Any  # a PIL image
    ocr: bool


def page_scale(width_pt: float, height_pt: float) -> float:
    """Pixels per point for a page: RENDER_DPI, less when the page would exceed MAX_PAGE_PIXELS."""
    scale = RENDER_DPI / _PT_PER_INCH
    pixels = width_pt * scale * height_pt * scale
    if pixels > MAX_PAGE_PIXELS:
        scale *= (MAX_PAGE_PIXELS / pixels) ** 0.5
    return scale


def open_pdfium(data: bytes) -> Any:
    """Open data with PDFium, or raise Refused naming why it cannot be rendered."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == raw.FPDF_ERR_PASSWORD:
            raise Refused(reasons.ENCRYPTED) from None
        if code == raw.FPDF_ERR_SECURITY:
            raise Refused(reasons.PDF_UNSUPPORTED_SECURITY) from None
        raise Refused(reasons.PDF_UNRENDERABLE) from None


def render_pages(doc: Any) -> Iterator[tuple[PILImage.Image, float, float]]:
    """Each page as an RGB image with the page's size in points (rotation applied)."""
    try:
        doc.init_forms()  # filled-in form fields are drawn as the patient saw them
    except Exception:  # noqa: BLE001 - a document without a usable form: draw without forms
        pass
    for i in range(len(doc)):
        try:
            page = doc[i]
            w, h = page.get_size()
            if not (w > 0 and h > 0):
                raise ValueError("empty page")
            bitmap = page.render(
                scale=page_scale(w, h), may_draw_forms=True, fill_color=(255, 255, 255, 255)
            )
            image = bitmap.to_pil().convert("RGB")
            page.close()
        except (Refused, MemoryError):
            raise  # MemoryError: the sandbox's own refusal (too much memory), not the page's
        except Exception:  # noqa: BLE001 - PdfiumError, ValueError: PDFium could not draw it
            raise Refused(reasons.PDF_PAGE_UNRENDERABLE.format(page=i + 1)) from None
        yield image, w, h


def flatten_pdf(
    data: bytes,
    ocr: Callable[[PILImage.Image, float], bytes | None] | None = None,
    max_pages: int | None = None,
) -> Flattened:
    """Render every page of data and build a pixels-only PDF; raise Refused when it cannot.

    `ocr(image, dpi)` returns a text-only PDF page for a rendered page, or None; the text layer
    is added only when every page got one.
    """
    import pikepdf

    doc = open_pdfium(data)
    pages: list[tuple[PageImage, float, float]] = []
    layers: list[bytes | None] = []
    first: Any = None
    try:
        if max_pages is not None and len(doc) > max_pages:
            raise Refused(reasons.PDF_TOO_MANY_PAGES.format(pages=len(doc)))
        for image, w, h in render_pages(doc):
            if first is None:
                first = image
            pages.append((encode_page(image), w, h))
            if ocr is not None and (not layers or layers[-1] is not None):
                layers.append(ocr(image, image.width / (w / _PT_PER_INCH)))
            if image is not first:
                image.close()
    finally:
        doc.close()
    if not pages or first is None:
        raise Refused(reasons.PDF_NO_PAGES)
    with_text = len(layers) == len(pages) and all(t is not None for t in layers)
    out = pikepdf.new()
    keep: list[Any] = []  # text-layer sources must stay open until the file is saved
    for i, (pixels, w, h) in enumerate(pages):
        add_image_page(out, pixels, w, h)
        if with_text:
            from tui_app.intake.ocr import overlay_text

            keep.append(overlay_text(out, out.pages[-1], layers[i] or b""))
    buf = io.BytesIO()
    out.save(
        buf,
        compress_streams=True,
        deterministic_id=True,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
    )
    for src in keep:
        if src is not None:
            src.close()
    return Flattened(buf.getvalue(), len(pages), first, ocr=with_text)


@dataclass(frozen=True)
class PageImage:
    """One page's pixels, encoded for a PDF image XObject."""

    data: bytes
    width: int
    height: int
    colour_space: str  # "/DeviceRGB" or "/DeviceGray"
    filter: str  # "/DCTDecode" or "/FlateDecode"


def encode_page(image: PILImage.Image) -> PageImage:
    """The smaller of a JPEG and a lossless Flate encoding, in grey when the page has no colour.

    Text pages compress better losslessly (and stay crisp); photos and scans as JPEG. Flate is
    tried only when a sample strip suggests it can win (it is slow on photos).
    """
    import zlib

    pixels = image.convert("L") if _is_grey(image) else image
    jpeg = io.BytesIO()
    pixels.save(jpeg, "JPEG", quality=PAGE_JPEG_QUALITY)
    space = "/DeviceGray" if pixels.mode == "L" else "/DeviceRGB"
    raw = pixels.tobytes()
    strip = len(raw) // 16
    if len(zlib.compress(raw[7 * strip : 8 * strip], 1)) * 16 < jpeg.tell() * 1.2:
        flate = zlib.compress(raw, 6)
        if len(flate) < jpeg.tell():
            return PageImage(flate, pixels.width, pixels.height, space, "/FlateDecode")
    return PageImage(jpeg.getvalue(), pixels.width, pixels.height, space, "/DCTDecode")


def _is_grey(image: PILImage.Image) -> bool:
    """Whether an RGB image is grey: no channel differs from another by more than a little.

    Judged on a quarter-size copy (a coloured stroke still shows in its averages), for speed.
    """
    from PIL import ImageChops

    r, g, b = image.reduce(2).split()
    return all(_band_max(ImageChops.difference(x, y)) <= 12 for x, y in ((r, g), (g, b)))


def _band_max(band: PILImage.Image) -> float:
    """The largest value of a one-band image (getextrema gives (min, max) for one band)."""
    extrema = band.getextrema()
    high = extrema[1]
    assert not isinstance(high, tuple)
    return high or 0


def add_image_page(pdf: Any, pixels: PageImage, w_pt: float, h_pt: float) -> None:
    """Append a page of w_pt x h_pt points showing one image and nothing else."""
    import pikepdf

    image = pikepdf.Stream(pdf, pixels.data)
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width, image.Height = pixels.width, pixels.height
    image.ColorSpace = pikepdf.Name(pixels.colour_space)
    image.BitsPerComponent = 8
    image.Filter = pikepdf.Name(pixels.filter)
    content = b"q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q\n" % (w_pt, h_pt)
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, round(w_pt, 4), round(h_pt, 4)]),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=pikepdf.Stream(pdf, content),
    )
    pdf.pages.append(pikepdf.Page(page))
