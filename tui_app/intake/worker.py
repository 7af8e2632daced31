"""The sandboxed worker: `python -m tui_app.intake.worker`, one JSON request per line on stdin.

It limits itself before reading any request (address space, CPU time per file, no core dumps,
file size, open files), so a decoder that runs away or crashes costs only this process. Replies
go out on a private copy of stdout; fd 1 is pointed at stderr so that stray output from C
libraries cannot corrupt the protocol.

Test hook: when the environment holds ``TUI_APP_INTAKE_FAULT`` (only `SandboxConfig.extra_env`
puts it there; the parent never passes its own environment on), a request for a file whose name
contains "trigger-fault" misbehaves AFTER the limits are in place: ``memory`` allocates 8 GiB,
``cpu`` spins, ``crash`` aborts, ``hang`` sleeps, ``garbage`` answers with a non-JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import stat
import sys
import time
import traceback
from pathlib import Path
from typing import IO, Any

from tui_app.core.limits import MAX_FILE_BYTES
from tui_app.intake import reasons
from tui_app.intake.verdict import Prepared, Verdict, refused

FAULT_ENV = "TUI_APP_INTAKE_FAULT"
FAULT_MARK = "trigger-fault"
_FSIZE = 512 * 1024 * 1024  # a cleaned animation may be larger than its original
_NOFILE = 64


def apply_limits(memory_bytes: int, cpu_total: int) -> None:
    """Limit this process: address space, CPU seconds in total, core dumps, file size, open files."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_total, cpu_total))
    resource.setrlimit(resource.RLIMIT_FSIZE, (_FSIZE, _FSIZE))
    resource.setrlimit(resource.RLIMIT_NOFILE, (_NOFILE, _NOFILE))


def cpu_budget(seconds: int) -> None:
    """Allow the next file `seconds` more CPU time (SIGXCPU kills the process beyond that)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    used = int(ru.ru_utime + ru.ru_stime) + 1
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    resource.setrlimit(resource.RLIMIT_CPU, (min(used + seconds, hard), hard))


def read_file(path: str) -> bytes | Verdict:
    """The file's bytes, read without following it into a FIFO or device, or a refusal."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        return refused(reasons.NOT_FOUND, 0)
    except PermissionError:
        return refused(reasons.NO_PERMISSION, 0)
    except OSError:
        return refused(reasons.UNREADABLE, 0)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return refused(reasons.NOT_A_FILE, 0)
        if st.st_size > MAX_FILE_BYTES:
            return refused(reasons.TOO_BIG, st.st_size)
        chunks: list[bytes] = []
        total = 0
        while total <= MAX_FILE_BYTES:
            chunk = os.read(fd, min(1 << 22, MAX_FILE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except PermissionError:
        return refused(reasons.NO_PERMISSION, 0)
    except OSError:
        return refused(reasons.UNREADABLE, 0)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return refused(reasons.TOO_BIG, max(total, st.st_size)) if total > MAX_FILE_BYTES else data


def handle(req: dict[str, Any]) -> dict[str, Any]:
    """Answer one request: {"op": "check"|"prepare", "path": ..., "work_dir": ...}."""
    _maybe_fault(req["path"])
    data = read_file(req["path"])
    if isinstance(data, Verdict):
        return {"verdict": data.to_dict()} if req["op"] == "check" else Prepared(data).to_dict()
    from tui_app.intake.check import check_bytes

    verdict, checked = check_bytes(data, ocr=req["op"] == "prepare")
    if req["op"] == "check":
        return {"verdict": verdict.to_dict()}
    if checked is None:
        return Prepared(verdict).to_dict()
    from tui_app.intake.stored import store_checked

    try:
        return store_checked(checked, Path(req["work_dir"])).to_dict()
    except OSError as exc:
        return {"os_error": f"{type(exc).__name__}: {exc}", "errno": exc.errno}
    except (ValueError, TypeError, KeyError, IndexError):
        return Prepared(
            refused(reasons.DAMAGED, verdict.size, verdict.mime, verdict.sha256)
        ).to_dict()


def _maybe_fault(path: str) -> None:
    """The test hook described in the module docstring."""
    fault = os.environ.get(FAULT_ENV)
    if not fault or FAULT_MARK not in os.path.basename(path):
        return
    if fault == "memory":
        bytearray(8 * 1024**3)
    elif fault == "cpu":
        while True:
            pass
    elif fault == "crash":
        os.abort()
    elif fault == "hang":
        time.sleep(3600)
    elif fault == "garbage":
        raise _Garbage


class _Garbage(Exception):
    """Test hook: answer with a line that is not JSON."""


def serve(inp: IO[str], out: IO[str], cpu_seconds: int) -> None:
    """Answer requests until stdin closes."""
    for line in inp:
        req = json.loads(line)
        cpu_budget(cpu_seconds)
        try:
            reply = handle(req)
        except _Garbage:
            out.write("this is not json\n")
            out.flush()
            continue
        except MemoryError:
            reply = {"verdict": refused(reasons.SANDBOX, 0).to_dict()}
        except Exception:  # noqa: BLE001 - a bug or an unforeseen decoder error: refuse, never die
            traceback.print_exc(file=sys.stderr)
            reply = {"verdict": refused(reasons.SANDBOX, 0).to_dict()}
        out.write(json.dumps(reply) + "\n")
        out.flush()
        if os.environ.get("TUI_APP_INTAKE_DEBUG"):
            print(f"intake worker: {_peak_memory()}", file=sys.stderr, flush=True)


def _peak_memory() -> str:
    """This process's peak resident memory (VmHWM), for debugging."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return "?"
    return next((ln for ln in status.splitlines() if ln.startswith("VmHWM")), "?")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the worker process."""
    p = argparse.ArgumentParser(prog="tui_app.intake.worker")
    p.add_argument("--memory", type=int, required=True)
    p.add_argument("--cpu", type=int, required=True, help="CPU seconds per file")
    p.add_argument("--cpu-total", type=int, required=True)
    args = p.parse_args(argv)
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    apply_limits(args.memory, args.cpu_total)
    serve(sys.stdin, out, args.cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
