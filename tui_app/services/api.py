"""The one surface the UI calls: every use case a screen may run, typed, grouped by role.

`tui_app.ui` imports services only through this module (tests/test_seam.py checks it). Each
function is a plain call into the use case that does the work; screens run them off the UI
thread with `Runner.run` (ui/base.py), e.g.

    self.run(lambda: api.open_case(self.ctx, self.actor, case_id), on_done=self._opened)

Importing this module is cheap: it is imported while the first screen is painted, when the
data layer (SQLAlchemy, SQLModel, the mapped tables) is still loading in its own thread. So
the use cases are imported inside the functions, which run in workers, and only after
`ctx.engine` is there (it waits for the loading thread, or says why loading failed): neither
the UI thread, which would freeze, nor a second thread racing the loading one through the
same imports. The dataclasses and constants of heavy modules are named here for mypy and
loaded on first use (PEP 562 `__getattr__` below).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.core.routine import Laterality
from tui_app.core.rules import CaseState
from tui_app.services.actor import Actor, UnitInfo
from tui_app.services.context import Context
from tui_app.services.errors import as_user_error
from tui_app.services.views import (
    CaseView,
    Draft,
    FileView,
    InboxRow,
    MessageView,
    PatientInfo,
    copies_left,
)

if TYPE_CHECKING:
    from tui_app.services.admin import StaffRow
    from tui_app.services.audit import REFUSED, ChainReport
    from tui_app.services.auditlog import PAGE, LogRow
    from tui_app.services.files import StagedToken
    from tui_app.services.handling import JOURNAL, NOT_JOURNAL, Archived, CleanupReport, Preview
    from tui_app.services.identity import SignInChoice
    from tui_app.services.live import Watcher
    from tui_app.services.preview import ZOOMS, PreviewSource, Rendered, View

__all__ = [
    # light, imported with this module
    "Actor",
    "CaseState",
    "CaseView",
    "Context",
    "Draft",
    "FileView",
    "InboxRow",
    "MessageView",
    "PatientInfo",
    "UnitInfo",
    "as_user_error",
    "copies_left",
    # loaded on first use (see _LAZY)
    "JOURNAL",
    "NOT_JOURNAL",
    "Archived",
    "PAGE",
    "REFUSED",
    "ZOOMS",
    "ChainReport",
    "CleanupReport",
    "LogRow",
    "Preview",
    "PreviewSource",
    "Rendered",
    "SignInChoice",
    "StaffRow",
    "StagedToken",
    "View",
]

#: Names of heavy modules, loaded when first asked for (`api.View`, `from api import JOURNAL`).
_LAZY: dict[str, str] = {
    "StaffRow": "tui_app.services.admin",
    "REFUSED": "tui_app.services.audit",
    "ChainReport": "tui_app.services.audit",
    "PAGE": "tui_app.services.auditlog",
    "LogRow": "tui_app.services.auditlog",
    "StagedToken": "tui_app.services.files",
    "JOURNAL": "tui_app.services.handling",
    "Archived": "tui_app.services.handling",
    "NOT_JOURNAL": "tui_app.services.handling",
    "CleanupReport": "tui_app.services.handling",
    "Preview": "tui_app.services.handling",
    "SignInChoice": "tui_app.services.identity",
    "ZOOMS": "tui_app.services.preview",
    "PreviewSource": "tui_app.services.preview",
    "Rendered": "tui_app.services.preview",
    "View": "tui_app.services.preview",
}

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


def wait_for_data_layer(ctx: Context) -> None:
    """Wait until the data layer has loaded (or raise the UserError saying why it could not)."""
    ctx.engine  # noqa: B018  (waits for the loading thread; raises if loading failed)


# ---------------------------------------------------------------- sign-in (demo mode)


def sign_in_choices(ctx: Context) -> list[SignInChoice]:
    """The people the demo lets one act as."""
    wait_for_data_layer(ctx)
    from tui_app.services import identity

    return identity.sign_in_choices(ctx)


def patient_actor(ctx: Context, patient_id: int) -> Actor:
    """Sign in as a patient (demo)."""
    wait_for_data_layer(ctx)
    from tui_app.services import identity

    return identity.patient_actor(ctx, patient_id)


def staff_by_login(ctx: Context, login: str) -> Actor:
    """Sign in as a member of staff by login (demo)."""
    wait_for_data_layer(ctx)
    from tui_app.services import identity

    return identity.staff_by_login(ctx, login)


# ---------------------------------------------------------------- staff: inbox and new case


def watch_changes(ctx: Context, on_change: Callable[[], object]) -> Watcher:
    """Call `on_change` (from a thread of its own) whenever another session or server changed
    the database: LISTEN/NOTIFY on PostgreSQL, PRAGMA data_version on SQLite (services/live.py).
    Starting it does no I/O: the watcher's thread waits for the engine itself."""
    from tui_app.services.live import watch

    return watch(ctx, on_change)


