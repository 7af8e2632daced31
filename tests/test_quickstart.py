"""Start-up without the data layer: the plain-SQL first inbox equals the ORM's, falls back on
anything unusual, never writes, and the app it starts keeps working while the data layer loads."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from textual.widgets import DataTable

from tests.conftest import ANNA, ELIN, JOHAN, MARCO, ROOT, send, staff
from tests.handling_fixtures import Places, case_with_files
from tui_app.core.clock import SystemClock
from tui_app.services import handling
from tui_app.services.cases import inbox
from tui_app.services.context import Context
from tui_app.services.identity import staff_by_login
from tui_app.services.quickstart import InboxSource, quick_start
from tui_app.store.models import Case, Patient, Staff, Unit
from tui_app.store.quick import sqlite_path
from tui_app.ui.app import build_app
from tui_app.ui.base import StatusLine

from tests import pg

# SQLite only by design: the quick start-up read is plain sqlite3 on the database file; with
# PostgreSQL the app always starts the ordinary way (tested by the rest of the suite).
pytestmark = pytest.mark.skipif(pg.enabled(), reason="the start-up read is SQLite-only by design")

LOGINS = ["danan12", "marsv3", "reumgk", "karjo7", "lenjo54"]


def url_of(ctx: Context) -> str:
    return str(ctx.engine.url)


def assert_same_as_orm(ctx: Context) -> None:
    """For every demo login: the quick read equals staff_by_login + the unfiltered inbox (R05)."""
    for login in LOGINS:
        quick = quick_start(url_of(ctx), login, ctx.now())
        actor = staff_by_login(ctx, login)
        if actor.is_admin:  # their start screen needs the data layer anyway
            assert quick is None
            continue
        assert quick is not None, login
        assert quick.actor == actor, login
        assert quick.inbox == inbox(ctx, actor), login


def add_case(
    ctx: Context,
    unit_code: str,
    pnr: str,
    *,
    hours_ago: float = 1,
    handled: bool = False,
    messages: int = 0,
) -> int:
    """A case written straight into the tables (also for units whose rules refuse sending)."""
    with Session(ctx.engine) as s:
        unit = s.exec(select(Unit).where(Unit.code == unit_code)).one()
        p = s.exec(select(Patient).where(Patient.pnr == pnr)).one()
        creator = s.exec(select(Staff).where(Staff.login == "karjo7")).one()
        sent = ctx.now() - timedelta(hours=hours_ago)
        case = Case(
            unit_id=unit.id,
            patient_id=p.id,
            created_by=creator.id,
            sent_at=sent,
            deadline_at=sent + timedelta(hours=48),
            patient_messages=messages,
            handled_at=ctx.now() if handled else None,
        )
        s.add(case)
        s.commit()
        assert case.id is not None
        return case.id


def test_r05_quick_inbox_equals_the_orm_inbox_for_every_login_and_every_state(
    ctx: Context, places: Places
) -> None:
    number, img, _pdf = case_with_files(ctx)  # answered, two files
    handling.decide(ctx, staff(ctx, "danan12"), img, True)  # one file still undecided
    handling.download(ctx, staff(ctx, "danan12"), img)  # one copy not cleaned up
    send(ctx, pnr=MARCO)  # waiting
    send(ctx, login="danan12", pnr=JOHAN, code="HUD-SKO")  # the other unit of danan12
    add_case(ctx, "ORT-LID", ANNA)  # karjo7's units only: never in danan12's inbox
    add_case(ctx, "BARN-FAL", ELIN, handled=True, messages=1)
    add_case(ctx, "REUM-SKO", ANNA, hours_ago=60)  # closed automatically
    add_case(ctx, "REUM-SKO", ELIN, hours_ago=50, messages=2)  # closed after an answer
    assert_same_as_orm(ctx)
    quick = quick_start(url_of(ctx), "danan12", ctx.now())
    assert quick is not None
    assert {r.unit_code for r in quick.inbox} == {"REUM-SKO", "HUD-SKO"}
    row = next(r for r in quick.inbox if r.case_id == number)
    assert (row.file_count, row.todo, row.leftovers) == (2, "Bedöm 1 fil", 1)
    for days in (1, 3):  # deadlines pass: the states and countdowns follow the clock
        ctx.clock.advance(timedelta(days=days))  # type: ignore[attr-defined]
        assert_same_as_orm(ctx)


def test_quick_inbox_keeps_the_limit_and_order_of_the_orm(ctx: Context) -> None:
    from tui_app.services.quickstart import START_ROWS

    for i in range(START_ROWS + 5):
        add_case(ctx, "REUM-SKO", ELIN, hours_ago=(i // 3))  # ties in sent_at: id decides
    quick = quick_start(url_of(ctx), "danan12", ctx.now())
    assert quick is not None and len(quick.inbox) == START_ROWS
    assert quick.inbox == inbox(ctx, staff(ctx, "danan12"))[:START_ROWS]
    assert quick.page.older and not quick.page.newer  # more below: the screen pages on


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_quick_read_falls_back_on_anything_unusual_and_never_writes(
    ctx: Context, tmp_path: Path
) -> None:
    send(ctx)
    db = sqlite_path(url_of(ctx))
    assert db is not None
    ctx.engine.dispose()
    before = digest(db)
    assert quick_start(url_of(ctx), "danan12", ctx.now()) is not None
    assert quick_start(url_of(ctx), "nobody-here", ctx.now()) is None  # refused the usual way
    assert quick_start("postgresql://db.example/tui_app", "danan12", ctx.now()) is None
    assert quick_start("sqlite://", "danan12", ctx.now()) is None  # in memory
    assert digest(db) == before  # query_only: reading changed nothing
    missing = tmp_path / "none.sqlite"
    assert quick_start(f"sqlite:///{missing}", "danan12", ctx.now()) is None
    assert not missing.exists()  # never created here
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    assert quick_start(f"sqlite:///{garbage}", "danan12", ctx.now()) is None
    with sqlite3.connect(db) as conn:  # an older schema: the ordinary path upgrades it first
        conn.execute("UPDATE alembic_version SET version_num = '0003'")
    assert quick_start(url_of(ctx), "danan12", ctx.now()) is None


def test_start_path_paints_the_inbox_before_importing_the_data_layer(tmp_path: Path) -> None:
    from tui_app.cli import make_demo_context

    make_demo_context(tmp_path / "demo").engine.dispose()
    script = f"""
