"""Full-screen preview of a stored file: page N, zoomed on a part, scaled to fit a box of pixels.

Works on the stored file (already checked and cleaned at intake), never on what the patient
uploaded. Pillow and PDFium are imported inside the functions; the UI calls these in a thread
worker. A PDF page is rendered only where it is shown, at the size it is shown; a decoded photo
is kept (the last two), so panning a zoomed picture does not decode the file again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_app.core.errors import UserError
from tui_app.core.limits import MAX_PIXELS_PER_FRAME
from tui_app.core.routine import FileKind, kind_of
from tui_app.services.context import Context
from tui_app.services.files import stored_path
from tui_app.services.handling import load_file
from tui_app.services.identity import Actor
from tui_app.store.db import session_scope

if TYPE_CHECKING:
    from PIL.Image import Image

ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)  # 100 % is the whole page fitted to the screen
MAX_RENDER_SIDE = 4000  # pixels: a rotated PDF page is never rasterised larger than this
MAX_IMAGE_SIDE = 3072  # pixels: a photo is decoded at most this large (28 MB as RGB)
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF"}
_BACKGROUND = (0, 0, 0)  # transparent parts are drawn over black, as the thumbnails are


@dataclass(frozen=True)
class PreviewSource:
    """The stored file behind a preview: where it is, what it is, how many pages it has."""

    file_id: int
    path: Path
    mime: str
    pages: int

    @property
    def is_pdf(self) -> bool:
        """Whether pages are rendered with PDFium (else the file is one picture)."""
        return kind_of(self.mime) is FileKind.DOCUMENT


@dataclass(frozen=True)
class View:
    """What part of which page is shown: page from 0, zoom as a factor, centre as fractions."""

    page: int = 0
    zoom: float = 1.0
    cx: float = 0.5
    cy: float = 0.5

    def paged(self, step: int, pages: int) -> View:
        """Another page (kept within the document), shown whole."""
        return View(page=min(max(self.page + step, 0), max(pages - 1, 0)))

    def zoomed(self, step: int) -> View:
        """One zoom level in (step > 0) or out, around the same centre."""
        i = min(range(len(ZOOMS)), key=lambda k: abs(ZOOMS[k] - self.zoom))
        zoom = ZOOMS[min(max(i + step, 0), len(ZOOMS) - 1)]
        return replace(self, zoom=zoom) if zoom != 1.0 else View(page=self.page)

    def panned(self, dx: int, dy: int) -> View:
        """Moved by a quarter of what is visible, per step (the renderer keeps it on the page)."""
        step = 0.25 / self.zoom
        return replace(
            self,
            cx=min(max(self.cx + dx * step, 0.0), 1.0),
            cy=min(max(self.cy + dy * step, 0.0), 1.0),
        )


@dataclass(frozen=True)
class Rendered:
    """A rendered view: the picture (fits the box), the view as actually shown, and where it is."""

    image: Image
    view: View
    pages: int
    #: the part of the page shown, as fractions (left, top, right, bottom)
    window: tuple[float, float, float, float]


def preview_source(ctx: Context, actor: Actor, file_id: int) -> PreviewSource:
    """The stored file of a file this person may see (R05); opening the preview was logged."""
    with session_scope(ctx.engine) as s:
        f = load_file(s, actor, file_id).file
        path = stored_path(ctx, f.storage_key)
        mime, pages = f.mime, max(f.pages or 1, 1)
    if not path.is_file():
        raise UserError("Filen finns inte längre i lagringen. Uppdatera ärendet.")
    return PreviewSource(file_id, path, mime, pages)


def render_view(source: PreviewSource, view: View, box: tuple[int, int]) -> Rendered:
    """The view of the stored file, scaled to fit box (w, h) pixels, keeping the aspect ratio."""
    bw, bh = max(box[0], 1), max(box[1], 1)
    page = min(max(view.page, 0), source.pages - 1)
    zoom = min(max(view.zoom, ZOOMS[0]), ZOOMS[-1])
    if source.is_pdf:
        with _pdfium_lock:  # PDFium is not thread-safe: one document at a time
            image, (w, h), (shown, left, top, vw, vh) = _pdf_window(
                source.path, page, (bw, bh), zoom, view.cx, view.cy
            )
    else:
        base = _picture(source.path, source.mime)
        w, h = base.size
        shown, left, top, vw, vh = _window((w, h), (bw, bh), zoom, view.cx, view.cy)
        image = base.crop((round(left), round(top), round(left + vw), round(top + vh)))
    size = (max(1, min(bw, round(vw * shown))), max(1, min(bh, round(vh * shown))))
    if image.size != size:
        from PIL import Image as PILImage

        image = image.resize(size, PILImage.Resampling.LANCZOS)
    centre = View(page, zoom, (left + vw / 2) / w, (top + vh / 2) / h)
    return Rendered(
        image,
        centre if zoom != 1.0 else View(page),
        source.pages,
        (left / w, top / h, (left + vw) / w, (top + vh) / h),
    )


def _window(
    size: tuple[float, float], box: tuple[int, int], zoom: float, cx: float, cy: float
) -> tuple[float, float, float, float, float]:
    """(display pixels per unit, left, top, width, height) of the part of size that is shown.

    At zoom 1 the whole of size fits box; zooming keeps the centre (cx, cy) where it can, and
    the window never leaves the page.
    """
    w, h = size
    shown = min(box[0] / w, box[1] / h) * zoom
    vw, vh = min(w, box[0] / shown), min(h, box[1] / shown)
    left = min(max(cx * w - vw / 2, 0.0), w - vw)
    top = min(max(cy * h - vh / 2, 0.0), h - vh)
    return shown, left, top, vw, vh


def _pdf_window(
    path: Path, page: int, box: tuple[int, int], zoom: float, cx: float, cy: float
) -> tuple[Image, tuple[float, float], tuple[float, float, float, float, float]]:
    """Render only the shown part of a PDF page, at the size it is shown (memory ~ the box)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        if not 0 <= page < len(doc):
            raise UserError(f"Dokumentet har inte sidan {page + 1}.")
        pdf_page = doc[page]
        try:
            pw, ph = pdf_page.get_size()
            if pdf_page.get_rotation() % 180:
                pw, ph = ph, pw
            win = _window((pw, ph), box, zoom, cx, cy)
            shown, left, top, vw, vh = win
            if pdf_page.get_rotation():  # crop margins follow the unrotated page: render whole
                scale = min(shown, MAX_RENDER_SIDE / max(pw, ph))
                whole = pdf_page.render(scale=scale, may_draw_forms=False).to_pil()
                k = whole.width / pw
                image = whole.crop(
                    (round(left * k), round(top * k), round((left + vw) * k), round((top + vh) * k))
                )
            else:  # crop = what to cut off each side, in points: left, bottom, right, top
                crop = (left, ph - top - vh, pw - left - vw, top)
                image = pdf_page.render(scale=shown, crop=crop, may_draw_forms=False).to_pil()
            return image.convert("RGB"), (pw, ph), win
        finally:
            pdf_page.close()
    finally:
        doc.close()


