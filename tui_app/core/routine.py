"""The state machine of a received file and of a case (SPEC.md R08, R12–R22), in one place.

From the stored facts of a file and its case (`FileFacts`, `CaseFacts`) and of the person acting
(`Who`) this module derives what may be done next (`allowed`), why not (`blocker`, with the rule
id), the status words the case table and the inbox show (`file_status`, `todo_for`) and what
stands between a case and "handled" (`missing_for_handled`). Services refuse with the same
blockers the screens grey keys with, so the two can no longer disagree.

Messages name actions, never keys: `{file_cleanup}` stands for whatever key the user's keymap
binds to that action. The UI renders it (`render_hints`); outside the UI the hint is dropped.
Swedish words here are display text; the enum values that are stored in the database keep the
stored strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from tui_app.core.clock import as_utc
from tui_app.core.errors import RuleViolation, UserError
from tui_app.core.limits import MAX_FILES_PER_MESSAGE


class Decision(StrEnum):
    """The staff member's decision on a file (R13, R22); the value is what is stored."""

    JOURNAL = "journalförs"
    NOT_JOURNAL = "journalförs inte"


class FileKind(StrEnum):
    """An image goes to Picsara, a document (PDF) to E-arkiv (R14)."""

    IMAGE = "bild"
    DOCUMENT = "dokument"


def kind_of(mime: str | None) -> FileKind:
    """The kind of a received file from its (content-sniffed) MIME type: PDF is the document."""
    return FileKind.DOCUMENT if mime == "application/pdf" else FileKind.IMAGE


class Target(StrEnum):
    """Where a journaled file is sent; the value is Attachment.pending_action as stored."""

    PICSARA = "picsara"
    EARKIV = "e-arkiv"


class Laterality(StrEnum):
    """The side an image shows (R19); the value is the word staff see and the label stored."""

    RIGHT = "höger"
    LEFT = "vänster"
    BILATERAL = "bilateralt"
    UNPAIRED = "ej parad"

    @property
    def letter(self) -> str:
        """The one letter typed for it in the Picsara dialog."""
        return self.value[0]

    @property
    def dicom(self) -> str:
        """DICOM ImageLaterality (R, L, B, U)."""
        return _DICOM_SIDE[self]


_DICOM_SIDE = {
    Laterality.RIGHT: "R",
    Laterality.LEFT: "L",
    Laterality.BILATERAL: "B",
    Laterality.UNPAIRED: "U",
}
_ASCII = str.maketrans("åäö", "aao")


def parse_laterality(text: str) -> Laterality | None:
    """The side typed as its letter or word (å/ä/ö optional, any case); None when unknown.

    An empty text is no side, and raises nothing: ask `text.strip()` first.
    """
    t = " ".join(text.strip().lower().split()).translate(_ASCII)
    for side in Laterality:
        if t in (side.letter, side.value.translate(_ASCII)):
            return side
    return None


def laterality_prompt() -> str:
    """The one line that asks for a side: every letter and word, and that empty means none."""
    return "Sida: " + " · ".join(f"{s.letter} {s.value}" for s in Laterality) + " · tomt = ingen"


class CaseState(StrEnum):
    """What a case is, in words staff understand (never shown by colour alone)."""

    WAITING = "Väntar på svar"
    ANSWERED = "Besvarat"
    CLOSED_AUTO = "Avslutat automatiskt"
    CLOSED = "Avslutat"
    HANDLED = "Hanterat"


def case_state(
    *, deadline: datetime, now: datetime, patient_messages: int, handled: bool = False
) -> CaseState:
    """Derive the state from the clock, so it is right whether or not a sweep ran (R07, R12)."""
    if handled:
        return CaseState.HANDLED
    open_ = as_utc(now) < as_utc(deadline)
    if patient_messages == 0:
        return CaseState.WAITING if open_ else CaseState.CLOSED_AUTO
    return CaseState.ANSWERED if open_ else CaseState.CLOSED


