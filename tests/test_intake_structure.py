"""R09: images must fully decode and be only what they claim: hostile and damaged images refused."""

from __future__ import annotations

import io
import zlib

import pytest

from tests import intake_fixtures as fx
from tui_app.intake import Verdict
from tui_app.intake.reasons import DAMAGED


def _small_idat(w: int, h: int, channels: int = 3) -> bytes:
    return fx.chunk(
        b"IDAT", zlib.compress(b"".join(b"\x00" + b"\x00" * w * channels for _ in range(h)))
    )


def _png_with(extra: bytes) -> bytes:
    return fx.png_from_chunks(fx.ihdr(4, 4), extra, _small_idat(4, 4), fx.chunk(b"IEND", b""))


def _flip_byte(data: bytes, pos: int) -> bytes:
    return data[:pos] + bytes([data[pos] ^ 0xFF]) + data[pos + 1 :]


def _mpo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(
        out, "MPO", save_all=True, append_images=[Image.new("RGB", (20, 10), "blue")]
    )
    return out.getvalue()


def _apng() -> bytes:
    from PIL import Image

    frames = [Image.new("RGBA", (30, 20), (i * 60, 0, 0, 200)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:], duration=[100, 200, 300])
    return out.getvalue()


def _gif_bomb(frames: int) -> bytes:
    """A GIF with a 4000x4000 canvas and many tiny frames (each composited at canvas size)."""
    head = b"GIF89a" + (4000).to_bytes(2, "little") * 2 + b"\x80\x00\x00" + b"\x00" * 6
    frame = b"\x2c" + b"\x00" * 4 + b"\x01\x00\x01\x00\x00" + b"\x02\x02\x44\x01\x00"
    return head + frame * frames + b"\x3b"


def _gif_frames(frames: int) -> bytes:
    """A GIF with a 1x1 canvas and `frames` one-pixel frames (the 2.2 MB attack had 99 999)."""
    head = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 6
    frame = b"\x2c" + b"\x00" * 4 + b"\x01\x00\x01\x00\x00" + b"\x02\x02\x44\x01\x00"
    return head + frame * frames + b"\x3b"


def _split_idat(w: int, h: int) -> list[bytes]:
    """Two IDAT chunks with a tEXt chunk between them (IDATs must be consecutive)."""
    data = zlib.compress(b"".join(b"\x00" + b"\x00" * w * 3 for _ in range(h)))
    return [fx.chunk(b"IDAT", data[:5]), fx.chunk(b"tEXt", b"a\x00b"), fx.chunk(b"IDAT", data[5:])]


PNG, JPEG, GIF = fx.png(), fx.jpeg(), fx.gif()

