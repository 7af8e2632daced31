"""Staff: one case and its files (decisions, downloads, Picsara, E-arkiv, preview).

Part of the UI's one surface, re-exported by `tui_app.services.api`; see there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.core.routine import Laterality
from tui_app.services.actor import Actor
from tui_app.services.context import Context

if TYPE_CHECKING:
    from tui_app.services.handling import Archived, CleanupReport, Preview
    from tui_app.services.preview import PreviewSource, Rendered, View


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