class FileState(StrEnum):
    """Where a file stands in the routine."""

    UNDECIDED = "undecided"
    NOT_JOURNAL = "not_journal"
    TO_DOWNLOAD = "to_download"  # journaled, no copy yet
    DOWNLOADED = "downloaded"  # journaled, a copy to send from
    PENDING = "pending"  # claimed for Picsara or E-arkiv, not yet confirmed (R19, R20)
    IN_PICSARA = "in_picsara"
    PRINTED = "printed"  # printed for E-arkiv, not yet scanned
    SCANNED = "scanned"


class Action(StrEnum):
    """What staff or a patient can do; the values are the key bindings' ids (remappable)."""

    FILE_PREVIEW = "file_preview"
    FILE_JOURNAL = "file_journal"
    FILE_NOT_JOURNAL = "file_not_journal"
    FILE_DOWNLOAD = "file_download"
    FILE_PICSARA = "file_picsara"
    FILE_EARKIV = "file_earkiv"
    FILE_SCANNED = "file_scanned"
    FILE_CLEANUP = "file_cleanup"
    CASE_HANDLED = "case_handled"
    CASE_REOPEN = "case_reopen"
    REFRESH_CASE = "refresh_case"
    NEW_CASE = "new_case"
    REMOVE_FILE = "remove_file"  # the patient takes a chosen file off a reply

    @property
    def hint(self) -> str:
        """The placeholder a message writes where the key belongs: '{file_cleanup}'."""
        return "{" + self.value + "}"


FILE_ACTIONS = (
    Action.FILE_PREVIEW,
    Action.FILE_JOURNAL,
    Action.FILE_NOT_JOURNAL,
    Action.FILE_DOWNLOAD,
    Action.FILE_PICSARA,
    Action.FILE_EARKIV,
    Action.FILE_SCANNED,
    Action.FILE_CLEANUP,
)
CASE_ACTIONS = (Action.CASE_HANDLED, Action.CASE_REOPEN)


_HINT = re.compile(r"(\s?\()?\{([a-z_]+)\}(\))?")


def render_hints(text: str, key_of: Callable[[Action], str | None] | None = None) -> str:
    """The text with each '{action}' replaced by the key `key_of` gives for it; where there is
    none, a hint written '(…{action})' is dropped with its brackets, so no placeholder shows."""
    values = {a.value: a for a in Action}

    def one(m: re.Match[str]) -> str:
        action = values.get(m.group(2))
        if action is None:
            return m.group(0)
        key = key_of(action) if key_of is not None else None
        if key:
            return (m.group(1) or "") + key + (m.group(3) or "")
        return "" if m.group(1) and m.group(3) else (m.group(1) or "") + (m.group(3) or "")

    return _HINT.sub(one, text)


def plain(text: str) -> str:
    """The text for a reader without keys (a log, a CLI): hints dropped."""
    return render_hints(text)


class Who(Protocol):
    """The person acting, as far as the routine cares (an Actor, or fresh flags from the DB)."""

    @property
    def shared_account(self) -> bool: ...

    @property
    def picsara_permission(self) -> bool: ...


@dataclass(frozen=True)
class Person:
    """A `Who` built from values (a service reads the flags as they stand in the database)."""

    shared_account: bool = False
    picsara_permission: bool = False


@dataclass(frozen=True)
class FileFacts:
    """The stored facts of one received file that the routine depends on."""

    id: int
    name: str  # already safe to show
    kind: FileKind
    decision: Decision | None = None
    copies: int = 0  # downloaded copies not yet cleaned up (the acting person's, for a service)
    pending: Target | None = None
    in_picsara: bool = False
    printed: bool = False
    scanned: bool = False

    @property
    def sent(self) -> bool:
        """In Picsara or printed: the decision stands and no new copy is needed."""
        return self.in_picsara or self.printed


@dataclass(frozen=True)
class CaseFacts:
    """The stored facts of a case that the routine depends on."""

    state: CaseState
    files: tuple[FileFacts, ...] = ()

    @property
    def handled(self) -> bool:
        """Marked handled: it takes no new decision, download or export until reopened."""
        return self.state is CaseState.HANDLED


