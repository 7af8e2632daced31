"""The access log (R24): every access is logged, the chain shows tampering, reviews and extracts;
and retention (R23): old cases go, their log stays."""

from __future__ import annotations

import argparse
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from tests.conftest import ELIN, staff
from tests.handling_fixtures import Places, case_with_files
from tui_app.commands.records import run_audit
from tui_app.core.clock import FixedClock
from tui_app.core.errors import NotFound, UserError
from tui_app.services import audit, auditlog, handling
from tui_app.services.cases import open_case
from tui_app.services.context import Context
from tui_app.services.sweep import remove_expired
from tui_app.store.models import Attachment, AuditEntry, AuditReview, Case


def entries(ctx: Context) -> list[AuditEntry]:
    with Session(ctx.engine) as s:
        return list(s.exec(select(AuditEntry).order_by(AuditEntry.seq)).all())


def test_r24_every_access_is_logged_with_who_unit_patient_what(
    ctx: Context, places: Places
) -> None:
    number, img, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    open_case(ctx, dan, number)
    handling.preview(ctx, dan, img)
    handling.decide(ctx, dan, pdf, True)
    handling.download(ctx, dan, pdf)
    handling.print_earkiv(ctx, dan, pdf)
    handling.cleanup(ctx, dan, pdf)
    with pytest.raises(UserError):
        handling.download(ctx, staff(ctx, "reumgk"), img)
    with pytest.raises(NotFound):
        open_case(ctx, staff(ctx, "karjo7"), number)
    log = [
        (e.actor, e.action, e.outcome, e.unit_code, e.patient_pnr, e.case_id)
        for e in entries(ctx)
        if e.actor in ("danan12", "reumgk", "karjo7")
    ]
    want = [
        ("danan12", "skicka meddelande", "ok"),
        ("danan12", "öppna ärende", "ok"),
        ("danan12", "förhandsvisa", "ok"),
        ("danan12", "beslut", "ok"),
        ("danan12", "ladda ner", "ok"),
        ("danan12", "skriv ut", "ok"),
        ("danan12", "rensa", "ok"),
        ("reumgk", "ladda ner", "nekad"),
        ("karjo7", "öppna ärende", "nekad"),
    ]
    assert [row[:3] for row in log] == want
    assert all(row[3] == "REUM-SKO" and row[4] == ELIN and row[5] == number for row in log)
    assert audit.verify(ctx).ok


@pytest.mark.parametrize(
    "tamper,problem",
    [
        ("UPDATE audit_entry SET detail = 'ingenting' WHERE seq = 3", "innehåll"),
        ("UPDATE audit_entry SET actor = 'någon' WHERE seq = 2", "innehåll"),
        ("DELETE FROM audit_entry WHERE seq = 2", "saknas"),
        # Reorder: swap two entries' places in the chain.
        (
            "UPDATE audit_entry SET seq = -1 WHERE seq = 2; UPDATE audit_entry SET seq = 2 WHERE seq = 3;"
            " UPDATE audit_entry SET seq = 3 WHERE seq = -1",
            "",
        ),
    ],
)
def test_r24_tampering_with_the_log_is_detected(
    ctx: Context, places: Places, tamper: str, problem: str
) -> None:
    number, _, _ = case_with_files(ctx)
    open_case(ctx, staff(ctx, "danan12"), number)
    assert audit.verify(ctx).ok
    with ctx.engine.begin() as conn:
        for statement in tamper.split(";"):
            conn.execute(text(statement))
    report = audit.verify(ctx)
    assert not report.ok and report.broken_at in (2, 3, 4)
    assert problem in report.problem


def test_r24_audit_verify_command_says_where_it_breaks(ctx: Context, places: Places) -> None:
    case_with_files(ctx)
    out = io.StringIO()
    assert run_audit(ctx, argparse.Namespace(audit_command="verify"), out) == 0
    assert "obruten" in out.getvalue()
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET action = 'x' WHERE seq = 1"))
    out = io.StringIO()
    assert run_audit(ctx, argparse.Namespace(audit_command="verify"), out) == 1
    assert "BRUTEN vid post 1" in out.getvalue()


def test_r24_admin_reviews_and_records_sample_checks(ctx: Context, places: Places) -> None:
    number, _, _ = case_with_files(ctx)
    open_case(ctx, staff(ctx, "danan12"), number)
    lena = staff(ctx, "lenjo54")
    rows = auditlog.search(ctx, lena, staff="danan12", patient="20000125-2386")
    assert rows and all(r.actor == "danan12" and r.patient_pnr == ELIN for r in rows)
    assert auditlog.search(ctx, lena, unit="HUD-SKO") == []
    auditlog.record_review(ctx, lena, "danan12, vecka 48", "Inga avvikelser")
    with Session(ctx.engine) as s:
        r = s.exec(select(AuditReview)).one()
        assert r.reviewer == "lenjo54" and r.finding == "Inga avvikelser"
    assert entries(ctx)[-1].action == "stickprov"
    with pytest.raises(UserError):
        auditlog.search(ctx, staff(ctx, "danan12"))  # only administrators review