_cache: OrderedDict[tuple[object, ...], Image] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 2  # decoded pictures kept: the one shown and the one before
_pdfium_lock = threading.Lock()


def _cached(key: tuple[object, ...], make: Callable[[], Image]) -> Image:
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    image = make()
    with _cache_lock:
        _cache[key] = image
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return image


def _picture(path: Path, mime: str) -> Image:
    """The stored picture as RGB, at most MAX_IMAGE_SIDE on its long side (first frame)."""
    st = path.stat()

    def make() -> Image:
        from PIL import Image as PILImage

        fmt = _FORMATS.get(mime)
        if fmt is None:
            raise UserError("Förhandsvisning finns inte för den här filtypen.")
        with PILImage.open(path, formats=[fmt]) as im:
            if im.width * im.height > MAX_PIXELS_PER_FRAME:
                raise UserError("Bilden är för stor för att visas här.")
            im.draft("RGB", (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))  # JPEG decodes smaller, faster
            rgba = im.convert("RGBA")
        rgba.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), PILImage.Resampling.LANCZOS)
        flat = PILImage.new("RGBA", rgba.size, _BACKGROUND + (255,))
        flat.alpha_composite(rgba)
        return flat.convert("RGB")

    return _cached(("image", str(path), st.st_mtime_ns, st.st_size), make)
