"""Every refusal is logged (R05, R24): wrap a use case so a UserError leaves an access-log entry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tui_app.core.errors import UserError
from tui_app.core.routine import plain
from tui_app.services.audit import log_refusal
from tui_app.services.context import Context
from tui_app.services.identity import Actor


@contextmanager
def refusals_logged(ctx: Context, actor: Actor, action: str) -> Iterator[None]:
    """Log any UserError raised inside (after its transaction rolled back), then re-raise it."""
    try:
        yield
    except UserError as exc:
        unit, pnr, case = (exc.about.get(k) for k in ("unit_code", "patient_pnr", "case_id"))
        text = plain(exc.message)  # the log reads without keys: action hints dropped
        detail = f"{exc.rule}: {text}" if exc.rule else text
        log_refusal(
            ctx,
            actor=actor.audit_name,
            action=action,
            detail=detail,
            unit_code=unit if isinstance(unit, str) else None,
            patient_pnr=pnr if isinstance(pnr, str) else None,
            case_id=case if isinstance(case, int) else None,
        )
        raise