def inbox(
    ctx: Context, actor: Actor, state: CaseState | None = None, query: str = ""
) -> list[InboxRow]:
    """The cases of the person's units (R05), newest first, filtered and searched."""
    wait_for_data_layer(ctx)
    from tui_app.services import cases

    return cases.inbox(ctx, actor, state, query)


def open_case(ctx: Context, actor: Actor, case_id: int, *, log_access: bool = True) -> CaseView:
    """One case for staff (R05); the look is logged unless it is a reload after an own action."""
    wait_for_data_layer(ctx)
    from tui_app.services import cases

    return cases.open_case(ctx, actor, case_id, log_access=log_access)


def advance_clock(ctx: Context, delta: timedelta) -> timedelta:
    """Demo: move the clock forward; returns the new offset."""
    wait_for_data_layer(ctx)
    from tui_app.services import democlock

    return democlock.advance(ctx, delta)


def last_used_unit(ctx: Context, actor: Actor) -> int | None:
    """The unit the person last sent from, if any."""
    wait_for_data_layer(ctx)
    from tui_app.services import lastunit

    return lastunit.last_used_unit(ctx, actor)


def draft_message(ctx: Context, actor: Actor, unit_id: int, pnr_text: str) -> Draft:
    """Check R01–R05 for this unit and patient; the template ready for editing."""
    wait_for_data_layer(ctx)
    from tui_app.services import cases

    return cases.draft_message(ctx, actor, unit_id, pnr_text)


def send_case(ctx: Context, actor: Actor, unit_id: int, patient_id: int, text: str) -> int:
    """Send the message to the patient; returns the new case number."""
    wait_for_data_layer(ctx)
    from tui_app.services import cases

    return cases.send_case(ctx, actor, unit_id, patient_id, text)


# ---------------------------------------------------------------- staff: one case and its files


def decide(
    ctx: Context,
    actor: Actor,
    file_id: int,
    journal: bool,
    reason: str = "",
    *,
    expected_version: int | None = None,
) -> None:
    """Journaled or not (R13, R22), decided on the version the screen showed."""
    from tui_app.services import handling

    handling.decide(ctx, actor, file_id, journal, reason, expected_version=expected_version)


def download(ctx: Context, actor: Actor, file_id: int) -> Path:
    """One file to the person's Downloads (R16, R17); returns where it went."""
    from tui_app.services import handling

    return handling.download(ctx, actor, file_id)


def to_picsara(
    ctx: Context,
    actor: Actor,
    file_id: int,
    laterality: Laterality | str | None,
    body_site: str | None,
) -> Archived:
    """A journaled image into the case's Picsara study (R14, R15, R19); says what was sent."""
    from tui_app.services import handling

    return handling.send_to_picsara(ctx, actor, file_id, laterality, body_site)


def print_earkiv(ctx: Context, actor: Actor, file_id: int) -> Archived:
    """A journaled document printed with its cover sheet for E-arkiv (R14, R20)."""
    from tui_app.services import handling

    return handling.print_earkiv(ctx, actor, file_id)


def mark_scanned(ctx: Context, actor: Actor, file_id: int) -> None:
    """The printed document has been scanned into E-arkiv."""
    from tui_app.services import handling

    handling.mark_scanned(ctx, actor, file_id)


def cleanup(ctx: Context, actor: Actor, file_id: int) -> CleanupReport:
    """Remove the person's downloaded copies of a file and its trash (R21)."""
    from tui_app.services import handling

    return handling.cleanup(ctx, actor, file_id)


def mark_handled(ctx: Context, actor: Actor, case_id: int) -> None:
    """The case is handled; it takes no more replies."""
    from tui_app.services import handling

    handling.mark_handled(ctx, actor, case_id)


def reopen(ctx: Context, actor: Actor, case_id: int) -> None:
    """Reopen a handled case (logged)."""
    from tui_app.services import handling

    handling.reopen(ctx, actor, case_id)


def log_refusal(
    ctx: Context,
    actor: Actor,
    *,
    action: str,
    detail: str,
    unit_code: str | None = None,
    patient_pnr: str | None = None,
    case_id: int | None = None,
) -> None:
    """A key the person may not use was pressed: logged like the use case's refusal (R24)."""
    from tui_app.services import audit

    audit.log_refusal(
        ctx,
        actor=actor.audit_name,
        action=action,
        detail=detail,
        unit_code=unit_code,
        patient_pnr=patient_pnr,
        case_id=case_id,
    )


def load_preview(ctx: Context, actor: Actor, file_id: int) -> tuple[Preview, PreviewSource | str]:
    """The preview of a file (logged, R24) and the stored file it shows, or why it cannot."""
    from tui_app.core.errors import UserError
    from tui_app.services import handling, preview

    pv = handling.preview(ctx, actor, file_id)
    try:
        return pv, preview.preview_source(ctx, actor, file_id)
    except UserError as exc:
        return pv, exc.message


