"""The status words a file and a case show (case table, inbox) and what blocks "handled"."""

from __future__ import annotations

from collections.abc import Iterable

from tui_app.core.routine.facts import Action, FileFacts
from tui_app.core.routine.kinds import CaseState, Decision, FileKind, FileState, Target


def state_of(f: FileFacts) -> FileState:
    """Where a file stands, from its facts."""
    if f.decision is None:
        return FileState.UNDECIDED
    if f.decision is Decision.NOT_JOURNAL:
        return FileState.NOT_JOURNAL
    if f.pending is not None:  # claimed, not confirmed: never shown as done (R19, R20)
        return FileState.PENDING
    if f.kind is FileKind.DOCUMENT and f.scanned:
        return FileState.SCANNED
    if f.kind is FileKind.DOCUMENT and f.printed:
        return FileState.PRINTED
    if f.kind is FileKind.IMAGE and f.in_picsara:
        return FileState.IN_PICSARA
    return FileState.DOWNLOADED if f.copies else FileState.TO_DOWNLOAD


def file_status(f: FileFacts) -> str:
    """Where a file stands, in words short enough for the case table's Status column at 80
    columns with the ' ⚠N' copies suffix (tests/test_status_fit), hints as placeholders."""
    st = state_of(f)
    clean = f" – rensa ({Action.FILE_CLEANUP.hint})" if f.copies else ""
    doc = f.kind is FileKind.DOCUMENT
    if st is FileState.UNDECIDED:
        return "Ej beslutad"
    if st is FileState.NOT_JOURNAL:
        return "Journalförs inte" + clean
    if st is FileState.PENDING:
        return ("Picsara" if f.pending is Target.PICSARA else "E-arkiv") + " väntar på bekräftelse"
    if st is FileState.SCANNED:
        return "Skannad i E-arkiv" + clean
    if st is FileState.PRINTED:  # with a copy left the copy comes first
        return "Utskriven" + clean if f.copies else "Utskriven, ej skannad"
    if st is FileState.IN_PICSARA:
        return "I Picsara" + clean
    if st is FileState.DOWNLOADED:
        return "Nedladdad – " + (
            f"skriv ut ({Action.FILE_EARKIV.hint})"
            if doc
            else f"till Picsara ({Action.FILE_PICSARA.hint})"
        )
    return f"Journalförs – ladda ner ({Action.FILE_DOWNLOAD.hint})"


def todo_for(state: CaseState, file_count: int, undecided: int = -1, copies: int = 0) -> str:
    """What is still to do with a case, in a few words (the inbox's "Att göra")."""
    if copies and state in (CaseState.HANDLED, CaseState.CLOSED_AUTO):
        # never "Klart" while a copy of a patient file lies around (R21)
        return f"Rensa kopior ({Action.FILE_CLEANUP.hint})"
    if state is CaseState.WAITING:
        return "Vänta på svar"
    if state is CaseState.CLOSED_AUTO:
        return "Inget (inget svar)"
    if state is CaseState.HANDLED:
        return "Klart"
    if file_count == 0:
        return "Läs svaret"
    left = file_count if undecided < 0 else undecided
    return f"Bedöm {left} fil{'er' if left != 1 else ''}" if left else "Arkivera och rensa"


def missing_for_handled(files: Iterable[FileFacts]) -> list[str]:
    """What still stands between the case and 'handled', in words (empty when nothing).

    `copies` counts everyone's copies here: a colleague's copy left in Downloads keeps the case
    open too (R21).
    """
    missing = []
    for f in files:
        name = f"fil {f.id}"
        if f.decision is None:
            missing.append(f"{name} saknar beslut (R13)")
        elif f.decision is Decision.JOURNAL:
            if f.kind is FileKind.DOCUMENT and not f.printed:
                missing.append(f"{name} är inte utskriven för E-arkiv (R20)")
            elif f.kind is FileKind.IMAGE and not f.in_picsara:
                missing.append(f"{name} är inte sparad i Picsara (R19)")
        if f.copies:
            missing.append(f"{name} har en nedladdad kopia kvar (R21)")
    return missing
