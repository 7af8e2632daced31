"""The routine's state machine (tui_app/core/routine.py), one test per rule it encodes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tui_app.core import routine
from tui_app.core.errors import RuleViolation
from tui_app.core.limits import MAX_FILES_PER_MESSAGE
from tui_app.core.routine import (
    Action,
    CaseFacts,
    CaseState,
    Decision,
    FileFacts,
    FileKind,
    FileState,
    Laterality,
    Person,
    Target,
    blocker,
    kind_of,
)

NURSE = Person(picsara_permission=True)
NO_PICSARA = Person()
GK = Person(shared_account=True)
IMG = FileFacts(1, "bild.jpg", FileKind.IMAGE)
PDF = FileFacts(2, "brev.pdf", FileKind.DOCUMENT)
OPEN = CaseState.ANSWERED


def img(**kw: object) -> FileFacts:
    return FileFacts(1, "bild.jpg", FileKind.IMAGE, **kw)  # type: ignore[arg-type]


def pdf(**kw: object) -> FileFacts:
    return FileFacts(2, "brev.pdf", FileKind.DOCUMENT, **kw)  # type: ignore[arg-type]


def why(
    action: Action, f: FileFacts | None, who: routine.Who = NURSE, state: CaseState = OPEN
) -> routine.Blocker | None:
    """The blocker of action on f, in a case holding f (or nothing)."""
    return blocker(action, CaseFacts(state, (f,) if f else ()), f, who)


def keys(action: Action) -> str | None:
    return {Action.FILE_CLEANUP: "r", Action.FILE_DOWNLOAD: "l"}.get(action)


def test_kind_of_is_the_one_image_or_document_test() -> None:
    assert kind_of("application/pdf") is FileKind.DOCUMENT
    assert {kind_of(m) for m in ("image/jpeg", "image/png", "image/gif")} == {FileKind.IMAGE}


def test_stored_strings_are_the_enum_values() -> None:
    """No migration: the decision and the pending target are stored as these strings."""
    assert [d.value for d in Decision] == ["journalförs", "journalförs inte"]
    assert [t.value for t in Target] == ["picsara", "e-arkiv"]


def test_r07_r12_case_state_follows_the_clock() -> None:
    t0 = datetime(2026, 6, 4, 9, tzinfo=UTC)
    dl = t0 + timedelta(hours=48)
    table = [
        (t0, 0, False, CaseState.WAITING),
        (dl, 0, False, CaseState.CLOSED_AUTO),  # R12: closed at the deadline, sweep or not
        (t0, 1, False, CaseState.ANSWERED),
        (dl, 1, False, CaseState.CLOSED),
        (t0, 1, True, CaseState.HANDLED),
    ]
    for now, msgs, handled, want in table:
        got = routine.case_state(deadline=dl, now=now, patient_messages=msgs, handled=handled)
        assert got is want, (now, msgs, handled)


def test_r08_at_most_five_files_per_message() -> None:
    assert routine.attach_blocker(MAX_FILES_PER_MESSAGE - 1) is None
    b = routine.attach_blocker(MAX_FILES_PER_MESSAGE)
    assert b is not None and b.rule == "R08" and Action.REMOVE_FILE in b.actions
    routine.check_file_count(MAX_FILES_PER_MESSAGE)
    with pytest.raises(RuleViolation) as e:
        routine.check_file_count(MAX_FILES_PER_MESSAGE + 1)
    assert e.value.rule == "R08" and "Ta bort 1" in e.value.message


@pytest.mark.parametrize(
    "action,f",
    [(Action.FILE_PICSARA, img()), (Action.FILE_EARKIV, pdf()), (Action.CASE_HANDLED, None)],
)
def test_r13_nothing_is_archived_or_handled_before_a_decision(
    action: Action, f: FileFacts | None
) -> None:
    case_file = f or img()
    b = blocker(action, CaseFacts(OPEN, (case_file,)), f, NURSE)
    assert b is not None and b.rule == "R13" and b.later  # greyed: the decision comes first
    assert Action.FILE_JOURNAL in b.actions


def test_r14_a_pdf_never_goes_to_picsara_nor_an_image_to_earkiv() -> None:
    for action, f in [(Action.FILE_PICSARA, pdf()), (Action.FILE_EARKIV, img())]:
        for decision in (None, *Decision):
            b = why(action, FileFacts(f.id, f.name, f.kind, decision, copies=1))
            assert b is not None and b.rule == "R14" and not b.later  # hidden, for good


def test_r15_picsara_needs_the_permission() -> None:
    ready = img(decision=Decision.JOURNAL, copies=1)
    assert why(Action.FILE_PICSARA, ready, NURSE) is None
    for who in (NO_PICSARA, GK):
        b = why(Action.FILE_PICSARA, ready, who)
        assert b is not None and b.rule == "R15"


@pytest.mark.parametrize(
    "action",
    [
        Action.FILE_JOURNAL,
        Action.FILE_NOT_JOURNAL,
        Action.FILE_DOWNLOAD,
        Action.FILE_EARKIV,
        Action.FILE_SCANNED,
        Action.FILE_CLEANUP,
        Action.CASE_HANDLED,
    ],
)
def test_r16_shared_account_only_reads(action: Action) -> None:
    f = pdf(decision=Decision.JOURNAL, copies=1, printed=action is Action.FILE_SCANNED)
    b = why(action, f, GK)
    assert b is not None and b.rule == "R16" and not b.later
    assert routine.allowed(CaseFacts(OPEN, (f,)), f, GK) == {Action.FILE_PREVIEW}


def test_r16_shared_account_sends_no_message() -> None:
    b = routine.new_case_blocker(GK)
    assert b is not None and b.rule == "R16"
    assert routine.new_case_blocker(NURSE) is None


def test_r19_r20_the_way_of_a_journaled_file() -> None:
    """Each step opens the next: decide, download, send, (scan,) clean up."""
    table = [
        (img(), FileState.UNDECIDED, {Action.FILE_JOURNAL, Action.FILE_NOT_JOURNAL}),
        (img(decision=Decision.JOURNAL), FileState.TO_DOWNLOAD, {Action.FILE_DOWNLOAD}),
        (img(decision=Decision.JOURNAL, copies=1), FileState.DOWNLOADED, {Action.FILE_PICSARA}),
        (
            img(decision=Decision.JOURNAL, copies=1, in_picsara=True),
            FileState.IN_PICSARA,
            {Action.FILE_CLEANUP},
        ),
        (
            pdf(decision=Decision.JOURNAL, copies=1),
            FileState.DOWNLOADED,
            {Action.FILE_EARKIV},
        ),
        (pdf(decision=Decision.JOURNAL, printed=True), FileState.PRINTED, {Action.FILE_SCANNED}),
        (
            pdf(decision=Decision.JOURNAL, printed=True, scanned=True),
            FileState.SCANNED,
            set(),
        ),
    ]
    for f, state, opens in table:
        assert routine.state_of(f) is state, f
        allowed = routine.allowed(CaseFacts(OPEN, (f,)), f, NURSE)
        assert opens <= allowed, (f, allowed)


def test_r19_r20_a_send_waiting_for_confirmation_is_never_shown_as_done() -> None:
    f = img(decision=Decision.JOURNAL, copies=1, pending=Target.PICSARA)
    assert routine.state_of(f) is FileState.PENDING
    assert routine.file_status(f) == "Picsara väntar på bekräftelse"
    for action in (Action.FILE_PICSARA, Action.FILE_JOURNAL, Action.FILE_NOT_JOURNAL):
        b = why(action, f)
        assert b is not None and b.code == "pending", action
    assert why(Action.CASE_HANDLED, f) is not None


def test_r19_laterality_words_letters_and_dicom_codes() -> None:
    assert [s.value for s in Laterality] == ["höger", "vänster", "bilateralt", "ej parad"]
    assert [s.dicom for s in Laterality] == ["R", "L", "B", "U"]
    for typed, side in [("h", "höger"), ("VANSTER", "vänster"), ("ej  parad", "ej parad")]:
        assert routine.parse_laterality(typed) == side
    assert routine.parse_laterality("x") is None
    assert "h höger" in routine.laterality_prompt()


def test_r21_a_copy_left_keeps_the_case_open_and_names_cleanup() -> None:
    done = img(decision=Decision.JOURNAL, copies=1, in_picsara=True)
    b = why(Action.CASE_HANDLED, done)
    assert b is not None and b.code == "copy_left" and Action.FILE_CLEANUP in b.actions
    assert routine.missing_for_handled([done]) == ["fil 1 har en nedladdad kopia kvar (R21)"]
    assert routine.todo_for(CaseState.HANDLED, 1, 0, copies=1) == "Rensa kopior ({file_cleanup})"
    clean = img(decision=Decision.JOURNAL, in_picsara=True)
    assert why(Action.CASE_HANDLED, clean) is None and routine.missing_for_handled([clean]) == []
    assert why(Action.FILE_CLEANUP, clean) is not None  # nothing to clean


def test_r22_nothing_is_decided_by_itself() -> None:
    """Received files start undecided; only a staff action decides (no automatic decision)."""
    assert routine.state_of(img()) is FileState.UNDECIDED
    assert routine.missing_for_handled([img(), pdf()]) == [
        "fil 1 saknar beslut (R13)",
        "fil 2 saknar beslut (R13)",
    ]


def test_a_handled_case_takes_no_new_step_until_reopened() -> None:
    f = img(decision=Decision.JOURNAL, copies=1)
    for action in (Action.FILE_JOURNAL, Action.FILE_DOWNLOAD, Action.FILE_PICSARA):
        b = why(action, f, state=CaseState.HANDLED)
        assert b is not None and b.code == "handled" and Action.CASE_REOPEN in b.actions
    assert why(Action.CASE_REOPEN, f, state=CaseState.HANDLED) is None
    assert why(Action.CASE_REOPEN, f) is not None


def test_advice_is_not_a_rule() -> None:
    """What the screen hides only because it would be pointless, a service does not refuse."""
    again = why(Action.FILE_JOURNAL, img(decision=Decision.JOURNAL))
    assert again is not None and again.advice
    sent = why(Action.FILE_DOWNLOAD, img(decision=Decision.JOURNAL, in_picsara=True))
    assert sent is not None and sent.advice
    gk = why(Action.FILE_DOWNLOAD, img(), GK)
    assert gk is not None and not gk.advice


def test_hints_name_actions_and_render_with_any_keymap() -> None:
    text = routine.file_status(img(decision=Decision.NOT_JOURNAL, copies=1))
    assert text == "Journalförs inte – rensa ({file_cleanup})"
    assert routine.render_hints(text, keys) == "Journalförs inte – rensa (r)"
    assert routine.render_hints(text, lambda a: "F12") == "Journalförs inte – rensa (F12)"
    assert routine.plain(text) == "Journalförs inte – rensa"  # no key known: the hint goes
    assert routine.render_hints("{not_an_action}", keys) == "{not_an_action}"
