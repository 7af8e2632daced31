"""Actions and their key hints, and the facts the routine decides from: who acts, a file, a case;
a `Blocker` says why an action cannot be done now."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from tui_app.core.errors import RuleViolation, UserError
from tui_app.core.routine.kinds import CaseState, Decision, FileKind, Target


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
