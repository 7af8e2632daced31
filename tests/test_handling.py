"""Staff handling of each file (R13–R22), against a temporary database and temporary folders."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.conftest import staff
from tests.handling_fixtures import Places, case_with_files
from tui_app.core.errors import InvalidInput, RuleViolation, UserError
from tui_app.services import audit, handling
from tui_app.services.cases import open_case
from tui_app.services.context import Context
from tui_app.store.models import Attachment, AuditEntry, Download


def actions(ctx: Context) -> list[tuple[str, str, str]]:
    with Session(ctx.engine) as s:
        return [(e.actor, e.action, e.outcome) for e in s.exec(select(AuditEntry)).all()]


def test_r13_r22_nothing_is_journaled_without_a_decision(ctx: Context, places: Places) -> None:
    number, img, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    view = open_case(ctx, dan, number)
    assert [f.decision for f in view.files] == [None, None]
    assert all(f.status == "Ej beslutad" for f in view.files)
    with pytest.raises(UserError, match="saknar beslut"):
        handling.mark_handled(ctx, dan, number)
    handling.decide(ctx, dan, img, True)
    with pytest.raises(InvalidInput, match="anledning"):
        handling.decide(ctx, dan, pdf, False, "  ")
    handling.decide(ctx, dan, pdf, False, "dubblett")
    view = open_case(ctx, dan, number)
    assert [f.decision for f in view.files] == ["journalförs", "journalförs inte"]
    assert ("danan12", "beslut", "ok") in actions(ctx)


def test_r16_shared_account_cannot_download(ctx: Context, places: Places) -> None:
    number, img, _ = case_with_files(ctx)
    gk = staff(ctx, "reumgk")
    assert open_case(ctx, gk, number).files  # a GK account may read
    with pytest.raises(RuleViolation) as e:
        handling.download(ctx, gk, img)
    assert e.value.rule == "R16" and "GK-konto" in e.value.message
    assert list(places.downloads.iterdir()) == []
    assert ("reumgk", "ladda ner", audit.REFUSED) in actions(ctx)


def test_r17_r18_one_file_lands_in_downloads_readable_only_by_the_user(
    ctx: Context, places: Places
) -> None:
    number, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    path = handling.download(ctx, dan, img)
    assert path.parent == places.downloads
    assert list(places.downloads.iterdir()) == [path]  # one action, one file
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "handled" not in path.name  # a generated name, not the patient's
    with Session(ctx.engine) as s:
        a = s.get(Attachment, img)
        d = s.exec(select(Download)).one()
        assert a is not None and d.sha256 == a.sha256_stored and d.staff_login == "danan12"
        assert d.path == str(path)


def test_r17_there_is_no_download_all() -> None:
    from tui_app.ui.screens.case import CaseScreen

    actions_ = {b.action for b in CaseScreen.BINDINGS}  # type: ignore[union-attr]
    assert "download" in actions_ and not any("all" in a for a in actions_)
    assert "file_id" in handling.download.__code__.co_varnames  # one file id per call


def test_r14_a_pdf_never_goes_to_picsara_nor_an_image_to_earkiv(
    ctx: Context, places: Places
) -> None:
    _, img, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, pdf, True)
    handling.decide(ctx, dan, img, True)
    handling.download(ctx, dan, pdf)
    with pytest.raises(RuleViolation) as e:
        handling.to_picsara(ctx, dan, pdf, None, None)
    assert e.value.rule == "R14"
    with pytest.raises(RuleViolation) as e:
        handling.print_earkiv(ctx, dan, img)
    assert e.value.rule == "R14"
    assert list(places.picsara.iterdir()) == []


def test_r15_picsara_needs_permission_and_configuration(ctx: Context, places: Places) -> None:
    _, img, _ = case_with_files(ctx)
    maria = staff(ctx, "marsv3")  # no Picsara permission
    handling.decide(ctx, maria, img, True)
    handling.download(ctx, maria, img)
    with pytest.raises(RuleViolation) as e:
        handling.to_picsara(ctx, maria, img, "vänster", "handled")
    assert e.value.rule == "R15" and "behörighet" in e.value.message
    dan = staff(ctx, "danan12")
    ctx.picsara = None  # this server has no Picsara
    handling.download(ctx, dan, img)
    with pytest.raises(RuleViolation, match="inte konfigurerat"):
        handling.to_picsara(ctx, dan, img, "vänster", "handled")


def test_r19_picsara_gets_a_dicom_with_patient_and_laterality(ctx: Context, places: Places) -> None:
    import pydicom

    number, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, True)
    with pytest.raises(UserError, match="Ladda ner filen först"):
        handling.to_picsara(ctx, dan, img, "vänster", "handled")
    handling.download(ctx, dan, img)
    written = handling.to_picsara(ctx, dan, img, "vänster", "handled")
    assert len(written) == 1 and written[0].parent == places.picsara
    ds = pydicom.dcmread(written[0])
    assert ds.PatientID == "200001252386"
    assert ds.Modality == "XC" and ds.ImageLaterality == "L"
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.77.1.4"
    assert ds.AccessionNumber == str(number)
    assert (ds.Rows, ds.Columns) == (1200, 900)  # the EXIF rotation was applied at intake
    view = open_case(ctx, dan, number)
    assert view.files[0].status.startswith("I Picsara")
    with pytest.raises(UserError, match="redan"):
        handling.to_picsara(ctx, dan, img, "vänster", "handled")


def test_r20_earkiv_print_job_with_cover_sheet_then_scanned(ctx: Context, places: Places) -> None:
    import pypdfium2 as pdfium

    number, _, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, pdf, True)
    handling.download(ctx, dan, pdf)
    where = handling.print_earkiv(ctx, dan, pdf)
    assert where.pages == 2 and "2 sidor" in where.summary and where.file_id == pdf
    jobs = list(places.earkiv.iterdir())
    assert len(jobs) == 1
    doc = pdfium.PdfDocument(jobs[0])
    assert len(doc) == 2
    cover = doc[0].get_textpage().get_text_range()
    assert "200001252386" in cover and "Elin" in cover and str(number) in cover
    assert "Reumatologi - testenhet för 1177, Skövde" in cover
    doc.close()
    assert open_case(ctx, dan, number).files[1].status.startswith("Utskriven")
    handling.mark_scanned(ctx, dan, pdf)
    assert open_case(ctx, dan, number).files[1].status.startswith("Skannad i E-arkiv")


def test_r21_cleanup_removes_the_download_and_the_trash_copy(ctx: Context, places: Places) -> None:
    number, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, True)
    path = handling.download(ctx, dan, img)
    # The nurse also dragged a second copy to the trash, as a desktop would.
    (places.trash / "files").mkdir(parents=True)
    (places.trash / "info").mkdir(parents=True)
    (places.trash / "files" / "bild.jpg").write_bytes(path.read_bytes())
    (places.trash / "info" / "bild.jpg.trashinfo").write_text(
        "[Trash Info]\nPath=/home/x/bild.jpg\nDeletionDate=2026-11-25T10:00:00\n"
    )
    handling.to_picsara(ctx, dan, img, "höger", "")
    assert open_case(ctx, dan, number).files[0].copies == 1
    report = handling.cleanup(ctx, dan, img)
    assert report.clean and report.deleted == [str(path)] and len(report.trashed) == 1
    assert not path.exists() and list((places.trash / "files").iterdir()) == []
    assert list((places.trash / "info").iterdir()) == []
    assert open_case(ctx, dan, number).files[0].copies == 0


def test_r21_leftovers_command_finds_and_deletes_copies(ctx: Context, places: Places) -> None:
    import io

    from tui_app.commands.records import run_leftovers

    _, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    path = handling.download(ctx, dan, img)
    stray = places.downloads / "kopia av bild.jpg"
    stray.write_bytes(path.read_bytes())
    out = io.StringIO()
    assert run_leftovers(ctx, None, delete=False, out=out) == 1
    assert str(stray) in out.getvalue() and str(path) in out.getvalue()
    assert run_leftovers(ctx, None, delete=True, out=io.StringIO()) == 0
    assert not stray.exists() and not path.exists()
    assert run_leftovers(ctx, None, delete=False, out=io.StringIO()) == 0


def test_case_handled_only_when_everything_is_done(ctx: Context, places: Places) -> None:
    number, img, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, True)
    handling.decide(ctx, dan, pdf, True)
    handling.download(ctx, dan, img)
    handling.to_picsara(ctx, dan, img, None, None)
    with pytest.raises(UserError) as e:
        handling.mark_handled(ctx, dan, number)
    assert "inte utskriven" in e.value.message and "nedladdad kopia kvar" in e.value.message
    handling.cleanup(ctx, dan, img)
    handling.download(ctx, dan, pdf)
    handling.print_earkiv(ctx, dan, pdf)
    handling.cleanup(ctx, dan, pdf)
    handling.mark_handled(ctx, dan, number)
    assert open_case(ctx, dan, number).state.value == "Hanterat"


# Bad input: each ends in a clear message and a consistent database.


def test_missing_download_folder_is_explained_and_nothing_recorded(
    ctx: Context, places: Places
) -> None:
    _, img, _ = case_with_files(ctx)
    places.downloads.rmdir()
    with pytest.raises(UserError) as e:
        handling.download(ctx, staff(ctx, "danan12"), img)
    assert "finns inte" in e.value.message
    with Session(ctx.engine) as s:
        assert s.exec(select(Download)).all() == []


def test_full_disk_during_download_leaves_nothing(
    ctx: Context, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    _, img, _ = case_with_files(ctx)
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    try:
        with pytest.raises(UserError) as e:
            handling.download(ctx, staff(ctx, "danan12"), img)
    finally:
        monkeypatch.setattr(os, "write", real_write)
    assert "full" in e.value.message.lower() or "utrymme" in e.value.message.lower()
    assert list(places.downloads.iterdir()) == []
    with Session(ctx.engine) as s:
        assert s.exec(select(Download)).all() == []


def test_vanished_picsara_folder_is_explained_and_not_recorded(
    ctx: Context, places: Places
) -> None:
    number, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, True)
    handling.download(ctx, dan, img)
    places.picsara.rmdir()
    with pytest.raises(UserError, match="finns inte"):
        handling.to_picsara(ctx, dan, img, "vänster", None)
    assert not open_case(ctx, dan, number).files[0].in_picsara


def test_missing_printer_is_explained_and_not_recorded(
    ctx: Context, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, _, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, pdf, True)
    handling.download(ctx, dan, pdf)
    from tui_app.adapters.earkiv import LpPrinter

    ctx.earkiv = LpPrinter("skanning-1")
    monkeypatch.setenv("PATH", str(places.earkiv))  # no lp anywhere
    with pytest.raises(UserError, match="skanning-1"):
        handling.print_earkiv(ctx, dan, pdf)
    assert not open_case(ctx, dan, number).files[1].printed


def test_copy_already_removed_by_someone_else(ctx: Context, places: Places) -> None:
    _, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    path = handling.download(ctx, dan, img)
    path.unlink()
    report = handling.cleanup(ctx, dan, img)
    assert report.clean and report.deleted == [str(path)]


def test_two_staff_on_the_same_file_at_once(ctx: Context, places: Places) -> None:
    from tui_app.services.handling import _bump, load_file
    from tui_app.store.db import session_scope

    _, img, _ = case_with_files(ctx)
    dan, maria = staff(ctx, "danan12"), staff(ctx, "marsv3")
    with session_scope(ctx.engine) as s:
        stale = load_file(s, dan, img)  # Daniel read the file ...
    handling.decide(ctx, maria, img, False, "fel bild")  # ... Maria decided meanwhile
    with pytest.raises(UserError, match="samtidigt"):
        with session_scope(ctx.engine) as s:
            _bump(s, stale, decision="journalförs")
    with Session(ctx.engine) as s:
        a = s.get(Attachment, img)
        assert a is not None and a.decision == "journalförs inte" and a.decided_by == "marsv3"


def _seen_version(ctx: Context, actor: object, number: int, file_id: int) -> int:
    """What one staff member's screen holds: the file as read in their own session."""
    view = open_case(ctx, actor, number)  # type: ignore[arg-type]
    return next(f.version for f in view.files if f.id == file_id)


