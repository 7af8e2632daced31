"""The tables. Names follow the routine's words (SPEC.md glossary): Case = ärende, Unit = enhet.

No `from __future__ import annotations` here: pydantic and SQLAlchemy would evaluate each of the
~100 column annotations from a string again when the tables are mapped, on every start.
"""

from datetime import datetime

from pydantic import ConfigDict
from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint, text
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from tui_app.store.types import UTCDateTime


class _Table(SQLModel):
    """Base of every table. Table models are never validated (SQLModel builds them with
    model_construct semantics), so pydantic builds a model's validator on first use instead
    of for all tables at import; that import is on every start-up path."""

    # SQLModel types model_config as its own unexported TypedDict, a superset of ConfigDict.
    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]  # SQLModel types it as its own config class


def _utc(nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Unit(_Table, table=True):
    """A reception (mottagning/enhet)."""

    __tablename__ = "unit"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    activated_1177: bool = False  # R01
    template_installed: bool = False  # R02


class Staff(_Table, table=True):
    """A staff member's login: a personal VGR-ID, or a shared GK account."""

    __tablename__ = "staff"
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    shared_account: bool = False  # GK-konto (R16)
    picsara_permission: bool = False  # R15
    is_admin: bool = False  # administrationsgruppen 1177 e-tjänster
    # False: access taken away; refused at sign-in and on the next action (R05).
    active: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})


