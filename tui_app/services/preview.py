"""Full-screen preview of a stored file: page N, zoomed on a part, scaled to fit a box of pixels.

Works on the stored file (already checked and cleaned at intake), never on what the patient
uploaded. Pillow and PDFium are imported inside the functions; the UI calls these in a thread
worker. The last few decoded pages are kept, so paging back and forth or panning a zoomed
picture does not decode the file again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.core.errors import UserError
from tui_app.core.limits import MAX_PIXELS_PER_FRAME
from tui_app.services.context import Context
from tui_app.services.files import stored_path
from tui_app.services.handling import load_file
from tui_app.services.identity import Actor
from tui_app.store.db import session_scope

if TYPE_CHECKING:
    from PIL.Image import Image

ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)  # 100 % is the whole page fitted to the screen
MAX_RENDER_SIDE = 8000  # pixels: a PDF page is never rasterised larger than this
MAX_IMAGE_SIDE = 4096  # pixels: a photo is decoded at most this large (enough for 8× on a screen)
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
        return self.mime == "application/pdf"


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
        return replace(self, cx=min(max(self.cx + dx * step, 0.0), 1.0),
                       cy=min(max(self.cy + dy * step, 0.0), 1.0))


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
        base = _pdf_page(source.path, page, (bw * zoom, bh * zoom))
    else:
        base = _picture(source.path, source.mime)
    w, h = base.size
    fit = min(bw / w, bh / h)
    shown = fit * zoom  # display pixels per base pixel
    vw, vh = min(float(w), bw / shown), min(float(h), bh / shown)
    left = min(max(view.cx * w - vw / 2, 0.0), w - vw)
    top = min(max(view.cy * h - vh / 2, 0.0), h - vh)
    crop = base.crop((round(left), round(top), round(left + vw), round(top + vh)))
    size = (max(1, min(bw, round(vw * shown))), max(1, min(bh, round(vh * shown))))
    from PIL import Image as PILImage

    out = crop.resize(size, PILImage.Resampling.LANCZOS) if crop.size != size else crop
    centre = View(page, zoom, (left + vw / 2) / w, (top + vh / 2) / h)
    return Rendered(out, centre if zoom != 1.0 else View(page), source.pages,
                    (left / w, top / h, (left + vw) / w, (top + vh) / h))


_cache: OrderedDict[tuple[object, ...], Image] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 3
_pdfium_lock = threading.Lock()


def _cached(key: tuple[object, ...], make: object) -> Image:
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    image = make()  # type: ignore[operator]
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


def _pdf_page(path: Path, page: int, box: tuple[float, float]) -> Image:
    """Page `page` of the stored PDF rendered so it fits box pixels (no larger than MAX_RENDER_SIDE)."""
    import pypdfium2 as pdfium

    st = path.stat()
    with _pdfium_lock:  # PDFium is not thread-safe: one document at a time
        return _pdf_page_locked(pdfium, path, st, page, box)


def _pdf_page_locked(pdfium: object, path: Path, st: object, page: int,
                     box: tuple[float, float]) -> Image:
    doc = pdfium.PdfDocument(str(path))  # type: ignore[attr-defined]
    try:
        if not 0 <= page < len(doc):
            raise UserError(f"Dokumentet har inte sidan {page + 1}.")
        pdf_page = doc[page]
        try:
            pw, ph = pdf_page.get_size()
            scale = min(box[0] / max(pw, 1.0), box[1] / max(ph, 1.0))
            scale = min(scale, MAX_RENDER_SIDE / max(pw, ph, 1.0))
            scale = round(scale, 3) or 0.001

            def make() -> Image:
                bitmap = pdf_page.render(scale=scale, may_draw_forms=False)
                return bitmap.to_pil().convert("RGB")

            return _cached(("pdf", str(path), st.st_mtime_ns, page, scale), make)  # type: ignore[attr-defined]
        finally:
            pdf_page.close()
    finally:
        doc.close()
