"""Plain immutable values the UI displays (frozen dataclasses; InboxRow a NamedTuple); never
ORM rows.

Status words and to-dos come from core/routine/ (`todo_for` is re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from tui_app.core.clock import fmt_remaining
from tui_app.core.pnr import Pnr
from tui_app.core.routine import (
    CaseFacts,
    CaseState,
    Decision,
    FileFacts,
    FileKind,
    Target,
    case_state,
    kind_of,
    todo_for as todo_for,
)
from tui_app.core.rules import HANDLED_EARLY


@dataclass(frozen=True)
class PatientInfo:
    """A patient as staff see them."""

    id: int
    pnr: str  # 12 digits
    pnr_display: str  # YYYYMMDD-NNNN
    name: str
    activated_1177: bool


@dataclass(frozen=True)
class FileView:
    """One received file, as listed in a case."""

    id: int
    display_name: str  # already made safe for display
    mime: str
    size: int
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    has_thumbnail: bool = False
    decision: str | None = None
    decision_reason: str = ""
    status: str = ""  # what has happened to it, in words
    copies: int = 0  # downloaded copies not yet cleaned up
    printed: bool = False
    scanned: bool = False
    in_picsara: bool = False
    version: int = 0  # as read: a decision made from this view must still find it (two staff)
    pending: bool = False  # a send to Picsara or E-arkiv awaits confirmation
    pending_target: str | None = None  # where it is on its way to (Target's stored value)

    @property
    def kind(self) -> FileKind:
        """An image or a document (R14)."""
        return kind_of(self.mime)

    @property
    def facts(self) -> FileFacts:
        """What the routine needs to know of the file (core/routine/)."""
        target = Target(self.pending_target) if self.pending_target else None
        if self.pending and target is None:
            target = Target.EARKIV if self.kind is FileKind.DOCUMENT else Target.PICSARA
        return FileFacts(
            id=self.id,
            name=self.display_name,
            kind=self.kind,
            decision=Decision(self.decision) if self.decision else None,
            copies=self.copies,
            pending=target,
            in_picsara=self.in_picsara,
            printed=self.printed,
            scanned=self.scanned,
        )


@dataclass(frozen=True)
class MessageView:
    """One message in a conversation."""

    id: int
    from_patient: bool
    author: str
    body: str
    sent_at: datetime
    files: tuple[FileView, ...] = ()


Stored = str | int | float | bytes  # a value SQLite kept whatever its column's type


class InboxRow(NamedTuple):
    """One case in the staff inbox. Immutable like the other views, but a NamedTuple: a page
    makes up to 50 of them, and a frozen dataclass's __init__ (a guarded setattr per field)
    cost 1.5 us a row against 0.4 here, measured at 1M (bench/scale.py). Compare rows by
    their fields, never with plain tuples."""

    case_id: int
    unit_name: str
    patient_pnr_display: str
    patient_name: str
    state: CaseState
    sent_at: datetime
    deadline: datetime
    remaining: str
    file_count: int
    todo: str
    leftovers: int = 0
    unit_code: str = ""
    broken: bool = False  # a stored value could not be read: shown marked, never hidden
    # A broken row's sent_at as stored when it cannot be read: its real place in the order.
    stored_sent_at: Stored | None = None

    @property
    def key(self) -> InboxKey:
        """The row's place in the inbox order (for paging: InboxWhere)."""
        return InboxKey(self.sent_at, self.case_id, self.stored_sent_at)


@dataclass(frozen=True, order=True)
class InboxKey:
    """A row's place in the inbox order: newest first, i.e. (sent_at, case_id) descending."""

    sent_at: datetime
    case_id: int
    # A sent_at that cannot be read, as stored (sent_at is then the epoch): the database
    # orders the row by this value, so a page after or before it is bound by it.
    stored: Stored | None = field(default=None, compare=False)


@dataclass(frozen=True)
class InboxWhere:
    """Which page of the result. Exactly one of these, or none for the first (newest) page."""

    after: InboxKey | None = None  # the rows just older than this key (exclusive)
    start: InboxKey | None = None  # the rows from this key on, inclusive (re-read a window)
    before: InboxKey | None = None  # the rows just newer than this key (exclusive)
    last: bool = False  # the oldest page
    around: int | None = None  # the page holding this case number, the case about in the
    # middle; the first page if it is not in the result


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox: rows in inbox order (newest first), at most the limit asked."""

    rows: list[InboxRow]
    newer: bool  # rows exist before rows[0] in this result
    older: bool  # rows exist after rows[-1] in this result
    found: int | None = None  # with `around`: the index in rows of that case, else None


@dataclass(frozen=True)
class InboxCounts:
    """Cases of the actor's units per status (no search applied); `all` is their sum."""

    by_state: dict[CaseState, int]
    all: int