class Membership(_Table, table=True):
    """Which units a staff member works at (R05)."""

    __tablename__ = "membership"
    staff_id: int = Field(foreign_key="staff.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)


class Patient(_Table, table=True):
    """A patient, known by the 12-digit personal identity number."""

    __tablename__ = "patient"
    # On PostgreSQL a pg_trgm GIN index (name search); SQLite searches names through the FTS5
    # table patient_fts instead (migration 0010), this index there stays a plain one.
    __table_args__ = (
        Index(
            "ix_patient_search_name",
            "search_name",
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    pnr: str = Field(max_length=12, min_length=12, unique=True)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    search_name: str = Field(max_length=210)  # casefolded "first last", for search
    activated_1177: bool = False  # R03


class CareRelation(_Table, table=True):
    """A unit's care relationship (vårdrelation) with a patient (R04)."""

    __tablename__ = "care_relation"
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", primary_key=True)


#: The inbox's partial indexes: their WHERE is literally store.inboxsql.STATE_SQL's terms.
_STAGES = {
    "ix_cases_waiting": "handled_at IS NULL AND patient_messages = 0",
    "ix_cases_answered": "handled_at IS NULL AND patient_messages > 0",
    "ix_cases_handled": "handled_at IS NOT NULL",
}


class Case(_Table, table=True):
    """An ärende: one template message and the conversation that follows."""

    __tablename__ = "cases"
    __table_args__ = (
        # The inbox (store.inboxsql): per unit in (sent_at, id) order, and per stored stage.
        # The name column too: a common name is tested in the index (no patient row per case).
        Index("ix_cases_unit_sent_name", "unit_id", "sent_at", "id", "patient_name"),
        # A search's few patients: their cases in the actor's units, without reading the rows.
        Index("ix_cases_patient_unit", "patient_id", "unit_id", "sent_at", "id", "patient_name"),
        *(
            Index(name, "unit_id", "sent_at", "id", sqlite_where=text(w), postgresql_where=text(w))
            for name, w in _STAGES.items()
        ),
        Index("ix_cases_deadline_open", "closed_at", "deadline_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    patient_id: int = Field(foreign_key="patient.id")  # indexed: ix_cases_patient_unit
    created_by: int = Field(foreign_key="staff.id")
    sent_at: datetime = Field(sa_column=_utc())
    deadline_at: datetime = Field(sa_column=_utc())
    patient_read_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    closed_reason: str | None = Field(default=None, max_length=40)
    handled_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    handled_by: str | None = Field(default=None, max_length=64)
    # Kept with each message so the inbox never has to count over a million rows.
    patient_messages: int = 0
    file_count: int = 0
    # The patient's search_name, copied and kept by triggers (migration 0010): never set here.
    patient_name: str = Field(default="", max_length=210, sa_column_kwargs={"server_default": ""})


class CaseCount(_Table, table=True):
    """Cases per unit and stored stage (0: not handled, unanswered; 1: not handled, answered;
    2: handled), kept exact by triggers on `cases` (migration 0010), for the inbox's counts."""

    __tablename__ = "case_count"
    unit_id: int = Field(primary_key=True)
    stage: int = Field(primary_key=True)
    n: int = 0


class Message(_Table, table=True):
    """One message in a case, from staff or from the patient."""

    __tablename__ = "message"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    from_patient: bool = False
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    signature: str = Field(default="", max_length=100)  # sender's first name (R06)
    body: str
    sent_at: datetime = Field(sa_column=_utc())


class AuditEntry(_Table, table=True):
    """One access to patient data or one refusal, chained by hashes (R24)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("seq", name="uq_audit_seq"),
        # The administrator's search: each filter reads its page newest first from one index.
        Index("ix_audit_actor_seq", "actor", "seq"),
        Index("ix_audit_pnr_seq", "patient_pnr", "seq"),
        Index("ix_audit_unit_seq", "unit_code", "seq"),
    )
    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(index=True)
    at: datetime = Field(sa_column=_utc(index=True))
    actor: str = Field(max_length=64)  # login, "patient:<pnr>" or "system"
    unit_code: str | None = Field(default=None, max_length=40)
    patient_pnr: str | None = Field(default=None, max_length=12)
    case_id: int | None = None
    action: str = Field(max_length=40)
    outcome: str = Field(max_length=10)  # "ok" | "nekad"
    detail: str = ""
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(_Table, table=True):
    """The chain's newest entry (one row): serialises writers and shows a removed tail (R24)."""

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)


class Setting(_Table, table=True):
    """Small key/value settings kept in the database (the demo clock's offset)."""

    __tablename__ = "setting"
    key: str = Field(primary_key=True, max_length=64)
    value: str


class Attachment(_Table, table=True):
    """A file the patient sent: checked, cleaned, and stored under a generated name (R08–R11)."""

    __tablename__ = "attachment"
    # `leftovers` asks about the sizes and checksums it found; the collector about a thumb key.
    __table_args__ = (
        Index("ix_attachment_thumb_key", "thumb_key"),
        Index("ix_attachment_size", "size"),
        Index("ix_attachment_original_size", "original_size"),
        Index("ix_attachment_sha256_original", "sha256_original"),
        # Only the few sends under way: the sweep and every start find them without a scan.
        Index(
            "ix_attachment_pending",
            "pending_action",
            sqlite_where=text("pending_action IS NOT NULL"),
            postgresql_where=text("pending_action IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    original_name: str = Field(max_length=255)  # for display only, always shown made safe
    mime: str = Field(max_length=40)
    size: int  # of the stored (cleaned) file
    original_size: int
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    sha256_original: str = Field(max_length=64)
    sha256_stored: str = Field(max_length=64, index=True)
    storage_key: str = Field(max_length=200, unique=True)  # relative to the files directory
    thumb_key: str | None = Field(default=None, max_length=200)
    received_at: datetime = Field(sa_column=_utc())
    # Handling by staff (R13–R22); every change bumps `version` so two staff cannot both win.
    version: int = 0
    decision: str | None = Field(default=None, max_length=20)  # "journalförs" | "journalförs inte"
    decision_reason: str = Field(default="", max_length=300)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    picsara_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    picsara_by: str | None = Field(default=None, max_length=64)
    laterality: str | None = Field(default=None, max_length=20)
    body_site: str | None = Field(default=None, max_length=100)
    printed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    printed_by: str | None = Field(default=None, max_length=64)
    scanned_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    scanned_by: str | None = Field(default=None, max_length=64)
    # A send to Picsara or E-arkiv under way (R19, R20): claimed before the outside system is
    # touched, cleared when it is confirmed or released. A crash leaves it set; pending.py
    # resolves it by looking in the outside system, so nothing is ever recorded as done unseen.
    pending_action: str | None = Field(default=None, max_length=20)  # "picsara" | "e-arkiv"
    pending_by: str | None = Field(default=None, max_length=64)  # the staff member's login
    pending_owner: str | None = Field(default=None, max_length=200)  # host:pid:start of the process
    pending_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    pending_ref: str | None = None  # JSON: where to look (folder and names, printer and job id)


class UploadIntent(_Table, table=True):
    """A storage key reserved, and committed, before a received file is placed under it.

    The garbage collector deletes a stored file only when it has such a row and no attachment
    refers to the key: the database has positively declared it an abandoned upload. A file
    without either (another database's, or a database emptied by accident) is never deleted."""

    __tablename__ = "upload_intent"
    __table_args__ = (Index("ix_upload_intent_created_at", "created_at"),)
    storage_key: str = Field(primary_key=True, max_length=200)
    created_at: datetime = Field(sa_column=_utc())


class Download(_Table, table=True):
    """A downloaded copy of a patient file, tracked until it is cleaned away (R17, R18, R21)."""

    __tablename__ = "download"
    __table_args__ = (
        Index("ix_download_size", "size"),
        Index(  # only the copies being written (see pending_owner)
            "ix_download_pending",
            "pending_owner",
            sqlite_where=text("pending_owner IS NOT NULL"),
            postgresql_where=text("pending_owner IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    # Both are emptied when retention removes the case (R23) while this copy is still lying
    # around: the row stays, so `leftovers` and the clean-up can still find the copy (R21).
    attachment_id: int | None = Field(default=None, foreign_key="attachment.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    staff_login: str = Field(max_length=64, index=True)
    path: str = Field(max_length=1000)
    sha256: str = Field(max_length=64, index=True)
    size: int | None = None  # kept when the case is removed, so leftovers can still match it
    downloaded_at: datetime = Field(sa_column=_utc())
    cleaned_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    cleaned_by: str | None = Field(default=None, max_length=64)
    clean_note: str = Field(default="", max_length=300)
    # Set while the copy is being written: the row (with its path) is recorded before the copy
    # becomes visible, so a crash never leaves an untracked copy (R21); pending.py settles it.
    pending_owner: str | None = Field(default=None, max_length=200)


class AuditReview(_Table, table=True):
    """A recorded systematic sample check of the access log (logguppföljning, HSLF-FS 2016:40)."""

    __tablename__ = "audit_review"
    id: int | None = Field(default=None, primary_key=True)
    reviewer: str = Field(max_length=64)
    reviewed_at: datetime = Field(sa_column=_utc())
    scope: str = Field(max_length=300)
    finding: str = Field(max_length=2000)


class FileChunk(_Table, table=True):
    """One piece (at most 1 MiB) of a received file kept in the database itself (the file
    store "database", store.filestore): a file is its chunks in seq order, 0, 1, 2, ..."""

    __tablename__ = "file_chunk"
    storage_key: str = Field(primary_key=True, max_length=200)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