HOSTILE: dict[str, tuple[bytes, str]] = {
    # Truncated and corrupt.
    "truncated.jpg": (JPEG[: len(JPEG) // 2], DAMAGED),
    "no-eoi.jpg": (JPEG[:-2], DAMAGED),
    "truncated.png": (PNG[:-30], DAMAGED),
    "no-iend.png": (PNG[:-12], DAMAGED),
    "bad-crc.png": (_flip_byte(PNG, len(PNG) - 20), DAMAGED),
    "bad-ihdr-crc.png": (_flip_byte(PNG, 29), DAMAGED),
    "truncated.gif": (GIF[:-5], DAMAGED),
    "unknown-critical-chunk.png": (_png_with(fx.chunk(b"EVIL", b"x")), DAMAGED),
    "sof-only.jpg": (
        b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00\xff\xd9",
        DAMAGED,
    ),
    # Data after the end.
    "after-iend.png": (PNG + b"hello", "extra data efter slutet av PNG"),
    "after-eoi.jpg": (JPEG + b"\x00" * 10 + b"junk", "extra data efter slutet av JPEG"),
    "after-trailer.gif": (GIF + b"junk", "extra data efter slutet av GIF"),
    # Polyglots.
    "gif-zip.gif": (GIF + fx.zip_bytes(), "dold ZIP-fil"),
    "jpeg-zip.jpg": (JPEG + fx.zip_bytes(), "dold ZIP-fil"),
    "png-zip.png": (PNG + fx.zip_bytes(), "dold ZIP-fil"),
    "png-zip-in-chunk.png": (_png_with(fx.chunk(b"zzZz", fx.zip_bytes())), "dold ZIP-fil"),
    "jpeg-exe.jpg": (JPEG + fx.MZ, "dolt program"),
    "png-pdf.png": (PNG + fx.pdf(), "dolt PDF-dokument"),
    "jpeg-comment-pdf.jpg": (fx.jpeg(comment=b"%PDF-1.4 1 0 obj"), "dolt PDF-dokument"),
    "jpeg-app13-zip.jpg": (fx.photoshop_jpeg(fx.zip_bytes()), "dold ZIP-fil"),
    "jpeg-exif-elf.jpg": (fx.jpeg(exif=b"Exif\x00\x00" + fx.ELF), "dolt program"),
    # PNG chunk layouts the specification forbids (decoders disagree on what they show).
    "two-plte.png": (
        fx.png_from_chunks(
            fx.ihdr(4, 4, 8, 3),
            fx.chunk(b"PLTE", b"\xff\x00\x00"),
            fx.chunk(b"PLTE", b"\x00\x00\xff"),
            _small_idat(4, 4, 1),
            fx.chunk(b"IEND", b""),
        ),
        "PLTE finns två gånger",
    ),
    "plte-after-idat.png": (
        fx.png_from_chunks(
            fx.ihdr(4, 4, 8, 2),
            _small_idat(4, 4),
            fx.chunk(b"PLTE", b"\xff\x00\x00"),
            fx.chunk(b"IEND", b""),
        ),
        "PLTE kommer efter bilddatan",
    ),
    "no-plte-palette-image.png": (
        fx.png_from_chunks(fx.ihdr(4, 4, 8, 3), _small_idat(4, 4, 1), fx.chunk(b"IEND", b"")),
        "PLTE) saknas",
    ),
    "plte-in-grey.png": (
        fx.png_from_chunks(
            fx.ihdr(4, 4, 8, 0),
            fx.chunk(b"PLTE", b"\xff\x00\x00"),
            _small_idat(4, 4, 1),
            fx.chunk(b"IEND", b""),
        ),
        "färgpalett (PLTE) i en bild av typen gråskala",
    ),
    "two-ihdr.png": (
        fx.png_from_chunks(fx.ihdr(4, 4), fx.ihdr(8, 8), _small_idat(4, 4), fx.chunk(b"IEND", b"")),
        "IHDR finns två gånger",
    ),
    "split-idat.png": (
        fx.png_from_chunks(fx.ihdr(4, 4), *_split_idat(4, 4), fx.chunk(b"IEND", b"")),
        "uppdelad av andra block",
    ),
    "gama-after-plte.png": (
        fx.png_from_chunks(
            fx.ihdr(4, 4, 8, 3),
            fx.chunk(b"PLTE", b"\xff\x00\x00"),
            fx.chunk(b"gAMA", (45455).to_bytes(4, "big")),
            _small_idat(4, 4, 1),
            fx.chunk(b"IEND", b""),
        ),
        "gAMA kommer efter färgpaletten",
    ),
    "two-gama.png": (
        _png_with(fx.chunk(b"gAMA", (45455).to_bytes(4, "big")) * 2),
        "gAMA finns två gånger",
    ),
    "trns-after-idat.png": (
        fx.png_from_chunks(
            fx.ihdr(4, 4),
            _small_idat(4, 4),
            fx.chunk(b"tRNS", b"\x00\x00\x00\x00\x00\x00"),
            fx.chunk(b"IEND", b""),
        ),
        "tRNS kommer efter bilddatan",
    ),
    # Animations with too many frames: refused from the structure, before any decoding.
    "gif-99999-frames.gif": (_gif_frames(99_999), "för många bildrutor (fler än 1\u00a0000)"),
    "gif-1001-frames.gif": (_gif_frames(1001), "för många bildrutor"),
    "apng-many-frames.png": (
        _png_with(fx.chunk(b"acTL", (5000).to_bytes(4, "big") + b"\x00" * 4)),
        "för många bildrutor",
    ),
    # Decompression bombs.
    "bomb.png": (fx.png_bomb(100_000), "för stor: 100\u00a0000 × 100\u00a0000"),
    "bomb.jpg": (
        (
            b"\xff\xd8\xff\xc0\x00\x11\x08\xff\xff\xff\xff\x03\x01\x22\x00\x02\x11\x01"
            b"\x03\x11\x01\xff\xd9"
        ),
        "för stor",
    ),
    "bomb.gif": (
        b"GIF89a\xff\xff\xff\xff\x00\x00\x00" + b"\x2c\x00\x00\x00\x00\xff\xff\xff\xff"
        b"\x00\x02\x02\x44\x01\x00\x3b",
        "för stor",
    ),
    "frames-bomb.gif": (_gif_bomb(20), "rörliga bilden är för stor"),
    "text-bomb.png": (
        _png_with(fx.chunk(b"zTXt", b"k\x00\x00" + zlib.compress(b"a" * 5_000_000))),
        DAMAGED,
    ),
}

VALID: dict[str, bytes] = {
    "mpo.jpg": _mpo(),
    "apng.png": _apng(),
    "ztxt-harmless.png": _png_with(fx.chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"ok"))),
    "private-chunk.png": _png_with(fx.chunk(b"prVt", b"\x00" * 100)),
    "exif-gps.jpg": fx.jpeg(exif=fx.exif_gps_orientation()),
    "gif-1000-frames.gif": _gif_frames(1000),
    # Words of web code in metadata are only text, and re-encoding removes all metadata.
    "photoshop-cmyk-plist.jpg": fx.photoshop_jpeg(),
    "jpeg-comment-script.jpg": fx.jpeg(comment=b"<script>alert(1)</script>"),
    "png-text-php.png": _png_with(fx.chunk(b"tEXt", b"Comment\x00<?php system($_GET[1]); ?>")),
    "png-ztxt-html.png": _png_with(
        fx.chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"<html><script>x</script></html>"))
    ),
    "gif-comment-html.gif": fx.gif(comment=b"<html><body>hi</body></html>"),
    "xmp-doctype.jpg": fx.jpeg(xmp=b"<!DOCTYPE html><x:xmpmeta xmlns:x='adobe:ns:meta/'/>"),
}


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    files = {name: data for name, (data, _) in HOSTILE.items()} | VALID
    return fx.check_files(tmp_path_factory.mktemp("structure"), files)  # type: ignore[return-value]


