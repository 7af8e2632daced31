"""Hämtade filer (the Downloads folder): where it is, saving a copy there, and deleting it again (R18, R21).

A copy is written under a generated name `1177-<hint>-<8 hex>.<suffix>` with mode 0600, via a hidden
temp file + fsync + hard link, so no half-written copy is ever visible and nothing is overwritten.

When the app runs as a service account for a staff member (sudo, see deploy/), it cannot write
into that person's home: with `served.serve_person` in force `default_download_dir`,
`save_copy` and `remove_copy` go through the helper `tui-app-home` run as the person
(adapters.served, adapters.homeside), so the copy is theirs, 0600, in their own Downloads.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Final

from tui_app.adapters._fs import (
    CHUNK,
    Folder,
    check_folder,
    commit,
    digest_regular_file,
    discard,
    fsync_dir,
    stage,
)
from tui_app.adapters import served
from tui_app.adapters.errors import AdapterError
from tui_app.core.killpoint import killpoint

DOWNLOADS_SV: Final = "Hämtade filer"
COPY_PREFIX = "1177-"
COPY_MODE = 0o600
_KEY = "XDG_DOWNLOAD_DIR"


@dataclass(frozen=True)
class SavedCopy:
    """A copy written to Hämtade filer: where it is and what it holds."""

    path: Path
    sha256: str
    size: int


class RemoveStatus(StrEnum):
    """What happened when the app tried to delete a copy."""

    DELETED = "deleted"
    ALREADY_GONE = "already_gone"
    CHANGED = "changed"  # not deleted: the file is no longer the copy the app saved
    FAILED = "failed"  # not deleted: an error (only in batch results, see leftovers.delete)


@dataclass(frozen=True)
class RemoveResult:
    """The outcome of deleting one copy, with a Swedish sentence for the user."""

    path: Path
    status: RemoveStatus
    message_sv: str


def downloads_folder(path: Path) -> Folder:
    """The Downloads folder as the adapters name it in messages."""
    return Folder(path, DOWNLOADS_SV, "download_dir")


def default_download_dir(home: Path | None = None, env: Mapping[str, str] = os.environ) -> Path:
    """The XDG download directory from user-dirs.dirs, else ~/Downloads (the served person's,
    asked of the helper, when serve_person is in force)."""
    if home is None and served.serving():
        return served.downloads_dir()
    home = home or Path(env.get("HOME") or Path.home())
    config = env.get("XDG_CONFIG_HOME", "")
    base = Path(config) if os.path.isabs(config) else home / ".config"
    return _user_dir(base / "user-dirs.dirs", _KEY, home) or home / "Downloads"


def ensure_own_download_dir(
    path: Path, home: Path | None = None, env: Mapping[str, str] = os.environ
) -> bool:
    """Create the user's own Downloads (the XDG download folder under HOME) with mode 0700 when
    it is missing, as on a fresh account; any other folder is left for the user to make.
    True when it was created."""
    home = home or Path(env.get("HOME") or Path.home())
    if os.path.lexists(path) or not home.is_dir():
        return False
    own = default_download_dir(home, env)
    if Path(path) != own or not own.is_relative_to(home) or own == home:
        return False
    missing = []
    p = own
    while not os.path.lexists(p) and p != home:
        missing.append(p)
        p = p.parent
    try:
        own.mkdir(parents=True, exist_ok=True, mode=0o700)
        for p in missing:
            os.chmod(p, 0o700)
    except OSError:
        return False  # check_folder says what is wrong with it
    return True


def _user_dir(file: Path, key: str, home: Path) -> Path | None:
    """One entry of user-dirs.dirs (`KEY="$HOME/..."` or `KEY="/abs"`), or None if absent or unusable."""
    try:
        text = file.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return None
    for line in text.splitlines():
        name, sep, raw = line.strip().partition("=")
        if not sep or name.strip() != key:
            continue
        value = raw.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        value = re.sub(r"\\(.)", r"\1", value)  # shell escapes: \" \\ \$
        if value.startswith("$HOME/"):
            rest = value[len("$HOME/") :].strip("/")
            # A value equal to $HOME means "disabled" in xdg-user-dirs: fall back.
            return home / rest if rest else None
        if value.startswith("/") and value.rstrip("/"):
            return Path(value)
        return None
    return None


def safe_stem(hint: str) -> str:
    """The hint reduced to [A-Za-z0-9_-] (å→a, ö→o), at most 40 characters, never empty."""
    ascii_text = unicodedata.normalize("NFKD", hint).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_text).strip("-_")[:40].strip("-_")
    return stem or "fil"


def copy_name(stem_hint: str, suffix: str) -> str:
    """A fresh, safe file name for a copy: 1177-<hint>-<8 hex>.<suffix>."""
    ext = suffix.lower().lstrip(".")
    if not re.fullmatch(r"[a-z0-9]{1,10}", ext):
        raise ValueError(f"unsafe file suffix {suffix!r}")
    return f"{COPY_PREFIX}{safe_stem(stem_hint)}-{secrets.token_hex(4)}.{ext}"


def save_copy(
    src: Path,
    dest_dir: Path,
    *,
    stem_hint: str,
    suffix: str,
    expected_sha256: str | None = None,
    name: str | None = None,
) -> SavedCopy:
    """Copy src into dest_dir under a new safe name, readable only by its owner, all or nothing
    (by the helper, as the served person, when serve_person is in force); see save_local."""
    if not served.serving():
        return save_local(
            src,
            dest_dir,
            stem_hint=stem_hint,
            suffix=suffix,
            expected_sha256=expected_sha256,
            name=name,
        )
    name = name or copy_name(stem_hint, suffix)
    try:
        fh = open(src, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _unreadable(src, exc) from exc
    with fh:
        answer = served.ask_helper(["save", str(dest_dir), name, expected_sha256 or "-"], stdin=fh)
    killpoint("download.visible")
    return SavedCopy(Path(str(answer["path"])), str(answer["sha256"]), int(answer["size"]))


def save_local(
    src: Path,
    dest_dir: Path,
    *,
    stem_hint: str,
    suffix: str,
    expected_sha256: str | None = None,
    name: str | None = None,
    stream: BinaryIO | None = None,
) -> SavedCopy:
    """Copy src into dest_dir under a new safe name, readable only by this user, all or nothing.

    Pass `name` (from copy_name) when the caller records the copy before it is made: the
    services layer tracks the path first, so a crash never leaves a copy nobody knows of (R21).
    `stream`: read the bytes from it instead of opening src (the helper's stdin: a pipe the
    service account made, which this user may read through fd 0 but never reopen by path).
    """
    folder = downloads_folder(dest_dir)
    name = name or copy_name(stem_hint, suffix)
    ensure_own_download_dir(dest_dir)
    check_folder(folder)  # the folder is the user's to fix: say so before anything else
    if stream is not None:
        fh = stream
    else:
        try:
            fh = open(src, "rb")  # noqa: SIM115 - closed below, after staging
        except (FileNotFoundError, NotADirectoryError):
            raise AdapterError(
                f"Filen {src.name} saknas i appens fillager och kunde inte hämtas. "
                "Kontakta systemförvaltningen."
            ) from None
        except OSError as exc:
            raise _unreadable(src, exc) from exc
    reader = _HashingReader(fh, src)
    with fh:
        staged = stage(folder, name, reader.chunks(), mode=COPY_MODE)
    sha256 = reader.hash.hexdigest()
    if expected_sha256 is not None and sha256 != expected_sha256.lower():
        discard(staged)
        raise AdapterError(
            f"Filen {src.name} stämmer inte med den som patienten skickade in (kontrollsumman "
            "skiljer sig), så den hämtades inte. Kontakta systemförvaltningen."
        )
    killpoint("download.staged")
    saved = SavedCopy(commit(staged), sha256, reader.size)
    killpoint("download.visible")
    return saved


class _HashingReader:
    """Reads the source in chunks, hashing and counting as it goes."""

    def __init__(self, fh: BinaryIO, src: Path) -> None:
        self.fh, self.src = fh, src
        self.hash = hashlib.sha256()
        self.size = 0

    def chunks(self) -> Iterator[bytes]:
        """The source's bytes, chunk by chunk; AdapterError if reading fails."""
        while True:
            try:
                chunk = self.fh.read(CHUNK)
            except OSError as exc:
                raise _unreadable(self.src, exc) from exc
            if not chunk:
                return
            self.hash.update(chunk)
            self.size += len(chunk)
            yield chunk


