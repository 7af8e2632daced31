"""No key does nothing (issue 11.4–11.6, 11.15, 9.7): every footer fits 80 columns in Swedish
key names, shows only what this person can do on this item, and a key pressed anyway says why."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.conftest import ELIN, patient, staff
from tests.handling_fixtures import Places, case_with_files
from tests.test_ui_flow import settle, sign_in_as, status
from tui_app.core.clock import FixedClock, as_utc, fmt_datetime
from tui_app.services import handling
from tui_app.services.context import Context
from tui_app.store.models import AuditEntry
from tui_app.ui.app import build_app
from tui_app.ui.widgets import AppFooter, footer_items, footer_rows, key_label

ENGLISH = re.compile(r"\b(escape|slash|enter|pageup|pagedown|f\d+|question_mark)\b")


def footer_text(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The footer's lines as the terminal shows them."""
    footer = app.screen.query_one(AppFooter)
    return [str(row.render()) for row in footer.query(".footer-row")]


def footer_keys(app) -> set[str]:  # type: ignore[no-untyped-def]
    """The keys the footer offers (enabled or greyed)."""
    return {key for key, _, _ in footer_items(app.screen)}


def check_footer(app, where: str, seen: dict[str, list[str]]) -> None:  # type: ignore[no-untyped-def]
    if not app.screen.query(AppFooter):  # a dialog or a full-screen view: keys in its own text
        seen[where] = []
        return
    lines = footer_text(app)
    seen[where] = lines
    assert lines and all(len(line) <= 80 for line in lines), (where, lines)
    assert len(lines) == 1, (where, lines)  # every screen's keys fit on one line at 80x24
    assert not ENGLISH.search(" ".join(lines)), (where, lines)


def test_key_labels_are_swedish() -> None:
    assert [key_label(k) for k in ("escape", "slash", "f1", "enter", "pagedown", "up", "g")] == [
        "Esc",
        "/",
        "F1",
        "Enter",
        "PgDn",
        "↑",
        "g",
    ]
    assert key_label("shift+tab") == "Shift+Tab"


def test_footer_never_cuts_a_key() -> None:
    items = [(f"k{i}", "Beskrivning", True) for i in range(12)]
    rows = footer_rows(items, 80)
    assert len(rows) > 1 and all(r.cell_len <= 80 for r in rows)
    assert " ".join(r.plain for r in rows).count("Beskrivning") == 12
    assert (
        footer_rows([("g", "Gå till", True), ("/", "Sök", True)], 80)[0].plain == "g Gå till  / Sök"
    )


# 11.6: every footer fits 80 columns, for every screen and every kind of person.


@pytest.mark.parametrize("login", ["danan12", "marsv3", "reumgk", "karjo7"])
async def test_every_staff_footer_fits_80_columns(ctx: Context, places: Places, login: str) -> None:
    ctx.demo = True
    case_with_files(ctx)
    seen: dict[str, list[str]] = {}
    app = build_app(ctx, staff(ctx, login))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        check_footer(app, "inbox", seen)
        assert "/ Sök  " in seen["inbox"][0]  # room between keys: two keys, not one
        assert ("n" in footer_keys(app)) is (login != "reumgk")  # a GK account sends nothing
        await pilot.press("f1")
        await settle(pilot)
        helptext = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "Esc" in helptext and "escape" not in helptext and "g " in helptext
        await pilot.press("escape")
        if app.actor.units:
            await pilot.press("n")
            await settle(pilot)
            check_footer(app, "newcase", seen)
            await pilot.press("escape")
            await settle(pilot)
        if login == "karjo7":
            return  # Karin's units have no case
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"
        check_footer(app, "case image", seen)
        await pilot.press("down")
        await settle(pilot)
        check_footer(app, "case pdf", seen)
        await pilot.press("up", "p")
        await settle(pilot)
        check_footer(app, "preview", seen)


async def test_footer_fits_through_the_whole_routine(ctx: Context, places: Places) -> None:
    """Daniel takes both files through every step; the footer fits at each one."""
    case_with_files(ctx)
    seen: dict[str, list[str]] = {}
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        for step, keys in [("decided", "j"), ("downloaded", "l"), ("picsara", "s")]:
            await pilot.press(*keys)
            await settle(pilot)
            if step == "picsara":
                await pilot.press("enter")  # no side
                await settle(pilot)
                await pilot.press("enter")  # no body site
                await settle(pilot)
                await pilot.press("n")  # keep the copy for now
                await settle(pilot)
            check_footer(app, f"image {step}", seen)
        await pilot.press("down")
        for step, keys in [("decided", "j"), ("downloaded", "l"), ("printed", "e")]:
            await pilot.press(*keys)
            await settle(pilot)
            if step == "printed":
                await pilot.press("j")  # clean up now
                await settle(pilot)
            check_footer(app, f"pdf {step}", seen)
        await pilot.press("m")
        await settle(pilot)
        check_footer(app, "pdf scanned", seen)
        await pilot.press("up", "r")
        await settle(pilot)
        check_footer(app, "all done", seen)
        assert "h" in footer_keys(app)
        await pilot.press("h")
        await settle(pilot)
        check_footer(app, "confirm", seen)
        await pilot.press("j")
        await settle(pilot)
        check_footer(app, "handled", seen)
        assert footer_keys(app) == {"Esc", "p", "o", "F1"}, seen["handled"]