@dataclass(frozen=True)
class Blocker:
    """Why an action cannot be done now.

    `later`: it can once an earlier step is done (a key is greyed, not hidden); `actions`: the
    actions the text names; `log`: the access-log action a refused attempt is logged under
    (R24; empty when a press is not worth logging); `code`: a short id a service may act on;
    `advice`: the routine advises against it (the key is hidden: it would do nothing useful)
    but no rule forbids it, so a service does not refuse it (a reopened case may download a
    file once more).
    """

    rule: str | None
    text: str
    actions: tuple[Action, ...] = ()
    later: bool = False
    log: str = ""
    code: str = ""
    advice: bool = False

    def error(self) -> UserError:
        """The blocker as the error a service raises."""
        if self.rule:
            return RuleViolation(self.rule, self.text)
        return UserError(self.text)


def _short(name: str, width: int = 24) -> str:
    """A file name short enough for a one-line reason."""
    return name if len(name) <= width else name[: width - 1] + "…"


def _gk(what: str, log: str = "") -> Blocker:
    return Blocker(
        "R16",
        f"GK-konto: bara läsa. Logga in med eget VGR-ID för att {what}.",
        log=log,
        code="shared_account",
    )


HANDLED_TEXT = (
    f"Ärendet är hanterat. Återöppna det ({Action.CASE_REOPEN.hint}) om något behöver göras om."
)
_HANDLED = Blocker(None, HANDLED_TEXT, (Action.CASE_REOPEN,), code="handled")
NO_COPY_TEXT = (
    f"Ladda ner filen först ({Action.FILE_DOWNLOAD.hint}). Den hämtade kopian används och "
    "raderas sedan."
)


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


# The blockers, one function per action. Order matters where several apply: what can never be
# done by this person on this file comes first (the key is hidden), then a handled case, then
# the step that is missing (the key is greyed: `later`).


def _decide(f: FileFacts, case: CaseFacts, who: Who, wanted: Decision) -> Blocker | None:
    if who.shared_account:
        return _gk("besluta", log="beslut")
    if case.handled:
        return _HANDLED
    if f.sent:
        return Blocker(
            None,
            "Filen är redan sparad eller utskriven; beslutet kan inte ändras.",
            code="sent",
        )
    if f.pending is not None:
        return _pending(f)
    if f.decision is wanted:
        return Blocker(None, f"Redan beslutat: {wanted.value}.", code="already", advice=True)
    return None


def _pending(f: FileFacts) -> Blocker:
    where = "Picsara" if f.pending is Target.PICSARA else "E-arkiv"
    return Blocker(
        None,
        f"Väntar på bekräftelse från {where}. Uppdatera ({Action.REFRESH_CASE.hint}) om en stund.",
        (Action.REFRESH_CASE,),
        later=True,
        code="pending",
    )


def _download(f: FileFacts, case: CaseFacts, who: Who) -> Blocker | None:
    if who.shared_account:
        return _gk("ladda ner", log="ladda ner")
    if case.handled:
        return _HANDLED
    if f.decision is Decision.NOT_JOURNAL:
        return Blocker(
            None,
            "Filen ska inte journalföras och behöver inte laddas ner.",
            code="not_journal",
            advice=True,
        )
    if f.sent:
        return Blocker(
            None,
            "Filen är redan i Picsara eller utskriven; ingen ny kopia behövs.",
            code="sent",
            advice=True,
        )
    return None


