"""R10: at most MAX_FILE_BYTES per file, tested on both sides of the boundary; empty files refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import intake_fixtures as fx
from tui_app.core.limits import MAX_FILE_BYTES
from tui_app.intake import Verdict, check_paths


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    folder = tmp_path_factory.mktemp("size")
    exact = fx.png_of_size(MAX_FILE_BYTES)
    paths = [
        fx.write(folder, "exact.png", exact),
        fx.write(folder, "plus-one.png", fx.png_of_size(MAX_FILE_BYTES + 1)),
        fx.write(folder, "empty.jpg", b""),
        fx.write(folder, "one-byte.jpg", b"\xff"),
    ]
    sparse = folder / "huge-sparse.png"  # 4 GiB without using the disk: never read in full
    with open(sparse, "wb") as f:
        f.write(exact[:64])
        f.truncate(4 * 1024**3)
    paths.append(sparse)
    return {p.name: v for p, v in zip(paths, check_paths(paths))}


def test_r10_accepts_exactly_20_mb(verdicts: dict[str, Verdict]) -> None:
    v = verdicts["exact.png"]
    assert v.accepted, v.reason
    assert v.size == MAX_FILE_BYTES


def test_r10_refuses_20_mb_plus_one_byte(verdicts: dict[str, Verdict]) -> None:
    v = verdicts["plus-one.png"]
    assert not v.accepted
    assert v.size == MAX_FILE_BYTES + 1
    assert (v.reason or "").startswith("Filen är större än 20 MB.")


def test_r10_refuses_huge_file_without_reading_it(verdicts: dict[str, Verdict]) -> None:
    v = verdicts["huge-sparse.png"]
    assert not v.accepted and (v.reason or "").startswith("Filen är större än 20 MB.")


def test_r10_refuses_zero_bytes(verdicts: dict[str, Verdict]) -> None:
    v = verdicts["empty.jpg"]
    assert not v.accepted and v.size == 0
    assert (v.reason or "").startswith("Filen är tom")


def test_r10_one_byte_is_within_size_but_not_an_image(verdicts: dict[str, Verdict]) -> None:
    v = verdicts["one-byte.jpg"]
    assert not v.accepted and v.size == 1
    assert "större" not in (v.reason or "") and "tom" not in (v.reason or "")


def test_r10_limit_is_20_mib() -> None:
    assert MAX_FILE_BYTES == 20 * 1024 * 1024


def test_r09_missing_and_non_regular_paths_are_refusals(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    missing, folder, pipe = check_paths([tmp_path / "nope.jpg", tmp_path, fifo])
    assert (missing.reason or "").startswith("Filen finns inte.")
    assert not folder.accepted and "inte en vanlig fil" in (folder.reason or "")
    assert not pipe.accepted and "inte en vanlig fil" in (pipe.reason or "")  # never blocks
