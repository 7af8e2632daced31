"""The doctor's checks of folders: the data directory and the Downloads folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.ops.doctor.report import Check, _show

if TYPE_CHECKING:
    from tui_app.config import Settings


def check_data_dir(settings: Settings) -> Check:
    """The data folder, its database files and received files: the app's account owns them all
    and nobody else may read them (0700/0600, or 0770/0660 with group_access)."""
    from tui_app.store import fsmode

    title = "Datamapp"
    modes = fsmode.GROUP if settings.group_access else fsmode.PRIVATE
    data = settings.data_dir
    if not data.exists():
        return Check(
            title,
            "fail",
            f"{_show(data)} finns inte. Skapa den som appens konto: install -d -m "
            f"{modes.dir:o} {_show(data)}, eller ändra data_dir.",
        )
    if not data.is_dir():
        return Check(title, "fail", f"{_show(data)} är en fil, inte en mapp. Ändra data_dir.")
    me = os.geteuid()
    foreign, loose = [], []
    for p in dict.fromkeys(_watched_paths(settings)):
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if st.st_uid != me:
            foreign.append(p)
        if stat.S_IMODE(st.st_mode) & modes.umask & 0o777 and not stat.S_ISLNK(st.st_mode):
            loose.append((p, stat.S_IMODE(st.st_mode)))
    problems = []
    service = settings.service_account
    if foreign and service and service != _account():
        problems.append(
            f"{len(foreign)} ägs inte av {_account()}, som kör doctor nu, t.ex. "
            f"{_show(foreign[0])}: kör doctor som tjänstekontot (sudo -u {_show(service)} "
            "tui-app doctor)"
        )
    elif foreign:
        problems.append(
            f"{len(foreign)} ägs inte av kontot som kör appen (uid {me}), t.ex. "
            f"{_show(foreign[0])}: chown -R {_account()} {_show(data)}"
        )
    if loose:
        shown = ", ".join(f"{_show(p)} ({bits:04o})" for p, bits in loose[:3])
        problems.append(
            f"andra kan läsa eller skriva {len(loose)}: {shown}: chmod {modes.dir:o} på mappar "
            f"och {modes.file:o} på filer (chmod -R go-rwx {_show(data)})"
        )
    if problems:
        return Check(title, "fail", f"{_show(data)}: " + "; ".join(problems) + ".")
    return Check(
        title,
        "ok",
        f"{_show(data)} ägs av {_account()}, bara ägaren kommer åt den "
        f"({modes.dir:04o}/{modes.file:04o}).",
    )


def _watched_paths(settings: Settings) -> list[Path]:
    """The data folder, everything under files/ and staging/, and the SQLite files."""
    from tui_app.store.quick import sqlite_path

    data = settings.data_dir
    paths = [data]
    for sub in ("files", "staging"):
        for root, dirs, files in os.walk(data / sub):
            paths += [Path(root, n) for n in (*dirs, *files)]
            paths.append(Path(root))
    db = sqlite_path(settings.url)
    if db is not None:
        paths += [db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-writers")]
    return paths


def _account() -> str:
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def check_downloads(settings: Settings) -> Check:
    """The folder downloads land in (R18) exists, or will be made, and can be written."""
    from tui_app.adapters.downloads import default_download_dir

    title = "Hämtade filer"
    own = default_download_dir()
    folder = settings.download_dir or own
    if not folder.exists():
        home = Path(os.environ.get("HOME") or Path.home())
        if folder == own and home.is_dir() and own.is_relative_to(home):
            return Check(title, "ok", f"{_show(folder)} skapas vid första nedladdningen.")
        return Check(
            title,
            "fail",
            f"{_show(folder)} finns inte. Skapa mappen eller ändra download_dir.",
        )
    if not folder.is_dir():
        return Check(
            title,
            "fail",
            f"{_show(folder)} är inte en mapp. Ändra download_dir eller flytta filen.",
        )
    probe = folder / f".tui_app-doctor-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return Check(
            title,
            "fail",
            f"{_show(folder)} går inte att skriva i ({_show(exc.strerror or exc)}). Rätta "
            "rättigheterna eller ändra download_dir.",
        )
    return Check(title, "ok", f"{_show(folder)} går att skriva i.")
