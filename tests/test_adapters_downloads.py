"""Hämtade filer: where downloads land, how a copy is written, and how it is deleted (R18, R21)."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from tui_app.adapters import _fs
from tui_app.adapters.downloads import (
    RemoveStatus,
    copy_name,
    default_download_dir,
    remove_copy,
    safe_stem,
    save_copy,
)
from tui_app.adapters.errors import AdapterError
from tui_app.core.errors import UserError

NAME = re.compile(r"^1177-[A-Za-z0-9_-]+-[0-9a-f]{8}\.[a-z0-9]+$")


def src_file(tmp_path: Path, size: int = 1000, name: str = "stored.bin") -> Path:
    p = tmp_path / "store" / name
    p.parent.mkdir(exist_ok=True)
    p.write_bytes(os.urandom(size))
    return p


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def user_dirs(config: Path, line: str) -> None:
    config.mkdir(parents=True, exist_ok=True)
    (config / "user-dirs.dirs").write_text(
        "# This file is written by xdg-user-dirs-update\n"
        'XDG_DESKTOP_DIR="$HOME/Skrivbord"\n' + line + "\n",
        encoding="utf-8",
    )


# -- where downloads land (R18) ---------------------------------------------------------------


def test_r18_download_lands_in_xdg_download_dir(tmp_path: Path) -> None:
    home = tmp_path / "home"
    user_dirs(home / ".config", 'XDG_DOWNLOAD_DIR="$HOME/Hämtade filer"')
    target = default_download_dir(env={"HOME": str(home)})
    assert target == home / "Hämtade filer"
    target.mkdir(parents=True)
    src = src_file(tmp_path)

    copy = save_copy(src, target, stem_hint="bild höger arm", suffix="jpg")

    assert copy.path.parent == target
    assert NAME.match(copy.path.name) and "bild-hoger-arm" in copy.path.name
    assert copy.path.read_bytes() == src.read_bytes()
    assert (copy.sha256, copy.size) == (sha(src), src.stat().st_size)
    assert stat.S_IMODE(copy.path.stat().st_mode) == 0o600


def test_r18_xdg_config_home_and_absolute_path(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    user_dirs(cfg, 'XDG_DOWNLOAD_DIR="/srv/ned\\"laddat"')
    env = {"HOME": str(tmp_path / "h"), "XDG_CONFIG_HOME": str(cfg)}
    assert default_download_dir(env=env) == Path('/srv/ned"laddat')


@pytest.mark.parametrize(
    "line",
    [None, 'XDG_DOWNLOAD_DIR="$HOME/"', 'XDG_DOWNLOAD_DIR="relative/dir"', "# nothing"],
)
def test_r18_download_dir_falls_back_to_home_downloads(tmp_path: Path, line: str | None) -> None:
    home = tmp_path / "home"
    if line is not None:
        user_dirs(home / ".config", line)
    env = {"HOME": "/elsewhere", "XDG_CONFIG_HOME": "not/absolute"}
    assert default_download_dir(home=home, env=env) == home / "Downloads"


def test_r18_two_downloads_never_overwrite_each_other(tmp_path: Path) -> None:
    dest = tmp_path / "dl"
    dest.mkdir()
    src = src_file(tmp_path)
    a = save_copy(src, dest, stem_hint="x", suffix=".JPG")
    b = save_copy(src, dest, stem_hint="x", suffix="jpg")
    assert a.path != b.path and a.path.suffix == ".jpg"
    assert sorted(p.name for p in dest.iterdir()) == sorted([a.path.name, b.path.name])


def test_r18_name_is_sanitized_and_stays_in_folder(tmp_path: Path) -> None:
    dest = tmp_path / "dl"
    dest.mkdir()
    copy = save_copy(src_file(tmp_path), dest, stem_hint="../../etc/Ö passwd\x00", suffix="pdf")
    assert copy.path.parent == dest and NAME.match(copy.path.name)
    assert safe_stem("") == "fil" and safe_stem("åäö ÅÄÖ") == "aao-AAO"
    with pytest.raises(ValueError):
        copy_name("x", "../sh")


def test_r18_copy_is_invisible_until_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "dl"
    dest.mkdir()
    seen: list[list[str]] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        seen.append(sorted(os.listdir(dest)))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    copy = save_copy(src_file(tmp_path), dest, stem_hint="x", suffix="png")
    first = seen[0]  # the file's own fsync, before it gets its name
    assert len(first) == 1 and first[0].startswith(".1177-") and first[0].endswith(".part")
    assert os.listdir(dest) == [copy.path.name]


# -- bad input ---------------------------------------------------------------------------------


def test_r18_missing_download_dir_is_a_swedish_error(tmp_path: Path) -> None:
    missing = tmp_path / "Hämtade filer"
    with pytest.raises(AdapterError) as err:
        save_copy(src_file(tmp_path), missing, stem_hint="x", suffix="jpg")
    msg = err.value.message_sv
    assert "finns inte" in msg and str(missing) in msg and "download_dir" in msg
    assert isinstance(err.value, UserError)


def test_r18_download_dir_that_is_a_file(tmp_path: Path) -> None:
    afile = tmp_path / "fil"
    afile.write_text("x")
    with pytest.raises(AdapterError, match="inte är en mapp"):
        save_copy(src_file(tmp_path), afile, stem_hint="x", suffix="jpg")
    with pytest.raises(AdapterError, match="finns inte"):
        save_copy(src_file(tmp_path), afile / "under", stem_hint="x", suffix="jpg")


def test_r18_unwritable_download_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, where chmod does not stop writes: simulate EACCES at open.
    dest = tmp_path / "dl"
    dest.mkdir()
    real_open = os.open

    def deny(path: str, flags: int, mode: int = 0o777, **kw: Any) -> int:
        if str(path).startswith(str(dest)):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, mode, **kw)

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(AdapterError, match="får inte skriva i mappen Hämtade filer"):
        save_copy(src_file(tmp_path), dest, stem_hint="x", suffix="jpg")
    assert os.listdir(dest) == []


def test_r18_disk_full_mid_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "dl"
    dest.mkdir()
    src = src_file(tmp_path, size=3 * _fs.CHUNK + 5)
    real_write = os.write
    calls = [0]

    def full(fd: int, data: bytes) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(dest)):
            calls[0] += 1
            if calls[0] > 1:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(AdapterError, match="Disken är full"):
        save_copy(src, dest, stem_hint="x", suffix="jpg")
    assert calls[0] == 2  # it failed mid-file, after a first chunk was written
    assert os.listdir(dest) == []  # the temp file is gone too


def test_r18_missing_source_file(tmp_path: Path) -> None:
    dest = tmp_path / "dl"
    dest.mkdir()
    with pytest.raises(AdapterError, match="saknas i appens fillager"):
        save_copy(tmp_path / "gone.jpg", dest, stem_hint="x", suffix="jpg")
    assert os.listdir(dest) == []


def test_r18_source_that_differs_from_the_received_file_is_not_saved(tmp_path: Path) -> None:
    dest = tmp_path / "dl"
    dest.mkdir()
    with pytest.raises(AdapterError, match="kontrollsumman"):
        save_copy(src_file(tmp_path), dest, stem_hint="x", suffix="jpg", expected_sha256="0" * 64)
    assert os.listdir(dest) == []


# -- deleting the copy (R21) -------------------------------------------------------------------


def test_r21_remove_copy_deletes_then_reports_already_gone(tmp_path: Path) -> None:
    dest = tmp_path / "dl"
    dest.mkdir()
    copy = save_copy(src_file(tmp_path), dest, stem_hint="x", suffix="jpg")
    first = remove_copy(copy.path, copy.sha256.upper())
    assert first.status is RemoveStatus.DELETED and not copy.path.exists()
    again = remove_copy(copy.path, copy.sha256)
    assert again.status is RemoveStatus.ALREADY_GONE and "redan raderad" in again.message_sv


def test_r21_remove_copy_keeps_a_changed_file_and_says_so(tmp_path: Path) -> None:
    dest = tmp_path / "dl"
    dest.mkdir()
    copy = save_copy(src_file(tmp_path), dest, stem_hint="x", suffix="jpg")
    copy.path.write_bytes(b"edited by the user")
    result = remove_copy(copy.path, copy.sha256)
    assert result.status is RemoveStatus.CHANGED and "ändrats" in result.message_sv
    assert copy.path.read_bytes() == b"edited by the user"


def test_r21_remove_copy_never_follows_a_symlink(tmp_path: Path) -> None:
    dest = tmp_path / "dl"
    dest.mkdir()
    copy = save_copy(src_file(tmp_path), dest, stem_hint="x", suffix="jpg")
    elsewhere = tmp_path / "important.jpg"
    elsewhere.write_bytes(copy.path.read_bytes())
    copy.path.unlink()
    copy.path.symlink_to(elsewhere)
    result = remove_copy(copy.path, copy.sha256)
    assert result.status is RemoveStatus.CHANGED
    assert elsewhere.exists() and copy.path.is_symlink()
