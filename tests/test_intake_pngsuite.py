"""R09: every valid PNG of the PngSuite corpus (all colour types, depths, interlacing) is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import intake_fixtures as fx
from tui_app.intake import check_paths, prepare_many

CORPUS = sorted(fx.PNGSUITE.glob("*.png"))


@pytest.fixture(scope="module")
def corpus_verdicts():  # type: ignore[no-untyped-def]
    if not CORPUS:
        pytest.skip(f"PngSuite corpus not found at {fx.PNGSUITE}")
    return dict(zip((p.name for p in CORPUS), check_paths(CORPUS)))


def test_r09_corpus_is_the_valid_part_of_pngsuite() -> None:
    # PngSuite's deliberately broken files start with "x"; the corpus README says none are here.
    assert CORPUS and not [p for p in CORPUS if p.name.startswith("x")]


@pytest.mark.parametrize("name", [p.name for p in CORPUS])
def test_r09_accepts_every_pngsuite_image(corpus_verdicts, name: str) -> None:  # type: ignore[no-untyped-def]
    v = corpus_verdicts[name]
    assert v.accepted, f"{name}: {v.reason}"
    assert v.mime == "image/png" and v.width and v.height


def test_r09_pngsuite_images_can_be_cleaned(tmp_path: Path) -> None:
    picks = [
        p
        for p in CORPUS
        if p.name
        in {"basn0g16.png", "basn3p01.png", "basn4a16.png", "basn6a16.png", "ibasn2c16.png"}
    ]
    for r in prepare_many(picks, tmp_path):
        assert r.verdict.accepted and r.stored_path and r.thumbnail_path
