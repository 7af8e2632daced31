"""What is stored: images re-encoded from pixels (upright, no metadata), PDFs flattened (R09, R11)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from tests import intake_fixtures as fx
from tui_app.core.errors import RuleViolation
from tui_app.intake import Prepared, discard, prepare, prepare_many
from tui_app.intake.clean import THUMB_BOX


def _open(p: Path | None) -> Image.Image:
    assert p is not None
    im = Image.open(p)
    im.load()
    return im


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Prepared]:
    src = tmp_path_factory.mktemp("src")
    work = tmp_path_factory.mktemp("work")
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    files = {
        "gps-rotated.jpg": fx.jpeg(
            exif=fx.exif_gps_orientation(6), comment=b"taken at home", icc_profile=icc
        ),
        "text.png": fx.png(pnginfo=_pnginfo()),
        "anim.gif": fx.gif(frames=3, comment=b"a comment"),
        "doc.pdf": fx.pdf(pages=2),
        "bad.png": fx.png()[:-20],
    }
    paths = [fx.write(src, n, d) for n, d in files.items()]
    return {p.name: r for p, r in zip(paths, prepare_many(paths, work))}


def _pnginfo():  # type: ignore[no-untyped-def]
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Anna Andersson")
    info.add_itxt("Location", "Göteborg", zip=True)
    return info


def test_r09_jpeg_with_gps_and_orientation_is_stored_upright_without_exif(
    stored: dict[str, Prepared],
) -> None:
    r = stored["gps-rotated.jpg"]
    im = _open(r.stored_path)
    assert im.format == "JPEG" and r.stored_mime == "image/jpeg"
    assert im.size == (48, 64)  # 64x48 turned by orientation 6
    assert not im.getexif()
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(im.info)
    raw = r.stored_path.read_bytes()  # type: ignore[union-attr]
    assert b"Exif" not in raw and b"SERIAL-12345" not in raw and b"taken at home" not in raw
    # Orientation 6 turns the picture clockwise: the red left half is now on top.
    top, bottom = im.getpixel((24, 5)), im.getpixel((24, 58))
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]  # type: ignore[index]


def test_r09_png_text_chunks_are_gone(stored: dict[str, Prepared]) -> None:
    r = stored["text.png"]
    raw = r.stored_path.read_bytes()  # type: ignore[union-attr]
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP", b"tIME"):
        assert chunk not in raw
    assert b"Anna" not in raw
    assert _open(r.stored_path).format == "PNG"


def test_r09_animated_gif_keeps_its_frames_but_not_its_comment(stored: dict[str, Prepared]) -> None:
    r = stored["anim.gif"]
    im = _open(r.stored_path)
    assert im.format == "GIF" and getattr(im, "n_frames", 1) == 3
    assert b"a comment" not in r.stored_path.read_bytes()  # type: ignore[union-attr]


def test_r09_pdf_is_stored_flattened_with_a_first_page_thumbnail(
    stored: dict[str, Prepared],
) -> None:
    r = stored["doc.pdf"]
    assert r.verdict.accepted and r.stored_mime == "application/pdf"
    assert r.stored_sha256 != r.verdict.sha256  # a new, pixels-only PDF; the original's hash kept
    assert fx.pixels_only_problems(r.stored_path.read_bytes()) == []  # type: ignore[union-attr]
    thumb = _open(r.thumbnail_path)
    assert thumb.format == "PNG" and max(thumb.size) <= max(THUMB_BOX)
    assert thumb.size[1] > thumb.size[0]  # A4 portrait


def test_r09_both_hashes_are_returned_and_match_the_bytes(stored: dict[str, Prepared]) -> None:
    for r in stored.values():
        if r.stored_path:
            assert r.stored_sha256 == hashlib.sha256(r.stored_path.read_bytes()).hexdigest()
            assert len(r.verdict.sha256) == 64


def test_r09_thumbnails_are_small_pngs(stored: dict[str, Prepared]) -> None:
    for r in stored.values():
        if r.verdict.accepted:
            thumb = _open(r.thumbnail_path)
            assert thumb.format == "PNG" and max(thumb.size) <= max(THUMB_BOX)


def test_r11_refused_file_stores_nothing(stored: dict[str, Prepared]) -> None:
    r = stored["bad.png"]
    assert not r.verdict.accepted
    assert r.stored_path is None and r.thumbnail_path is None and r.stored_sha256 is None


def test_r11_outputs_are_written_atomically_in_the_work_folder(stored: dict[str, Prepared]) -> None:
    folder = stored["doc.pdf"].stored_path.parent  # type: ignore[union-attr]
    assert not list(folder.glob(".intake-*"))  # no temporary files left behind
    for r in stored.values():
        for p in (r.stored_path, r.thumbnail_path):
            assert p is None or p.parent == folder


def test_r11_discard_removes_what_a_reply_stored(tmp_path: Path) -> None:
    results = prepare_many(
        [fx.write(tmp_path, "a.png", fx.png()), fx.write(tmp_path, "b.png", b"not an image")],
        tmp_path / "work",
    )
    assert [r.verdict.accepted for r in results] == [True, False]
    discard(results)
    assert not list((tmp_path / "work").iterdir())


def test_r08_prepare_many_refuses_more_than_five_files(tmp_path: Path) -> None:
    paths = [fx.write(tmp_path, f"{i}.png", fx.png()) for i in range(6)]
    with pytest.raises(RuleViolation) as exc:
        prepare_many(paths, tmp_path / "work")
    assert exc.value.rule == "R08"
    assert not (tmp_path / "work").exists()


def test_r09_prepare_single_file(tmp_path: Path) -> None:
    data = fx.png(mode="P", transparency=0)
    r = prepare(fx.write(tmp_path, "pal.png", data), tmp_path / "w")
    im = _open(r.stored_path)
    assert im.mode == "P" and "transparency" in im.info
    assert r.stored_path.suffix == ".png"  # type: ignore[union-attr]


def test_r09_cmyk_jpeg_is_stored_as_rgb(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("CMYK", (20, 20), (0, 255, 0, 0)).save(out, "JPEG")
    r = prepare(fx.write(tmp_path, "cmyk.jpg", out.getvalue()), tmp_path / "w")
    assert _open(r.stored_path).mode == "RGB"
