"""States that must be true (issue 11.1–11.3, 9.7): what 'hanterat' means for the reply window,
what a handled case still takes, where clean-up found each copy, and what a GK account may do."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.conftest import ELIN, patient, staff
from tests.handling_fixtures import Places, case_with_files
from tui_app.core.clock import FixedClock, as_utc
from tui_app.core.errors import RuleViolation, UserError
from tui_app.core.rules import CaseState
from tui_app.services import handling
from tui_app.services.cases import inbox, open_case
from tui_app.services.context import Context
from tui_app.services.conversation import patient_open_case, patient_reply
from tui_app.services.views import copies_left, todo_for
from tui_app.store.models import AuditEntry, Download


def entries(ctx: Context, actor: str) -> list[tuple[str, str, str]]:
    with Session(ctx.engine) as s:
        rows = s.exec(
            select(AuditEntry).where(AuditEntry.actor == actor).order_by(AuditEntry.seq)
        ).all()
        return [(e.action, e.outcome, e.detail) for e in rows]


def handle_all(ctx: Context, number: int, img: int, pdf: int) -> None:
    """Do the whole routine for both files, as Daniel, and mark the case handled."""
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, True)
    handling.decide(ctx, dan, pdf, False, "dubblett")
    handling.download(ctx, dan, img)
    handling.to_picsara(ctx, dan, img, "höger", "")
    handling.cleanup(ctx, dan, img)
    handling.mark_handled(ctx, dan, number)


# 11.1: handled before the 48 hours have passed: both sides say the same true date.


def test_r07_handled_early_closes_replies_at_the_handled_time(
    ctx: Context, places: Places, clock: FixedClock
) -> None:
    number, img, pdf = case_with_files(ctx)
    clock.advance(timedelta(hours=3))
    handled_at = ctx.now()
    handle_all(ctx, number, img, pdf)
    clock.advance(timedelta(minutes=5))
    now = ctx.now()
    staff_view = open_case(ctx, staff(ctx, "danan12"), number)
    patient_view = patient_open_case(ctx, patient(ctx, ELIN), number)
    for view in (staff_view, patient_view):
        assert not view.accepts_reply and view.closed_early
        assert as_utc(view.deadline) == handled_at <= now  # a date that happened
        assert as_utc(view.handled_at) == handled_at  # type: ignore[arg-type]
    with pytest.raises(RuleViolation) as e:
        patient_reply(ctx, patient(ctx, ELIN), number, "En sak till")
    assert "av mottagningen" in e.value.message and "2 dagar" not in e.value.message
    assert staff_view.state is CaseState.HANDLED


def test_r07_handled_after_the_deadline_keeps_the_deadline(
    ctx: Context, places: Places, clock: FixedClock
) -> None:
    number, img, pdf = case_with_files(ctx)
    deadline = open_case(ctx, staff(ctx, "danan12"), number).deadline
    clock.advance(timedelta(days=3))
    handle_all(ctx, number, img, pdf)
    view = open_case(ctx, staff(ctx, "danan12"), number)
    assert view.deadline == deadline and not view.closed_early


def test_r12_sweep_does_not_call_a_handled_case_expired(
    ctx: Context, places: Places, clock: FixedClock
) -> None:
    from tui_app.services.sweep import close_expired

    number, img, pdf = case_with_files(ctx)
    handle_all(ctx, number, img, pdf)
    clock.advance(timedelta(days=3))
    assert close_expired(ctx).closed_answered == 0


# 11.2: a handled case takes no new downloads, decisions or exports unless reopened (logged).


def test_r21_handled_case_takes_no_new_download_until_reopened(
    ctx: Context, places: Places
) -> None:
    number, img, pdf = case_with_files(ctx)
    handle_all(ctx, number, img, pdf)
    dan = staff(ctx, "danan12")
    for call in (
        lambda: handling.download(ctx, dan, img),
        lambda: handling.decide(ctx, dan, pdf, True),
        lambda: handling.print_earkiv(ctx, dan, pdf),
    ):
        with pytest.raises(UserError, match="Återöppna"):
            call()
    assert list(places.downloads.iterdir()) == []
    handling.reopen(ctx, dan, number)
    view = open_case(ctx, dan, number)
    assert view.state is CaseState.CLOSED and not view.accepts_reply  # replies stay closed
    path = handling.download(ctx, dan, img)
    assert path.exists()
    log = entries(ctx, "danan12")
    assert ("återöppna", "ok", "") in log
    assert [a for a, o, _ in log if o == "nekad"] == ["ladda ner", "beslut", "e-arkiv"]
    # Not handled while the copy lies in Downloads.
    with pytest.raises(UserError, match="kopia kvar"):
        handling.mark_handled(ctx, dan, number)


def test_inbox_never_says_klart_while_a_copy_is_left(ctx: Context, places: Places) -> None:
    number, img, pdf = case_with_files(ctx)
    handle_all(ctx, number, img, pdf)
    dan = staff(ctx, "danan12")
    assert inbox(ctx, dan)[0].todo == "Klart"
    with Session(ctx.engine) as s:  # a copy recorded by a colleague at the same moment
        s.add(
            Download(
                attachment_id=img,
                case_id=number,
                staff_login="marsv3",
                path=str(places.downloads / "x.jpg"),
                sha256="0" * 64,
                downloaded_at=ctx.now(),
            )
        )
        s.commit()
    row = inbox(ctx, dan)[0]
    assert row.todo != "Klart" and row.leftovers == 1
    assert todo_for(CaseState.HANDLED, 2, 0, copies=0) == "Klart"


# 11.3: clean-up says where each copy was; plural of kopia.


def test_copies_left_plural() -> None:
    assert copies_left(1) == "1 kopia kvar"
    assert copies_left(3) == "3 kopior kvar"


def _trash(places: Places, path: os.PathLike[str]) -> None:
    """Move a file to the trash by hand, as a desktop file manager does."""
    from pathlib import Path

    p = Path(path)
    (places.trash / "files").mkdir(parents=True, exist_ok=True)
    (places.trash / "info").mkdir(parents=True, exist_ok=True)
    p.rename(places.trash / "files" / p.name)
    (places.trash / "info" / f"{p.name}.trashinfo").write_text(
        f"[Trash Info]\nPath={p}\nDeletionDate=2026-06-04T10:00:00\n"
    )


def test_r21_cleanup_reports_a_copy_already_in_the_trash(ctx: Context, places: Places) -> None:
    _, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    path = handling.download(ctx, dan, img)
    _trash(places, path)
    report = handling.cleanup(ctx, dan, img)
    assert report.clean
    assert report.where == [f"{path.name}: låg redan i papperskorgen – raderad där"]
    assert list((places.trash / "files").iterdir()) == []


def test_r21_cleanup_reports_each_copy_where_it_was(ctx: Context, places: Places) -> None:
    _, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    first = handling.download(ctx, dan, img)
    second = handling.download(ctx, dan, img)
    third = handling.download(ctx, dan, img)
    _trash(places, second)
    third.unlink()
    where = handling.cleanup(ctx, dan, img).where
    assert sorted(where) == sorted(
        [
            f"{first.name}: låg i Hämtade filer – raderad",
            f"{second.name}: låg redan i papperskorgen – raderad där",
            f"{third.name}: fanns inte längre (redan raderad)",
        ]
    )


# 9.7: a GK account reads; it records no decision and sees no one else's copies.


def test_r16_shared_account_cannot_record_a_decision(ctx: Context, places: Places) -> None:
    number, img, _ = case_with_files(ctx)
    gk = staff(ctx, "reumgk")
    with pytest.raises(RuleViolation) as e:
        handling.decide(ctx, gk, img, True)
    assert e.value.rule == "R16" and "GK-konto" in e.value.message
    assert open_case(ctx, staff(ctx, "danan12"), number).files[0].decision is None
    assert [(a, o) for a, o, _ in entries(ctx, "reumgk")] == [("beslut", "nekad")]


def test_r16_shared_account_cleanup_shows_no_one_elses_copies(ctx: Context, places: Places) -> None:
    number, img, _ = case_with_files(ctx)
    path = handling.download(ctx, staff(ctx, "danan12"), img)
    gk = staff(ctx, "reumgk")
    with pytest.raises(RuleViolation) as e:
        handling.cleanup(ctx, gk, img)
    assert str(path) not in e.value.message and path.exists()
    for call in (
        lambda: handling.mark_handled(ctx, gk, number),
        lambda: handling.reopen(ctx, gk, number),
        lambda: handling.mark_scanned(ctx, gk, img),
    ):
        with pytest.raises(RuleViolation, match="GK-konto"):
            call()
    log = entries(ctx, "reumgk")
    assert [(a, o) for a, o, _ in log] == [
        ("rensa", "nekad"),
        ("hanterat", "nekad"),
        ("återöppna", "nekad"),
        ("skannad", "nekad"),
    ]
    assert all(str(path) not in d for _, _, d in log)


def test_r21_cleanup_counts_a_colleagues_copy_without_its_path(
    ctx: Context, places: Places
) -> None:
    _, img, _ = case_with_files(ctx)
    theirs = handling.download(ctx, staff(ctx, "danan12"), img)
    maria = staff(ctx, "marsv3")
    mine = handling.download(ctx, maria, img)
    report = handling.cleanup(ctx, maria, img)
    assert not mine.exists() and theirs.exists()
    assert report.colleagues == 1 and not report.clean
    shown = " ".join(report.where + report.remaining + report.notes)
    assert str(theirs) not in shown and theirs.name not in shown
