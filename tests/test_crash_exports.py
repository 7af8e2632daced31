"""Kill -9 during Picsara export, E-arkiv printing and download: nothing lost, nothing falsely done.

Each test runs the step in its own process with TUI_APP_KILLPOINT naming one step, checks it
died by SIGKILL, checks the database, the folders and the access log, runs what the next start
or sweep runs (`resolve_pending`), checks again, and then does the step again by hand: it
must be possible exactly when it was not done (R19, R20, R21, R24). bench/killloop.py does the
same at random moments.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tui_app.core.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("crash_runner", ROOT / "bench" / "crash_runner.py")
assert _spec is not None and _spec.loader is not None
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)

KILLPOINTS = {
    "picsara": [
        "picsara.claimed",
        "picsara.staged",
        "picsara.handing_over",
        "handover.linked",
        "picsara.published",
        "picsara.confirmed",
    ],
    "earkiv": [
        "earkiv.claimed",
        "earkiv.staged",
        "earkiv.handing_over",
        "handover.linked",
        "earkiv.published",
        "earkiv.confirmed",
    ],
    "lp": [
        "earkiv.claimed",
        "earkiv.staged",
        "earkiv.handing_over",
        "earkiv.published",
        "earkiv.confirmed",
    ],
    "download": ["download.intent", "download.staged", "download.visible", "download.done"],
}
# Where the outside system has the file already: the settling must confirm, not release.
SENT_BY = {
    "picsara.handing_over": False,
    "handover.linked": True,
    "picsara.published": True,
    "earkiv.published": True,
    "download.visible": True,
}
CASES = [(op, point) for op, points in KILLPOINTS.items() for point in points]


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("HOME", "XDG_DATA_HOME", "PATH"):  # the runner sets them: undo after the test
        monkeypatch.setenv(name, os.environ.get(name, ""))
    return tmp_path / "run"


def _setup(base: Path, op: str) -> int:
    return int(runner.setup(base, op))


def _run_killed(base: Path, op: str, file_id: int, point: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TUI_APP_KILLPOINT": point}
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "crash_runner.py"),
            "run",
            str(base),
            op,
            str(file_id),
        ],
        env=env,
        capture_output=True,
        text=True,
    )


def _settle(base: Path, op: str) -> list[str]:
    from tui_app.services.context import close_context
    from tui_app.services.pending import resolve_pending

    ctx = runner.context(base, op)
    try:
        return resolve_pending(ctx)
    finally:
        close_context(ctx)


def _again(base: Path, op: str, file_id: int) -> None:
    runner.run(base, op, file_id)


def _log(base: Path, op: str) -> list[tuple[str, str, str]]:
    from tui_app.services.context import close_context
    from tui_app.store.models import AuditEntry

    ctx = runner.context(base, op)
    try:
        with Session(ctx.engine) as s:
            return [(e.actor, e.action, e.detail) for e in s.exec(select(AuditEntry)).all()]
    finally:
        close_context(ctx)


@pytest.mark.parametrize(("op", "point"), CASES, ids=[f"{o}-{p}" for o, p in CASES])
def test_r19_r20_r21_a_kill_at_any_step_loses_nothing_and_fakes_nothing(
    base: Path, op: str, point: str
) -> None:
    file_id = _setup(base, op)
    proc = _run_killed(base, op, file_id, point)
    assert proc.returncode == -signal.SIGKILL, proc.stderr  # it really died there
    info = runner.inspect(base, op, file_id)
    assert runner.problems(info, op, settled=False) == []
    finished = point.endswith((".confirmed", ".done"))
    if op != "download":
        assert info["done"] is finished  # never "I Picsara"/"Utskriven" before it is so
        assert bool(info["pending"]) is not finished  # the case shows it awaits confirmation

    lines = _settle(base, op)
    info = runner.inspect(base, op, file_id)
    assert runner.problems(info, op, settled=True) == []
    assert bool(lines) is not finished  # every crashed claim is settled, and said so
    sent = SENT_BY.get(point, finished)
    if op == "lp" and point == "earkiv.handing_over":
        sent = True  # the job id was recorded: settling released the held job to the printer
    if op == "download":
        assert len(info["copies"]) == (1 if sent else 0)
        assert all(d[2] is None for d in info["downloads"])
    else:
        assert info["done"] is sent and len(info["sent"]) == (1 if sent else 0)
    log = _log(base, op)
    if lines:  # the outcome is in the access log either way (R24)
        assert any("avbr" in a or "bekräftad efter avbrott" in d for _, a, d in log), log

    # Nothing lost: what was not done can be done now, once; what was done is not done twice.
    if op == "download" or not sent:
        _again(base, op, file_id)
        info = runner.inspect(base, op, file_id)
        assert runner.problems(info, op, settled=True) == []
        if op != "download":
            assert info["done"] and len(info["sent"]) == 1 and info["logged_ok"] == 1
    else:
        with pytest.raises(UserError, match="redan"):
            _again(base, op, file_id)


def test_r19_while_a_send_awaits_confirmation_the_case_says_so_and_nothing_can_close_it(
    base: Path,
) -> None:
    from tui_app.services import handling
    from tui_app.services.cases import open_case
    from tui_app.services.context import close_context
    from tui_app.services.identity import staff_by_login

    file_id = _setup(base, "picsara")
    assert _run_killed(base, "picsara", file_id, "picsara.staged").returncode == -signal.SIGKILL
    ctx = runner.context(base, "picsara")
    try:
        dan, maria = staff_by_login(ctx, "danan12"), staff_by_login(ctx, "marsv3")
        view = open_case(ctx, dan, 1)
        f = next(f for f in view.files if f.id == file_id)
        assert f.status == "Picsara väntar på bekräftelse" and f.pending
        assert not f.in_picsara
        with pytest.raises(UserError, match="väntar på bekräftelse"):
            handling.decide(ctx, maria, file_id, False, "fel bild", expected_version=f.version)
        with pytest.raises(UserError, match="väntar på bekräftelse"):
            handling.to_picsara(ctx, dan, file_id, "höger", None)
        with pytest.raises(UserError, match="inte sparad i Picsara"):
            handling.mark_handled(ctx, dan, 1)
    finally:
        close_context(ctx)


def test_r20_a_printed_claim_cannot_be_marked_scanned_before_it_is_confirmed(base: Path) -> None:
    from tui_app.services import handling
    from tui_app.services.cases import open_case
    from tui_app.services.context import close_context
    from tui_app.services.identity import staff_by_login

    file_id = _setup(base, "earkiv")
    assert _run_killed(base, "earkiv", file_id, "earkiv.staged").returncode == -signal.SIGKILL
    ctx = runner.context(base, "earkiv")
    try:
        dan = staff_by_login(ctx, "danan12")
        f = next(f for f in open_case(ctx, dan, 1).files if f.id == file_id)
        assert f.status == "E-arkiv väntar på bekräftelse" and not f.printed
        with pytest.raises(UserError, match="inte utskrivet"):
            handling.mark_scanned(ctx, dan, file_id)
        with pytest.raises(UserError, match="inte utskriven"):
            handling.mark_handled(ctx, dan, 1)
    finally:
        close_context(ctx)


def test_r19_a_claim_of_a_running_process_is_left_alone_until_the_bound(base: Path) -> None:
    import json

    from sqlalchemy import update

    from tui_app.services.context import close_context
    from tui_app.services.pending import PENDING_BOUND, process_owner, resolve_pending
    from tui_app.store.models import Attachment

    file_id = _setup(base, "picsara")
    ctx = runner.context(base, "picsara")
    try:
        ref = {
            "kind": "folder",
            "folder": str(runner.places(base)["picsara"]),
            "names": ["x.dcm"],
            "step": "förbereds",
        }
        with Session(ctx.engine) as s:  # this very process claims it: alive
            s.execute(
                update(Attachment)
                .where(Attachment.id == file_id)
                .values(  # type: ignore[arg-type]
                    pending_action="picsara",
                    pending_by="danan12",
                    pending_owner=process_owner(),
                    pending_at=ctx.now(),
                    pending_ref=json.dumps(ref),
                )
            )
            s.commit()
        assert resolve_pending(ctx) == []
        ctx.clock.advance(PENDING_BOUND + timedelta(seconds=1))  # type: ignore[attr-defined]
        (line,) = resolve_pending(ctx)
        assert "inget skickades" in line
        with Session(ctx.engine) as s:
            a = s.get(Attachment, file_id)
            assert a is not None and a.pending_action is None and a.picsara_at is None
    finally:
        close_context(ctx)


def test_r21_sweep_settles_what_a_crash_left(
    base: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui_app import cli

    file_id = _setup(base, "download")
    assert _run_killed(base, "download", file_id, "download.staged").returncode == -signal.SIGKILL
    p = runner.places(base)
    assert [n for n in os.listdir(p["downloads"]) if n.startswith(".")]  # a temp copy was left
    cfg = base / "config.toml"
    cfg.write_text(f'data_dir = "{p["data"]}"\ndatabase_url = "sqlite:///{p["db"]}"\n')
    monkeypatch.setenv("TUI_APP_CONFIG", str(cfg))
    assert cli.main(["sweep"]) == 0
    out = capsys.readouterr().out
    assert "Avbrutna överföringar som följdes upp: 1" in out and "avbröts" in out
    assert os.listdir(p["downloads"]) == []  # the temp copy is gone, nothing untracked


@pytest.mark.parametrize("point", ["pending.withdrawing", "pending.settled"])
@pytest.mark.parametrize("crashed_at", ["picsara.staged", "picsara.handing_over"])
def test_r19_settling_itself_killed_is_settled_by_the_next_start(
    base: Path, point: str, crashed_at: str
) -> None:
    file_id = _setup(base, "picsara")
    assert _run_killed(base, "picsara", file_id, crashed_at).returncode == -signal.SIGKILL
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TUI_APP_KILLPOINT": point}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "crash_runner.py"), "resolve", str(base), "picsara"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert runner.problems(runner.inspect(base, "picsara", file_id), "picsara", settled=False) == []
    _settle(base, "picsara")
    info = runner.inspect(base, "picsara", file_id)
    assert runner.problems(info, "picsara", settled=True) == []
    assert not info["done"] and not info["sent"]  # it never reached Picsara: not faked either
    _again(base, "picsara", file_id)
    info = runner.inspect(base, "picsara", file_id)
    assert info["done"] and len(info["sent"]) == 1 and info["logged_ok"] == 1
