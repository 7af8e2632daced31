"""Issue 9.2-9.4: what an unexpected error leaves, the app without a terminal, the CLI's errors.

The crash runs the real app on a pseudo-terminal (tests/pty_harness.py) with the test hook
TUI_APP_TEST_CRASH=1, which raises inside the running app once its first screen is painted.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT
from tests.pty_harness import PtyApp, app_env

CSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]")
CRASH_LINE = re.compile(
    r"Kontakta IT-support och uppge tid (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) "
    r"och felkod ([A-Z2-9]{6})\."
)


def test_crash_in_the_app_exits_nonzero_with_one_swedish_line_and_a_private_log(
    tmp_path: Path,
) -> None:
    env = app_env(tmp_path, TUI_APP_TEST_CRASH="1")
    app = PtyApp(["demo", "--data-dir", str(tmp_path / "demo")], env)
    try:
        status = app.wait()
        after = app.modes_now()
    finally:
        app.close()
    text = app.out.decode("utf-8", "replace")
    assert status == 70, (status, text[-800:])
    # The terminal is sane again: the same modes as before (echo, line editing), the app's
    # screen left, and the mouse and bracketed paste turned off again after the last time on.
    assert after == app.modes_before
    for on, off in (
        (b"\x1b[?1049h", b"\x1b[?1049l"),
        (b"\x1b[?1000h", b"\x1b[?1000l"),
        (b"\x1b[?2004h", b"\x1b[?2004l"),
    ):
        if on in app.out:
            assert app.out.rfind(off) > app.out.rfind(on), on
    # One Swedish line, after the app's screen is gone; no traceback, no local variables.
    tail = app.out[app.out.rfind(b"\x1b[?1049l") :].decode("utf-8", "replace")
    tail = CSI.sub("", tail)  # the modes turned off on the way out
    lines = [ln for ln in tail.replace("\r", "").split("\n") if ln.strip()]
    assert len(lines) == 1 and CRASH_LINE.search(lines[0]), tail
    when, error_id = CRASH_LINE.search(lines[0]).groups()  # type: ignore[union-attr]
    for leak in (
        "Traceback",
        "TESTKRASCH-LOKAL",
        "19121212",
        "RuntimeError",
        "locals",
        "patient_text",
        'File "',
    ):
        assert leak not in text, leak
    # The full traceback is in the log, under the id, readable by the account only.
    folder = tmp_path / "state" / "tui_app" / "log"
    log = folder / "tui_app.log"
    body = log.read_text(encoding="utf-8")
    assert f"unexpected error {error_id}" in body and "Traceback" in body
    assert "TUI_APP_TEST_CRASH: a forced error" in body and "_test_crash" in body
    assert "TESTKRASCH-LOKAL" not in body  # a traceback, not the local variables
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_log_file_and_folder_are_private_whatever_the_umask_and_rotate(tmp_path: Path) -> None:
    script = """
import logging, os, sys
os.umask(0)
from tui_app import crashlog
crashlog.MAX_BYTES = 2000
path = crashlog.setup_logging()
for i in range(200):
    logging.getLogger('tui_app.test').warning('line %d ' + 'x' * 40, i)
print(path)
"""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)}
    folder = tmp_path / "state" / "tui_app" / "log"
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)  # made loose before: tightened
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # logging.warning no longer falls through to the terminal
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == ["tui_app.log", *[f"tui_app.log.{i}" for i in range(1, 6)]]
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_app_refuses_to_start_without_a_terminal(tmp_path: Path) -> None:
    env = app_env(tmp_path)
    for args in (["demo", "--data-dir", str(tmp_path / "demo")], []):
        out = subprocess.run(
            [sys.executable, "-m", "tui_app", *args],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )  # a hang guard: the bug was spinning forever
        if args:
            assert out.returncode == 1, out
            assert "Appen behöver en terminal" in out.stderr and "ssh -t" in out.stderr
            assert not (tmp_path / "demo").exists()  # refused before it made a demo
        else:  # `run` says first that the (test runner's) login is not staff at all
            assert out.returncode == 1 and "tui-app:" in out.stderr
        assert "Traceback" not in out.stderr and "\x1b[" not in out.stdout + out.stderr


def test_app_refuses_a_terminal_on_stdin_but_not_stdout(tmp_path: Path) -> None:
    import pty

    env = app_env(tmp_path)
    master, slave = pty.openpty()
    try:
        out = subprocess.run(
            [sys.executable, "-m", "tui_app", "demo", "--data-dir", str(tmp_path / "demo")],
            env=env,
            cwd=ROOT,
            stdin=slave,
            capture_output=True,
            timeout=120,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert out.returncode == 1 and "Appen behöver en terminal" in out.stderr.decode()


@pytest.fixture
def private_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from tui_app import crashlog

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    monkeypatch.setenv("TUI_APP_CONFIG", str(cfg))
    yield tmp_path / "state" / "tui_app" / "log" / "tui_app.log"
    crashlog.teardown_logging()


def test_unexpected_keyerror_is_a_crash_not_an_unknown_code(
    private_log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui_app import cli
    from tui_app.services import sweep

    def broken(ctx: object) -> None:
        raise KeyError("case_id")  # a bug, nothing to do with any file

    monkeypatch.setattr(sweep, "close_expired", broken)
    assert cli.main(["sweep"]) == 70
    err = capsys.readouterr().err
    assert "okänd kod" not in err and "i filen" not in err
    assert CRASH_LINE.search(err) and err.count("\n") == 1
    body = private_log.read_text(encoding="utf-8")
    assert "KeyError: 'case_id'" in body and "in broken" in body


def test_load_file_with_an_unknown_unit_code_says_which(
    private_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from tui_app import cli

    data = json.loads(DEMO.read_text(encoding="utf-8"))
    data["staff"][0]["units"] = ["NO-SUCH-UNIT"]
    bad = tmp_path / "staff.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["load", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "NO-SUCH-UNIT" in err and "finns inte" in err and str(bad) in err
    assert "IT-support" not in err  # the file's fault, said as such: not a crash


def test_an_unwritable_log_never_prints_on_the_terminal(tmp_path: Path) -> None:
    """A home that cannot hold the log: the crash line still comes, and says the log failed."""
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state folder should be")
    script = """
import logging
from tui_app import crashlog
crashlog.setup_logging()
logging.getLogger('tui_app.test').warning('nowhere to go')
raise SystemExit(crashlog.report_crash(KeyError('x')))
"""
    env = {**os.environ, "XDG_STATE_HOME": str(blocker), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 70
    assert CRASH_LINE.search(out.stderr) and "Felloggen kunde inte skrivas" in out.stderr
    assert "Traceback" not in out.stderr and "Logging error" not in out.stderr
    assert out.stderr.count("\n") == 1
