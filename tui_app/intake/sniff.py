"""Which format a file is, from its bytes at offset 0 (never its name)."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Sniffed:
    """A detected format: `kind` is png/jpeg/gif/pdf for allowed formats, else a refusal category."""

    kind: str
    name: str
    mime: str | None = None

    @property
    def allowed(self) -> bool:
        """Whether R09 allows this format (still subject to every other check)."""
        return self.kind in ("png", "jpeg", "gif", "pdf")


PNG = Sniffed("png", "PNG", "image/png")
JPEG = Sniffed("jpeg", "JPEG", "image/jpeg")
GIF = Sniffed("gif", "GIF", "image/gif")
PDF = Sniffed("pdf", "PDF", "application/pdf")
PDF_JUNK = Sniffed("pdf-junk", "PDF", "application/pdf")
UNKNOWN = Sniffed("unknown", "okänt format")

_ALLOWED: list[tuple[bytes, Sniffed]] = [
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"%PDF-", PDF),
]

# (prefix at offset 0, category, name, mime). Order matters only where prefixes overlap.
_PREFIXES: list[tuple[bytes, str, str, str | None]] = [
    (b"II*\x00", "image", "TIFF", "image/tiff"),
    (b"MM\x00*", "image", "TIFF", "image/tiff"),
    (b"II+\x00", "image", "TIFF", "image/tiff"),
    (b"MM\x00+", "image", "TIFF", "image/tiff"),
    (b"IIRO", "image", "RAW (ORF)", None),
    (b"IIU\x00", "image", "RAW (RW2)", None),
    (b"FUJIFILMCCD-RAW", "image", "RAW (RAF)", None),
    (b"8BPS", "image", "Photoshop (PSD)", "image/vnd.adobe.photoshop"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image", "JPEG 2000", "image/jp2"),
    (b"\xff\x4f\xff\x51", "image", "JPEG 2000", "image/jp2"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "image", "JPEG XL", "image/jxl"),
    (b"\xff\x0a", "image", "JPEG XL", "image/jxl"),
    (b"\x00\x00\x01\x00", "image", "ICO", "image/vnd.microsoft.icon"),
    (b"\x00\x00\x02\x00", "image", "CUR", None),
    (b"qoif", "image", "QOI", None),
    (b"gimp xcf", "image", "GIMP (XCF)", None),
    (b"DDS ", "image", "DDS", None),
    (b"\x76\x2f\x31\x01", "image", "OpenEXR", None),
    (b"#?RADIANCE", "image", "HDR", None),
    (b"\xd7\xcd\xc6\x9a", "image", "WMF", None),
    (b"PK\x03\x04", "archive", "ZIP", "application/zip"),
    (b"PK\x05\x06", "archive", "ZIP", "application/zip"),
    (b"PK\x07\x08", "archive", "ZIP", "application/zip"),
    (b"7z\xbc\xaf\x27\x1c", "archive", "7z", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "archive", "RAR", "application/vnd.rar"),
    (b"\x1f\x8b", "archive", "gzip", "application/gzip"),
    (b"BZh", "archive", "bzip2", None),
    (b"\xfd7zXZ\x00", "archive", "xz", None),
    (b"\x28\xb5\x2f\xfd", "archive", "zstd", None),
    (b"MSCF", "archive", "CAB", None),
    (b"xar!", "archive", "XAR", None),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "document",
        "Microsoft Office, äldre format (DOC/XLS/PPT/MSG)",
        None,
    ),
    (b"{\\rtf", "document", "RTF", "application/rtf"),
    (b"%!PS", "document", "PostScript", "application/postscript"),
    (b"\xc5\xd0\xd3\xc6", "document", "EPS", "application/postscript"),
    (b"SQLite format 3\x00", "document", "SQLite-databas", None),
    (b"MZ", "program", "Windows-program (EXE/DLL)", "application/x-msdownload"),
    (b"\x7fELF", "program", "Linux-program (ELF)", "application/x-executable"),
    (b"\xfe\xed\xfa\xce", "program", "macOS-program", None),
    (b"\xfe\xed\xfa\xcf", "program", "macOS-program", None),
    (b"\xce\xfa\xed\xfe", "program", "macOS-program", None),
    (b"\xcf\xfa\xed\xfe", "program", "macOS-program", None),
    (b"\xca\xfe\xba\xbe", "program", "Java- eller macOS-program", None),
    (b"dex\n", "program", "Android-program (DEX)", None),
    (b"\x00asm", "program", "WebAssembly", None),
    (b"L\x00\x00\x00\x01\x14\x02\x00", "program", "Windows-genväg (LNK)", None),
    (b"#!", "program", "skript", None),
    (b"\x1a\x45\xdf\xa3", "video", "WebM/Matroska", "video/webm"),
    (b"FLV\x01", "video", "FLV", None),
    (b"\x00\x00\x01\xba", "video", "MPEG", "video/mpeg"),
    (b"ID3", "audio", "MP3", "audio/mpeg"),
    (b"OggS", "audio", "Ogg", "audio/ogg"),
    (b"fLaC", "audio", "FLAC", "audio/flac"),
    (b"caff", "audio", "CAF", None),
]

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_AVIF_BRANDS = {b"avif", b"avis"}
_ZIP_KINDS: list[tuple[bytes, str, str]] = [
    (b"word/", "document", "Word (DOCX)"),
    (b"xl/", "document", "Excel (XLSX)"),
    (b"ppt/", "document", "PowerPoint (PPTX)"),
    (b"application/vnd.oasis.opendocument", "document", "OpenDocument (ODT/ODS)"),
    (b"application/epub+zip", "document", "EPUB"),
    (b"Documents/1/", "document", "XPS"),
    (b"AndroidManifest.xml", "program", "Android-app (APK)"),
    (b"META-INF/MANIFEST.MF", "program", "Java-program (JAR)"),
]
_WEB_TAGS = re.compile(rb"<(!doctype\s+html|html|head|body|script|iframe|frameset|\?php)[\s>/]")
_TEXT_CHARS = bytes(range(0x20, 0x7F)) + b"\t\n\r\x0c"


def sniff(data: bytes) -> Sniffed:
    """Detect the format of data from its first bytes."""
    for sig, fmt in _ALLOWED:
        if data.startswith(sig):
            return fmt
    iso = _iso_bmff(data)
    if iso:
        return iso
    if data[:4] == b"RIFF" and len(data) >= 12:
        return _riff(data[8:12])
    if len(data) >= 14 and data.startswith(b"BM") and data[6:10] == b"\x00\x00\x00\x00":
        return Sniffed("image", "BMP", "image/bmp")
    if data[128:132] == b"DICM":
        return Sniffed("image", "DICOM", "application/dicom")
    if data[257:262] == b"ustar":
        return Sniffed("archive", "TAR", "application/x-tar")
    if data[40:44] == b" EMF":
        return Sniffed("image", "EMF", None)
    for prefix, category, name, mime in _PREFIXES:
        if data.startswith(prefix):
            if name == "ZIP":
                category, name = _zip_kind(data)
            return Sniffed(category, name, mime)
    if b"%PDF-" in data[:1024]:
        return PDF_JUNK  # PDF readers accept junk before the header; we do not.
    return _text(data)


def _iso_bmff(data: bytes) -> Sniffed | None:
    """HEIC/HEIF/AVIF/MP4/MOV: an ISO base media file starts with an 'ftyp' box."""
    if data[4:8] != b"ftyp":
        return None
    size = int.from_bytes(data[:4], "big")
    brands = {data[8:12]}
    brands |= {data[i : i + 4] for i in range(16, min(size, 64, len(data)), 4)}
    if brands & _AVIF_BRANDS:
        return Sniffed("image", "AVIF", "image/avif")
    if brands & _HEIC_BRANDS:
        return Sniffed("image", "HEIC", "image/heic")
    if brands & {b"mif1", b"msf1"}:
        return Sniffed("image", "HEIF", "image/heif")
    if b"crx " in brands:
        return Sniffed("image", "RAW (CR3)", None)
    if data[8:12] == b"qt  ":
        return Sniffed("video", "QuickTime (MOV)", "video/quicktime")
    if data[8:11] == b"M4A":
        return Sniffed("audio", "M4A", "audio/mp4")
    return Sniffed("video", "MP4", "video/mp4")


def _riff(form: bytes) -> Sniffed:
    """WebP, AVI or WAV: RIFF containers named by their form type."""
    if form == b"WEBP":
        return Sniffed("image", "WebP", "image/webp")
    if form == b"AVI ":
        return Sniffed("video", "AVI", "video/x-msvideo")
    if form == b"WAVE":
        return Sniffed("audio", "WAV", "audio/wav")
    return Sniffed("unknown", "RIFF")


def _zip_kind(data: bytes) -> tuple[str, str]:
    """What a ZIP file is, by the member names near its start (Office files are ZIPs)."""
    head = data[:65536]
    for marker, category, name in _ZIP_KINDS:
        if marker in head:
            return category, name
    return "archive", "ZIP"


def _text(data: bytes) -> Sniffed:
    """SVG, HTML, XML or plain text, from the start of a text file."""
    head = data[:4096]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom) :].replace(b"\x00", b"") if bom != b"\xef\xbb\xbf" else head[3:]
            break
    low = head.lower().lstrip()
    if b"<svg" in low:
        return Sniffed("image", "SVG", "image/svg+xml")
    if _WEB_TAGS.search(low) or low.startswith(b"<!doctype"):
        name = "PHP" if b"<?php" in low else "HTML"
        return Sniffed("web", name, "text/html")
    if low.startswith(b"<?xml"):
        return Sniffed("document", "XML", "application/xml")
    if head and not head.translate(None, _TEXT_CHARS):
        return Sniffed("text", "text", "text/plain")
    try:  # an incremental decoder tolerates a character cut at the end of head
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return UNKNOWN
    if all(c >= 0x20 or c in b"\t\n\r\x0c" for c in head):
        return Sniffed("text", "text", "text/plain")
    return UNKNOWN
