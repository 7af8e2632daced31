"""Writing what `prepare` keeps: the cleaned file and its thumbnail, atomically, in the work folder."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from pathlib import Path

from tui_app.intake.check import Checked
from tui_app.intake.verdict import Prepared

_EXT = {"jpeg": ".jpg", "png": ".png", "gif": ".gif", "pdf": ".pdf"}
_MIME = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "pdf": "application/pdf"}


def store_checked(checked: Checked, work_dir: Path) -> Prepared:
    """Clean an accepted file (images re-encoded, PDFs flattened) and write it with a thumbnail."""
    from tui_app.intake.clean import clean_image, thumbnail_png

    if checked.kind == "pdf":
        body, thumb = checked.flat.data, thumbnail_png(checked.flat.first_page)
    else:
        body, first = clean_image(checked.image, checked.kind)
        thumb = thumbnail_png(first)
    digest = hashlib.sha256(body).hexdigest()
    # A unique name: two replies holding the same picture must not share (and delete) one file.
    stem = f"{digest[:32]}-{secrets.token_hex(4)}"
    stored = write_atomic(work_dir, stem + _EXT[checked.kind], body)
    try:
        thumb_path = write_atomic(work_dir, stem + ".thumb.png", thumb)
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    return Prepared(checked.verdict, stored, digest, _MIME[checked.kind], thumb_path)


def write_atomic(folder: Path, name: str, data: bytes) -> Path:
    """Write data to folder/name via a temporary name, fsync, rename and fsync of the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".intake-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        target = folder / name
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target
