"""The demo's folders: every demo run gets a folder of its own, marked as a demo's and locked
while in use, and the demo only ever deletes a folder (or the parts of one) it marked itself.

The marker file `.tui_app-demo` is written before the folder holds anything else; each running
demo holds a shared lock (flock) on it, and clearing or removing the folder needs an exclusive
one, so two runs never delete each other's data, and a folder left by a killed run (its lock
died with it) can be recognised and removed by the next one.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tui_app.core.errors import UserError
from tui_app.store import fsmode

MARKER = ".tui_app-demo"
MAGIC = b"tui_app demo folder: made by `tui-app demo`, which may delete it\n"
DEMO_DB = "demo.sqlite"
PICSARA = "picsara-import"
EARKIV = "e-arkiv-utskrifter"
#: Everything a demo makes in its folder; a fresh demo in a reused folder removes these only.
OWN = (
    DEMO_DB,
    f"{DEMO_DB}-wal",
    f"{DEMO_DB}-shm",
    f"{DEMO_DB}-writers",  # store.writegate: the writers' queue (a lock file)
    "files",
    "staging",
    PICSARA,
    EARKIV,
)
RUN_PREFIX = "run-"
KEPT = "kept"


@dataclass
class DemoDir:
    """A demo run's folder, locked (shared) while this process uses it."""

    path: Path
    created: bool  # this run made the folder: it may remove all of it at exit
    keep: bool  # --keep: nothing is removed at exit
    _fd: int | None = field(default=None, repr=False)

    @property
    def database(self) -> Path:
        """The demo's SQLite file."""
        return self.path / DEMO_DB

    @property
    def picsara(self) -> Path:
        """The demo's Picsara import folder (DICOM files land here)."""
        return self.path / PICSARA

    @property
    def earkiv(self) -> Path:
        """The demo's E-arkiv folder printer (print jobs land here as PDF)."""
        return self.path / EARKIV

    def release(self) -> None:
        """Remove what this run made unless kept (all of the folder if this run created it,
        else only the demo's own parts), then drop the lock. Called at exit."""
        if self._fd is None:
            return
        try:
            if not self.keep and is_demo_dir(self.path) and _try_lock(self._fd, fcntl.LOCK_EX):
                if self.created:
                    _remove_tree(self.path)
                else:
                    _clear(self.path)
                    (self.path / MARKER).unlink(missing_ok=True)
        finally:
            os.close(self._fd)
            self._fd = None


def is_demo_dir(path: Path) -> bool:
    """True when the folder carries a demo's marker (a regular file, not a link)."""
    marker = path / MARKER
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode) or not stat.S_ISREG(os.lstat(marker).st_mode):
            return False
        with open(marker, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def new_run(base: Path) -> DemoDir:
    """A fresh folder of its own for this run under base (the user's demo folder); folders
    of earlier runs that nobody uses any more (a killed demo) are removed first."""
    fsmode.make_dir(base)
    remove_stale(base)
    path = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir=base))  # mode 0700
    os.chmod(path, fsmode.current().dir)
    return DemoDir(path, created=True, keep=False, _fd=_mark(path))


def claim(path: Path, *, keep: bool) -> DemoDir:
    """This folder as the demo's: a new or empty one is marked; a demo's is reused (--keep) or
    emptied of the demo's own parts; anything else is refused and left untouched."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        fsmode.make_dir(path)
        return DemoDir(path, created=True, keep=keep, _fd=_mark(path))
    if not stat.S_ISDIR(st.st_mode):
        raise UserError(
            f"{_show(path)} är ingen mapp. Välj en ny eller tom mapp för demon med --data-dir."
        )
    if is_demo_dir(path):
        fd = os.open(path / MARKER, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        if keep:
            fcntl.flock(fd, fcntl.LOCK_SH)
            return DemoDir(path, created=False, keep=True, _fd=fd)
        if not _try_lock(fd, fcntl.LOCK_EX):
            os.close(fd)
            raise UserError(
                f"Demon i {_show(path)} används av en annan körning just nu och "
                "töms därför inte. Starta med --keep för att vara med i samma demo, "
                "eller välj en annan mapp med --data-dir."
            )
        _clear(path)
        fcntl.flock(fd, fcntl.LOCK_SH)
        return DemoDir(path, created=False, keep=False, _fd=fd)
    try:
        foreign = sorted(p.name for p in path.iterdir())
    except OSError as exc:
        raise UserError(f"Mappen {_show(path)} kunde inte läsas ({exc.strerror or exc}).") from exc
    if foreign:
        raise UserError(
            f"Mappen {_show(path)} innehåller annat än en demo (t.ex. {_show(foreign[0])}). "
            "Demon använder och raderar bara mappar den själv har skapat, så inget ändrades. "
            "Välj en ny eller tom mapp med --data-dir."
        )
    os.chmod(path, fsmode.current().dir)
    return DemoDir(path, created=False, keep=keep, _fd=_mark(path))


def remove_stale(base: Path) -> int:
    """Remove run folders under base that are marked as a demo's and that no demo uses."""
    removed = 0
    try:
        entries = list(base.iterdir())
    except OSError:
        return 0
    for path in entries:
        if not path.name.startswith(RUN_PREFIX) or not is_demo_dir(path):
            continue
        try:
            fd = os.open(path / MARKER, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            if _try_lock(fd, fcntl.LOCK_EX):
                _remove_tree(path)
                removed += 1
        finally:
            os.close(fd)
    return removed


def current_demo(base: Path) -> Path:
    """The demo folder CLI commands use with --demo: the newest one a demo is running in,
    else the newest one kept; UserError when there is none."""
    found: list[tuple[bool, float, Path]] = []
    try:
        entries = list(base.iterdir()) if base.is_dir() else []
    except OSError:
        entries = []
    for path in entries:
        if is_demo_dir(path) and (path / DEMO_DB).is_file():
            found.append((in_use(path), (path / MARKER).stat().st_mtime, path))
    if not found:
        raise UserError(
            f"Det finns ingen demo i {_show(base)}. Starta en med tui-app demo "
            "(med --keep finns den kvar efteråt), eller ange mappen med --data-dir."
        )
    return max(found)[2]


def in_use(path: Path) -> bool:
    """True while a demo runs in this folder (it holds the marker's lock)."""
    try:
        fd = os.open(path / MARKER, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        return not _try_lock(fd, fcntl.LOCK_EX)
    finally:
        os.close(fd)  # closing drops the probe's lock


def _mark(path: Path) -> int:
    """Write the marker under a temporary name, lock it, then give it its name: no other run
    ever sees a marked folder that is not locked."""
    temp = path / f"{MARKER}.{os.getpid()}.part"
    fd = os.open(
        temp,
        os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
        fsmode.current().file,
    )
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        os.write(fd, MAGIC)
        os.fsync(fd)
        os.rename(temp, path / MARKER)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    return fd


def _try_lock(fd: int, kind: int) -> bool:
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _clear(path: Path) -> None:
    """Remove the demo's own parts of a marked folder; anything else in it stays."""
    for name in OWN:
        p = path / name
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(p)
        else:
            p.unlink()


def _remove_tree(path: Path) -> None:
    """Remove a marked folder this demo (or an earlier, finished run) created, all of it."""
    if is_demo_dir(path):  # checked right before: never a folder that is not a demo's
        shutil.rmtree(path, ignore_errors=True)


def _show(path: object) -> str:
    from tui_app.core.safetext import visible_text

    return visible_text(str(path), max_len=200)


__all__ = ["DemoDir", "claim", "current_demo", "in_use", "is_demo_dir", "new_run", "remove_stale"]
