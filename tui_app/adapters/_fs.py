"""File-system helpers shared by the adapters: folder checks, atomic writes, safe hashing.

Atomic write = write a hidden temp file (O_EXCL, exact mode, fsync) in the target folder, then
hard-link it to its final name (link never replaces an existing file), then drop the temp name.
Where the file system cannot hard-link (some network mounts), we fall back to rename after checking
the name is free; the names we generate are random, so that check is only a safety net.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tui_app.adapters.errors import AdapterError

CHUNK = 1024 * 1024
TEMP_SUFFIX = ".part"

# errno values meaning "this file system cannot hard-link": fall back to rename.
_NO_LINK = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK, errno.EXDEV}


@dataclass(frozen=True)
class Folder:
    """A folder the app writes into, named the way the user knows it and by its setting."""

    path: Path
    label_sv: str  # reads after "mappen": "Hämtade filer", "för import till Picsara"
    setting: str  # the settings key that points at it

    def where(self) -> str:
        """The folder as the user should read it: its Swedish name and its path."""
        return f"{self.label_sv} ({self.path})"


@dataclass(frozen=True)
class Digest:
    """The checksum and identity of one regular file, read without following symlinks."""

    sha256: str
    size: int
    dev: int
    ino: int


@dataclass(frozen=True)
class Staged:
    """A fully written, fsynced temp file waiting to get its final name."""

    temp: Path
    final: Path
    folder: Folder


def check_folder(folder: Folder) -> None:
    """Raise AdapterError unless the folder exists and is a directory."""
    try:
        st = os.stat(folder.path)
    except (FileNotFoundError, NotADirectoryError):
        raise AdapterError(
            f"Mappen {folder.where()} finns inte. "
            f"Skapa den eller ändra {folder.setting} i inställningarna."
        ) from None
    except OSError as exc:
        raise os_error(exc, folder) from exc
    if not stat.S_ISDIR(st.st_mode):
        raise AdapterError(
            f"Inställningen {folder.setting} pekar på {folder.path}, som inte är en mapp. "
            f"Ändra den så att den pekar på mappen {folder.label_sv}."
        )


def os_error(exc: OSError, folder: Folder) -> AdapterError:
    """Translate a write failure in a folder into a Swedish message that says what to do."""
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return AdapterError(
            f"Appen får inte skriva i mappen {folder.where()}. Kontrollera behörigheten "
            f"på mappen eller ändra {folder.setting} i inställningarna."
        )
    if code in (errno.ENOSPC, errno.EDQUOT):
        return AdapterError(
            f"Disken är full där mappen {folder.where()} ligger. Inget sparades. "
            "Frigör utrymme (eller be IT om det) och försök igen."
        )
    if code == errno.EROFS:
        return AdapterError(
            f"Mappen {folder.where()} går bara att läsa, inte skriva i. Be IT om hjälp "
            f"eller ändra {folder.setting} i inställningarna."
        )
    if code in (errno.ENOENT, errno.ENOTDIR, errno.ESTALE, errno.ENODEV):
        return AdapterError(
            f"Mappen {folder.where()} försvann medan appen skrev i den. Kontrollera att "
            "den finns (och är monterad) och försök igen."
        )
    reason = exc.strerror or type(exc).__name__
    return AdapterError(
        f"Det gick inte att skriva i mappen {folder.where()}: {reason}. "
        "Försök igen, och kontakta IT om felet kvarstår."
    )


def stage(folder: Folder, final_name: str, chunks: Iterable[bytes], *, mode: int) -> Staged:
    """Write chunks to a hidden temp file next to final_name; nothing is visible under that name yet."""
    check_folder(folder)
    temp = folder.path / f".{final_name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(str(temp), flags, mode)
    except OSError as exc:
        raise os_error(exc, folder) from exc
    try:
        try:
            os.fchmod(fd, mode)  # exact mode, whatever the umask
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException as exc:
        _unlink_quietly(temp)
        if isinstance(exc, OSError):
            raise os_error(exc, folder) from exc
        raise
    return Staged(temp, folder.path / final_name, folder)


def commit(staged: Staged) -> Path:
    """Give a staged file its final name without ever replacing an existing file."""
    folder = staged.folder
    try:
        try:
            os.link(staged.temp, staged.final)
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise
            if os.path.lexists(staged.final):
                raise FileExistsError(errno.EEXIST, "File exists", str(staged.final)) from exc
            os.rename(staged.temp, staged.final)
        else:
            os.unlink(staged.temp)
    except FileExistsError:
        discard(staged)
        raise AdapterError(
            f"Filen {staged.final.name} finns redan i mappen {folder.where()}. "
            "Inget skrevs över. Försök igen."
        ) from None
    except OSError as exc:
        discard(staged)
        raise os_error(exc, folder) from exc
    fsync_dir(folder.path)
    return staged.final


def discard(staged: Staged) -> None:
    """Remove a staged temp file; a missing one is fine."""
    _unlink_quietly(staged.temp)


def write_atomic(folder: Folder, final_name: str, chunks: Iterable[bytes], *, mode: int) -> Path:
    """Write a whole file under final_name or nothing at all; return its path."""
    return commit(stage(folder, final_name, chunks, mode=mode))


def fsync_dir(path: Path) -> None:
    """Flush a directory entry to disk; file systems that refuse are left alone."""
    try:
        fd = os.open(str(path), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def digest_regular_file(path: Path) -> Digest | None:
    """SHA-256 of a regular file, or None for a symlink, directory or device; OSError if unreadable.
    A copy in a served person's Downloads is read by their helper (served.serve_person)."""
    from tui_app.adapters import served  # at call time: served imports this module

    if served.is_served_copy(path):
        return served.digest_served(path)
    return local_digest(path)


