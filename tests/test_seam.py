"""The seam between screens and use cases: one typed runner, one services surface, no I/O on the
UI thread, and staged files handed to the UI as tokens (issue 13, section 1)."""

from __future__ import annotations

import ast
import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen

from tests.conftest import ELIN, ROOT, patient, send
from tests.handling_fixtures import SAMPLES
from tests.test_architecture import all_imports, imports_of
from tui_app.core.errors import UserError
from tui_app.services.context import Context
from tui_app.ui.base import Policy, Runner, StatusLine

UI = ROOT / "tui_app" / "ui"
WAIT = 60.0  # seconds: a bound for a blocked worker on a loaded machine, never a pace


# ---------------------------------------------------------------- the shape of the code


def test_ui_reaches_services_only_through_the_api_module() -> None:
    for f in UI.rglob("*.py"):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        bad = {
            m
            for m in all_imports(tree)
            if m.startswith("tui_app.services")
            and m not in ("tui_app.services.api", "tui_app.services")
        }
        # `from tui_app.services import api` names the package; only `api` may come from it.
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "tui_app.services":
                bad |= {f"tui_app.services.{a.name}" for a in node.names if a.name != "api"}
        assert not bad, f"{f.relative_to(ROOT)} imports {bad}"


def test_the_api_module_is_cheap_to_import() -> None:
    """It is imported while the first inbox is painted: nothing of the data layer at import."""
    import subprocess
    import sys

    script = (
        "import sys, tui_app.services.api;"
        "print(sorted(m for m in ('sqlalchemy','sqlmodel','tui_app.store.db',"
        "'tui_app.services.cases','tui_app.services.handling') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_every_api_name_is_there_and_typed() -> None:
    import inspect

    from tui_app.services import api

    for name in api.__all__:
        assert getattr(api, name) is not None, name
    for name, fn in vars(api).items():
        if (
            inspect.isfunction(fn)
            and fn.__module__.startswith(api.__name__)
            and not name.startswith("_")
        ):
            hints = fn.__annotations__
            assert "return" in hints and hints["return"] not in ("object", "Any"), name
            params = inspect.signature(fn).parameters
            assert all(p in hints for p in params), name


def test_the_old_dispatch_by_name_is_gone() -> None:
    """No call_service, no ServiceDone, no done_<tag> handlers: results go where the call says."""
    for f in UI.rglob("*.py"):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert not node.name.startswith("done_"), f"{f.name}: {node.name}"
            if isinstance(node, ast.Attribute):
                assert node.attr != "call_service", f.name
                if isinstance(node.value, ast.Name) and node.value.id != "Policy":
                    assert node.attr not in ("ONCE", "LATEST"), f"{f.name}: {node.attr}"
            if isinstance(node, ast.ClassDef):
                assert node.name not in ("ServiceDone", "ServiceFailed", "ServiceMixin"), f.name


#: Methods that touch the file system or the database (the file picker browses folders in its
#: own workers, and the terminal probe talks to the terminal: both are not screens of ours).
IO_ATTRS = {
    "is_dir",
    "is_file",
    "exists",
    "iterdir",
    "glob",
    "rglob",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "unlink",
    "mkdir",
    "rmdir",
    "stat",
    "resolve",
    "engine",
}
NOT_SCREENS = {"filepicker.py", "termcaps.py", "keys.py"}


def test_no_file_or_database_access_in_screen_code() -> None:
    """Every file and database access runs in the runner's worker, in the use case it calls."""
    for f in UI.rglob("*.py"):
        if f.name in NOT_SCREENS:
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                assert node.attr not in IO_ATTRS, (
                    f"{f.relative_to(ROOT)}:{node.lineno} .{node.attr}"
                )
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", f"{f.relative_to(ROOT)}:{node.lineno} open()"
        assert not {"shutil", "sqlite3", "sqlmodel", "sqlalchemy"} & {
            m.split(".")[0] for m in imports_of(f)
        }, f.name


# ---------------------------------------------------------------- the runner, driven by Pilot


class Probe(Runner, Screen[None]):
    """A screen that only runs calls."""

    def compose(self) -> ComposeResult:
        yield StatusLine()


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.probe = Probe()

    def on_mount(self) -> None:
        self.push_screen(self.probe)


def blocked(value: Any, gate: threading.Event, ran: list[Any]) -> Callable[[], Any]:
    """A call that records it ran, then waits for the test to open its gate."""

    def call() -> Any:
        ran.append(value)
        assert gate.wait(WAIT), "the test never opened the gate"
        return value

    return call


async def finish(pilot: Any, screen: Runner) -> None:
    """Wait (by condition) until every call of the screen ended and its answer was handled."""
    for w in list(pilot.app.workers):
        if w.name.startswith("svc:"):
            await w.wait()
    await pilot.pause()


async def test_a_double_press_under_once_runs_once() -> None:
    app = Host()
    async with app.run_test() as pilot:
        s = app.probe
        gate, ran, got = threading.Event(), [], []
        s.run(blocked(1, gate, ran), on_done=got.append, policy=Policy.ONCE)
        s.run(blocked(2, gate, ran), on_done=got.append, policy=Policy.ONCE)  # ignored
        gate.set()
        await finish(pilot, s)
        assert ran == [1] and got == [1]
        # Once it has ended, the next press runs again.
        s.run(blocked(3, gate, ran), on_done=got.append, policy=Policy.ONCE)
        await finish(pilot, s)
        assert got == [1, 3]


async def test_always_runs_every_press_and_latest_delivers_only_the_newest() -> None:
    app = Host()
    async with app.run_test() as pilot:
        s = app.probe
        old, new, ran, got = threading.Event(), threading.Event(), [], []
        s.run(blocked("old", old, ran), on_done=got.append, policy=Policy.LATEST)
        s.run(blocked("new", new, ran), on_done=got.append, policy=Policy.LATEST)
        new.set()  # the newer answer comes first ...
        await finish_one(pilot, lambda: got == ["new"])
        old.set()  # ... and the older one, coming later, is dropped
        await finish(pilot, s)
        assert sorted(ran) == ["new", "old"] and got == ["new"]

        gate, ran2, got2 = threading.Event(), [], []
        gate.set()
        s.run(blocked("a", gate, ran2), on_done=got2.append)
        s.run(blocked("b", gate, ran2), on_done=got2.append)
        await finish(pilot, s)
        assert sorted(got2) == ["a", "b"]


async def finish_one(pilot: Any, done: Callable[[], bool]) -> None:
    """Wait until `done()` holds, handling messages (bounded by rounds, not by time)."""
    for _ in range(10_000):
        if done():
            return
        await pilot.pause()
    raise AssertionError("the answer never came")


async def test_results_go_to_the_callback_given_at_the_call() -> None:
    app = Host()
    async with app.run_test() as pilot:
        s = app.probe
        gate = threading.Event()
        gate.set()
        first: list[int] = []
        second: list[str] = []
        s.run(lambda: 41 + 1, on_done=first.append)
        s.run(lambda: "svar", on_done=second.append)
        errors: list[UserError] = []

        def refuse() -> int:
            raise UserError("Nej, inte nu.")

        s.run(refuse, on_done=first.append, on_error=errors.append)
        await finish(pilot, s)
        assert first == [42] and second == ["svar"]
        assert [e.message for e in errors] == ["Nej, inte nu."]


async def test_a_refusal_without_on_error_is_shown_in_swedish_never_a_traceback() -> None:
    app = Host()
    async with app.run_test() as pilot:
        s = app.probe

        def broken() -> int:
            raise RuntimeError("internal detail 19121212-1212")

        got: list[int] = []
        s.run(broken, on_done=got.append)
        await finish(pilot, s)
        shown = str(s.query_one(StatusLine).render())
        assert got == [] and shown.startswith("✗ ")
        assert "19121212" not in shown and "Traceback" not in shown


async def test_a_popped_screens_answer_is_dropped() -> None:
    app = Host()
    async with app.run_test() as pilot:
        s = app.probe
        gate, ran, got = threading.Event(), [], []
        s.run(blocked("late", gate, ran), on_done=got.append)
        await finish_one(pilot, lambda: ran == ["late"])
        app.pop_screen()  # e.g. a sign-out
        await pilot.pause()
        gate.set()
        for w in list(app.workers):
            if w.name.startswith("svc:"):
                await w.wait()
        await pilot.pause()
        assert got == []  # never delivered to a screen that has left the stack


# ---------------------------------------------------------------- staged files as tokens


def test_the_ui_gets_a_token_and_the_paths_stay_in_services(ctx: Context) -> None:
    from tui_app.services import api, files

    token = api.stage_file(ctx, SAMPLES / "handled.jpg")
    assert token.accepted and token.name == "handled.jpg" and token.kind == "JPEG"
    for field in dataclasses.fields(token):
        value = getattr(token, field.name)
        assert not isinstance(value, Path), field.name
        assert str(ctx.data_dir) not in str(value), field.name
    (staged,) = files.staged_for(ctx, [token.id])
    assert staged.stored_path is not None and staged.stored_path.is_file()
    api.discard_staged(ctx, token)
    assert not staged.stored_path.exists()
    with pytest.raises(UserError):
        files.staged_for(ctx, [token.id])  # a removed file cannot be sent


def test_a_reply_sends_the_files_behind_its_tokens_and_forgets_them(ctx: Context) -> None:
    from tui_app.services import api, files

    number = send(ctx, pnr=ELIN)
    elin = patient(ctx, ELIN)
    token = api.stage_file(ctx, SAMPLES / "handled.jpg")
    api.patient_reply(ctx, elin, number, "Bilden.", [token])
    view = api.patient_open_case(ctx, elin, number)
    assert [f.display_name for f in view.messages[-1].files] == ["handled.jpg"]
    with pytest.raises(UserError):
        files.staged_for(ctx, [token.id])
    left = api.stage_file(ctx, SAMPLES / "handled.jpg")
    (staged,) = files.staged_for(ctx, [left.id])
    assert files.discard_all_tokens(ctx) == 1  # what the app does for unsent files at exit
    assert staged.stored_path is not None and not staged.stored_path.exists()


async def test_removing_a_chosen_file_deletes_it_off_the_ui_thread(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_ui_files import attach
    from tests.test_ui_flow import settle
    from tui_app.services import files
    from tui_app.services.files import tokens as file_tokens
    from tui_app.ui.app import build_app

    threads: list[str] = []
    real = files.discard_staged

    def spy(c: Context, staged: files.StagedFile) -> None:
        threads.append(threading.current_thread().name)
        real(c, staged)

    # discard_token looks the name up in the module that holds the token map
    monkeypatch.setattr(file_tokens, "discard_staged", spy)
    send(ctx, pnr=ELIN)
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await attach(pilot, SAMPLES / "handled.jpg")
        lst = app.screen.query_one("#attachments")
        lst.focus()
        await pilot.press("d")
        await settle(pilot)
        assert app.screen.staged == []
    assert threads and threading.main_thread().name not in threads


def test_chosen_files_never_sent_leave_with_the_process(ctx: Context, tmp_path: Path) -> None:
    """The token map is emptied at exit: a patient who chose files and quit leaves nothing."""
    import subprocess
    import sys

    url = ctx.engine.url.render_as_string(hide_password=False)
    script = f"""
from pathlib import Path
from tui_app.services import api
from tui_app.services.context import open_context
ctx = open_context({url!r}, Path({str(ctx.data_dir)!r}))
token = api.stage_file(ctx, Path({str(SAMPLES / "handled.jpg")!r}))
assert token.accepted
print(sum(1 for p in (ctx.data_dir / "staging").rglob("*") if p.is_file()))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"  # the cleaned file and its thumbnail, while it ran
    left = [p for p in (ctx.data_dir / "staging").rglob("*") if p.is_file()]
    assert left == []