def _unreadable(src: Path, exc: OSError) -> AdapterError:
    return AdapterError(
        f"Filen {src.name} i appens fillager kunde inte läsas ({exc.strerror or exc}). "
        "Den hämtades inte. Försök igen, och kontakta systemförvaltningen om felet kvarstår."
    )


def remove_copy(path: Path, expected_sha256: str) -> RemoveResult:
    """Delete a copy only if it still holds exactly what was saved; say so when it does not
    (by the helper, as the served person, when serve_person is in force)."""
    if not served.serving():
        return remove_local(path, expected_sha256)
    answer = served.ask_helper(["remove", str(path), expected_sha256])
    return RemoveResult(
        Path(str(answer["path"])), RemoveStatus(str(answer["status"])), str(answer["message_sv"])
    )


def remove_local(path: Path, expected_sha256: str) -> RemoveResult:
    """remove_copy in this process."""
    try:
        digest = digest_regular_file(path)
    except (FileNotFoundError, NotADirectoryError):
        return _gone(path)
    except OSError as exc:
        raise AdapterError(
            f"Filen {path} kunde inte läsas ({exc.strerror or exc}), så appen kan inte kontrollera "
            "att det är rätt fil. Den raderades inte. Radera den själv eller be IT om hjälp."
        ) from exc
    if digest is None or digest.sha256 != expected_sha256.lower():
        return _changed(path)
    try:
        st = os.lstat(path)
        if (st.st_dev, st.st_ino) != (digest.dev, digest.ino):
            return _changed(path)  # swapped for another file after we read it
        os.unlink(path)
    except (FileNotFoundError, NotADirectoryError):
        return _gone(path)
    except OSError as exc:
        raise AdapterError(
            f"Filen {path} kunde inte raderas ({exc.strerror or exc}). Radera den själv i "
            "filhanteraren och töm papperskorgen, eller be IT om hjälp."
        ) from exc
    fsync_dir(path.parent)
    return RemoveResult(path, RemoveStatus.DELETED, f"{path.name} är raderad.")