async def test_patient_admin_and_signin_footers_fit(ctx: Context, clock: FixedClock) -> None:
    from tests.conftest import send

    send(ctx, pnr=ELIN)
    seen: dict[str, list[str]] = {}
    ctx.demo = True
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        check_footer(app, "signin", seen)
        await sign_in_as(pilot, "Elin Lund")
        check_footer(app, "patient home", seen)
        await pilot.press("enter")
        await settle(pilot)
        check_footer(app, "patient case", seen)
        await pilot.press("f3")
        await settle(pilot)
        check_footer(app, "file picker", seen)
        await pilot.press("escape", "escape", "x")
        await sign_in_as(pilot, "lenjo54")
        check_footer(app, "admin", seen)
        await pilot.press("l")
        await settle(pilot)
        check_footer(app, "audit log", seen)


# 11.4 and 9.7: the footer offers only what this person can do on this item.


async def open_first_case(ctx: Context, login: str):  # type: ignore[no-untyped-def]
    app = build_app(ctx, staff(ctx, login))
    return app


@pytest.mark.parametrize(
    "login,never",
    [
        ("reumgk", {"j", "i", "l", "s", "r", "h", "e"}),  # a GK account reads
        ("marsv3", {"s"}),  # no Picsara permission
    ],
)
async def test_r15_r16_footer_offers_only_what_the_person_may_do(
    ctx: Context, places: Places, login: str, never: set[str]
) -> None:
    number, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, True)
    handling.download(ctx, dan, img)  # a copy exists: r would be offered to Daniel
    app = build_app(ctx, staff(ctx, login))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        keys = footer_keys(app)
        assert not keys & never, keys
        assert {"Esc", "p", "F1"} <= keys


async def test_r16_gk_key_pressed_anyway_says_why_and_is_logged(
    ctx: Context, places: Places
) -> None:
    number, img, _ = case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "reumgk"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert "GK-konto" in status(app) and "(R16)" in status(app)
    with Session(ctx.engine) as s:
        refused = s.exec(
            select(AuditEntry).where(AuditEntry.actor == "reumgk", AuditEntry.outcome == "nekad")
        ).all()
    assert [(e.action, e.case_id, e.patient_pnr) for e in refused] == [("beslut", number, ELIN)]
    with Session(ctx.engine) as s:
        from tui_app.store.models import Attachment

        assert s.get(Attachment, img).decision is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "setup,key,reason",
    [
        ("none", "h", "saknar beslut"),  # h with undecided files
        ("none", "q", "Esc"),  # q inside a case
        ("none", "x", "Esc"),  # x (sign out) inside a case
        ("pdf", "s", "PDF-dokument sparas aldrig i Picsara"),  # s on a PDF
        ("none", "s", "Bestäm först"),  # s on an undecided image: greyed, says the step
    ],
)
async def test_a_key_that_cannot_act_says_why(
    ctx: Context, places: Places, setup: str, key: str, reason: str
) -> None:
    case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        # Pressed at once, as a fast typist does: the reason is about the row Down moved to.
        await pilot.press(*(["down", key] if setup == "pdf" else [key]))
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"  # q did not quit
        assert reason in status(app) and status(app).startswith("✗"), status(app)
        assert "\n" not in status(app).strip()  # one line


async def test_greyed_and_hidden_keys(ctx: Context, places: Places) -> None:
    """s on an undecided image is greyed (a step first); on a PDF it is hidden."""
    case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        items = {k: enabled for k, _, enabled in footer_items(app.screen)}
        assert items["s"] is False and items["h"] is False and items["j"] is True
        await pilot.press("down")
        await settle(pilot)
        assert "s" not in footer_keys(app) and "e" in footer_keys(app)


async def test_patient_f2_f3_on_a_closed_case_say_why(ctx: Context, clock: FixedClock) -> None:
    from tests.conftest import send

    send(ctx, pnr=ELIN)
    clock.advance(timedelta(days=3))
    app = build_app(ctx, patient(ctx, ELIN))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert not {"F2", "F3"} & footer_keys(app)
        for key in ("f2", "f3"):
            await pilot.press(key)
            await settle(pilot)
            assert "avslutat" in status(app) and status(app).startswith("✗")
            assert type(app.screen).__name__ == "PatientCaseScreen"


# 11.5: the status line says what was saved.


