"""The command line: identity from the OS login, sweep for cron, check's exit codes."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

from tests.conftest import DEMO, ROOT

#: The login of the uid running the tests: the only identity the CLI takes (issue 9 item 5).
ME = pwd.getpwuid(os.getuid()).pw_name


def run(
    args: list[str], tmp_path: Path, env: dict[str, str] | None = None, user: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`tui-app ARGS` with data under tmp_path; `user`: act as that staff member (see become)."""
    cfg = tmp_path / "config.toml"
    if not cfg.exists():
        cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    if user is not None:
        become(tmp_path, user)
    full = {**os.environ, "TUI_APP_CONFIG": str(cfg), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tui_app", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def become(tmp_path: Path, login: str) -> None:
    """Let the test's own OS login act as the staff member `login` in tmp_path/data: identity
    is the real uid, never LOGNAME, so that member's row takes ME's login (and whichever row
    had it before gets its own login back). No database yet: nothing to do (first set-up)."""
    import sqlite3

    db, state = tmp_path / "data" / "tui_app.sqlite", tmp_path / ".become"
    if not db.exists():
        return
    with sqlite3.connect(db) as conn:
        if state.exists():
            conn.execute("UPDATE staff SET login = ? WHERE login = ?", (state.read_text(), ME))
        conn.execute("UPDATE staff SET login = ? WHERE login = ?", (ME, login))
    state.write_text(login)


def me_as(tmp_path: Path, **flags: object) -> Path:
    """A staff file making the test's own login a member of Reumatologi, with these flags."""
    f = tmp_path / "me.json"
    reum = json.loads(DEMO.read_text(encoding="utf-8"))["units"][0]
    f.write_text(
        json.dumps(
            {
                "units": [reum],
                "staff": [
                    {
                        "login": ME,
                        "first_name": "Test",
                        "last_name": "Person",
                        "units": ["REUM-SKO"],
                        **flags,
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return f


def test_unknown_os_login_is_refused_cleanly(tmp_path: Path) -> None:
    out = run([], tmp_path, env={"LOGNAME": "nobody-here", "USER": "nobody-here"})
    assert out.returncode == 1
    assert "inte registrerad som personal" in out.stderr and f"”{ME}”" in out.stderr
    assert "nobody-here" not in out.stderr and "Traceback" not in out.stderr


def test_load_then_sweep_from_cron(tmp_path: Path) -> None:
    out = run(["load", str(DEMO)], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "staff: 5" in out.stdout
    out = run(["sweep"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Avslutade automatiskt: 0" in out.stdout


def test_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("datadir = 'x'\n")
    env = {**os.environ, "TUI_APP_CONFIG": str(cfg)}
    out = subprocess.run(
        [sys.executable, "-m", "tui_app", "sweep"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert out.returncode == 1 and "Okänd inställning" in out.stderr


def test_audit_verify_command(tmp_path: Path) -> None:
    run(["load", str(DEMO)], tmp_path)
    out = run(["audit", "verify"], tmp_path)
    assert out.returncode == 0 and "obruten" in out.stdout


def test_only_an_administrator_may_load_staff_once_there_is_one(tmp_path: Path) -> None:
    assert run(["load", str(DEMO)], tmp_path).returncode == 0  # empty database: first set-up
    out = run(["load", str(me_as(tmp_path, is_admin=True))], tmp_path)
    assert out.returncode == 1 and "Bara en administratör" in out.stderr and ME in out.stderr


def test_become_lets_a_test_act_as_a_demo_person(tmp_path: Path) -> None:
    assert run(["load", str(DEMO)], tmp_path).returncode == 0
    dan = tmp_path / "dan.json"
    dan.write_text(
        json.dumps({"staff": [json.loads(DEMO.read_text(encoding="utf-8"))["staff"][0]]})
    )
    assert run(["load", str(dan)], tmp_path, user="lenjo54").returncode == 0  # the admin
    out = run(["load", str(dan)], tmp_path, user="danan12")  # lenjo54 is lenjo54 again
    assert out.returncode == 1 and "Bara en administratör" in out.stderr


def test_an_administrator_by_os_login_may_load(tmp_path: Path) -> None:
    assert run(["load", str(me_as(tmp_path, is_admin=True))], tmp_path).returncode == 0
    out = run(["load", str(DEMO)], tmp_path)
    assert out.returncode == 0, out.stderr


def test_demo_data_dir_refuses_a_folder_with_other_files(tmp_path: Path) -> None:
    import pytest

    from tui_app.cli import make_demo_context
    from tui_app.core.errors import UserError

    keep = tmp_path / "thesis.txt"
    keep.write_text("mitt arbete")
    with pytest.raises(UserError, match="innehåller annat än en demo"):
        make_demo_context(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.txt"]
    assert keep.read_text() == "mitt arbete"


def test_every_command_takes_the_data_dir_choice(tmp_path: Path) -> None:
    other = tmp_path / "annan"
    assert run(["load", str(DEMO), "--data-dir", str(other)], tmp_path).returncode == 0
    assert (other / "tui_app.sqlite").is_file() and not (tmp_path / "data").exists()
    for args in (["sweep"], ["leftovers"], ["audit", "verify"]):
        out = run([*args, "--data-dir", str(other)], tmp_path)
        assert out.returncode == 0, (args, out.stderr)
    assert not (tmp_path / "data").exists()


def _functions(tree: object) -> list[object]:
    import ast

    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]  # type: ignore[arg-type]


def test_the_cli_is_split_into_small_modules_and_functions() -> None:
    import ast

    files = [ROOT / "tui_app" / "cli.py", ROOT / "tui_app" / "bootstrap.py"]
    files += sorted((ROOT / "tui_app" / "commands").glob("*.py"))
    too_long = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 400:
            too_long.append(f"{path.name}: {text.count(chr(10))} lines")
        for fn in _functions(ast.parse(text)):
            length = fn.end_lineno - fn.lineno + 1  # type: ignore[attr-defined]
            if length > 60:
                too_long.append(f"{path.name}:{fn.name} {length} lines")  # type: ignore[attr-defined]
    assert too_long == []


def test_services_return_data_and_leave_printing_and_arguments_to_the_cli() -> None:
    """No print, argparse or sys.stdout/stderr in tui_app/services (issue 13 part 3)."""
    import ast

    found = []
    for path in sorted((ROOT / "tui_app" / "services").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                found.append(f"{path.name}:{node.lineno} print")
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if "argparse" in names:
                    found.append(f"{path.name}:{node.lineno} argparse")
            elif isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr"):
                if getattr(node.value, "id", None) == "sys":
                    found.append(f"{path.name}:{node.lineno} sys.{node.attr}")
    assert found == []


def test_a_verb_is_one_line_in_the_table_and_every_verb_resolves() -> None:
    import importlib

    from tui_app.cli import OPS_VERBS, VERBS, _parser

    sub = next(a for a in _parser()._actions if getattr(a, "choices", None))
    assert set(VERBS) | {"check", *OPS_VERBS} == set(sub.choices)  # type: ignore[arg-type]
    for target in VERBS.values():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(f"tui_app.commands.{module}"), function))