def _export(f: FileFacts, case: CaseFacts, what: str) -> Blocker | None:
    """The steps before Picsara or E-arkiv: journaled (R13), not waiting, a copy to send."""
    if f.decision is Decision.NOT_JOURNAL:
        return Blocker(
            None,
            f"Filen ska inte journalföras, så {what} ska inte arkiveras.",
            code="not_journal",
        )
    if case.handled:
        return _HANDLED
    if f.decision is None:
        return Blocker(
            "R13",
            f"Bestäm först att {what} ska journalföras ({Action.FILE_JOURNAL.hint}).",
            (Action.FILE_JOURNAL,),
            later=True,
            code="undecided",
        )
    if f.pending is not None:
        return _pending(f)
    if not f.copies:
        return Blocker(
            None,
            NO_COPY_TEXT,
            (Action.FILE_DOWNLOAD,),
            later=True,
            code="no_copy",
        )
    return None


def _picsara(f: FileFacts, case: CaseFacts, who: Who) -> Blocker | None:
    if f.kind is FileKind.DOCUMENT:
        return Blocker(
            "R14",
            f"PDF-dokument sparas aldrig i Picsara; skriv ut för E-arkiv ({Action.FILE_EARKIV.hint}).",
            (Action.FILE_EARKIV,),
            code="kind",
        )
    if who.shared_account or not who.picsara_permission:
        return Blocker(
            "R15",
            "Du saknar behörighet till Picsara; be en kollega som har den.",
            code="permission",
        )
    if case.handled:
        return _HANDLED
    if f.in_picsara:
        return Blocker(None, "Bilden är redan sparad i Picsara.", code="done")
    return _export(f, case, "bilden")


def _earkiv(f: FileFacts, case: CaseFacts, who: Who) -> Blocker | None:
    if f.kind is FileKind.IMAGE:
        return Blocker(
            "R14",
            f"Bilder sparas i Picsara ({Action.FILE_PICSARA.hint}), inte i E-arkiv.",
            (Action.FILE_PICSARA,),
            code="kind",
        )
    if who.shared_account:
        return _gk("skriva ut", log="e-arkiv")
    if case.handled:
        return _HANDLED
    if f.printed:
        return Blocker(None, "Dokumentet är redan utskrivet för E-arkiv.", code="done")
    return _export(f, case, "dokumentet")


def _scanned(f: FileFacts, who: Who) -> Blocker | None:
    if f.kind is FileKind.IMAGE:
        return Blocker(None, "Bara ett utskrivet dokument kan markeras skannat.", code="kind")
    if who.shared_account:
        return _gk("markera skannat", log="skannad")
    if not f.printed:
        return Blocker(None, "Dokumentet är inte utskrivet än.", code="not_printed")
    if f.scanned:
        return Blocker(None, "Dokumentet är redan markerat som skannat.", code="done")
    return None


def _cleanup(f: FileFacts, who: Who) -> Blocker | None:
    if who.shared_account:
        return Blocker(
            "R16", "GK-kontot laddar inte ner och har inga kopior att rensa.", log="rensa"
        )
    if not f.copies:
        return Blocker(None, "Det finns ingen nedladdad kopia av filen att rensa.", code="none")
    return None


def _handled(case: CaseFacts, who: Who) -> Blocker | None:
    if who.shared_account:
        return _gk("avsluta ärendet", log="hanterat")
    if case.handled:
        return Blocker(None, "Ärendet är redan markerat som hanterat.", code="done")
    if case.state in (CaseState.WAITING, CaseState.CLOSED_AUTO):
        return Blocker(
            None,
            "Patienten har inte svarat; ärendet avslutas av sig självt.",
            code="no_reply",
        )
    undecided = sum(1 for f in case.files if f.decision is None)
    if undecided:
        return Blocker(
            "R13",
            f"{undecided} fil{'er' if undecided != 1 else ''} saknar beslut: tryck "
            f"{Action.FILE_JOURNAL.hint} eller {Action.FILE_NOT_JOURNAL.hint} på varje fil.",
            (Action.FILE_JOURNAL, Action.FILE_NOT_JOURNAL),
            later=True,
            code="undecided",
        )
    for f in case.files:
        if f.decision is Decision.JOURNAL and not f.sent:
            doc = f.kind is FileKind.DOCUMENT
            step, action = (
                ("skriv ut för E-arkiv", Action.FILE_EARKIV)
                if doc
                else ("spara i Picsara", Action.FILE_PICSARA)
            )
            return Blocker(
                None,  # the rule (R19, R20) is the step's own; one line at 80 columns
                f"{_short(f.name)} ska journalföras: {step} ({action.hint}) först.",
                (action,),
                later=True,
                code="not_sent",
            )
        if f.copies:
            return Blocker(
                None,
                f"{_short(f.name)} har en nedladdad kopia kvar: rensa den "
                f"({Action.FILE_CLEANUP.hint}) först.",
                (Action.FILE_CLEANUP,),
                later=True,
                code="copy_left",
            )
    return None


