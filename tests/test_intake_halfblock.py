"""The terminal preview: an image as half blocks with true colours, fitting the given cells."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tui_app.intake.halfblock import UPPER_HALF, halfblock


def test_halfblock_fits_the_box_and_colours_top_and_bottom(tmp_path: Path) -> None:
    im = Image.new("RGB", (40, 40), (255, 0, 0))
    im.paste((0, 0, 255), (0, 20, 40, 40))
    path = tmp_path / "t.png"
    im.save(path)
    text = halfblock(path, width=10, height=20)
    rows = text.plain.split("\n")
    assert len(rows) == 5 and all(r == UPPER_HALF * 10 for r in rows)  # square: 10 cols, 20 px
    first, last = text.spans[0].style, text.spans[-1].style
    assert not isinstance(first, str) and not isinstance(last, str)
    assert first.color and first.color.triplet and first.color.triplet.red == 255
    assert last.bgcolor and last.bgcolor.triplet and last.bgcolor.triplet.blue == 255


def test_halfblock_keeps_the_aspect_ratio_of_wide_images(tmp_path: Path) -> None:
    path = tmp_path / "w.png"
    Image.new("RGBA", (100, 10), (0, 255, 0, 128)).save(path)
    rows = halfblock(path, width=40, height=20).plain.split("\n")
    assert len(rows[0]) == 40 and len(rows) == 2
