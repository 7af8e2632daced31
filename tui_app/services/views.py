"""Plain frozen dataclasses the UI displays; never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tui_app.core.rules import CaseState


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

    @property
    def kind(self) -> str:
        """'bild' or 'dokument'."""
        return "dokument" if self.mime == "application/pdf" else "bild"


@dataclass(frozen=True)
class MessageView:
    """One message in a conversation."""

    id: int
    from_patient: bool
    author: str
    body: str
    sent_at: datetime
    files: tuple[FileView, ...] = ()


@dataclass(frozen=True)
class InboxRow:
    """One case in the staff inbox."""

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

    @property
    def files(self) -> tuple[FileView, ...]:
        """Every file received in the case, oldest first."""
        return tuple(f for m in self.messages for f in m.files)

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
