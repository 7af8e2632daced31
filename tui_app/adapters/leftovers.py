"""Leftover copies of patient files in Hämtade filer or Papperskorgen: find them by checksum, delete them (R21).

Depth: a Downloads folder is searched at its top level plus ONE level of subfolders (people drag
files into a subfolder now and then; deeper trees are out of scope and cost time). A trash is
searched in its `files/` top level. Matching is by SHA-256, so a renamed copy is still found.
Symlinks are never followed, only regular files count, and a file or folder that cannot be read is
listed in `LeftoverReport.unreadable` instead of stopping the scan: "nothing found" is only a proof
when that list is empty too.

Hidden temp files that a crashed download left behind (`.1177-….part`) hold part of a patient file,
so they are reported as leftovers (`partial=True`) whatever their checksum.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tui_app.adapters._fs import TEMP_SUFFIX, digest_regular_file, matching_files, regular_files
from tui_app.adapters.downloads import (
    COPY_PREFIX,
    DOWNLOADS_SV,
    RemoveResult,
    RemoveStatus,
    remove_copy,
)
from tui_app.adapters.errors import AdapterError
from tui_app.adapters.trash import TRASH_SV, TrashedItem, find_in_trash, purge, trash_dirs

Where = Literal["Hämtade filer", "Papperskorgen"]
DOWNLOAD_DEPTH = 1


@dataclass(frozen=True)
class Leftover:
    """A file that still holds (part of) a patient file."""

    path: Path
    sha256: str
    where: Where
    size: int = 0
    info_path: Path | None = None  # the .trashinfo of a file in Papperskorgen
    partial: bool = False  # a temp file left by an interrupted download


@dataclass
class LeftoverReport:
    """What a scan found, and what it could not read (so could not rule out)."""

    found: list[Leftover] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)

    @property
    def proven_clean(self) -> bool:
        """True only when nothing was found and everything could be read."""
        return not self.found and not self.unreadable


def scan(
    dirs: list[Path],
    sha256s: set[str],
    *,
    sizes: set[int] | None = None,
    trash: list[Path] | None = None,
) -> list[Leftover]:
    """Copies of patient files in the Downloads folders `dirs` and in the trash (see scan_report)."""
    return scan_report(dirs, sha256s, sizes=sizes, trash=trash).found


def scan_report(
    dirs: list[Path],
    sha256s: set[str],
    *,
    sizes: set[int] | None = None,
    trash: list[Path] | None = None,
) -> LeftoverReport:
    """Scan Downloads folders and trashes (default: trash_dirs(dirs)); report finds and unreadables.
    For a served person (served.serve_person) their helper scans their own Downloads."""
    from tui_app.adapters import served

    if served.serving():
        return _scan_as_person(sha256s, sizes)
    report = LeftoverReport()
    seen: set[tuple[int, int]] = set()

    def add(item: Leftover, dev: int, ino: int) -> None:
        if (dev, ino) not in seen:  # the same file reached twice (overlapping folders, hard links)
            seen.add((dev, ino))
            report.found.append(item)

    for folder in dirs:
        files = list(regular_files(folder, depth=DOWNLOAD_DEPTH, unreadable=report.unreadable))
        for path, d in matching_files(files, sha256s, sizes=sizes, unreadable=report.unreadable):
            add(Leftover(path, d.sha256, DOWNLOADS_SV, d.size), d.dev, d.ino)
        for path in files:
            if _is_partial(path.name):
                try:
                    d2 = digest_regular_file(path)
                except OSError:
                    report.unreadable.append(path)
                    continue
                if d2 is not None:
                    add(
                        Leftover(path, d2.sha256, DOWNLOADS_SV, d2.size, partial=True),
                        d2.dev,
                        d2.ino,
                    )
    for root in trash if trash is not None else trash_dirs(dirs):
        for t in find_in_trash(sha256s, root, sizes=sizes, unreadable=report.unreadable):
            try:
                st = os.lstat(t.path)
            except OSError:
                continue  # gone since it was read
            add(Leftover(t.path, t.sha256, TRASH_SV, t.size, t.info_path), st.st_dev, st.st_ino)
    return report


def candidates(dirs: list[Path], *, trash: list[Path] | None = None) -> list[Path] | None:
    """The regular files scan_report looks at (each Downloads folder to DOWNLOAD_DEPTH, each
    trash's files/), so a caller can ask the database about just their sizes and checksums;
    None for a served person (their helper scans, and needs the sets themselves)."""
    from tui_app.adapters import served

    if served.serving():
        return None
    out: list[Path] = []
    for folder in dirs:
        out.extend(regular_files(folder, depth=DOWNLOAD_DEPTH))
    for root in trash if trash is not None else trash_dirs(dirs):
        out.extend(regular_files(root / "files", depth=0))
    return out


def sizes_of(paths: Iterable[Path]) -> dict[Path, int]:
    """Each file's size; a file gone or unreadable is left out (the scan reports it)."""
    out: dict[Path, int] = {}
    for path in paths:
        try:
            out[path] = os.lstat(path).st_size
        except OSError:
            continue
    return out


def digests_of(paths: Iterable[Path]) -> set[str]:
    """The SHA-256 sums of the regular files among paths; unreadable ones are left out."""
    out: set[str] = set()
    for path in paths:
        try:
            d = digest_regular_file(path)
        except OSError:
            continue
        if d is not None:
            out.add(d.sha256)
    return out


def _is_partial(name: str) -> bool:
    return name.startswith("." + COPY_PREFIX) and name.endswith(TEMP_SUFFIX)


def delete(leftovers: Iterable[Leftover]) -> list[RemoveResult]:
    """Delete each leftover that is unchanged since the scan; one failure never stops the rest."""
    results: list[RemoveResult] = []
    for item in leftovers:
        try:
            if item.where == TRASH_SV and item.info_path is not None:
                results.append(purge(TrashedItem(item.path, item.info_path, item.sha256, None)))
            else:
                results.append(remove_copy(item.path, item.sha256))
        except AdapterError as exc:
            results.append(RemoveResult(item.path, RemoveStatus.FAILED, exc.message_sv))
    return results


def _scan_as_person(sha256s: set[str], sizes: set[int] | None) -> LeftoverReport:
    """scan_report of the served person's own Downloads and trash, made by their helper."""
    import json

    from tui_app.adapters import served

    ask = {"sha256s": sorted(sha256s), "sizes": None if sizes is None else sorted(sizes)}
    answer = served.ask_helper(["scan"], json.dumps(ask).encode("utf-8"))
    return LeftoverReport(
        [
            Leftover(
                Path(f["path"]),
                f["sha256"],
                TRASH_SV if f["where"] == TRASH_SV else DOWNLOADS_SV,
                int(f["size"]),
                Path(f["info_path"]) if f.get("info_path") else None,
                bool(f["partial"]),
            )
            for f in answer["found"]
        ],
        [Path(p) for p in answer["unreadable"]],
    )


def report_json(report: LeftoverReport) -> dict[str, object]:
    """A LeftoverReport as the helper answers it (see _scan_as_person)."""
    return {
        "found": [
            {
                "path": str(f.path),
                "sha256": f.sha256,
                "where": f.where,
                "size": f.size,
                "info_path": str(f.info_path) if f.info_path else None,
                "partial": f.partial,
            }
            for f in report.found
        ],
        "unreadable": [str(p) for p in report.unreadable],
    }