def _reopen(case: CaseFacts, who: Who) -> Blocker | None:
    if not case.handled:
        return Blocker(None, "Bara ett hanterat ärende kan återöppnas.", code="not_handled")
    if who.shared_account:
        return _gk("återöppna", log="återöppna")
    return None


def new_case_blocker(who: Who) -> Blocker | None:
    """A message to a patient is signed by the one who sends it: never a GK account (R16)."""
    return _gk("skicka ärenden") if who.shared_account else None


NO_FILE = Blocker(None, "Det finns ingen fil i ärendet.", code="no_file")


def blocker(action: Action, case: CaseFacts, f: FileFacts | None, who: Who) -> Blocker | None:
    """Why `who` cannot do `action` on file `f` of `case` now; None when it can."""
    if action is Action.CASE_HANDLED:
        return _handled(case, who)
    if action is Action.CASE_REOPEN:
        return _reopen(case, who)
    if action not in FILE_ACTIONS:
        return None
    if f is None:
        return NO_FILE
    if action is Action.FILE_JOURNAL:
        return _decide(f, case, who, Decision.JOURNAL)
    if action is Action.FILE_NOT_JOURNAL:
        return _decide(f, case, who, Decision.NOT_JOURNAL)
    if action is Action.FILE_DOWNLOAD:
        return _download(f, case, who)
    if action is Action.FILE_PICSARA:
        return _picsara(f, case, who)
    if action is Action.FILE_EARKIV:
        return _earkiv(f, case, who)
    if action is Action.FILE_SCANNED:
        return _scanned(f, who)
    if action is Action.FILE_CLEANUP:
        return _cleanup(f, who)
    return None  # preview: anyone who sees the case may look (and it is logged, R24)


def allowed(case: CaseFacts, f: FileFacts | None, who: Who) -> frozenset[Action]:
    """Every file and case action `who` can take now."""
    return frozenset(a for a in (*FILE_ACTIONS, *CASE_ACTIONS) if blocker(a, case, f, who) is None)


def refuse(action: Action, case: CaseFacts, f: FileFacts | None, who: Who) -> None:
    """Raise the blocker of `action` as the service's refusal (RuleViolation when it has a
    rule), or return when it may be done."""
    b = blocker(action, case, f, who)
    if b is not None:
        raise b.error()


# R08: how many files one message from the patient may carry, decided here only.


def attach_blocker(chosen: int) -> Blocker | None:
    """Why the patient cannot choose one more file for the reply (R08), or None."""
    if chosen < MAX_FILES_PER_MESSAGE:
        return None
    return Blocker(
        "R08",
        f"Du kan bifoga högst {MAX_FILES_PER_MESSAGE} filer per meddelande. Ta bort en fil "
        f"(markera den och tryck {Action.REMOVE_FILE.hint}) för att byta.",
        (Action.REMOVE_FILE,),
        later=True,
        code="too_many",
    )


def check_file_count(count: int) -> None:
    """Refuse a message with more files than R08 allows."""
    if count > MAX_FILES_PER_MESSAGE:
        raise RuleViolation(
            "R08",
            f"Du kan bifoga högst {MAX_FILES_PER_MESSAGE} filer per meddelande. "
            f"Ta bort {count - MAX_FILES_PER_MESSAGE} och försök igen.",
        )
