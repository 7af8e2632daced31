"""The app driven by Pilot at 80x24: sign in, send a case, answer as the patient, see it as staff."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.widgets import DataTable, Input, OptionList, Static, TextArea

from tests.conftest import ELIN, JOHAN
from tui_app.core.rules import CaseState
from tui_app.core.template import DEFAULT_TEXT, render_patient_view
from tui_app.services.context import Context
from tui_app.ui.app import build_app
from tui_app.ui.base import RunFinished, StatusLine


def _running(app) -> list:  # type: ignore[no-untyped-def]
    """The app's own service workers still running (a DirectoryTree keeps a loader worker)."""
    return [w for w in app.workers if w.name.startswith("svc:") and not w.is_finished]


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until no service worker runs and the screen has handled its messages (never sleep).

    Rounds repeat until one ends on the screen it began on with no worker running: an answer
    may push a screen, and that screen's mount may start the next worker. Pilot's own wait
    is by messages (every queued message handled); the loop is bounded by a count, not time.
    """
    from textual.worker import WorkerCancelled, WorkerFailed

    for _ in range(50):
        screen = pilot.app.screen
        for w in _running(pilot.app):
            try:
                await w.wait()
            except (WorkerCancelled, WorkerFailed):
                pass  # a screen that went away takes its workers with it
        await pilot.pause()
        if pilot.app.screen is screen and not _running(pilot.app):
            return
    raise AssertionError("the app kept starting work: 50 rounds without settling")


async def press(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Press keys one at a time, each handled (and what it started settled) before the next:
    a key pressed while the previous one is still on its way would go to the old screen."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def sign_out(pilot) -> None:  # type: ignore[no-untyped-def]
    """Esc back to the start screen, then `x`: the sign-in picker, the app still running."""
    await press(pilot, "escape", "x")
    assert type(pilot.app.screen).__name__ == "SignInScreen"
    assert pilot.app.return_code is None and pilot.app.actor is None


def status(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(StatusLine).render())


async def sign_in_as(pilot, label: str) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    ol = pilot.app.screen.query_one(OptionList)
    for i in range(ol.option_count):
        if label in str(ol.get_option_at_index(i).prompt):
            ol.highlighted = i
            break
    else:
        raise AssertionError(f"{label} not in the sign-in list")
    await pilot.press("enter")
    await settle(pilot)


async def test_r06_staff_send_patient_answers_staff_sees_answer(ctx: Context) -> None:
    ctx.demo = True
    seen: list[str] = []
    kept: list[object] = []

    def hook(message: object) -> None:
        # A message bubbles from the screen to the app: count each one once.
        if isinstance(message, RunFinished) and not any(m is message for m in kept):
            kept.append(message)
            seen.append(f"{'failed' if message.failed else 'done'}:{message.key}")

    app = build_app(ctx)
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await sign_in_as(pilot, "danan12")
        assert type(app.screen).__name__ == "InboxScreen"
        await pilot.press("n")
        await settle(pilot)
        sel = app.screen.query_one("#unit")
        sel.value = next(u.id for u in app.actor.units if u.code == "REUM-SKO")
        await pilot.press(*"20000125-2386", "enter")
        await settle(pilot)
        area = app.screen.query_one("#text", TextArea)
        assert area.text == DEFAULT_TEXT
        await pilot.press("f2", "j")  # send, confirmed in the summary
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"
        case_id = app.screen.view.case_id
        flow = [m for m in seen if not m.endswith(("._listed", "._counted"))]  # list reads
        assert flow[-3:] == [
            "done:NewCaseScreen._drafted",
            "done:NewCaseScreen._sent",
            "done:InboxScreen._opened",
        ], flow

        # The trainer signs out and answers as the patient.
        await sign_out(pilot)
        await sign_in_as(pilot, "Elin Lund")
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "PatientCaseScreen"
        await pilot.press(*"Tack, bilderna kommer.")
        await pilot.press("f2")
        await settle(pilot)
        assert "Ditt svar är skickat" in status(app)

        # Back as staff: the answer is in the case, on the patient's side.
        await sign_out(pilot)
        await sign_in_as(pilot, "danan12")
        table = app.screen.query_one(DataTable)
        assert table.row_count >= 1
        row = app.screen.rows[0]
        assert row.case_id == case_id and row.state is CaseState.ANSWERED
        await pilot.press("enter")
        await settle(pilot)
        view = app.screen.view
        assert [m.from_patient for m in view.messages] == [False, True]
        assert view.messages[1].body == "Tack, bilderna kommer."
        assert view.patient_read_at is not None
        bubbles = app.screen.query("Bubble")
        assert "Tack, bilderna kommer." in str(bubbles.last().render())
        assert bubbles.last().has_class("-patient")


async def test_r04_refusal_is_shown_in_swedish_and_app_keeps_running(ctx: Context) -> None:
    ctx.demo = True
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "danan12")
        await pilot.press("n")
        await settle(pilot)
        # The first unit in the list is Hudmottagningen; Reumatologi has no relation with Johan.
        sel = app.screen.query_one("#unit")
        sel.value = next(u.id for u in app.actor.units if u.code == "REUM-SKO")
        await pilot.press(*JOHAN, "enter")
        await settle(pilot)
        assert "ingen vårdrelation" in status(app) and "(R04)" in status(app)
        assert not app.screen.query_one("#editor").display
        await pilot.press("f2")  # nothing to send: the key is disabled, nothing happens
        await settle(pilot)
        inp = app.screen.query_one("#pnr", Input)
        inp.value = ""
        await pilot.press(*"19900222-2398", "enter")
        await settle(pilot)
        assert "kontrollsiffran" in status(app)


async def test_r05_goto_other_units_case_is_refused(ctx: Context) -> None:
    from tests.conftest import send

    from tests.conftest import staff
    from tui_app.services import admin

    lena = staff(ctx, "lenjo54")
    karin = staff(ctx, "karjo7")
    ort = next(u.id for u in karin.units if u.code == "ORT-LID")
    admin.set_unit_flag(ctx, lena, ort, "template_installed", True)
    other = send(ctx, "karjo7", "199002222397", "ORT-LID")
    app = build_app(ctx, staff(ctx, "marsv3"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.press(*str(other), "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "InboxScreen"
        assert f"Ärende {other} finns inte bland dina enheters ärenden" in status(app)
        await pilot.press("g")
        await pilot.press(*"abc", "enter")
        await settle(pilot)
        assert "inte ett ärendenummer" in str(app.screen.query_one("#dialog-error").render())
        await pilot.press("escape")


async def test_r07_r12_demo_clock_closes_the_case_on_screen(ctx: Context, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import send, staff

    send(ctx, pnr=ELIN)
    ctx.demo = True
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.rows[0].state is CaseState.WAITING
        clock.advance(timedelta(days=2))  # what "t" → "+2 dagar" does with the real clock
        await pilot.press("u")
        await settle(pilot)
        assert app.screen.rows[0].state is CaseState.CLOSED_AUTO
        cell = app.screen.query_one(DataTable).get_cell_at((0, 2))
        assert "Avslutat automatiskt" in str(cell)


async def test_r07_patient_page_after_deadline_refuses_reply(ctx: Context, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import patient, send

    send(ctx, pnr=ELIN)
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        clock.advance(timedelta(hours=48))  # the deadline passes while the page is open
        await pilot.press(*"Sent svar", "f2")
        await settle(pilot)
        assert "tar inte emot fler svar" in status(app) and "(R07)" not in status(app)
        assert app.screen.query_one("#reply", TextArea).text == "Sent svar"  # nothing lost


async def test_r06_patient_sees_the_message_exactly_as_spec(ctx: Context) -> None:
    from tests.conftest import patient, send

    send(ctx, pnr=ELIN)
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        page = app.screen.query_one("#page")
        shown = []
        for w in page.children:
            if isinstance(w, Static) and w.has_class("page-text"):
                r = w.render()
                shown.append(r.plain if isinstance(r, Text) else str(r))
            elif type(w).__name__ == "Button":
                shown.append(f"[{w.label}]")
        expected = render_patient_view(
            "Reumatologi - testenhet för 1177, Skövde",
            DEFAULT_TEXT,
            "Daniel",
            "2026-06-04",
            "2026-06-04 09:48",
        )
        assert "\n\n".join(shown) == expected


async def test_keys_can_be_remapped_and_the_palette_lists_screen_actions(ctx: Context) -> None:
    from tests.conftest import staff
    from tui_app.config import Settings
    from tui_app.ui.commands import ScreenActions

    ctx.config = Settings(data_dir=ctx.data_dir, keys={"new_case": "f2"})
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        provider = ScreenActions(app.screen)
        names = [desc for desc, _, _ in provider._actions()]
        assert "Nytt ärende" in names and "Sök" in names
        assert "Flytta klockan" not in names and "Klocka+" not in names  # not demo mode
        await pilot.press("f2")  # remapped from n
        await settle(pilot)
        assert type(app.screen).__name__ == "NewCaseScreen"
        await pilot.press("escape", "f1")
        await settle(pilot)
        assert type(app.screen).__name__ == "HelpScreen"


async def test_a_double_f2_sends_one_case(ctx: Context) -> None:
    from sqlmodel import Session, select

    from tests.conftest import staff
    from tui_app.store.models import Case

    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one("#unit").value = next(
            u.id for u in app.actor.units if u.code == "REUM-SKO"
        )
        await pilot.press(*"20000125-2386", "enter")
        await settle(pilot)
        await pilot.press("f2", "f2", "j")
        await settle(pilot)
    with Session(ctx.engine) as s:
        assert len(s.exec(select(Case)).all()) == 1


async def test_r02_r04_r24_admin_fixes_units_and_reviews_the_log_by_keyboard(ctx: Context) -> None:
    from tests.conftest import staff
    from tui_app.services import admin

    app = build_app(ctx, staff(ctx, "lenjo54"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        units = app.screen.unit_rows
        ort = next(i for i, u in enumerate(units) if u.code == "ORT-LID")
        app.screen.query_one("#units", DataTable).move_cursor(row=ort)
        await pilot.press("m")  # install the template (R02)
        await settle(pilot)
        assert next(u for u in admin.units(ctx) if u.code == "ORT-LID").template_installed
        reum = next(i for i, u in enumerate(app.screen.unit_rows) if u.code == "REUM-SKO")
        app.screen.query_one("#units", DataTable).move_cursor(row=reum)
        await pilot.press("v")
        await pilot.press(*"19780308-2374", "enter")  # Johan gets a care relation (R04)
        await settle(pilot)
        assert "Vårdrelation tillagd för Johan Ström" in status(app)
        await pilot.press("l")
        await settle(pilot)
        assert type(app.screen).__name__ == "AuditScreen"
        assert app.screen.query_one(DataTable).row_count >= 3
        await pilot.press("k")
        await settle(pilot)
        assert "obruten" in status(app)


async def test_sign_out_leaves_no_screen_reading_a_signed_out_actor(ctx: Context) -> None:
    """Issue 9.1: `x` after opening a case and Esc back must not crash.

    The crash came from the inbox's footer: a recompose it had queued ran after sign-out had
    cleared the actor and before the inbox was removed, and `check_action` read the missing
    actor. Here that gap is entered on purpose, with no timing: sign out, then do what the
    queued recompose does, and once more after the inbox is gone.
    """
    from tests.conftest import send
    from tui_app.ui.widgets import AppFooter

    send(ctx, pnr=ELIN)
    ctx.demo = True
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "danan12")
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"
        await pilot.press("escape")
        await settle(pilot)
        inbox = app.screen
        assert type(inbox).__name__ == "InboxScreen"
        footer = inbox.query_one(AppFooter)
        app.sign_out()  # what `x` does
        assert type(app.screen).__name__ == "SignInScreen"
        assert {k: a.enabled for k, a in inbox.active_bindings.items()}["n"]  # the gap
        await footer.recompose()
        await settle(pilot)
        assert not inbox.is_attached  # the inbox is gone, still nothing reads a None actor
        assert inbox.check_action("new_case", ()) is True
        assert app.return_code is None and type(app.screen).__name__ == "SignInScreen"
        await sign_in_as(pilot, "marsv3")
        assert type(app.screen).__name__ == "InboxScreen" and app.screen.actor.login == "marsv3"


async def test_a_popped_screens_footer_asks_nothing_of_it(ctx: Context) -> None:
    """Issue 9.1, the same gap for Esc: a footer recompose queued before the case screen was
    popped ran while the screen was being torn down and its check_action queried a table
    that was already gone (NoMatches). Entered on purpose here, with no timing."""
    from tests.conftest import send, staff
    from tui_app.ui.widgets import AppFooter

    send(ctx, pnr=ELIN)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        case = app.screen
        assert type(case).__name__ == "CaseScreen"
        footer = case.query_one(AppFooter)
        asked: list[str] = []
        original = case.check_action

        def check_action(action: str, parameters: tuple[object, ...]) -> bool | None:
            asked.append(action)
            return original(action, parameters)

        case.check_action = check_action  # type: ignore[method-assign]
        app.pop_screen()  # what Esc does
        await footer.recompose()  # what the queued recompose does, before the removal
        assert asked == []
        await settle(pilot)
        assert type(app.screen).__name__ == "InboxScreen" and app.return_code is None
