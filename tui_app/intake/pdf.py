"""A strict PDF check: no repair, no encryption, no active content, a sane page count.

Active content is found by walking every object in the file (not only those reachable from the
catalogue). Refused: JavaScript (/JS, /JavaScript), /Launch, embedded files (/EmbeddedFiles,
/EmbeddedFile, /EF, file attachment annotations), /XFA forms, rich media (/RichMedia, /Movie,
/Sound, /Screen, /3D, /Rendition), automatic actions (/AA; an /OpenAction other than a plain
destination or a local /GoTo), /SubmitForm, /ImportData, /GoToR, /GoToE, any other action type
outside GoTo/URI/Named, and the JBIG2Decode filter. Link annotations with /URI actions to web,
mail and phone addresses are ALLOWED: ordinary documents (lab reports, letters exported from
Word) carry them, they run only when clicked, and the document is printed for E-arkiv (R20)
anyway; a URI with a javascript:, file:, data: or similar scheme is refused.
"""

from __future__ import annotations

import io
from typing import Any

from tui_app.core.limits import MAX_PDF_PAGES
from tui_app.intake import reasons
from tui_app.intake.structure import Refused, damaged

_ALLOWED_ACTIONS = {"/GoTo", "/URI", "/Named"}
_ACTION_WHAT = {
    "/JavaScript": reasons.WHAT_JS, "/Launch": reasons.WHAT_LAUNCH,
    "/SubmitForm": reasons.WHAT_SUBMIT, "/ImportData": reasons.WHAT_SUBMIT,
    "/GoToR": reasons.WHAT_REMOTE, "/GoToE": reasons.WHAT_REMOTE,
    "/Rendition": reasons.WHAT_MEDIA, "/Movie": reasons.WHAT_MEDIA, "/Sound": reasons.WHAT_MEDIA,
    "/RichMediaExecute": reasons.WHAT_MEDIA, "/GoTo3DView": reasons.WHAT_MEDIA,
}
_KEY_WHAT = {
    "/JS": reasons.WHAT_JS, "/JavaScript": reasons.WHAT_JS, "/EmbeddedFiles": reasons.WHAT_EMBEDDED,
    "/EF": reasons.WHAT_EMBEDDED, "/XFA": reasons.WHAT_XFA, "/RichMediaContent": reasons.WHAT_MEDIA,
    "/RichMediaSettings": reasons.WHAT_MEDIA, "/AA": reasons.WHAT_AUTO,
    "/JBIG2Globals": "", "/Launch": reasons.WHAT_LAUNCH,
}
_SUBTYPE_WHAT = {
    "/FileAttachment": reasons.WHAT_EMBEDDED, "/RichMedia": reasons.WHAT_MEDIA,
    "/Movie": reasons.WHAT_MEDIA, "/Sound": reasons.WHAT_MEDIA, "/Screen": reasons.WHAT_MEDIA,
    "/3D": reasons.WHAT_MEDIA,
}
_SAFE_URI_SCHEMES = ("http://", "https://", "mailto:", "tel:")
_TRAILER_SPACE = b" \t\r\n\x00\x0c"


def check_pdf(data: bytes) -> int:
    """Check a PDF strictly and return its page count, or raise Refused."""
    _check_end(data)
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data), attempt_recovery=False)
    except pikepdf.PasswordError:
        raise Refused(reasons.ENCRYPTED) from None
    except (pikepdf.PdfError, RuntimeError, ValueError):
        raise damaged() from None
    with pdf:
        if pdf.is_encrypted:
            raise Refused(reasons.ENCRYPTED)
        try:
            pages = len(pdf.pages)
            _walk(pdf)
        except (pikepdf.PdfError, RuntimeError, ValueError, TypeError, KeyError):
            raise damaged() from None
        if pdf.get_warnings():
            raise damaged()  # qpdf had to work around something: a strict parse failed
    if pages == 0:
        raise Refused(reasons.PDF_NO_PAGES)
    if pages > MAX_PDF_PAGES:
        raise Refused(reasons.PDF_TOO_MANY_PAGES.format(pages=pages))
    _cross_check(data, pages)
    return pages


def _check_end(data: bytes) -> None:
    """The file must end with %%EOF, followed by nothing but whitespace (or NUL padding)."""
    body = data.rstrip(_TRAILER_SPACE)
    if body.endswith(b"%%EOF"):
        return
    from tui_app.intake import scan

    idx = body.rfind(b"%%EOF")
    if idx < 0:
        raise damaged()  # truncated
    what = scan.trailing_what(body[idx + 5:])
    raise Refused(reasons.hidden(what, "PDF") if what else reasons.TRAILING.format(fmt="PDF"))