def _gone(path: Path) -> RemoveResult:
    return RemoveResult(
        path, RemoveStatus.ALREADY_GONE, f"{path.name} fanns inte längre (redan raderad)."
    )


def _changed(path: Path) -> RemoveResult:
    return RemoveResult(
        path,
        RemoveStatus.CHANGED,
        f"{path} har ändrats sedan appen sparade den och raderades därför inte. "
        "Kontrollera filen och radera den själv om den inte behövs.",
    )


class UserDownloads:
    """Hämtade filer as the use cases see it (services.ports.DownloadsPort): the configured
    folder (download_dir), else the user's own XDG Downloads, looked up at each use (HOME may
    differ per process)."""

    def __init__(self, configured: Path | None = None) -> None:
        self.configured = configured

    def folder(self) -> Path:
        """The folder in force now."""
        return Path(self.configured or default_download_dir())

    def save(
        self, src: Path, *, stem_hint: str, suffix: str, expected_sha256: str, name: str
    ) -> SavedCopy:
        """Copy a stored file into the folder (see save_copy)."""
        return save_copy(
            src,
            self.folder(),
            stem_hint=stem_hint,
            suffix=suffix,
            expected_sha256=expected_sha256,
            name=name,
        )

    def remove(self, path: Path, expected_sha256: str) -> RemoveResult:
        """Delete a copy if it still holds what was downloaded (see remove_copy)."""
        return remove_copy(path, expected_sha256)