import sys
from pathlib import Path
from tui_app.cli import _parser, start_app
from tui_app.config import Settings
settings = Settings(data_dir=Path({str(tmp_path / "demo")!r}),
                    database_url='sqlite:///' + {str(tmp_path / "demo" / "demo.sqlite")!r})
import tui_app.services.actor as actor
actor.os_login = lambda: 'danan12'
app = start_app('run', _parser().parse_args(['run']), settings)
print('HEAVY', sorted(m for m in ('sqlalchemy', 'sqlmodel', 'pydantic') if m in sys.modules))
print('ROWS', [r.case_id for r in app.ctx.inbox.at_hand(app.actor, None, '', limit=200).rows])
print('LOADED', app.ctx.loaded)
"""
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout
    from tui_app.services.context import open_context
    from tui_app.store.db import sqlite_url

    demo = open_context(sqlite_url(tmp_path / "demo" / "demo.sqlite"), tmp_path / "demo")
    expected = [r.case_id for r in inbox(demo, staff_by_login(demo, "danan12"))]
    demo.engine.dispose()
    assert expected and f"ROWS {expected}" in out.stdout
    assert "LOADED False" in out.stdout


def quick_app(ctx: Context):  # type: ignore[no-untyped-def]
    """The app as `tui-app run` builds it on the quick path: no engine until the thread loads it."""
    url = url_of(ctx)
    quick = quick_start(url, "danan12", ctx.now())
    assert quick is not None
    later = Context(None, ctx.clock, ctx.data_dir, config=ctx.config)
    later.inbox = InboxSource(later, first=quick)
    return build_app(later, quick.actor, load_url=url), later


async def wait_loaded(pilot, ctx: Context) -> None:  # type: ignore[no-untyped-def]
    from tests.test_ui_flow import settle

    import threading

    for _ in range(400):
        # Loaded, and the loader's thread gone: it sets `loaded` first and posts
        # DataLayerLoaded after, so `loaded` alone let settle() return before that message
        # (on a loaded machine the test then saw the refresh it starts run later).
        loaders = [t for t in threading.enumerate() if t.name == "tui_app-data-layer"]
        if ctx.loaded and not any(t.is_alive() for t in loaders):
            break
        await pilot.pause(0.02)
    await settle(pilot)


async def test_quick_start_inbox_refreshes_through_the_data_layer_and_opens_cases(
    ctx: Context,
) -> None:
    first = send(ctx)
    app, later = quick_app(ctx)
    second = send(ctx, pnr=MARCO)  # sent by a colleague after the quick read
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#cases", DataTable)
        assert str(first) in [k.value for k in table.rows]  # painted from the quick read
        await wait_loaded(pilot, later)
        assert [k.value for k in table.rows] == [str(second), str(first)]
        await pilot.press("down", "enter")
        from tests.test_ui_flow import settle

        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"
        assert app.screen.view.case_id == first  # type: ignore[attr-defined]
    later.engine.dispose()


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Loading the data layer waits until the test sets this (in tests it is already imported,
    so it would otherwise be done at once, before any key could be pressed)."""
    import tui_app.services.context as context_mod

    release = threading.Event()
    original = context_mod._open_engine

    def slow(url: str) -> object:
        assert release.wait(30)
        return original(url)

    monkeypatch.setattr(context_mod, "_open_engine", slow)
    return release