def test_r24_patient_log_extract(ctx: Context, places: Places, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import tui_app.services.identity as identity

    number, _, _ = case_with_files(ctx)
    monkeypatch.setattr(identity, "os_login", lambda: "danan12")
    with pytest.raises(UserError, match="administrationsgruppen"):
        run_audit(
            ctx,
            argparse.Namespace(audit_command="export", patient="20000125-2386", output=None),
            io.StringIO(),
        )
    monkeypatch.setattr(identity, "os_login", lambda: "lenjo54")
    open_case(ctx, staff(ctx, "danan12"), number)
    out_file = tmp_path / "utdrag.csv"
    args = argparse.Namespace(audit_command="export", patient="20000125-2386", output=out_file)
    assert run_audit(ctx, args, io.StringIO()) == 0
    lines = out_file.read_text().splitlines()
    assert lines[0] == "tid;enhet;vem;åtgärd;utfall;ärende"
    assert any("REUM-SKO;danan12;öppna ärende;ok" in line for line in lines)


def test_r23_cases_are_removed_after_two_years_and_the_log_stays(
    ctx: Context, places: Places, clock: FixedClock
) -> None:
    from dataclasses import replace

    ctx.config = replace(ctx.config, file_store="directory")  # about the folder
    number, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    path = handling.download(ctx, dan, img)
    with Session(ctx.engine) as s:
        keys = [a.storage_key for a in s.exec(select(Attachment)).all()]
    assert all((ctx.files_dir / k).exists() for k in keys)
    clock.advance(timedelta(days=729))
    assert remove_expired(ctx).removed_cases == 0
    clock.advance(timedelta(days=2))
    report = remove_expired(ctx)
    assert (report.removed_cases, report.removed_files) == (1, 2)
    assert any(str(path) in line for line in report.still_downloaded)
    with Session(ctx.engine) as s:
        assert s.get(Case, number) is None and s.exec(select(Attachment)).all() == []
    assert not any((ctx.files_dir / k).exists() for k in keys)
    log = entries(ctx)
    assert log[-1].action == "gallring" and log[-1].case_id == number
    assert any(e.action == "ladda ner" and e.case_id == number for e in log)  # kept (5 years)
    assert audit.verify(ctx).ok


def test_r24_removing_the_newest_entries_is_detected(ctx: Context, places: Places) -> None:
    number, _, _ = case_with_files(ctx)
    open_case(ctx, staff(ctx, "danan12"), number)
    last = entries(ctx)[-1].seq
    with ctx.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_entry WHERE seq >= {last - 1}"))
    report = audit.verify(ctx)
    assert not report.ok and "sista poster saknas" in report.problem


def test_r24_staff_working_at_once_never_collide_in_the_log(ctx: Context, places: Places) -> None:
    from concurrent.futures import ThreadPoolExecutor

    number, _, _ = case_with_files(ctx)
    people = [staff(ctx, login) for login in ("danan12", "marsv3", "reumgk")]
    before = len(entries(ctx))

    def work(i: int) -> None:
        open_case(ctx, people[i % 3], number)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(60)))  # raises here if any call failed
    assert len(entries(ctx)) == before + 60
    assert audit.verify(ctx).ok


def test_r24_log_review_filters_by_time_and_part_of_unit(
    ctx: Context, places: Places, clock: FixedClock
) -> None:
    number, _, _ = case_with_files(ctx)
    clock.advance(timedelta(days=3))
    open_case(ctx, staff(ctx, "danan12"), number)
    lena = staff(ctx, "lenjo54")
    rows = auditlog.search(ctx, lena, unit="reum", since_text="2026-06-06")
    assert [r.action for r in rows] == ["öppna ärende"]
    with pytest.raises(UserError, match="inget datum"):
        auditlog.search(ctx, lena, since_text="igår")


def _last(ctx: Context) -> AuditEntry:
    return entries(ctx)[-1]


def test_r24_r05_a_refused_log_search_is_logged(ctx: Context, places: Places) -> None:
    with pytest.raises(UserError, match="administrationsgruppen"):
        auditlog.search(ctx, staff(ctx, "danan12"), patient="20000125-2386")
    e = _last(ctx)
    assert (e.actor, e.action, e.outcome) == ("danan12", "logguppföljning", "nekad")
    assert "administrationsgruppen" in e.detail
    assert audit.verify(ctx).ok


