"""The modes of everything the app creates: owner-only (folders 0700, files 0600), or owner and
group (0770/0660) where a deployment asks for a group (`group_access = true`) — whatever the
umask. The CLI calls `apply` before it creates anything; `make_dir`/`create_file` set exact
modes where it matters most (the data folder, the database), and `looser` finds what others
could read."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Modes:
    """Folder and file modes, and the umask that yields them."""

    dir: int
    file: int
    umask: int


PRIVATE = Modes(dir=0o700, file=0o600, umask=0o077)
GROUP = Modes(dir=0o770, file=0o660, umask=0o007)

_current = PRIVATE


def apply(group_access: bool = False) -> Modes:
    """Set the process umask and the modes later creations use; returns them."""
    global _current
    _current = GROUP if group_access else PRIVATE
    os.umask(_current.umask)
    return _current


def current() -> Modes:
    """The modes in force (owner-only unless `apply(group_access=True)` was called)."""
    return _current


def make_dir(path: Path) -> Path:
    """Create a folder and its missing parents with the app's folder mode; existing ones are
    left as they are (a deployment may have chosen their mode)."""
    missing = []
    p = path
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    path.mkdir(parents=True, exist_ok=True, mode=_current.dir)
    for p in missing:
        os.chmod(p, _current.dir)  # mkdir's mode is filtered by the umask: make it exact
    return path


def create_file(path: Path) -> bool:
    """Create an empty file with the app's file mode unless it exists; True when created."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, _current.file)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, _current.file)
    finally:
        os.close(fd)
    return True


def looser(paths: list[Path]) -> list[tuple[Path, int]]:
    """The existing paths (not followed if symlinks) that others may read or write more than
    the modes in force allow, with their permission bits."""
    out = []
    for p in paths:
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode):
            continue
        bits = stat.S_IMODE(st.st_mode)
        if bits & _current.umask & 0o777:
            out.append((p, bits))
    return out


__all__ = ["GROUP", "PRIVATE", "Modes", "apply", "create_file", "current", "looser", "make_dir"]