def render_view(source: PreviewSource, view: View, box: tuple[int, int]) -> Rendered:
    """One view of a stored file rendered to fit box (pixels); run it in a worker."""
    from tui_app.services import preview

    return preview.render_view(source, view, box)


# ---------------------------------------------------------------- patient (1177)


def patient_cases(ctx: Context, actor: Actor) -> list[CaseView]:
    """The patient's cases, newest first."""
    wait_for_data_layer(ctx)
    from tui_app.services import conversation

    return conversation.patient_cases(ctx, actor)


def patient_open_case(ctx: Context, actor: Actor, case_id: int) -> CaseView:
    """One of the patient's cases (marked read)."""
    wait_for_data_layer(ctx)
    from tui_app.services import conversation

    return conversation.patient_open_case(ctx, actor, case_id)


def picker_start(ctx: Context) -> Path:
    """Where the file picker opens: the demo samples in demo mode, else the home folder."""
    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    if ctx.demo and samples.is_dir():
        return samples
    return Path.home()


def display_name_for(source: Path) -> str:
    """The name a chosen file will be shown under while it is checked (no file access)."""
    from tui_app.services import files

    return files.display_name_for(source)


def stage_file(
    ctx: Context, source: Path, on_wait: Callable[[bool], None] | None = None
) -> StagedToken:
    """Check and clean one chosen file (R09, R10); the screen gets a token, never a path."""
    from tui_app.services import files

    return files.stage_token(ctx, source, on_wait)


def discard_staged(ctx: Context, token: StagedToken) -> None:
    """The patient removed a chosen file: it is deleted from staging."""
    from tui_app.services import files

    files.discard_token(ctx, token.id)


def patient_reply(
    ctx: Context, actor: Actor, case_id: int, text: str, staged: Sequence[StagedToken] = ()
) -> int:
    """Send the patient's reply with the chosen files, all or nothing (R07, R08, R11)."""
    from tui_app.services import conversation, files

    chosen = files.staged_for(ctx, [t.id for t in staged])
    message_id = conversation.patient_reply(ctx, actor, case_id, text, list(chosen))
    files.forget_tokens(ctx, [t.id for t in staged])  # moved into the store with the reply
    return message_id


# ---------------------------------------------------------------- administrator


def units(ctx: Context) -> list[UnitInfo]:
    """Every unit with its 1177 flags."""
    wait_for_data_layer(ctx)
    from tui_app.services import admin

    return admin.units(ctx)


def staff_rows(ctx: Context) -> list[StaffRow]:
    """Every member of staff with account kind, permission and units."""
    wait_for_data_layer(ctx)
    from tui_app.services import admin

    return admin.staff_rows(ctx)


def set_unit_flag(ctx: Context, actor: Actor, unit_id: int, flag: str, value: bool) -> None:
    """Activate a unit for 1177 (R01) or install the template (R02)."""
    from tui_app.services import admin

    admin.set_unit_flag(ctx, actor, unit_id, flag, value)


def set_picsara_permission(ctx: Context, actor: Actor, staff_id: int, value: bool) -> None:
    """Give or take Picsara permission (R15)."""
    from tui_app.services import admin

    admin.set_picsara_permission(ctx, actor, staff_id, value)


def set_active(ctx: Context, actor: Actor, staff_id: int, value: bool) -> None:
    """Activate or deactivate a staff account."""
    from tui_app.services import admin

    admin.set_active(ctx, actor, staff_id, value)


def set_memberships(ctx: Context, actor: Actor, staff_id: int, unit_ids: set[int]) -> int:
    """The units a member of staff works in (R05)."""
    from tui_app.services import admin

    return admin.set_memberships(ctx, actor, staff_id, unit_ids)


def add_care_relation(ctx: Context, actor: Actor, unit_id: int, pnr_text: str) -> str:
    """A care relation between a unit and a patient (R04); returns the patient's name."""
    from tui_app.services import admin

    return admin.add_care_relation(ctx, actor, unit_id, pnr_text)


def search_log(
    ctx: Context, actor: Actor, *, staff: str, patient: str, unit: str, since_text: str
) -> list[LogRow]:
    """The access log, filtered, newest first (R24)."""
    from tui_app.services import auditlog

    return auditlog.search(
        ctx, actor, staff=staff, patient=patient, unit=unit, since_text=since_text
    )


def verify_log(ctx: Context, *, checkpoint: bool) -> ChainReport:
    """Check the access log's chain and its checkpoints."""
    from tui_app.services import audit

    return audit.verify(ctx, checkpoint=checkpoint)


def record_review(ctx: Context, actor: Actor, scope: str, finding: str) -> None:
    """Record a sample check of the log with reviewer and date."""
    from tui_app.services import auditlog

    auditlog.record_review(ctx, actor, scope, finding)
