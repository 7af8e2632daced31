"""R09: only PDF, GIF, JPEG and PNG, decided by content; renamed other formats are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import intake_fixtures as fx
from tui_app.intake import Verdict, check_path

ALLOWED = {
    "photo.jpg": (fx.jpeg(), "image/jpeg"),
    "progressive.jpeg": (fx.jpeg(progressive=True), "image/jpeg"),
    "shot.png": (fx.png(), "image/png"),
    "alpha.png": (fx.png(mode="RGBA"), "image/png"),
    "deep.png": (fx.png(mode="I;16"), "image/png"),
    "still.gif": (fx.gif(), "image/gif"),
    "moving.gif": (fx.gif(frames=4), "image/gif"),
    "letter.pdf": (fx.pdf(pages=2), "application/pdf"),
    # The name never decides: a PNG called .pdf is a PNG, a JPEG without extension is a JPEG.
    "named-wrong.pdf": (fx.png(), "image/png"),
    "no-extension": (fx.jpeg(), "image/jpeg"),
}

# (file bytes, the Swedish name of the format the refusal must mention)
DISGUISED = {
    "webp.jpg": (fx.pil_bytes("WEBP"), "WebP"),
    "heic.jpg": (fx.HEIC, "HEIC"),
    "avif.jpg": (fx.pil_bytes("AVIF"), "AVIF"),
    "tiff.jpg": (fx.pil_bytes("TIFF"), "TIFF"),
    "bmp.jpg": (fx.pil_bytes("BMP"), "BMP"),
    "jp2.jpg": (fx.pil_bytes("JPEG2000"), "JPEG 2000"),
    "ico.png": (fx.pil_bytes("ICO"), "ICO"),
    "svg.png": (fx.SVG, "SVG"),
    "html.jpg": (fx.HTML, "HTML"),
    "php.gif": (b"<?php system($_GET['c']); ?>\n", "PHP"),
    "zip.jpg": (fx.zip_bytes(), "ZIP"),
    "docx.pdf": (fx.zip_bytes({"[Content_Types].xml": b"x", "word/document.xml": b"x"}), "DOCX"),
    "elf.jpg": (fx.ELF, "ELF"),
    "mz.jpg": (fx.MZ, "EXE"),
    "script.png": (b"#!/bin/sh\nrm -rf ~\n", "skript"),
    "notes.pdf": ("Hej, här är mina anteckningar.\n".encode(), "text"),
    "movie.jpg": (
        b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 64,
        "MP4",
    ),
    "rar.png": (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 64, "RAR"),
}


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    files = {name: data for name, (data, _) in {**ALLOWED, **DISGUISED}.items()}
    return fx.check_files(tmp_path_factory.mktemp("formats"), files)  # type: ignore[return-value]


@pytest.mark.parametrize("name", ALLOWED)
def test_r09_accepts_allowed_formats_by_content(verdicts: dict[str, Verdict], name: str) -> None:
    v = verdicts[name]
    assert v.accepted, v.reason
    assert v.mime == ALLOWED[name][1]
    assert v.reason is None
    assert len(v.sha256) == 64


@pytest.mark.parametrize("name", DISGUISED)
def test_r09_refuses_renamed_format_naming_it(verdicts: dict[str, Verdict], name: str) -> None:
    v = verdicts[name]
    assert not v.accepted
    assert DISGUISED[name][1] in (v.reason or "")


def test_r09_refuses_webp_renamed_to_jpg(verdicts: dict[str, Verdict]) -> None:
    v = verdicts["webp.jpg"]
    assert not v.accepted and v.mime == "image/webp"
    assert v.reason == (
        "Filen är i formatet WebP, som inte kan skickas. Spara bilden som JPEG och försök igen."
    )


def test_r09_refuses_heic_with_the_product_owners_wording(verdicts: dict[str, Verdict]) -> None:
    assert verdicts["heic.jpg"].reason == (
        "Filen är i formatet HEIC, som inte kan skickas. Spara bilden som JPEG och försök igen."
    )


def test_r09_refuses_unknown_bytes_with_the_list_of_allowed_formats(tmp_path: Path) -> None:
    v = check_path(fx.write(tmp_path, "x.jpg", bytes(range(256)) * 8))
    assert not v.accepted
    assert v.reason is not None
    assert v.reason.startswith(
        "Filen är inte en bild eller ett dokument i formatet PDF, GIF, JPEG eller PNG."
    )


def test_r09_accepted_verdict_reports_size_and_dimensions(verdicts: dict[str, Verdict]) -> None:
    v = verdicts["photo.jpg"]
    assert (v.width, v.height, v.frames, v.pages) == (64, 48, 1, None)
    assert v.size == len(ALLOWED["photo.jpg"][0])
    assert verdicts["moving.gif"].frames == 4
    assert verdicts["letter.pdf"].pages == 2


def test_r09_every_refusal_reason_is_swedish_and_says_what_to_do(
    verdicts: dict[str, Verdict],
) -> None:
    for name in DISGUISED:
        reason = verdicts[name].reason or ""
        assert reason.startswith("Filen "), reason
        assert any(w in reason for w in ("Spara", "Skicka", "Packa upp", "Ta en")), reason
