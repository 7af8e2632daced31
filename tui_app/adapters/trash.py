"""Papperskorgen: the freedesktop.org Trash, where a copy deleted in a file manager ends up (R21).

The home trash is `$XDG_DATA_HOME/Trash` (default ~/.local/share/Trash) with `files/` holding the
trashed files and `info/<name>.trashinfo` saying where each came from. A file trashed on another
disk goes to that disk's trash (`$topdir/.Trash/$uid` or `$topdir/.Trash-$uid`); `trash_dirs`
finds those too. Only the top level of `files/` is searched: a whole trashed folder is skipped.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote

from tui_app.adapters._fs import matching_files, regular_files
from tui_app.adapters.downloads import RemoveResult, RemoveStatus, remove_copy

TRASH_SV: Final = "Papperskorgen"
INFO_SUFFIX = ".trashinfo"


@dataclass(frozen=True)
class TrashedItem:
    """A file in the trash that matches a patient file."""

    path: Path
    info_path: Path
    sha256: str
    original_path: str | None
    size: int = 0


def trash_dir(env: Mapping[str, str] = os.environ, home: Path | None = None) -> Path:
    """The home trash: $XDG_DATA_HOME/Trash, else ~/.local/share/Trash."""
    home = home or Path(env.get("HOME") or Path.home())
    data = env.get("XDG_DATA_HOME", "")
    base = Path(data) if os.path.isabs(data) else home / ".local" / "share"
    return base / "Trash"


def trash_dirs(
    near: Iterable[Path] = (), env: Mapping[str, str] = os.environ, home: Path | None = None
) -> list[Path]:
    """The home trash plus the existing trashes of the other disks that hold the folders in `near`."""
    home_trash = trash_dir(env, home)
    out = [home_trash]
    home_dev = _device(home_trash) or _device(home or Path(env.get("HOME") or Path.home()))
    for folder in near:
        dev = _device(folder)
        if dev is None or dev == home_dev:
            continue
        for candidate in _volume_trashes(_mount_point(folder)):
            if candidate not in out:
                out.append(candidate)
    return out


def _device(path: Path) -> int | None:
    try:
        return os.stat(path).st_dev
    except OSError:
        return None


def _mount_point(path: Path) -> Path:
    p = path.resolve()
    while not os.path.ismount(p) and p != p.parent:
        p = p.parent
    return p


def _volume_trashes(topdir: Path) -> list[Path]:
    """The spec's two per-disk trashes, if present; a shared .Trash counts only if sticky and no symlink."""
    uid = os.getuid()
    found: list[Path] = []
    shared = topdir / ".Trash"
    try:
        st = os.lstat(shared)
        if stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX and (shared / str(uid)).is_dir():
            found.append(shared / str(uid))
    except OSError:
        pass
    own = topdir / f".Trash-{uid}"
    if own.is_dir() and not own.is_symlink():
        found.append(own)
    return found


def find_in_trash(
    sha256s: set[str],
    trash: Path,
    *,
    sizes: set[int] | None = None,
    unreadable: list[Path] | None = None,
) -> list[TrashedItem]:
    """Trashed files whose SHA-256 is in sha256s; symlinks and folders are skipped, never followed."""
    files = regular_files(trash / "files", depth=0, unreadable=unreadable)
    out: list[TrashedItem] = []
    for path, digest in matching_files(files, sha256s, sizes=sizes, unreadable=unreadable):
        info = trash / "info" / f"{path.name}{INFO_SUFFIX}"
        out.append(TrashedItem(path, info, digest.sha256, read_original_path(info), digest.size))
    return out


def read_original_path(info_path: Path) -> str | None:
    """The Path= entry of a .trashinfo file (percent-decoded), or None if missing or unreadable."""
    try:
        if info_path.is_symlink():
            return None
        text = info_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    in_group = False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            in_group = line == "[Trash Info]"
        elif in_group and line.startswith("Path="):
            return unquote(line[len("Path=") :])
    return None


def purge(item: TrashedItem) -> RemoveResult:
    """Delete a trashed file (only if unchanged) and then its .trashinfo, as the spec orders."""
    result = remove_copy(item.path, item.sha256)
    if result.status in (RemoveStatus.DELETED, RemoveStatus.ALREADY_GONE):
        try:
            os.unlink(item.info_path)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                return RemoveResult(
                    result.path,
                    result.status,
                    f"{result.message_sv} Informationsfilen {item.info_path} kunde inte raderas "
                    f"({exc.strerror}); töm papperskorgen i filhanteraren.",
                )
    return result


class DesktopTrash:
    """The freedesktop.org trash as the use cases see it (services.ports.TrashPort)."""

    def find(self, sha256s: set[str], near: list[Path]) -> list[TrashedItem]:
        """Matching files in the home trash and the trashes of the disks holding `near`."""
        return [item for tdir in trash_dirs(near) for item in find_in_trash(sha256s, tdir)]

    def purge(self, item: TrashedItem) -> RemoveResult:
        """Delete a trashed file (only if unchanged) and its .trashinfo."""
        return purge(item)