def test_r13_two_staff_deciding_at_once_the_second_is_told_what_the_first_decided(
    ctx: Context, places: Places
) -> None:
    number, img, _ = case_with_files(ctx)
    dan, maria = staff(ctx, "danan12"), staff(ctx, "marsv3")
    seen_dan = _seen_version(ctx, dan, number, img)  # both read ...
    seen_maria = _seen_version(ctx, maria, number, img)
    handling.decide(
        ctx, maria, img, False, "fel bild", expected_version=seen_maria
    )  # ... both write
    with pytest.raises(UserError) as e:
        handling.decide(ctx, dan, img, True, expected_version=seen_dan)
    msg = e.value.message
    assert "Maria Svensson" in msg and "hann före" in msg and "journalförs inte" in msg
    assert "fel bild" in msg and "sparades inte" in msg
    with Session(ctx.engine) as s:
        a = s.get(Attachment, img)
        assert a is not None and a.decision == "journalförs inte" and a.decided_by == "marsv3"
    assert ("danan12", "beslut", audit.REFUSED) in actions(ctx)
    # Having now seen Maria's decision, Daniel may change it on purpose.
    handling.decide(ctx, dan, img, True, expected_version=_seen_version(ctx, dan, number, img))


def test_r13_two_threads_deciding_at_once_exactly_one_wins(ctx: Context, places: Places) -> None:
    import threading

    number, img, _ = case_with_files(ctx)
    people = [staff(ctx, "danan12"), staff(ctx, "marsv3")]
    seen = [_seen_version(ctx, p, number, img) for p in people]  # both read, in two sessions
    start = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def decide(i: int) -> None:
        start.wait()
        try:
            handling.decide(
                ctx, people[i], img, i == 0, "" if i == 0 else "dubblett", expected_version=seen[i]
            )
            outcome[people[i].login] = "ok"
        except UserError as exc:
            outcome[people[i].login] = exc.message

    threads = [threading.Thread(target=decide, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [login for login, said in outcome.items() if said == "ok"]
    assert len(winners) == 1, outcome
    loser = next(login for login in outcome if login not in winners)
    assert "hann före" in outcome[loser]
    with Session(ctx.engine) as s:
        a = s.get(Attachment, img)
        assert a is not None and a.decided_by == winners[0] and a.version == seen[0] + 1


def test_r13_two_processes_deciding_from_what_they_saw(
    ctx: Context, places: Places, tmp_path: Path
) -> None:
    """Two separate processes (two app instances) that read the same version: the second loses."""
    import subprocess
    import sys

    number, img, _ = case_with_files(ctx)
    seen = _seen_version(ctx, staff(ctx, "danan12"), number, img)
    script = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from tui_app.core.clock import FixedClock\n"
        "from tui_app.core.errors import UserError\n"
        "from tui_app.services import handling\n"
        "from tui_app.services.context import open_context\n"
        "from tui_app.services.identity import staff_by_login\n"
        "from tui_app.store.db import sqlite_url\n"
        "url, data, login, fid, ver, journal = sys.argv[1:]\n"
        "ctx = open_context(url, data, clock=FixedClock(datetime(2026, 6, 4, 8, tzinfo=UTC)))\n"
        "try:\n"
        "    handling.decide(ctx, staff_by_login(ctx, login), int(fid), journal == '1',\n"
        "                    '' if journal == '1' else 'dubblett', expected_version=int(ver))\n"
        "    print('ok')\n"
        "except UserError as e:\n"
        "    print(e.message)\n"
    )
    url = ctx.engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    def run(login: str, journal: str) -> str:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                script,
                url,
                str(ctx.data_dir),
                login,
                str(img),
                str(seen),
                journal,
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return out.stdout.strip()

    assert run("marsv3", "0") == "ok"
    said = run("danan12", "1")
    assert "Maria Svensson" in said and "journalförs inte" in said and "hann före" in said
