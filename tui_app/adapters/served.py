"""Copies that belong to a person the app serves as a service account (deploy/, R18, R21).

Run for staff over SSH, the app is the service account (sudo -u tui_app) and cannot enter a
nurse's home, nor give her a file it made. `serve_person(login)` (set by the identity step when
sudo names the person) makes every operation on her Downloads go through `tui-app-home`, run as
her by the one sudo rule the service account has (adapters.homeside answers there): where her
Downloads is, saving a copy (bytes on stdin), removing one, scanning for leftovers, and reading
one back for Picsara and E-arkiv. Unset (the default), the app does all of it itself.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, BinaryIO

from tui_app.adapters._fs import Digest
from tui_app.adapters.errors import AdapterError

#: The helper's command line when copies are the person's, not this process's (serve_person).
_helper: tuple[str, ...] | None = None
_helper_dir: Path | None = None


def serve_person(login: str | None, helper: Path | None = None) -> None:
    """Make copies through `tui-app-home` run as `login` (sudo -n -u login); None: this process
    writes them itself (the default). `helper` defaults to tui-app-home next to this Python."""
    global _helper, _helper_dir
    _helper_dir = None
    if login is None:
        _helper = None
        return
    import sys

    helper = helper or Path(sys.executable).parent / "tui-app-home"
    _helper = ("sudo", "-n", "-u", login, "--", str(helper))


def serving() -> bool:
    """True when copies belong to a served person and go through the helper (serve_person)."""
    return _helper is not None


def ask_helper(args: list[str], stdin: BinaryIO | bytes | None = None) -> dict[str, Any]:
    """One verb of tui-app-home, as the served person: its JSON answer; AdapterError with the
    helper's Swedish message when it refused, or a clear one when it could not be reached."""
    import json
    import subprocess

    assert _helper is not None
    feed: dict[str, Any] = (
        {"input": stdin}
        if isinstance(stdin, bytes)
        else {"stdin": stdin if stdin is not None else subprocess.DEVNULL}
    )
    try:
        done = subprocess.run(
            [*_helper, *args], capture_output=True, timeout=300, check=False, **feed
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _no_helper(str(exc)) from exc
    try:
        answer = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise _no_helper(done.stderr.decode("utf-8", "replace").strip()[:200]) from None
    if not isinstance(answer, dict):
        raise _no_helper("")
    if "error" in answer:
        raise AdapterError(str(answer["error"]))
    return answer


def is_served_copy(path: Path) -> bool:
    """True for a file in the served person's own Downloads: only their helper can read it."""
    if _helper is None:
        return False
    return os.path.dirname(os.path.abspath(path)) == os.path.abspath(downloads_dir())


def digest_served(path: Path) -> Digest | None:
    """digest_regular_file of a copy in the served person's Downloads, made by their helper;
    FileNotFoundError when it is gone, as locally."""
    answer = ask_helper(["digest", str(path)])
    if answer.get("missing"):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
    if answer.get("sha256") is None:
        return None  # not a regular file
    return Digest(
        str(answer["sha256"]), int(answer["size"]), int(answer["dev"]), int(answer["ino"])
    )


def read_served(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of a copy in the served person's Downloads, read by their helper;
    FileNotFoundError when it is gone, AdapterError when it cannot be read."""
    import json
    import subprocess

    assert _helper is not None
    try:
        done = subprocess.run(
            [*_helper, "read", str(path), str(limit)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _no_helper(str(exc)) from exc
    if done.returncode == 0:
        return done.stdout
    try:
        answer = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise _no_helper(done.stderr.decode("utf-8", "replace").strip()[:200]) from None
    if isinstance(answer, dict) and answer.get("missing"):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
    raise AdapterError(str(answer.get("error", "")) if isinstance(answer, dict) else "")


def _no_helper(why: str) -> AdapterError:
    from tui_app.core.safetext import visible_text

    return AdapterError(
        "Appen kunde inte nå dina Hämtade filer genom tui-app-home"
        + (f" ({visible_text(why, max_len=200)})" if why else "")
        + ". Inget sparades. Kontakta IT-support: sudo-regeln för tui-app-home kan saknas."
    )


def downloads_dir() -> Path:
    """The served person's Downloads, asked of their helper once (serve_person resets it)."""
    global _helper_dir
    if _helper_dir is None:
        _helper_dir = Path(str(ask_helper(["where"])["dir"]))
    return _helper_dir
