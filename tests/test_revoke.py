"""Access can be taken away (R05): an administrator deactivates a staff member or removes a
membership, on the admin screen or with `tui-app load`; it is logged (R24) and takes effect at
once, also for a session already signed in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.conftest import DEMO, ELIN, send, staff, unit_id
from tests.handling_fixtures import Places, case_with_files
from tui_app.core.errors import InvalidInput, NotFound, RuleViolation, UserError
from tui_app.services import admin, audit, handling
from tui_app.services.cases import draft_message, inbox, open_case
from tui_app.services.context import Context
from tui_app.services.seed import load_file
from tui_app.store.models import AuditEntry


def log(ctx: Context) -> list[AuditEntry]:
    with Session(ctx.engine) as s:
        return list(s.exec(select(AuditEntry).order_by(AuditEntry.seq)).all())


def staff_id(ctx: Context, login: str) -> int:
    return next(r.id for r in admin.staff_rows(ctx) if r.login == login)


def test_r05_deactivated_staff_is_refused_at_sign_in_and_in_a_running_session(
    ctx: Context, places: Places
) -> None:
    number, img, _pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")  # signed in before the change
    assert open_case(ctx, dan, number).case_id == number
    lena = staff(ctx, "lenjo54")
    admin.set_active(ctx, lena, staff_id(ctx, "danan12"), False)
    assert log(ctx)[-1].detail == "danan12 avaktiverad" and log(ctx)[-1].actor == "lenjo54"
    with pytest.raises(RuleViolation, match="avaktiverat") as e:
        staff(ctx, "danan12")
    assert e.value.rule == "R05"
    for action in (
        lambda: open_case(ctx, dan, number),
        lambda: handling.download(ctx, dan, img),
        lambda: handling.decide(ctx, dan, img, True),
        lambda: draft_message(ctx, dan, unit_id(dan, "REUM-SKO"), ELIN),
        lambda: inbox(ctx, dan),
    ):
        with pytest.raises(RuleViolation, match="avaktiverat"):
            action()
    refused = [e for e in log(ctx) if e.outcome == audit.REFUSED and e.actor == "danan12"]
    assert {e.action for e in refused} >= {"öppna ärende", "nytt ärende"}
    assert not list(places.downloads.iterdir())  # nothing was downloaded
    admin.set_active(ctx, lena, staff_id(ctx, "danan12"), True)
    assert open_case(ctx, staff(ctx, "danan12"), number).case_id == number


def test_r05_removed_membership_hides_the_units_cases_at_once(ctx: Context) -> None:
    number = send(ctx, pnr=ELIN, code="REUM-SKO")
    dan = staff(ctx, "danan12")
    assert [r.case_id for r in inbox(ctx, dan)] == [number]
    hud = unit_id(dan, "HUD-SKO")
    admin.set_memberships(ctx, staff(ctx, "lenjo54"), staff_id(ctx, "danan12"), {hud})
    assert inbox(ctx, dan) == []  # the running session sees it at once
    with pytest.raises(NotFound) as e:
        open_case(ctx, dan, number)
    assert e.value.rule == "R05"
    with pytest.raises(RuleViolation):
        draft_message(ctx, dan, unit_id(dan, "REUM-SKO"), ELIN)
    changes = [(e.unit_code, e.detail) for e in log(ctx) if e.action == "behörighet"]
    assert changes == [("REUM-SKO", "danan12: enhet borttagen")]
    assert [u.code for u in staff(ctx, "danan12").units] == ["HUD-SKO"]
    admin.set_memberships(
        ctx, staff(ctx, "lenjo54"), staff_id(ctx, "danan12"), {hud, unit_id(dan, "REUM-SKO")}
    )
    assert [r.case_id for r in inbox(ctx, dan)] == [number]
    assert log(ctx)[-1].detail == "danan12: enhet tillagd"


def test_r05_only_an_active_administrator_may_take_access_away(ctx: Context) -> None:
    dan, lena = staff(ctx, "danan12"), staff(ctx, "lenjo54")
    with pytest.raises(UserError):
        admin.set_active(ctx, dan, staff_id(ctx, "marsv3"), False)
    with pytest.raises(UserError):
        admin.set_memberships(ctx, dan, staff_id(ctx, "marsv3"), set())
    with pytest.raises(InvalidInput, match="ditt eget konto"):
        admin.set_active(ctx, lena, staff_id(ctx, "lenjo54"), False)
    assert [e.outcome for e in log(ctx)[-3:]] == [audit.REFUSED] * 3  # every refusal logged
    assert all(r.active for r in admin.staff_rows(ctx))


def test_r05_deactivated_administrator_can_no_longer_administer(ctx: Context) -> None:
    from tui_app.services.seed import require_loader

    lena = staff(ctx, "lenjo54")
    load_file(ctx, _file(ctx.data_dir, {"staff": [_lena(active=False)]}))
    with pytest.raises(UserError):
        admin.set_unit_flag(
            ctx, lena, unit_id(staff(ctx, "danan12"), "REUM-SKO"), "activated_1177", False
        )
    import tui_app.services.identity as identity

    original = identity.os_login
    identity.os_login = lambda: "lenjo54"  # type: ignore[assignment]
    try:
        with pytest.raises(InvalidInput, match="Bara en administratör"):
            require_loader(ctx)  # deactivated, and the door does not open to anyone else
    finally:
        identity.os_login = original  # type: ignore[assignment]


def _file(folder: Path, data: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "staff.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _lena(**extra: object) -> dict[str, object]:
    return {
        "login": "lenjo54",
        "first_name": "Lena",
        "last_name": "Johansson Salomé",
        "is_admin": True,
        "units": [],
        **extra,
    }


def _dan(**extra: object) -> dict[str, object]:
    return {
        "login": "danan12",
        "first_name": "Daniel",
        "last_name": "Andersson",
        "picsara_permission": True,
        "units": ["REUM-SKO", "HUD-SKO"],
        **extra,
    }


def test_r05_load_replaces_the_units_and_deactivates(ctx: Context) -> None:
    number = send(ctx, pnr=ELIN, code="REUM-SKO")
    dan = staff(ctx, "danan12")  # a running session
    load_file(ctx, _file(ctx.data_dir, {"staff": [_dan(units=["HUD-SKO"])]}))
    assert inbox(ctx, dan) == []
    assert [u.code for u in staff(ctx, "danan12").units] == ["HUD-SKO"]
    load_file(ctx, _file(ctx.data_dir, {"staff": [_dan(active=False)]}))
    with pytest.raises(RuleViolation, match="avaktiverat"):
        open_case(ctx, dan, number)
    with pytest.raises(RuleViolation, match="avaktiverat"):
        staff(ctx, "danan12")
    details = [(e.unit_code, e.detail) for e in log(ctx) if e.action == "behörighet"]
    assert details == [
        ("REUM-SKO", "inläsning: danan12: enhet borttagen"),
        (None, "inläsning: danan12 avaktiverad"),
        ("REUM-SKO", "inläsning: danan12: enhet tillagd"),
    ]
    # Staff the file does not mention are left as they are.
    assert [u.code for u in staff(ctx, "marsv3").units] == ["REUM-SKO"]


def test_r05_reloading_the_demo_file_changes_no_access(ctx: Context) -> None:
    before = [(r.login, r.active, r.unit_ids) for r in admin.staff_rows(ctx)]
    load_file(ctx, DEMO)
    assert [(r.login, r.active, r.unit_ids) for r in admin.staff_rows(ctx)] == before
    assert not [e for e in log(ctx) if e.action == "behörighet"]


def test_r05_deactivated_login_is_refused_by_the_app_and_the_start_up_read(
    tmp_path: Path,
) -> None:
    from tests.test_cli import run
    from tui_app.core.clock import SystemClock
    from tui_app.services.quickstart import quick_start

    assert run(["load", str(DEMO)], tmp_path).returncode == 0
    db = tmp_path / "data" / "tui_app.sqlite"
    url = f"sqlite:///{db}"
    assert quick_start(url, "danan12", SystemClock().now()) is not None
    off = _file(tmp_path, {"staff": [_dan(active=False)]})
    assert run(["load", str(off)], tmp_path, user="lenjo54").returncode == 0
    assert quick_start(url, "danan12", SystemClock().now()) is None
    out = run([], tmp_path, user="danan12")
    assert out.returncode == 1 and "avaktiverat" in out.stderr and "Traceback" not in out.stderr


async def test_r05_admin_screen_deactivates_and_sets_units_by_keyboard(ctx: Context) -> None:
    from textual.widgets import DataTable, OptionList

    from tests.test_ui_flow import settle, status
    from tui_app.ui.app import build_app
    from tui_app.ui.dialogs import ChooseDialog, ConfirmDialog

    app = build_app(ctx, staff(ctx, "lenjo54"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#staff", DataTable)
        table.focus()
        dan = next(i for i, r in enumerate(app.screen.staff_list) if r.login == "danan12")
        table.move_cursor(row=dan)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("j")
        await settle(pilot)
        assert "sparad och loggad" in status(app)
        row = next(r for r in app.screen.staff_list if r.login == "danan12")
        assert not row.active
        assert "✗ nej" in str(table.get_row_at(table.cursor_row)[3])
        with pytest.raises(RuleViolation):
            staff(ctx, "danan12")
        await pilot.press("d")  # activate again: no question needed
        await settle(pilot)
        assert next(r for r in app.screen.staff_list if r.login == "danan12").active
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ChooseDialog)
        choices = app.screen.query_one(OptionList)
        lines = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
        # Ticked in words, not colour alone: Daniel's two units, not the other two.
        assert sorted(line[:4] for line in lines) == ["[ ] ", "[ ] ", "[✓] ", "[✓] "]
        index = next(i for i, line in enumerate(lines) if "Reumatologi" in line)
        assert lines[index].startswith("[✓] ")
        choices.highlighted = index
        await pilot.press("space")  # untick Reumatologi
        assert str(choices.get_option_at_index(index).prompt).startswith("[ ] ")
        await pilot.press("f2")  # save
        await settle(pilot)
        assert [u.code for u in staff(ctx, "danan12").units] == ["HUD-SKO"]
        assert "sparad och loggad" in status(app)
    details = [e.detail for e in log(ctx) if e.action == "behörighet"]
    assert details == ["danan12 avaktiverad", "danan12 aktiverad", "danan12: enhet borttagen"]


async def test_r05_running_staff_session_is_refused_on_its_next_action(ctx: Context) -> None:
    from tests.test_ui_flow import settle, status
    from tui_app.ui.app import build_app

    number = send(ctx, pnr=ELIN)
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        admin.set_active(ctx, staff(ctx, "lenjo54"), staff_id(ctx, "danan12"), False)
        await pilot.press("g", *str(number), "enter")  # open the case by number
        await settle(pilot)
        assert "avaktiverat" in status(app)
        assert type(app.screen).__name__ == "InboxScreen"
