"""R09 under load: one bound on intake workers per server; the rest queue ("väntar på kontroll")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests import intake_fixtures as fx
from tui_app.intake import Prepared, prepare_many
from tui_app.intake.sandbox import SandboxConfig
from tui_app.intake.slots import slot

HOLDER = """
import sys
from pathlib import Path
from tui_app.intake.slots import slot
with slot(Path(sys.argv[1]), 1):
    print("held", flush=True)
    sys.stdin.read()
"""


def _holder(folder: Path) -> subprocess.Popen[str]:
    """Another app process on the same server, holding the only slot."""
    p = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    return p


def test_r09_a_file_waits_for_a_worker_held_by_another_process_and_is_then_checked(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "slots"
    holder = _holder(folder)
    events: list[bool] = []
    queued = threading.Event()
    result: list[Prepared] = []

    def on_wait(waiting: bool) -> None:
        events.append(waiting)
        if waiting:
            queued.set()

    src = fx.write(tmp_path, "a.jpg", fx.jpeg())
    t = threading.Thread(
        target=lambda: result.extend(
            prepare_many(
                [src], tmp_path / "work", SandboxConfig(slots_dir=folder, max_workers=1), on_wait
            )
        )
    )
    t.start()
    assert queued.wait(120)
    assert not result and events == [True]  # queued, not refused, while the slot is held
    assert holder.stdin is not None
    holder.stdin.close()  # the other process's check ends
    holder.wait()
    t.join(120)
    assert events == [True, False]
    assert result and result[0].verdict.accepted, result[0].verdict.reason


def test_r09_a_killed_process_never_keeps_its_worker_slot(tmp_path: Path) -> None:
    folder = tmp_path / "slots"
    holder = _holder(folder)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    events: list[bool] = []
    with slot(folder, 1, events.append) as n:
        assert n == 0
    assert events == []  # free at once: the kernel dropped the dead process's lock


def test_r09_without_contention_nothing_is_queued(tmp_path: Path) -> None:
    events: list[bool] = []
    src = fx.write(tmp_path, "b.png", fx.png())
    r = prepare_many(
        [src], tmp_path / "w", SandboxConfig(slots_dir=tmp_path / "s", max_workers=2), events.append
    )[0]
    assert r.verdict.accepted and events == []
