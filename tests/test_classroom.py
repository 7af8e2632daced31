"""Classroom mode (issue 17): the exercise's ticks, the shared clock, the classroom folder,
the confined file picker, and the refusal to serve anything but demo data."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ANNA, ROOT, patient, send, staff
from tui_app.classroom import exercise
from tui_app.classroom.exercise import Facts, FileFact, LogFact, steps
from tui_app.classroom.room import open_room
from tui_app.core.errors import UserError
from tui_app.services.context import Context
from tui_app.ui.filepicker import Confinement, complete

SAMPLES = ROOT / "data" / "samples"


def done(facts: Facts) -> set[str]:
    return {s.key for s in steps(facts) if s.done}


# --- the exercise: a pure function over stored facts ------------------------------------------


def test_classroom_exercise_nothing_done_at_start() -> None:
    assert done(Facts()) == set()
    assert [s.key for s in steps(Facts())] == [k for k, _ in exercise.STEPS]


def test_classroom_exercise_each_fact_ticks_its_step() -> None:
    photo, pdf = FileFact("image/jpeg"), FileFact("application/pdf")
    assert done(Facts(cases_sent=1)) == {"send"}
    assert done(Facts(files=(photo,))) == set()  # a photo alone is not the answer asked for
    assert done(Facts(files=(photo, pdf))) == {"answer"}
    assert done(Facts(log=(LogFact("patient:199002222397", "patientsvar", "nekad"),))) == {
        "refused"
    }
    assert done(Facts(log=(LogFact("danan12", "patientsvar", "nekad"),))) == set()
    assert done(Facts(files=(FileFact("image/png", decided=True),))) == {"decide"}
    assert done(Facts(files=(FileFact("image/png", picsara=True),))) == {"picsara"}
    assert done(Facts(files=(FileFact("application/pdf", printed=True),))) == {"earkiv"}
    assert done(Facts(downloads_cleaned=1)) == {"cleanup"}
    assert done(Facts(cases_handled=1)) == {"handled"}
    assert done(Facts(log=(LogFact("lenjo54", "logguppföljning", "ok"),))) == {"log"}
    assert done(Facts(log=(LogFact("lenjo54", "logguppföljning", "nekad"),))) == set()
    assert exercise.summary(steps(Facts(cases_sent=1, cases_handled=1))) == "2/9"


def test_classroom_exercise_counts_only_what_the_trainee_did(ctx: Context) -> None:
    from tui_app.services.files import stage_file
    from tui_app.services.conversation import patient_reply

    earlier = send(ctx)  # stands for the demo's own sample cases: older than the baseline
    base = exercise.take_baseline(ctx)
    assert base.case_id == earlier
    assert done(exercise.load_facts(ctx, base)) == set()
    case_id = send(ctx, pnr=ANNA)
    assert done(exercise.load_facts(ctx, base)) == {"send"}
    anna = patient(ctx, ANNA)
    photo = stage_file(ctx, SAMPLES / "handled.jpg")
    pdf = stage_file(ctx, SAMPLES / "remiss-brev.pdf")
    refused = stage_file(ctx, SAMPLES / "kvitto.jpg")
    assert photo.accepted and pdf.accepted and not refused.accepted
    with pytest.raises(UserError):
        patient_reply(ctx, anna, case_id, "Här är bilden", [photo, refused])
    assert "refused" in done(exercise.load_facts(ctx, base))
    photo = stage_file(ctx, SAMPLES / "handled.jpg")
    patient_reply(ctx, anna, case_id, "Här är bilden", [photo, pdf])
    assert done(exercise.load_facts(ctx, base)) == {"send", "answer", "refused"}
    staff(ctx, "danan12")  # the facts name no person: any trainee's own demo counts


# --- the shared clock -------------------------------------------------------------------------


def test_classroom_shared_clock_moves_every_demo(tmp_path: Path) -> None:
    from tui_app.services.democlock import ClassroomClock, advance_shared, read_shared_offset

    shared = tmp_path / "clock-offset"
    one = ClassroomClock(shared_file=shared)
    two = ClassroomClock(offset=timedelta(hours=2), shared_file=shared)
    before = one.now()
    assert read_shared_offset(shared) == timedelta()
    assert advance_shared(shared, timedelta(days=1)) == timedelta(days=1)
    assert one.now() - before >= timedelta(days=1)
    assert two.now() - one.now() >= timedelta(hours=2) - timedelta(seconds=5)
    assert advance_shared(shared, timedelta(days=1)) == timedelta(days=2)
    assert one.now() - before >= timedelta(days=2)
    with pytest.raises(UserError, match="framåt"):
        advance_shared(shared, timedelta(0))
    shared.write_text("inte ett tal")
    assert read_shared_offset(shared) == timedelta()  # a broken file never breaks a demo


# --- the classroom folder ---------------------------------------------------------------------


def test_classroom_folder_refuses_a_folder_with_other_data(tmp_path: Path) -> None:
    prod = tmp_path / "prod"
    prod.mkdir()
    (prod / "tui_app.sqlite").write_text("riktig data")
    with pytest.raises(UserError, match="annat än en lektion"):
        open_room(prod)
    assert (prod / "tui_app.sqlite").read_text() == "riktig data"


def test_classroom_folder_demos_are_separate_and_removed(tmp_path: Path) -> None:
    room = open_room(tmp_path / "room")
    a, b = room.new_demo("Elev 1"), room.new_demo("Elev 2")
    assert a.path != b.path and {d.id for d in room.demos()} == {a.id, b.id}
    assert oct(os.stat(a.path).st_mode & 0o777) == "0o700"
    room.remove_demo(a)
    assert not a.path.exists() and b.path.exists()
    assert room.demo(b.id) == b and room.demo("../x") is None and room.demo("") is None
    again = open_room(tmp_path / "room")  # a restarted server clears the demos left behind
    assert again.demos() == [] and not b.path.exists()


# --- the confined file picker -----------------------------------------------------------------


@pytest.fixture
def demo_home(tmp_path: Path) -> tuple[Path, Path]:
    """A demo's home with a symlink to /etc and one to a sibling demo, and that sibling."""
    room = open_room(tmp_path / "room")
    mine, other = room.new_demo("Elev 1"), room.new_demo("Elev 2")
    (other.home / "hemligt.jpg").write_bytes(b"annan elevs fil")
    (mine.home / "Downloads").mkdir()
    (mine.home / "Downloads" / "egen.jpg").write_bytes(b"x")
    (mine.home / "etc").symlink_to("/etc")
    (mine.home / "granne").symlink_to(other.home)
    (mine.home / "passwd.jpg").symlink_to("/etc/passwd")
    return mine.home, other.home


