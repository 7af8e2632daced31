"""R09/R10 checks run in a limited worker process: a crash, bomb or hang costs one refusal, not the app."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import intake_fixtures as fx
from tui_app.intake import SandboxConfig, check_paths, prepare_many
from tui_app.intake.reasons import SANDBOX
from tui_app.intake.verdict import Verdict
from tui_app.intake.worker import FAULT_ENV, FAULT_MARK


def _batch(tmp_path: Path) -> list[Path]:
    return [
        fx.write(tmp_path, "before.png", fx.png()),
        fx.write(tmp_path, f"{FAULT_MARK}.png", fx.png()),
        fx.write(tmp_path, "after.jpg", fx.jpeg()),
    ]


@pytest.mark.parametrize("fault", ["memory", "crash", "garbage"])
def test_r09_worker_failure_is_one_refusal_and_the_batch_goes_on(
    tmp_path: Path, fault: str
) -> None:
    config = SandboxConfig(extra_env={FAULT_ENV: fault})
    before, bad, after = check_paths(_batch(tmp_path), config)
    assert before.accepted and after.accepted
    assert not bad.accepted and bad.reason == SANDBOX
    assert bad.size == len(fx.png()) and len(bad.sha256) == 64  # filled in by the parent


def test_r09_memory_limit_is_real(tmp_path: Path) -> None:
    # The hook allocates 8 GiB; this machine may well have that, so only RLIMIT_AS stops it.
    config = SandboxConfig(memory_bytes=1024**3, extra_env={FAULT_ENV: "memory"})
    before, bad, after = check_paths(_batch(tmp_path), config)
    assert before.accepted and after.accepted  # the worker runs fine within 1 GiB ...
    assert bad.reason == SANDBOX  # ... and the 8 GiB allocation is what fails


# Which limit ended a worker is shown by making the other one unreachable, not by timing the
# run: a run that only the unreachable limit could end trips the hang guard instead (minutes,
# far beyond any load; the limit under test is seconds of CPU or wall time).
HANG_GUARD_S = 300.0
NEVER_S = 24 * 3600.0


def _check_within_guard(paths: list[Path], config: SandboxConfig) -> list[Verdict]:
    done: list[list[Verdict]] = []
    worker = threading.Thread(target=lambda: done.append(check_paths(paths, config)))
    worker.daemon = True
    worker.start()
    worker.join(HANG_GUARD_S)
    assert done, "the check never ended: the limit under test did not stop the worker"
    return done[0]


def test_r09_cpu_limit_kills_a_runaway_decoder(tmp_path: Path) -> None:
    # The wall clock never ends a worker that keeps using CPU before the cap; both are a day.
    config = SandboxConfig(
        cpu_seconds=1,
        wall_seconds=NEVER_S,
        wall_cap_seconds=2 * NEVER_S,
        extra_env={FAULT_ENV: "cpu"},
    )
    before, bad, after = _check_within_guard(_batch(tmp_path), config)
    assert bad.reason == SANDBOX and before.accepted and after.accepted


def test_r09_wall_clock_limit_ends_a_hanging_worker(tmp_path: Path) -> None:
    # The hanging worker sleeps an hour using no CPU, so only the wall clock can end it in time.
    # A worker that is merely slow (a loaded machine) keeps using CPU and is given more periods.
    config = SandboxConfig(wall_seconds=1.0, extra_env={FAULT_ENV: "hang"})
    before, bad, after = _check_within_guard(_batch(tmp_path), config)
    assert bad.reason == SANDBOX and before.accepted and after.accepted


def test_r11_prepare_survives_a_crash_and_stores_only_checked_files(tmp_path: Path) -> None:
    config = SandboxConfig(extra_env={FAULT_ENV: "crash"})
    results = prepare_many(_batch(tmp_path), tmp_path / "work", config)
    assert [r.verdict.accepted for r in results] == [True, False, True]
    assert results[1].stored_path is None


def test_r09_fault_hook_is_off_without_the_test_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULT_ENV, "crash")  # the parent's environment is not passed on
    assert all(v.accepted for v in check_paths(_batch(tmp_path)))


def test_intake_import_defers_heavy_libraries_and_never_imports_textual() -> None:
    script = (
        "import sys, tui_app.intake, tui_app.intake.halfblock, tui_app.core.safetext;"
        "from tui_app.intake import run_check_cli, SandboxConfig;"
        "print(sorted(m for m in ('PIL','pikepdf','pypdfium2','magic','textual')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=fx.ROOT, check=True
    )
    assert out.stdout.strip() == "[]"


def test_r09_busy_worker_cpu_is_seen_across_its_session(tmp_path: Path) -> None:
    """A worker that is slowed down (a loaded server) is told from one that hangs by its CPU."""
    import subprocess
    import sys

    from tui_app.intake.sandbox import session_cpu

    burn = (
        "import os, sys, time\n"
        "while time.process_time() < 0.3: pass\n"
        "print('burnt', flush=True)\nsys.stdin.read()\n"
    )
    p = subprocess.Popen(
        [sys.executable, "-c", burn],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert p.stdout is not None and p.stdout.readline().strip() == "burnt"
        assert session_cpu(p.pid) >= 0.29
        assert session_cpu(999_999_999) == 0
    finally:
        p.kill()
        p.wait()
