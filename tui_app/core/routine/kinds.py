"""The routine's words as enums: decisions, kinds, targets, sides and the states of a case and a file.

The enum values that are stored in the database keep the stored strings; the Swedish words are
display text.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tui_app.core.clock import as_utc


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