def copies_left(n: int) -> str:
    """'1 kopia kvar' / '3 kopior kvar': downloaded copies not yet cleaned up."""
    return f"{n} {'kopia' if n == 1 else 'kopior'} kvar"


def inbox_row(
    now: datetime,
    *,
    case_id: int,
    sent_at: datetime,
    deadline_at: datetime,
    patient_messages: int,
    handled: bool,
    file_count: int,
    pnr: str,
    first_name: str,
    last_name: str,
    unit_name: str,
    unit_code: str,
    undecided: int,
    copies: int,
) -> InboxRow:
    """One inbox row from the stored values: the one place the state, countdown and to-do are
    worked out, for the ORM query and the start-up reader alike."""
    st = case_state(
        deadline=deadline_at, now=now, patient_messages=patient_messages, handled=handled
    )
    return InboxRow(
        case_id=case_id,
        unit_name=unit_name,
        patient_pnr_display=Pnr(pnr).display,
        patient_name=f"{first_name} {last_name}",
        state=st,
        sent_at=sent_at,
        deadline=deadline_at,
        remaining=fmt_remaining(deadline_at - now),
        file_count=file_count,
        todo=todo_for(st, file_count, undecided, copies),
        leftovers=copies,
        unit_code=unit_code,
    )


BROKEN_TODO = "⚠ Trasig rad: kan inte läsas – kontakta IT"


def broken_inbox_row(
    *,
    case_id: int,
    pnr: str,
    first_name: str,
    last_name: str,
    unit_name: str,
    unit_code: str,
    file_count: int,
    sent_at: datetime | None = None,
    stored_sent_at: Stored | None = None,
) -> InboxRow:
    """A case whose stored times cannot be read: listed, marked broken, so it is neither hidden
    nor shown with made-up times (they are the epoch, and the to-do says what is wrong). A
    sent_at that could be read is kept: it is the row's place in the order (its key)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    display = Pnr(pnr).display if len(pnr) == 12 else pnr
    return InboxRow(
        case_id=case_id,
        unit_name=unit_name,
        patient_pnr_display=display,
        patient_name=f"{first_name} {last_name}".strip() or "?",
        state=CaseState.CLOSED,
        sent_at=sent_at or epoch,
        deadline=epoch,
        remaining="–",
        file_count=file_count,
        todo=BROKEN_TODO,
        unit_code=unit_code,
        broken=True,
        stored_sent_at=None if sent_at is not None else stored_sent_at,
    )


@dataclass(frozen=True)
class CaseView:
    """A whole case for staff or patient."""

    case_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    patient: PatientInfo
    state: CaseState
    sent_at: datetime
    deadline: datetime
    remaining: str
    accepts_reply: bool
    patient_read_at: datetime | None
    sender_first_name: str
    messages: tuple[MessageView, ...] = field(default_factory=tuple)
    handled_at: datetime | None = None
    handled_by: str | None = None
    closed_reason: str | None = None  # HANDLED_EARLY: replies stopped when it was handled

    @property
    def closed_early(self) -> bool:
        """True when staff marked the case handled before its 48 hours: the deadline is then
        the handled time, so every 'avslutat' date shown is one that happened."""
        return self.closed_reason == HANDLED_EARLY

    @property
    def files(self) -> tuple[FileView, ...]:
        """Every file received in the case, oldest first."""
        return tuple(f for m in self.messages for f in m.files)

    @property
    def facts(self) -> CaseFacts:
        """What the routine needs to know of the case (core/routine/)."""
        return CaseFacts(self.state, tuple(f.facts for f in self.files))

    @property
    def question(self) -> MessageView:
        """The template message that opened the case."""
        return self.messages[0]


@dataclass(frozen=True)
class Draft:
    """A message ready for editing: eligibility already checked (R01–R04)."""

    unit_id: int
    unit_name: str
    patient: PatientInfo
    text: str
    signature: str
    open_cases: tuple[int, ...] = ()  # this unit's cases for the patient still open
