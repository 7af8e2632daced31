"""The administrator: units, staff, care relations and the access log.

Part of the UI's one surface, re-exported by `tui_app.services.api`; see there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_app.services.actor import Actor, UnitInfo
from tui_app.services.api._base import wait_for_data_layer
from tui_app.services.context import Context

if TYPE_CHECKING:
    from tui_app.services.admin import StaffRow
    from tui_app.services.audit import ChainReport
    from tui_app.services.auditlog import LogRow


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