async def test_opening_a_case_while_the_data_layer_loads_waits_for_it(
    ctx: Context, held: threading.Event
) -> None:
    first = send(ctx)
    app, later = quick_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "up", "enter")  # the table answers keys while loading
        await pilot.pause(0.2)
        assert not later.loaded and type(app.screen).__name__ == "InboxScreen"
        held.set()
        await wait_loaded(pilot, later)
        assert type(app.screen).__name__ == "CaseScreen"
        assert app.screen.view.case_id == first  # type: ignore[attr-defined]
    later.engine.dispose()


async def test_a_data_layer_that_fails_to_load_is_explained_and_the_app_keeps_running(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui_app.services.context as context_mod

    def broken(url: str) -> object:
        raise OSError("disk gone")

    send(ctx)
    monkeypatch.setattr(context_mod, "_open_engine", broken)
    app, later = quick_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, later)
        await pilot.press("enter")
        from tests.test_ui_flow import settle

        await settle(pilot)
        assert type(app.screen).__name__ == "InboxScreen"
        assert "Databasen kunde inte öppnas" in str(app.screen.query_one(StatusLine).render())
        assert app.screen.query_one("#cases", DataTable).row_count == 1  # still shown


def test_quick_start_through_the_cli_uses_the_os_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_app.cli import _parser, make_demo_context, start_app
    from tui_app.config import Settings

    make_demo_context(tmp_path / "demo").engine.dispose()
    settings = Settings(
        data_dir=tmp_path / "demo", database_url=f"sqlite:///{tmp_path / 'demo' / 'demo.sqlite'}"
    )
    import tui_app.services.actor as actor_mod

    monkeypatch.setattr(actor_mod, "os_login", lambda: "marsv3")
    app = start_app("run", _parser().parse_args(["run"]), settings)
    assert app.actor.login == "marsv3" and app.ctx.inbox.at_hand(app.actor, None, "") is not None
    assert not app.ctx.loaded and isinstance(app.ctx.clock, SystemClock)
    assert app.ctx.config is settings


async def test_new_case_pressed_while_the_data_layer_loads_opens_once_loaded(
    ctx: Context, held: threading.Event
) -> None:
    send(ctx)
    app, later = quick_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "n")  # before loading is done; twice, as an impatient user might
        await pilot.pause(0.2)
        assert not later.loaded and type(app.screen).__name__ == "InboxScreen"
        held.set()
        await wait_loaded(pilot, later)
        assert [type(s).__name__ for s in app.screen_stack] == ["InboxScreen", "NewCaseScreen"]
    later.engine.dispose()