def test_r24_r05_a_refused_sample_check_is_logged(ctx: Context, places: Places) -> None:
    with pytest.raises(UserError, match="administrationsgruppen"):
        auditlog.record_review(ctx, staff(ctx, "marsv3"), "hela loggen", "inga avvikelser")
    e = _last(ctx)
    assert (e.actor, e.action, e.outcome) == ("marsv3", "stickprov", "nekad")
    with Session(ctx.engine) as s:
        assert s.exec(select(AuditReview)).all() == []


def test_r24_r05_a_refused_log_extract_on_the_command_line_is_logged(
    ctx: Context, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui_app.services.identity as identity

    for login in ("danan12", "okänd99"):  # a nurse, and a login that is no staff at all
        monkeypatch.setattr(identity, "os_login", lambda login=login: login)
        with pytest.raises(UserError):
            run_audit(
                ctx,
                argparse.Namespace(audit_command="export", patient="20000125-2386", output=None),
                io.StringIO(),
            )
        e = _last(ctx)
        assert (e.actor, e.action, e.outcome, e.patient_pnr) == (login, "loggutdrag", "nekad", ELIN)


def test_r24_r05_a_refused_load_on_the_command_line_is_logged(
    ctx: Context, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui_app.services.identity as identity
    from tui_app.services.seed import require_loader

    monkeypatch.setattr(identity, "os_login", lambda: "danan12")
    with pytest.raises(UserError, match="administratör"):
        require_loader(ctx)
    e = _last(ctx)
    assert (e.actor, e.action, e.outcome) == ("danan12", "läsa in personal", "nekad")
    monkeypatch.setattr(identity, "os_login", lambda: "lenjo54")
    require_loader(ctx)  # an administrator may
    assert _last(ctx).outcome == "nekad" and _last(ctx).actor == "danan12"


def test_r24_r05_a_refused_load_through_the_cli_is_logged(
    ctx: Context, places: Places, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_app import cli

    cfg = tmp_path / "config.toml"
    cfg.write_text(f'database_url = "{ctx.engine.url}"\ndata_dir = "{ctx.data_dir}"\n')
    from sqlalchemy import text

    from tests.test_cli import ME

    # Identity is the real uid (never LOGNAME): the test's own login becomes Maria, a nurse.
    with ctx.engine.begin() as c:
        c.execute(text("UPDATE staff SET login = :me WHERE login = 'marsv3'"), {"me": ME})
    people = tmp_path / "people.json"
    people.write_text('{"units": [], "staff": []}')
    assert cli.main(["--config", str(cfg), "load", str(people)]) == 1
    e = _last(ctx)
    assert (e.actor, e.action, e.outcome) == (ME, "läsa in personal", "nekad")


async def test_r24_access_log_screen_fits_80_columns_and_shows_one_entry_in_full(
    ctx: Context, places: Places
) -> None:
    from tests.test_snapshots import screen_text
    from tests.test_ui_flow import settle
    from tui_app.ui.app import build_app
    from tui_app.ui.screens.auditlog import AuditScreen, EntryScreen

    number, _, _ = case_with_files(ctx)
    with pytest.raises(NotFound):
        open_case(ctx, staff(ctx, "karjo7"), number)  # refused: the newest entry
    audit.log_refusal(
        ctx,
        actor="danan12",
        action="ladda ner",
        unit_code="REUM-SKO",
        patient_pnr=ELIN,
        case_id=number,
        detail="R16: fil \x1b[31mröd\x1b[0m.jpg " + "lång förklaring " * 20,
    )
    app = build_app(ctx, staff(ctx, "lenjo54"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        text = screen_text(app)
        lines = text.splitlines()
        assert all(len(line) <= 80 for line in lines)
        assert "Enter Visa post" in lines[-1] and lines[-1].rstrip().endswith("F1 Hjälp")
        row = next(line for line in lines if "karjo7" in line)
        assert "✗ NEKAD öppna ärende" in row and "20000125-2386" in row
        assert "\x1b" not in text
        await pilot.press("enter")  # the newest entry: the refused download with a long detail
        await settle(pilot)
        assert isinstance(app.screen, EntryScreen)
        shown = screen_text(app)
        for want in (
            "Enhet:   REUM-SKO",
            "Patient: 20000125-2386",
            f"Ärende:  {number}",
            "Åtgärd:  ladda ner",
            "Utfall:  nekad (✗)",
            "Vem:     danan12",
            "\\x1b[31mröd\\x1b[0m.jpg",
        ):
            assert want in shown, want
        assert "\x1b" not in shown
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