def local_digest(path: Path) -> Digest | None:
    """digest_regular_file in this process."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(str(path), flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
            return None  # a symlink (O_NOFOLLOW), a directory or a socket
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        h = hashlib.sha256()
        size = 0
        while chunk := os.read(fd, CHUNK):
            h.update(chunk)
            size += len(chunk)
        return Digest(h.hexdigest(), size, st.st_dev, st.st_ino)
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def regular_files(
    folder: Path, *, depth: int = 0, unreadable: list[Path] | None = None
) -> Iterator[Path]:
    """Regular files in a folder (and `depth` levels of subfolders), never following symlinks."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    except OSError:
        if unreadable is not None:
            unreadable.append(folder)
        return
    for entry in entries:
        try:
            if entry.is_symlink():
                continue
            if entry.is_file(follow_symlinks=False):
                yield Path(entry.path)
            elif depth > 0 and entry.is_dir(follow_symlinks=False):
                yield from regular_files(Path(entry.path), depth=depth - 1, unreadable=unreadable)
        except OSError:
            if unreadable is not None:
                unreadable.append(Path(entry.path))


def matching_files(
    paths: Iterable[Path],
    sha256s: set[str],
    *,
    sizes: set[int] | None = None,
    unreadable: list[Path] | None = None,
) -> Iterator[tuple[Path, Digest]]:
    """The files among paths whose SHA-256 is in sha256s; unreadable ones are noted, never fatal."""
    wanted = {s.lower() for s in sha256s}
    for path in paths:
        if sizes is not None:
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            except OSError:
                if unreadable is not None:
                    unreadable.append(path)
                continue
            if st.st_size not in sizes:
                continue
        try:
            digest = digest_regular_file(path)
        except FileNotFoundError:
            continue
        except OSError:
            if unreadable is not None:
                unreadable.append(path)
            continue
        if digest is not None and digest.sha256 in wanted:
            yield path, digest


def read_downloaded(path: Path, sha256: str | None, *, noun: str, it: str, not_done: str) -> bytes:
    """The bytes of a downloaded copy, if it still holds exactly what was downloaded.

    `noun` names the file ("Bilden", "Dokumentet"), `it` its pronoun ("den", "det") and
    `not_done` what did not happen ("sparades inte i Picsara").
    """
    from tui_app.core.limits import MAX_FILE_BYTES

    from tui_app.adapters import served

    try:
        if served.is_served_copy(path):  # the served person's copy: their helper reads it
            data = served.read_served(path, MAX_FILE_BYTES + 1)
        else:
            with open(path, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        raise AdapterError(
            f"{noun} {path} finns inte längre. Hämta {it} igen och försök på nytt."
        ) from None
    except OSError as exc:
        raise AdapterError(
            f"{noun} {path} kunde inte läsas ({exc.strerror or exc}). Försök igen."
        ) from exc
    if len(data) > MAX_FILE_BYTES or (
        sha256 is not None and hashlib.sha256(data).hexdigest() != sha256.lower()
    ):
        raise AdapterError(
            f"{noun} {path} har ändrats sedan {it} hämtades och {not_done}. "
            f"Radera {it}, hämta {it} igen och försök på nytt."
        )
    return data
