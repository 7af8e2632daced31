"""Where errors go: one private, rotated log file, and what the user is told after a crash.

The log is ``$XDG_STATE_HOME/tui_app/log/tui_app.log`` (platformdirs' user_state_dir, by
default ``~/.local/state/tui_app/log/``), rotated at 1 MB with 5 old files kept. It belongs to
the account the app runs as: on a shared server each staff member runs the app as themselves,
so each has their own log, and a service account has its own. It is not under ``data_dir``:
that folder may be shared with a group, and a traceback (file paths, SQL, values in error
messages) is for the account itself and IT support only. So the folder is created 0700 and
every file in it 0600, whatever the umask, and looser modes found on them are tightened.

`setup_logging` is called once, first thing, by the command line; from then on the existing
``log.exception``/``log.warning`` calls, Python warnings and uncaught exceptions in threads all
land in that file and never on the terminal (where they would be drawn over the app).

After an unexpected error `record_crash` writes the full traceback under a short error id, and
`crash_line` is the one Swedish line printed once the terminal is restored: the time and the
id, which is what the user tells IT support. No traceback and no local variables (which may
hold patient data) are ever shown.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import secrets
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from io import TextIOWrapper
from pathlib import Path
from typing import Any

#: Exit status after an unexpected error (BSD sysexits EX_SOFTWARE: an internal error).
EXIT_CRASH = 70
LOG_NAME = "tui_app.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d %(threadName)s] %(message)s"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone

log = logging.getLogger("tui_app.crash")


def log_dir() -> Path:
    """The folder of the log: the user's state directory (XDG_STATE_HOME), tui_app/log."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("tui_app")) / "log"


def _private_dir(path: Path) -> None:
    """Create the folder owner-only (0700), and tighten it if it already exists looser."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose folder is 0700 and whose files are 0600 from the start
    (os.open with the mode, not the umask; also each file rotation makes)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )  # nothing is created until something is logged

    def _open(self) -> TextIOWrapper:
        path = Path(self.baseFilename)
        _private_dir(path.parent)
        fd = os.open(
            path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
        try:
            os.fchmod(fd, 0o600)  # an older file may have been made looser
        except OSError:
            pass
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    failed = False  # set when a record could not be written (a read-only home, a full disk)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """Never print logging's own traceback on the terminal (it would be drawn over the app)."""
        self.failed = True

    def emit(self, record: logging.LogRecord) -> None:
        self.failed = False
        super().emit(record)

    def doRollover(self) -> None:  # noqa: N802 (logging's name)
        super().doRollover()
        for i in range(1, self.backupCount + 1):  # rotated files keep 0600 (they are renamed)
            try:
                os.chmod(f"{self.baseFilename}.{i}", 0o600)
            except OSError:
                pass


def _installed() -> PrivateRotatingFileHandler | None:
    return next(
        (h for h in logging.getLogger().handlers if isinstance(h, PrivateRotatingFileHandler)), None
    )


def setup_logging(folder: Path | None = None) -> Path:
    """Send the app's logging, warnings and thread errors to the private log file; once per
    process (a second call with the same folder changes nothing). Returns the log file's path."""
    path = (folder or log_dir()) / LOG_NAME
    root = logging.getLogger()
    old = _installed()
    if old is not None:
        if Path(old.baseFilename) == path.absolute():
            return path
        root.removeHandler(old)
        old.close()
    handler = PrivateRotatingFileHandler(path)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(logging.INFO)
    root.addHandler(handler)
    if root.level > logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)  # other libraries: warnings and worse
    logging.getLogger("tui_app").setLevel(logging.INFO)
    logging.captureWarnings(True)  # warnings.warn would print on the app's screen
    threading.excepthook = _thread_excepthook
    return path


def teardown_logging() -> None:
    """Remove the log file handler again (for tests that set it up in their own process)."""
    old = _installed()
    if old is not None:
        logging.getLogger().removeHandler(old)
        old.close()


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    """An exception that ends a thread goes to the log, never to the terminal."""
    if args.exc_type is SystemExit:
        return
    log.error(
        "uncaught exception in thread %s",
        getattr(args.thread, "name", "?"),
        # The exception carries its traceback; exc_value is None only when a thread raised a
        # class that could not be instantiated, and then the log line names the thread alone.
        exc_info=args.exc_value,
    )


@dataclass(frozen=True)
class Crash:
    """One unexpected error: its short id and local time, as written in the log."""

    error_id: str
    at: datetime
    logged: bool


def new_error_id() -> str:
    """Six characters that are easy to read aloud, e.g. 'K7Q2MX'."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(6))


def record_crash(error: BaseException, *, where: str = "app") -> Crash:
    """Write the full traceback to the log under a new error id (never to the screen)."""
    error_id, at = new_error_id(), datetime.now().astimezone()
    logged = False
    try:
        log.critical(
            "unexpected error %s (%s) in %s: %s",
            error_id,
            at.isoformat(timespec="seconds"),
            where,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__),
        )
        handler = _installed()
        if handler is not None:
            handler.flush()
            logged = not handler.failed and handler.stream is not None
    except Exception:  # writing the log failed (a full disk): the user is still told the id
        logged = False
    return Crash(error_id, at, logged)


def crash_line(crash: Crash) -> str:
    """The one Swedish line shown after a crash: what to tell IT support."""
    when = crash.at.strftime("%Y-%m-%d %H:%M:%S")
    line = (
        f"tui-app: Ett oväntat fel avslutade appen. Kontakta IT-support och uppge "
        f"tid {when} och felkod {crash.error_id}."
    )
    if not crash.logged:
        line += " (Felloggen kunde inte skrivas.)"
    return line


def report_crash(error: BaseException, *, where: str = "cli", stream: Any = None) -> int:
    """Record an error outside the app (the command line), print the line; the exit status."""
    crash = record_crash(error, where=where)
    print(crash_line(crash), file=stream or sys.stderr)
    return EXIT_CRASH


__all__ = [
    "EXIT_CRASH",
    "Crash",
    "crash_line",
    "log_dir",
    "record_crash",
    "report_crash",
    "setup_logging",
    "teardown_logging",
]