def test_classroom_picker_offers_no_link_out_of_the_demo(demo_home: tuple[Path, Path]) -> None:
    home, other = demo_home
    confine = Confinement((SAMPLES, home))
    assert confine.allows(home / "Downloads" / "egen.jpg")
    assert confine.allows(SAMPLES / "kvitto.jpg")
    for outside in (
        home / "etc",
        home / "etc" / "passwd",
        home / "passwd.jpg",
        home / "granne",
        home / "granne" / "hemligt.jpg",
        other / "hemligt.jpg",
        Path("/etc/passwd"),
        home / ".." / ".." / "x",
        Path("/"),
    ):
        assert not confine.allows(outside), outside
    _, names = complete(f"{home}/", confine)
    assert names == ["Downloads"]
    assert complete(f"{home}/etc/", confine) == (f"{home}/etc/", [])
    assert complete("/etc/pass", confine) == ("/etc/pass", [])
    assert complete(f"{home}/granne/", confine) == (f"{home}/granne/", [])
    unconfined = complete(f"{home}/", None)[1]
    assert "etc" in unconfined and "granne" in unconfined  # only classroom mode is confined


async def test_classroom_picker_refuses_paths_outside(demo_home: tuple[Path, Path]) -> None:
    from textual.app import App
    from textual.widgets import Input

    from tui_app.ui.filepicker import FilePickerScreen, SafeDirectoryTree

    home, other = demo_home
    chosen: list[object] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(
                FilePickerScreen(home, confine=Confinement((SAMPLES, home))), chosen.append
            )

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FilePickerScreen)
        tree = screen.query_one(SafeDirectoryTree)
        shown = [str(p) for p in tree.filter_paths(list(home.iterdir()))]
        assert shown == [str(home / "Downloads")]
        for typed in ("/etc/passwd", f"{home}/etc/passwd", f"{home}/granne/hemligt.jpg"):
            inp = screen.query_one("#path", Input)
            inp.value = typed
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is screen and not chosen
            hint = str(screen.query_one("#picker-hint").render())
            assert "går det bara att välja filer i demons egna mappar" in hint
        await pilot.press("f5")  # the next of the demo's folders
        await pilot.pause()
        assert Path(screen.query_one(SafeDirectoryTree).path) == SAMPLES
        inp = screen.query_one("#path", Input)
        inp.value = f"{home}/Downloads/egen.jpg"
        await pilot.press("enter")
        await pilot.pause()
    assert chosen == [home / "Downloads" / "egen.jpg"]


# --- only demo data ---------------------------------------------------------------------------


