"""File intake: decide by content whether a patient's file may be received (R09, R10), and clean it.

Every check runs in a sandboxed worker process (`sandbox`); nothing here imports Pillow,
pikepdf, pypdfium2 or libmagic at import time, and nothing imports textual.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_app.intake.verdict import Prepared, Verdict

if TYPE_CHECKING:
    from tui_app.intake.cli import run_check_cli
    from tui_app.intake.sandbox import SandboxConfig

__all__ = [
    "Prepared",
    "SandboxConfig",
    "Verdict",
    "check_path",
    "check_paths",
    "discard",
    "prepare",
    "prepare_many",
    "run_check_cli",
]


def __getattr__(name: str) -> Any:
    """Import the CLI and sandbox parts on first use (the worker process needs neither)."""
    if name == "run_check_cli":
        from tui_app.intake.cli import run_check_cli

        return run_check_cli
    if name == "SandboxConfig":
        from tui_app.intake.sandbox import SandboxConfig

        return SandboxConfig
    raise AttributeError(name)


def check_paths(paths: Sequence[Path], config: SandboxConfig | None = None) -> list[Verdict]:
    """Check files (one worker process for the whole batch); one verdict per path, in order."""
    return [p.verdict for p in _run("check", paths, None, config, None)]


def check_path(path: Path, config: SandboxConfig | None = None) -> Verdict:
    """Check one file fully, in a sandboxed worker process."""
    return check_paths([path], config)[0]


def prepare_many(
    paths: Sequence[Path],
    work_dir: Path,
    config: SandboxConfig | None = None,
    on_wait: Callable[[bool], None] | None = None,
) -> list[Prepared]:
    """Check and clean files in one worker; accepted files are written to work_dir (R08 enforced).

    The caller makes a reply all-or-nothing (R11): if any result is refused, it deletes the
    stored files of the others (`discard`). The worker waits for a server-wide slot first;
    `on_wait(True)` says the files are queued ("väntar på kontroll"), `on_wait(False)` that
    their check has started.
    """
    from tui_app.core.routine import check_file_count

    check_file_count(len(paths))
    return _run("prepare", paths, work_dir, config, on_wait)


def prepare(path: Path, work_dir: Path, config: SandboxConfig | None = None) -> Prepared:
    """Check and clean one file in a sandboxed worker; when accepted, write it to work_dir."""
    return prepare_many([path], work_dir, config)[0]


def discard(results: Sequence[Prepared]) -> None:
    """Delete the stored files and thumbnails of results (for an all-or-nothing reply, R11)."""
    for r in results:
        for p in (r.stored_path, r.thumbnail_path):
            if p is not None:
                p.unlink(missing_ok=True)


def _run(
    op: str,
    paths: Sequence[Path],
    work_dir: Path | None,
    config: SandboxConfig | None,
    on_wait: Callable[[bool], None] | None,
) -> list[Prepared]:
    """Answer what can be answered without opening the file, send the rest to one worker."""
    from tui_app.intake import reasons
    from tui_app.intake.sandbox import parse_reply, run_batch
    from tui_app.intake.verdict import refused

    out: list[Prepared | None] = []
    requests = []
    for path in paths:
        if not os.path.lexists(path) or not path.exists():
            out.append(Prepared(refused(reasons.NOT_FOUND, 0)))
            continue
        out.append(None)
        req = {"op": op, "path": os.path.abspath(path)}
        if work_dir is not None:
            req["work_dir"] = os.path.abspath(work_dir)
        requests.append(req)
    replies = iter(run_batch(requests, config, on_wait) if requests else [])
    return [
        r if r is not None else parse_reply(next(replies), path, work_dir)
        for r, path in zip(out, paths)
    ]