def _cross_check(data: bytes, pages: int) -> None:
    """A second parser (PDFium, which renders the thumbnails) must see the same page count."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        raise damaged() from None
    try:
        if len(doc) != pages:
            raise damaged()
    finally:
        doc.close()


def _walk(pdf: Any) -> None:
    """Visit every object (and every direct object inside it); refuse active content."""
    import pikepdf

    dict_types = (pikepdf.ObjectType.dictionary, pikepdf.ObjectType.stream)
    array_type = pikepdf.ObjectType.array
    containers = dict_types + (array_type,)
    stack: list[Any] = list(pdf.objects)
    while stack:
        obj = stack.pop()
        if not isinstance(obj, pikepdf.Object):
            continue  # a scalar or null: nothing active
        tc = obj._type_code
        if tc in dict_types:
            _check_dict(obj, tc == pikepdf.ObjectType.stream)
            children = [obj.get(k) for k in obj.keys()]  # noqa: SIM118 - pikepdf API
        elif tc == array_type:
            children = list(obj)
        else:
            continue
        for child in children:
            if (isinstance(child, pikepdf.Object) and child._type_code in containers
                    and not child.is_indirect):
                stack.append(child)


def _check_dict(d: Any, is_stream: bool) -> None:
    """Refuse a dictionary that is or carries active content."""
    for key in d.keys():  # noqa: SIM118 - pikepdf API
        what = _KEY_WHAT.get(key)
        if what is not None:
            raise Refused(reasons.PDF_JBIG2 if key == "/JBIG2Globals" else
                          reasons.PDF_ACTIVE.format(what=what))
    kind = str(d.get("/Type", "")), str(d.get("/Subtype", ""))
    if kind[0] == "/EmbeddedFile":
        raise Refused(reasons.PDF_ACTIVE.format(what=reasons.WHAT_EMBEDDED))
    if kind[1] in _SUBTYPE_WHAT and kind[0] != "/XObject":
        raise Refused(reasons.PDF_ACTIVE.format(what=_SUBTYPE_WHAT[kind[1]]))
    s = str(d.get("/S", ""))
    if kind[0] == "/Action" or s in _ACTION_WHAT:
        _check_action(d)
    if "/A" in d:
        _check_action(d.get("/A"))
    if "/OpenAction" in d:
        _check_open_action(d.get("/OpenAction"))
    if is_stream and "/JBIG2Decode" in _filters(d.get("/Filter")):
        raise Refused(reasons.PDF_JBIG2)


def _check_action(action: Any, depth: int = 0) -> None:
    """Refuse an action outside GoTo/URI/Named, following its /Next chain."""
    import pikepdf

    if depth > 100 or not isinstance(action, pikepdf.Dictionary):
        return
    s = str(action.get("/S", ""))
    if s not in _ALLOWED_ACTIONS:
        name = s.lstrip("/") or "okänd"
        raise Refused(reasons.PDF_ACTIVE.format(
            what=_ACTION_WHAT.get(s, reasons.WHAT_ACTION.format(name=name))))
    if s == "/URI":
        uri = str(action.get("/URI", "")).strip().lower()
        if not uri.startswith(_SAFE_URI_SCHEMES):
            raise Refused(reasons.PDF_ACTIVE.format(what=reasons.WHAT_REMOTE))
    nxt = action.get("/Next")
    for item in (nxt if isinstance(nxt, pikepdf.Array) else [nxt]):
        _check_action(item, depth + 1)


def _check_open_action(value: Any) -> None:
    """An /OpenAction may only show a page: a destination array, or a local /GoTo."""
    import pikepdf

    if isinstance(value, pikepdf.Dictionary) and (str(value.get("/S", "")) != "/GoTo"
                                                  or "/Next" in value):
        _check_action(value)  # names the specific problem when there is one
        raise Refused(reasons.PDF_ACTIVE.format(what=reasons.WHAT_AUTO))


def _filters(value: Any) -> set[str]:
    """The filter names of a stream's /Filter entry (a name or an array of names)."""
    import pikepdf

    if isinstance(value, pikepdf.Array):
        return {str(v) for v in value}
    return {str(value)} if value is not None else set()
