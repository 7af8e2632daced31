"""R09: images must fully decode and be only what they claim: hostile and damaged images refused."""

from __future__ import annotations

import io
import zlib

import pytest

from tests import intake_fixtures as fx
from tui_app.intake import Verdict
from tui_app.intake.reasons import DAMAGED


def _small_idat(w: int, h: int, channels: int = 3) -> bytes:
    return fx.chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + b"\x00" * w * channels
                                                    for _ in range(h))))


def _png_with(extra: bytes) -> bytes:
    return fx.png_from_chunks(fx.ihdr(4, 4), extra, _small_idat(4, 4), fx.chunk(b"IEND", b""))


def _flip_byte(data: bytes, pos: int) -> bytes:
    return data[:pos] + bytes([data[pos] ^ 0xFF]) + data[pos + 1:]


def _mpo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(out, "MPO", save_all=True,
                                          append_images=[Image.new("RGB", (20, 10), "blue")])
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
    "sof-only.jpg": (b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00\xff\xd9",
                     DAMAGED),
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
    "jpeg-comment-script.jpg": (fx.jpeg(comment=b"<script>alert(1)</script>"), "webbkod"),
    "png-text-php.png": (_png_with(fx.chunk(b"tEXt", b"Comment\x00<?php system($_GET[1]); ?>")),
                         "webbkod"),
    "png-ztxt-html.png": (_png_with(fx.chunk(
        b"zTXt", b"Comment\x00\x00" + zlib.compress(b"<html><script>x</script></html>"))),
        "webbkod"),
    "gif-comment-html.gif": (fx.gif(comment=b"<html><body>hi</body></html>"), "webbkod"),
    "jpeg-comment-pdf.jpg": (fx.jpeg(comment=b"%PDF-1.4 1 0 obj"), "dolt PDF-dokument"),
    # Decompression bombs.
    "bomb.png": (fx.png_bomb(100_000), "för stor: 100\u00a0000 × 100\u00a0000"),
    "bomb.jpg": ((b"\xff\xd8\xff\xc0\x00\x11\x08\xff\xff\xff\xff\x03\x01\x22\x00\x02\x11\x01"
                  b"\x03\x11\x01\xff\xd9"), "för stor"),
    "bomb.gif": (b"GIF89a\xff\xff\xff\xff\x00\x00\x00" + b"\x2c\x00\x00\x00\x00\xff\xff\xff\xff"
                 b"\x00\x02\x02\x44\x01\x00\x3b", "för stor"),
    "frames-bomb.gif": (_gif_bomb(20), "rörliga bilden är för stor"),
    "text-bomb.png": (_png_with(fx.chunk(b"zTXt", b"k\x00\x00" + zlib.compress(b"a" * 5_000_000))),
                      DAMAGED),
}

VALID: dict[str, bytes] = {
    "mpo.jpg": _mpo(),
    "apng.png": _apng(),
    "ztxt-harmless.png": _png_with(fx.chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"ok"))),
    "private-chunk.png": _png_with(fx.chunk(b"prVt", b"\x00" * 100)),
    "exif-gps.jpg": fx.jpeg(exif=fx.exif_gps_orientation()),
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
