"""The blockers: why an action cannot be done now, one function per action (R08, R13–R22)."""

from __future__ import annotations

from tui_app.core.errors import RuleViolation
from tui_app.core.limits import MAX_FILES_PER_MESSAGE
from tui_app.core.routine.facts import (
    CASE_ACTIONS,
    FILE_ACTIONS,
    Action,
    Blocker,
    CaseFacts,
    FileFacts,
    Who,
)
from tui_app.core.routine.kinds import CaseState, Decision, FileKind, Target


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
