"""A real CUPS scheduler for one test: private ServerRoot, spool, state and cache in a temporary
folder, listening on 127.0.0.1 on a free port, with a cups-pdf queue whose PDFs land in a
folder of the test's own. `CUPS_SERVER=127.0.0.1:PORT` points lp/lpstat at it.

Outside CI a machine without cupsd or cups-pdf (or not root: the cups-pdf backend runs as root
and reads its per-queue file from /etc/cups) skips the test with the reason; under CI=true
that is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CUPSD = "/usr/sbin/cupsd"
BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
CUPS_PDF_ETC = Path("/etc/cups")  # compiled into cups-pdf: cups-pdf-<queue>.conf is read there
HANG_GUARD = 180.0  # seconds: only reached when something hangs


@dataclass
class Cups:
    """A running private CUPS: its address, its cups-pdf queue and where that queue's PDFs go."""

    server: str  # 127.0.0.1:PORT, for CUPS_SERVER
    queue: str
    out: Path
    root: Path

    @property
    def env(self) -> dict[str, str]:
        """The environment lp and lpstat need to reach this server and only this one."""
        return {**os.environ, "CUPS_SERVER": self.server, "LC_ALL": "C"}

    def lp(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a CUPS client program (lpstat, lpadmin, ...) against this server."""
        return subprocess.run(
            list(args), capture_output=True, text=True, env=self.env, timeout=60, check=False
        )

    def completed(self) -> list[str]:
        """The ids of the queue's finished jobs, as `lpstat -W completed` lists them."""
        listing = self.lp("lpstat", "-W", "completed", "-o", self.queue).stdout
        return [line.split()[0] for line in listing.splitlines() if line.strip()]

    def wait_for_pdf(self, job_id: str | None = None) -> tuple[str, Path]:
        """The job (the first finished one unless named) and the PDF cups-pdf wrote for it
        (labelled `…-job_N.pdf`), once CUPS lists it as completed."""
        deadline = time.monotonic() + HANG_GUARD
        while True:
            done = self.completed()
            job = job_id if job_id in done else (done[0] if done and job_id is None else None)
            if job is not None:
                found = sorted(self.out.glob(f"*-job_{job.rsplit('-', 1)[-1]}.pdf"))
                if found:
                    return job, found[0]
            if time.monotonic() > deadline:
                log = (self.root / "log" / "error_log").read_text(errors="replace")
                raise AssertionError(f"job {job_id} never came out; CUPS log ends {log[-2000:]}")
            time.sleep(0.05)


def missing() -> str | None:
    """Why a real CUPS with cups-pdf cannot run here, or None."""
    if not Path(CUPSD).is_file():
        return "cupsd is not installed (apt-get install cups)"
    if not BACKEND.is_file() or not PPD.is_file():
        return "cups-pdf is not installed (apt-get install printer-driver-cups-pdf)"
    if shutil.which("lpadmin") is None or shutil.which("lp") is None:
        return "the CUPS client programs are missing (apt-get install cups-client)"
    if os.geteuid() != 0:
        return "the cups-pdf backend runs only under a root cupsd"
    return None


def require() -> None:
    """Skip (outside CI) or fail (CI=true) when a real CUPS cannot run here."""
    why = missing()
    if why is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CUPS end-to-end test cannot run under CI: {why}")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running() -> Iterator[Cups]:
    """Start a private cupsd with one cups-pdf queue; stop it and remove everything after."""
    require()
    # Not under pytest's tmp_path: that is 0700, and CUPS runs its filters as the lp user.
    root = Path(tempfile.mkdtemp(prefix="tui_app-cups-"))
    os.chmod(root, 0o755)
    for sub in ("etc", "spool", "cache", "state", "log", "out", "pdfspool"):
        (root / sub).mkdir(mode=0o755)
    port = _free_port()
    (root / "etc" / "cups-files.conf").write_text(
        f"ServerRoot {root / 'etc'}\nStateDir {root / 'state'}\nCacheDir {root / 'cache'}\n"
        f"RequestRoot {root / 'spool'}\nServerBin /usr/lib/cups\nDataDir /usr/share/cups\n"
        f"AccessLog {root / 'log' / 'access_log'}\nErrorLog {root / 'log' / 'error_log'}\n"
        f"PageLog {root / 'log' / 'page_log'}\nFileDevice No\n"
    )
    (root / "etc" / "cupsd.conf").write_text(
        f"Listen 127.0.0.1:{port}\nLogLevel debug\nWebInterface No\nBrowsing No\n"
        "BrowseLocalProtocols none\nDefaultAuthType None\n"
        "<Location />\n  Order allow,deny\n  Allow from 127.0.0.1\n</Location>\n"
        "<Location /admin>\n  Order allow,deny\n  Allow from 127.0.0.1\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
    )
    queue = f"tuiapp_{uuid.uuid4().hex[:10]}"
    queue_conf = CUPS_PDF_ETC / f"cups-pdf-{queue}.conf"
    queue_conf.write_text(
        f"Out {root / 'out'}\nSpool {root / 'pdfspool'}\nLog {root / 'log'}\n"
        "LogType 3\nGrp root\nLabel 1\n"
    )
    cups = Cups(f"127.0.0.1:{port}", queue, root / "out", root)
    proc = subprocess.Popen(
        [
            CUPSD,
            "-f",
            "-c",
            str(root / "etc" / "cupsd.conf"),
            "-s",
            str(root / "etc" / "cups-files.conf"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=(root / "log" / "stderr").open("w"),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + HANG_GUARD
        while "scheduler is running" not in cups.lp("lpstat", "-r").stdout:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    "cupsd did not start: " + (root / "log" / "stderr").read_text(errors="replace")
                )
            time.sleep(0.05)
        made = cups.lp("lpadmin", "-p", queue, "-E", "-v", f"cups-pdf:/{queue}", "-P", str(PPD))
        assert made.returncode == 0, made.stderr
        yield cups
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        queue_conf.unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)
