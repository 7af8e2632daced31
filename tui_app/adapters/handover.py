"""Handing files to an outside system's folder in steps a crash can be recovered from (R19–R21).

`_fs.write_atomic` writes a file whole or not at all, but a caller that records the outcome in a
database cannot tell afterwards, from the folder alone, how far a killed process got. Here the
same write is split so the caller can record a step between each:

1. `Parcel`: the bytes and the final names, decided up front (recorded with the claim);
2. `stage_all`: hidden temp files (`.<name>.<hex>.part`), fully written and fsynced; an importer
   or a person browsing the folder ignores them;
3. `publish_all`: each temp hard-linked to its final name, then the temp removed. On an error
   nothing is discarded: the caller first releases its claim, then calls `discard_all`, so a temp
   file that is gone always means it was published.

`look` says what a folder holds of a parcel: "sent" (a final name exists, or every temp is gone
once staging was recorded), "staged" (temps only) or "nothing".
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tui_app.adapters._fs import TEMP_SUFFIX, Folder, Staged, discard, fsync_dir, os_error, stage
from tui_app.adapters.errors import AdapterError
from tui_app.core.killpoint import killpoint

# errno values meaning "this file system cannot hard-link": fall back to rename (as _fs.commit).
_NO_LINK = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK, errno.EXDEV}


@dataclass(frozen=True)
class Parcel:
    """Files ready to be written into a folder: final names and bytes, nothing on disk yet."""

    folder: Folder
    files: tuple[tuple[str, bytes], ...]
    mode: int

    @property
    def names(self) -> list[str]:
        """The final file names, in order."""
        return [name for name, _ in self.files]


def stage_all(parcel: Parcel) -> list[Staged]:
    """Write every file of the parcel as a hidden temp file; all of them or none."""
    staged: list[Staged] = []
    try:
        for name, data in parcel.files:
            staged.append(stage(parcel.folder, name, [data], mode=parcel.mode))
    except BaseException:
        discard_all(staged)
        raise
    return staged


def publish_all(staged: list[Staged]) -> list[Path]:
    """Give every staged file its final name (never replacing a file); temps are kept on error."""
    out = []
    for s in staged:
        try:
            try:
                os.link(s.temp, s.final)
            except OSError as exc:
                if exc.errno not in _NO_LINK:
                    raise
                if os.path.lexists(s.final):
                    raise FileExistsError(errno.EEXIST, "File exists", str(s.final)) from exc
                os.rename(s.temp, s.final)
            else:
                killpoint("handover.linked")  # both names exist: published, temp not yet gone
                os.unlink(s.temp)
        except FileExistsError:
            raise AdapterError(
                f"Filen {s.final.name} finns redan i mappen {s.folder.where()}. "
                "Inget skrevs över. Försök igen."
            ) from None
        except OSError as exc:
            raise os_error(exc, s.folder) from exc
        out.append(s.final)
    if staged:
        fsync_dir(staged[0].folder.path)
    return out


def discard_all(staged: Iterable[Staged]) -> None:
    """Remove staged temp files; missing ones are fine."""
    for s in staged:
        discard(s)


def temps_of(folder: Path, name: str) -> list[Path]:
    """Temp files left by staging `name` in folder (any random part)."""
    prefix, suffix = f".{name}.", TEMP_SUFFIX
    try:
        entries = os.listdir(folder)
    except OSError:
        return []
    return [folder / e for e in entries if e.startswith(prefix) and e.endswith(suffix)]


def remove_temps(folder: Path, names: Iterable[str]) -> int:
    """Delete the temp files of these names; return how many were removed."""
    removed = 0
    for name in names:
        for t in temps_of(folder, name):
            try:
                os.unlink(t)
                removed += 1
            except FileNotFoundError:
                pass
    if removed:
        fsync_dir(folder)
    return removed


def look(folder: Path, names: list[str], *, staging_recorded: bool) -> str:
    """What the folder holds of these files: "sent", "staged", "nothing" or "unreadable".

    With staging recorded (the temps existed before the caller let anything be published), temps
    that are gone were published, even when the final file is gone too: an importer that watches
    the folder takes its files away.
    """
    try:
        if not folder.is_dir():
            return "unreadable"
        finals = [os.path.lexists(folder / n) for n in names]
        temps = [bool(temps_of(folder, n)) for n in names]
    except OSError:
        return "unreadable"
    if any(finals):
        return "sent"
    if any(temps):
        return "staged"
    return "sent" if staging_recorded else "nothing"
