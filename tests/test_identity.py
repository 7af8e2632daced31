"""Who acts is the process's real uid, never the environment (issue 9 item 5; R05, R24)."""

from __future__ import annotations

import json
import os
import pwd
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import ANNA, DEMO
from tests.test_cli import ME, me_as, run

#: Every variable getpass and shells use for the login name; an attacker sets them all.
SPOOF = {name: "lenjo54" for name in ("LOGNAME", "USER", "USERNAME", "LNAME")}
NOBODY = pwd.getpwnam("nobody")


@pytest.fixture
def sudo_policy():  # type: ignore[no-untyped-def]
    from tui_app.services import actor

    yield actor.trust_sudo_for
    actor.trust_sudo_for(None)


def test_r24_os_login_is_the_real_uid_whatever_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tui_app.services.actor import os_login

    for name, value in SPOOF.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SUDO_UID", str(NOBODY.pw_uid))  # not trusted unless configured
    assert os_login() == ME != "lenjo54"


def _demo_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from tui_app.cli import make_demo_context
    from tui_app.config import Settings

    ctx = make_demo_context(tmp_path / "demo")
    settings = Settings(
        data_dir=tmp_path / "demo", database_url=f"sqlite:///{tmp_path / 'demo' / 'demo.sqlite'}"
    )
    return ctx, settings


def test_r24_run_signs_in_the_real_login_not_logname(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_app.cli import _parser, start_app
    from tui_app.core.errors import NotFound
    from tui_app.services.seed import load_file

    ctx, settings = _demo_settings(tmp_path)
    for name, value in SPOOF.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(NotFound, match=f"”{ME}” är inte registrerad"):
        start_app("run", _parser().parse_args(["run"]), settings)  # lenjo54 exists: not taken
    load_file(ctx, me_as(tmp_path))  # the real login as a nurse
    ctx.engine.dispose()
    app = start_app("run", _parser().parse_args(["run"]), settings)
    assert app.actor.login == ME and not app.actor.is_admin


def test_r05_load_cannot_escalate_through_login_variables(tmp_path: Path) -> None:
    assert run(["load", str(DEMO)], tmp_path).returncode == 0  # first set-up: lenjo54 is admin
    escalate = me_as(tmp_path, is_admin=True)
    out = run(["load", str(escalate)], tmp_path, env=SPOOF)
    assert out.returncode == 1 and "Bara en administratör" in out.stderr and f"”{ME}”" in out.stderr
    with sqlite3.connect(tmp_path / "data" / "tui_app.sqlite") as db:
        assert db.execute("SELECT count(*) FROM staff WHERE login = ?", (ME,)).fetchone() == (0,)
        assert db.execute("SELECT is_admin FROM staff WHERE login = 'lenjo54'").fetchone() == (1,)


def test_r24_audit_export_ignores_login_variables(tmp_path: Path) -> None:
    assert run(["load", str(DEMO)], tmp_path).returncode == 0
    target = tmp_path / "utdrag.csv"
    out = run(["audit", "export", "--patient", ANNA, "--output", str(target)], tmp_path, env=SPOOF)
    assert out.returncode == 1 and f"”{ME}”" in out.stderr and "Traceback" not in out.stderr
    assert not target.exists()


def test_r24_audit_export_by_the_real_administrator_is_logged_as_them(tmp_path: Path) -> None:
    assert run(["load", str(me_as(tmp_path, is_admin=True))], tmp_path).returncode == 0
    assert run(["load", str(DEMO)], tmp_path).returncode == 0
    target = tmp_path / "utdrag.csv"
    out = run(["audit", "export", "--patient", ANNA, "--output", str(target)], tmp_path, env=SPOOF)
    assert out.returncode == 0, out.stderr
    with sqlite3.connect(tmp_path / "data" / "tui_app.sqlite") as db:
        actors = {a for (a,) in db.execute("SELECT actor FROM audit_entry")}
    assert ME in actors and "lenjo54" not in actors


def test_sudo_uid_is_trusted_only_when_running_as_the_configured_service_account(
    sudo_policy, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from tui_app.core.errors import UserError
    from tui_app.services.actor import os_login

    monkeypatch.setenv("SUDO_UID", str(NOBODY.pw_uid))
    sudo_policy(None)
    assert os_login() == ME  # off by default
    sudo_policy("tui_app-not-this-account")
    assert os_login() == ME  # the process is not that account: the variable proves nothing
    sudo_policy(ME)  # this process runs as the service account, as sudo -u would start it
    assert os_login() == "nobody"
    monkeypatch.delenv("SUDO_UID")
    with pytest.raises(UserError, match="inte via sudo"):
        os_login()
    monkeypatch.setenv("SUDO_UID", "12x")
    with pytest.raises(UserError, match="inte via sudo"):
        os_login()


@pytest.mark.skipif(os.getuid() != 0, reason="a root-owned settings file needs root")
def test_service_account_setting_counts_only_in_a_root_owned_file(tmp_path: Path) -> None:
    from tui_app.config import load_settings
    from tui_app.core.errors import UserError

    cfg = tmp_path / "config.toml"
    cfg.write_text(f'service_account = "{ME}"\n', encoding="utf-8")
    cfg.chmod(0o644)
    assert load_settings(cfg).service_account == ME
    cfg.chmod(0o666)
    with pytest.raises(UserError, match="ägs av root"):
        load_settings(cfg)
    os.chown(cfg, NOBODY.pw_uid, -1)
    cfg.chmod(0o644)
    with pytest.raises(UserError, match="ägs av root"):
        load_settings(cfg)


@pytest.mark.skipif(os.getuid() != 0, reason="a root-owned settings file needs root")
def test_cli_takes_sudo_uid_only_with_the_service_account_setting(tmp_path: Path) -> None:
    assert run(["load", str(DEMO)], tmp_path).returncode == 0
    sudo = {**SPOOF, "SUDO_UID": str(NOBODY.pw_uid)}
    out = run(["load", str(me_as(tmp_path, is_admin=True))], tmp_path, env=sudo)
    assert out.returncode == 1 and f"”{ME}”" in out.stderr  # no setting: the real uid
    cfg = tmp_path / "config.toml"
    cfg.write_text(cfg.read_text() + f'service_account = "{ME}"\n', encoding="utf-8")
    out = run(["load", str(me_as(tmp_path, is_admin=True))], tmp_path, env=sudo)
    assert out.returncode == 1 and "”nobody”" in out.stderr  # sudo's record of the person


def test_staff_file_loaded_by_the_real_login_is_logged_as_them(tmp_path: Path) -> None:
    assert run(["load", str(DEMO)], tmp_path, env=SPOOF).returncode == 0  # empty database
    with sqlite3.connect(tmp_path / "data" / "tui_app.sqlite") as db:
        rows = db.execute("SELECT actor FROM audit_entry WHERE action = 'läs in personal'")
        assert [a for (a,) in rows] == [ME]
    assert json.loads(DEMO.read_text(encoding="utf-8"))["staff"]  # sanity: something was loaded