def test_quick_read_falls_back_on_an_unreadable_folder_or_odd_values(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = send(ctx)
    url = url_of(ctx)

    def denied(self: Path) -> bool:
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as m:
        m.setattr(Path, "is_file", denied)
        assert quick_start(url, "danan12", ctx.now()) is None  # no traceback: the usual path
    with sqlite3.connect(sqlite_path(url)) as conn:  # type: ignore[arg-type]
        conn.execute("UPDATE cases SET deadline_at = 'snart' WHERE id = ?", (number,))
    quick = quick_start(url, "danan12", ctx.now())  # the same broken row the query gives
    assert quick is not None and [r.broken for r in quick.inbox] == [True]
    assert quick.inbox == inbox(ctx, staff(ctx, "danan12"))


def test_a_percent_encoded_url_opens_the_same_file_as_sqlalchemy(tmp_path: Path) -> None:
    from tui_app.cli import make_demo_context

    folder = tmp_path / "vår data"
    make_demo_context(folder).engine.dispose()
    url = "sqlite:///" + str(folder / "demo.sqlite").replace(" ", "%20")
    from sqlalchemy import make_url

    assert sqlite_path(url) == Path(make_url(url).database)
    quick = quick_start(url, "danan12", SystemClock().now())
    assert quick is not None and quick.inbox


def test_demo_and_admins_start_the_ordinary_way(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tui_app.cli import _parser, make_demo_context, start_app
    from tui_app.config import Settings

    app = start_app(
        "demo",
        _parser().parse_args(["demo", "--data-dir", str(tmp_path / "d")]),
        Settings(data_dir=tmp_path),
    )
    assert (
        app.ctx.loaded and app.ctx.inbox.at_hand(app.actor, None, "") is None and app.actor is None
    )
    app.ctx.engine.dispose()
    make_demo_context(tmp_path / "demo").engine.dispose()
    settings = Settings(
        data_dir=tmp_path / "demo", database_url=f"sqlite:///{tmp_path / 'demo' / 'demo.sqlite'}"
    )
    import tui_app.services.actor as actor_mod

    monkeypatch.setattr(actor_mod, "os_login", lambda: "lenjo54")
    app = start_app("run", _parser().parse_args(["run"]), settings)
    assert (
        app.ctx.loaded and app.actor.is_admin and app.ctx.inbox.at_hand(app.actor, None, "") is None
    )
    app.ctx.engine.dispose()


async def test_a_failed_load_is_shown_at_once_and_works_again_when_the_cause_is_gone(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui_app.services.context as context_mod
    from tests.test_ui_flow import settle

    original = context_mod._open_engine
    broken = {"now": True}

    def flaky(url: str) -> object:
        if broken["now"]:
            raise OSError("database locked for a while")
        return original(url)

    send(ctx)
    monkeypatch.setattr(context_mod, "_open_engine", flaky)
    app, later = quick_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, later)
        line = app.screen.query_one(StatusLine)
        assert "Databasen kunde inte öppnas" in str(line.render())  # without a key press
        broken["now"] = False
        await pilot.press("u")
        await settle(pilot)
        assert "Databasen" not in str(line.render())
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"
    later.engine.dispose()


async def test_the_cursor_stays_on_its_case_when_new_cases_arrive(ctx: Context) -> None:
    from tests.test_ui_flow import settle

    first = send(ctx)
    send(ctx, pnr=MARCO)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down")  # onto the older case
        table = app.screen.query_one("#cases", DataTable)
        assert app.screen.rows[table.cursor_row].case_id == first  # type: ignore[attr-defined]
        send(ctx, login="danan12", pnr=JOHAN, code="HUD-SKO")  # a colleague sends one more
        await pilot.press("u")
        await settle(pilot)
        assert table.row_count == 3 and table.cursor_row == 2
        assert app.screen.rows[table.cursor_row].case_id == first  # type: ignore[attr-defined]


def test_keys_pressed_while_loading_never_import_the_data_layer_in_the_ui_thread(
    tmp_path: Path,
) -> None:
    """An import in the UI thread would freeze it, or race the loading thread's import."""
    from tui_app.cli import make_demo_context

    make_demo_context(tmp_path / "demo").engine.dispose()
    script = f"""
import asyncio, sys, threading
from pathlib import Path
seen = []
def hook(event, args):
    if event == "import" and threading.current_thread() is threading.main_thread():
        if args[0].split(".")[0] in ("sqlalchemy", "sqlmodel", "pydantic", "alembic"):
            seen.append(args[0])
sys.addaudithook(hook)
import tui_app.services.actor as actor
import tui_app.services.context as context_mod
from tui_app.cli import _parser, start_app
from tui_app.config import Settings
actor.os_login = lambda: "danan12"
release = threading.Event()
original = context_mod._open_engine
def held(url):
    release.wait(30)
    return original(url)
context_mod._open_engine = held
settings = Settings(data_dir=Path({str(tmp_path / "demo")!r}),
                    database_url="sqlite:///" + {str(tmp_path / "demo" / "demo.sqlite")!r})
app = start_app("run", _parser().parse_args(["run"]), settings)
async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "f", "f", "slash", "M", "a", "escape", "g")
        await pilot.press("escape", "u", "enter", "n")
        print("LOADED_DURING_KEYS", app.ctx.loaded)
        release.set()
        await pilot.press("down", "up", "f")  # while the thread imports
        for _ in range(1500):
            if app.ctx.loaded:
                break
            await pilot.pause(0.02)
        for _ in range(100):
            await pilot.pause(0.05)
            if type(app.screen).__name__ != "InboxScreen":
                break
        print("SCREEN", type(app.screen).__name__)
asyncio.run(main())
print("UI_THREAD_IMPORTS", seen)
"""
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "LOADED_DURING_KEYS False" in out.stdout
    assert "UI_THREAD_IMPORTS []" in out.stdout, out.stdout
    assert "SCREEN CaseScreen" in out.stdout or "SCREEN NewCaseScreen" in out.stdout