def _classroom(
    tmp_path: Path, *args: str, config: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUI_APP_", "XDG_"))}
    env["HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(ROOT)
    if config is not None:
        (tmp_path / "config.toml").write_text(config, encoding="utf-8")
        env["TUI_APP_CONFIG"] = str(tmp_path / "config.toml")
    return subprocess.run(
        [sys.executable, "-m", "tui_app", "classroom", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_classroom_refuses_a_production_configuration(tmp_path: Path) -> None:
    out = _classroom(
        tmp_path, "--port", "0", config='database_url = "postgresql://tui@db/tui_app"\n'
    )
    assert out.returncode == 1
    assert "bara med demodata" in out.stderr and "database_url" in out.stderr
    assert "Traceback" not in out.stderr
    out = _classroom(tmp_path, "--port", "0", config='picsara_import_dir = "/srv/picsara"\n')
    assert out.returncode == 1 and "picsara_import_dir" in out.stderr


def test_classroom_refuses_a_production_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "tui_app.sqlite").write_bytes(b"")
    out = _classroom(tmp_path, "--port", "0", config=f'data_dir = "{data}"\n')
    assert out.returncode == 1 and "riktig databas" in out.stderr
    busy = tmp_path / "other"
    busy.mkdir()
    (busy / "patientdata.txt").write_text("x")
    out = _classroom(tmp_path, "--port", "0", "--data-dir", str(busy))
    assert out.returncode == 1 and "annat än en lektion" in out.stderr
    assert (busy / "patientdata.txt").read_text() == "x"


def test_classroom_warns_when_others_can_join() -> None:
    from tui_app.classroom.cli import host_warning

    assert host_warning("127.0.0.1") is None and host_warning("localhost") is None
    assert host_warning("::1") is None
    warning = host_warning("0.0.0.0")
    assert warning is not None and "alla som når den här datorn" in warning


# --- the app of a classroom demo --------------------------------------------------------------


def classroom_demo(tmp_path: Path) -> tuple[Any, Any, Any]:
    """A classroom room with one trainee's demo and that demo's app: (room, demo, app)."""
    from tui_app.classroom.child import picker_roots
    from tui_app.classroom.room import Trainee
    from tui_app.cli import make_demo_context
    from tui_app.services.democlock import ClassroomClock
    from tui_app.ui.app import build_app

    room = open_room(tmp_path / "room")
    demo = room.new_demo("Elev 1")
    ctx = make_demo_context(demo.data)
    ctx.clock = ClassroomClock(shared_file=room.clock_file)
    ctx.classroom = Trainee(demo, room.clock_file, exercise.take_baseline(ctx), picker_roots(demo))
    return room, demo, build_app(ctx)


async def test_classroom_app_opens_on_the_steps_and_ticks_them(tmp_path: Path) -> None:
    from tui_app.classroom.room import read_json
    from tui_app.services.democlock import advance_shared
    from tui_app.ui.exercise import ClassroomApp, ExerciseScreen

    room, demo, app = classroom_demo(tmp_path)
    ctx = app.ctx
    assert isinstance(app, ClassroomApp)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)
        text = str(app.screen.query_one("#exercise-steps").render())
        assert "○ 1. Skicka meddelandet" in text and "Klart: 0 av 9" in text
        assert read_json(demo.progress_file)["done"] == 0
        send(ctx, pnr=ANNA)  # what the trainee's inbox would store
        before = ctx.now()
        advance_shared(room.clock_file, timedelta(days=1))
        app.poll()
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#exercise-steps").render())
        assert "✓ 1. Skicka meddelandet" in text and "Klart: 1 av 9" in text
        assert read_json(demo.progress_file)["steps"][0] == ["send", True]
        said = [n.message for n in app._notifications]
        assert any("Klart: Skicka meddelandet" in m for m in said)
        assert any("Läraren flyttade klockan framåt" in m for m in said)
        assert ctx.now() - before >= timedelta(days=1)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExerciseScreen)
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)


async def test_classroom_trainer_sees_a_sign_in_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trainer's table names who is signed in as soon as the trainee signs in or out, not at
    the next poll (the poll interval is made an hour here, so only the sign-in can write it)."""
    from tui_app.classroom.room import read_json
    from tui_app.ui import exercise as ui_exercise

    monkeypatch.setattr(ui_exercise, "POLL_SECONDS", 3600.0)
    _, demo, app = classroom_demo(tmp_path)
    ctx = app.ctx
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert read_json(demo.progress_file)["signed_in"] == ""
        await pilot.press("escape")  # the step list closes over the sign-in picker
        await pilot.pause()
        app.sign_in(staff(ctx, "danan12"))
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert read_json(demo.progress_file)["signed_in"] == "Daniel Andersson"
        app.sign_out()
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert read_json(demo.progress_file)["signed_in"] == ""