async def test_saved_says_what_was_saved(ctx: Context, places: Places) -> None:
    case_with_files(ctx)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert "Journalförs: handled.jpg" in status(app)
        await pilot.press("down", "i", *"dubblett", "enter")
        await settle(pilot)
        assert "Journalförs inte: remiss-brev.pdf (dubblett)" in status(app)


# 11.1: h before the 48 hours: both views say the same true thing.


async def test_r07_handled_early_both_views_show_the_handled_time(
    ctx: Context, places: Places, clock: FixedClock
) -> None:
    number, img, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, False, "fel bild")
    handling.decide(ctx, dan, pdf, False, "dubblett")
    clock.advance(timedelta(hours=2))
    handled_at = ctx.now()
    ctx.demo = True
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "danan12")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"  # closing early is asked first
        await pilot.press("j")
        await settle(pilot)
        assert "tar inte emot fler svar" in status(app)
        head = str(app.screen.query_one("#case-head").render())
        assert f"Avslutat (hanterat) {fmt_datetime(handled_at)}" in head
        assert as_utc(app.screen.view.deadline) <= ctx.now()
        await pilot.press("escape", "x")
        await sign_in_as(pilot, "Elin Lund")
        await pilot.press("enter")
        await settle(pilot)
        note = str(app.screen.query_one("#closed-note").render())
        assert f"avslutat sedan {fmt_datetime(handled_at)}" in note


async def test_handled_case_offers_reopen_and_it_is_logged(ctx: Context, places: Places) -> None:
    number, img, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, False, "fel bild")
    handling.decide(ctx, dan, pdf, False, "dubblett")
    handling.mark_handled(ctx, dan, number)
    app = build_app(ctx, dan)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("i")  # a handled case takes no new decision
        await settle(pilot)
        assert "Återöppna" in status(app)
        await pilot.press("o", "j")
        await settle(pilot)
        assert "återöppnat" in status(app)
        assert app.screen.view.state.value == "Avslutat"
        assert "i" not in footer_keys(app)  # already "journalförs inte"
        assert "j" in footer_keys(app)
    with Session(ctx.engine) as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "återöppna")).one()


# 11.15: never the background alone.


async def test_highlighted_row_and_focused_field_have_a_marker(
    ctx: Context, places: Places
) -> None:
    from textual.widgets import DataTable, Input

    from tests.conftest import send

    case_with_files(ctx)
    send(ctx, pnr="196109732393")
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        t = app.screen.query_one("#cases", DataTable)

        def marks() -> list[str]:
            drawn = t.drawn_marks()  # type: ignore[attr-defined]
            return ["▶ " if row in drawn else "  " for row in range(t.row_count)]

        assert marks() == ["▶ ", "  "]
        await pilot.press("down")
        await pilot.pause()
        assert marks() == ["  ", "▶ "]
        await pilot.press("slash")
        await pilot.pause()
        search = app.screen.query_one("#search", Input)
        assert search.has_focus and "▶" in str(search.border_title)
        await pilot.press("escape")
        await pilot.pause()
        assert not search.border_title


async def test_palette_names_keys_in_swedish(ctx: Context) -> None:
    from tui_app.ui.commands import ScreenActions

    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        provider = ScreenActions(app.screen)
        keys = {key for _, _, key in provider._actions()}
        assert "/" in keys and "slash" not in keys and "F1" in keys and "f1" not in keys


def test_every_reason_fits_one_status_line() -> None:
    """Each 'why not' is one line at 80 columns (the status line has one cell of padding each
    side), for every action, file state and kind of person, its key hints rendered."""
    import itertools

    from tui_app.core import routine
    from tui_app.core.routine import CaseFacts, CaseState, Decision, FileFacts, FileKind, Target
    from tui_app.services.actor import Actor
    from tui_app.ui.keys import Refusal, render
    from tui_app.ui.screens.case import ROUTINE_ACTIONS, CaseScreen

    people = [
        Actor("danan12", "D", picsara_permission=True, staff_id=1),
        Actor("marsv3", "M", staff_id=2),
        Actor("reumgk", "R", shared_account=True),
    ]
    files = [
        FileFacts(1, "ett-mycket-langt-filnamn-som-skars.jpg", kind, d, c, pe, pi, pr, sc)
        for kind, d, c, pe, pr, sc, pi in itertools.product(
            FileKind,
            (None, *Decision),
            (0, 1),
            (None, *Target),
            (False, True),
            (False, True),
            (False, True),
        )
    ]
    reasons = set()
    for actor, state, f in itertools.product(people, CaseState, files):
        for action in ROUTINE_ACTIONS.values():
            r = Refusal.of(routine.blocker(action, CaseFacts(state, (f,)), f, actor))
            if r:
                reasons.add(render(CaseScreen, r.reason))
    assert len(reasons) > 15
    too_long = [r for r in reasons if len("✗ " + r) > 78]
    assert not too_long, too_long
