"""Running the checks in a separate, resource-limited worker process (one per batch of files).

A file that makes a decoder crash, run away with memory or CPU, or hang costs one refusal
(`reasons.SANDBOX`), never the app: the worker is killed and a fresh one takes the rest of the
batch. The worker gets a minimal environment (no secrets from ours) and its own session.
"""

from __future__ import annotations

import hashlib
import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_app.core.limits import MAX_FILE_BYTES
from tui_app.core.safetext import visible_text
from tui_app.intake import reasons
from tui_app.intake.verdict import Prepared, refused

_PKG_PARENT = str(Path(__file__).resolve().parents[2])
_GiB = 1024**3


@dataclass(frozen=True)
class SandboxConfig:
    """Limits of the worker process."""

    #: RLIMIT_AS of the worker: the largest allowed image (50 MP) needs about 1 GiB when cleaned.
    memory_bytes: int = 2 * _GiB
    #: RLIMIT_CPU per file; beyond it the kernel kills the worker (SIGXCPU).
    cpu_seconds: int = 30
    #: Wall-clock limit per file, for a worker that sleeps or blocks. A worker still using CPU
    #: when it passes (a loaded server: other processes get the cores) is given another period,
    #: up to `wall_cap_seconds`; RLIMIT_CPU still bounds the work itself.
    wall_seconds: float = 60.0
    wall_cap_seconds: float = 600.0
    #: Extra environment for the worker (tests use it for the fault hook).
    extra_env: dict[str, str] = field(default_factory=dict)
    #: Where the server-wide worker slots live (see `slots`); None: a per-user temporary folder.
    slots_dir: Path | None = None
    #: How many workers may run at once in that folder; None: `slots.default_bound()`.
    max_workers: int | None = None


class _Worker:
    """One worker process answering requests in order."""

    def __init__(self, config: SandboxConfig, files: int) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C.UTF-8",
            "PYTHONPATH": _PKG_PARENT,
            "PYTHONDONTWRITEBYTECODE": "1",
            **config.extra_env,
        }
        cmd = [
            sys.executable,
            "-s",
            "-m",
            "tui_app.intake.worker",
            "--memory",
            str(config.memory_bytes),
            "--cpu",
            str(config.cpu_seconds),
            "--cpu-total",
            str(config.cpu_seconds * files + 10),
        ]
        self.config = config
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if os.environ.get("TUI_APP_INTAKE_DEBUG") else subprocess.DEVNULL,
            env=env,
            cwd=_PKG_PARENT,
            close_fds=True,
            start_new_session=True,
        )
        self._buf = b""

    def ask(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """Send one request and wait for its reply; None when the worker failed or timed out."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            return None
        line = self._read_line(time.monotonic() + self.config.wall_seconds)
        if line is None and self.proc.poll() is None:
            line = self._read_while_busy()
        if line is None:
            return None
        try:
            reply = json.loads(line)
        except ValueError:
            return None
        return reply if isinstance(reply, dict) else None

    def _read_while_busy(self) -> bytes | None:
        """Keep waiting, one wall period at a time, while the worker (or its OCR child) works."""
        start = time.monotonic()
        used = session_cpu(self.proc.pid)
        while time.monotonic() - start < self.config.wall_cap_seconds - self.config.wall_seconds:
            period = self.config.wall_seconds
            line = self._read_line(time.monotonic() + period)
            if line is not None or self.proc.poll() is not None:
                return line
            now_used = session_cpu(self.proc.pid)
            if now_used - used < 0.05 * period:  # asleep or blocked, not just slowed down
                return None
            used = now_used
        return None

    def _read_line(self, deadline: float) -> bytes | None:
        """One line from the worker's stdout before the deadline, or None."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return None  # the worker died
                self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def close(self) -> None:
        """End the worker: politely when it is idle, by force otherwise."""
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()

    def kill(self) -> None:
        """Kill the worker and reap it."""
        try:
            self.proc.kill()
        except ProcessLookupError:
            pass
        self.proc.wait()


def session_cpu(sid: int) -> float:
    """CPU seconds used by the processes of a session (a worker and its Tesseract child)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # field 6 of stat, counted after the ")" of the name
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def run_batch(
    requests: list[dict[str, Any]],
    config: SandboxConfig | None = None,
    on_wait: Callable[[bool], None] | None = None,
) -> list[dict[str, Any] | None]:
    """Run requests in one worker (once a server-wide slot is free), starting a new one after
    any failure; None marks a failure. The per-file limits start when the worker does."""
    from tui_app.intake.slots import slot

    config = config or SandboxConfig()
    with slot(config.slots_dir, config.max_workers, on_wait):
        return _run_in_worker(requests, config)


def _run_in_worker(
    requests: list[dict[str, Any]], config: SandboxConfig
) -> list[dict[str, Any] | None]:
    """Run requests in one worker, starting a new one after any failure."""
    results: list[dict[str, Any] | None] = []
    worker: _Worker | None = None
    try:
        for i, req in enumerate(requests):
            if worker is None:
                worker = _Worker(config, len(requests) - i)
            reply = worker.ask(req)
            if reply is None:
                worker.kill()
                worker = None
            results.append(reply)
    finally:
        if worker is not None:
            worker.close()
    return results


def failure(path: Path) -> Prepared:
    """The refusal for a file whose check failed in the sandbox, with its size and hash."""
    size, digest = 0, ""
    try:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while size <= MAX_FILE_BYTES and (chunk := f.read(1 << 20)):
                h.update(chunk)
                size += len(chunk)
        digest = h.hexdigest()
    except OSError:
        pass
    return Prepared(refused(reasons.SANDBOX, size, sha256=digest))


def parse_reply(reply: dict[str, Any] | None, path: Path, work_dir: Path | None) -> Prepared:
    """Turn a worker's reply into a Prepared, trusting nothing in it."""
    if reply is None:
        return failure(path)
    if "os_error" in reply:
        code = reply.get("errno")  # so the cause (a full disk) can be told in Swedish
        what = f"Filen kunde inte sparas i {work_dir}: {reply['os_error']}"
        raise OSError(code, what) if isinstance(code, int) else OSError(what)
    try:
        result = Prepared.from_dict(reply)
    except (KeyError, ValueError, TypeError):
        return failure(path)
    v = result.verdict
    if v.reason is not None:
        v = type(v)(**{**v.to_dict(), "reason": visible_text(v.reason, 1000)})
        result = Prepared(
            v, result.stored_path, result.stored_sha256, result.stored_mime, result.thumbnail_path
        )
    if v.reason == reasons.SANDBOX and not v.sha256:
        return failure(path)
    if work_dir is not None and v.accepted and not _inside(result, work_dir):
        return failure(path)
    return result


def _inside(result: Prepared, work_dir: Path) -> bool:
    """Whether the worker wrote both outputs directly inside work_dir, as asked."""
    root = work_dir.resolve()
    paths = (result.stored_path, result.thumbnail_path)
    return all(p is not None and p.resolve().parent == root and p.is_file() for p in paths)