@pytest.mark.parametrize("name", HOSTILE)
def test_r09_refuses_hostile_or_damaged_image(verdicts: dict[str, Verdict], name: str) -> None:
    v = verdicts[name]
    assert not v.accepted
    assert HOSTILE[name][1] in (v.reason or ""), v.reason


@pytest.mark.parametrize("name", VALID)
def test_r09_accepts_valid_image_variants(verdicts: dict[str, Verdict], name: str) -> None:
    assert verdicts[name].accepted, verdicts[name].reason


def test_r09_refuses_truncated_jpeg_and_png(verdicts: dict[str, Verdict]) -> None:
    assert verdicts["truncated.jpg"].reason == DAMAGED
    assert verdicts["truncated.png"].reason == DAMAGED


def test_r09_refuses_decompression_bomb_before_decoding(verdicts: dict[str, Verdict]) -> None:
    v = verdicts["bomb.png"]
    assert v.mime == "image/png" and "50 megapixel" in (v.reason or "")


def test_r09_refuses_multi_picture_jpeg_with_junk_after_last_image(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tui_app.intake import check_path

    v = check_path(fx.write(tmp_path, "mpo.jpg", _mpo() + b"x"))
    assert not v.accepted and "extra data" in (v.reason or "")


def test_r09_animated_images_report_their_frames(verdicts: dict[str, Verdict]) -> None:
    assert verdicts["apng.png"].frames == 3
    assert verdicts["mpo.jpg"].frames == 2
    assert (verdicts["mpo.jpg"].width, verdicts["mpo.jpg"].height) == (40, 20)


def test_r09_exif_orientation_decides_reported_size(verdicts: dict[str, Verdict]) -> None:
    v = verdicts["exif-gps.jpg"]
    assert (v.width, v.height) == (48, 64)  # 64x48 pixels, orientation 6: shown turned


def test_r09_metadata_words_do_not_survive_in_the_stored_copy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tui_app.intake import prepare_many

    names = [
        "photoshop-cmyk-plist.jpg",
        "jpeg-comment-script.jpg",
        "png-text-php.png",
        "png-ztxt-html.png",
        "gif-comment-html.gif",
    ]
    paths = [fx.write(tmp_path, n, VALID[n]) for n in names]
    for name, r in zip(names, prepare_many(paths, tmp_path / "work")):
        assert r.verdict.accepted, (name, r.verdict.reason)
        body = r.stored_path.read_bytes()  # type: ignore[union-attr]
        for word in (b"plist", b"script", b"php", b"html", b"Photoshop"):
            assert word not in body, (name, word)


def test_r09_photoshop_cmyk_jpeg_is_stored_as_rgb(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    from tui_app.intake import prepare

    data = fx.photoshop_jpeg()
    assert b"<!DOCTYPE plist" in data and b"8BIM" in data
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "CMYK"
    r = prepare(fx.write(tmp_path, "ps.jpg", data), tmp_path / "work")
    assert r.verdict.accepted, r.verdict.reason
    with Image.open(r.stored_path) as im:  # type: ignore[arg-type]
        assert im.mode == "RGB"
