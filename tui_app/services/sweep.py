"""The cron job: close cases whose deadline has passed (R07, R12); retention comes with R23."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from tui_app.services import audit
from tui_app.services.context import Context
from tui_app.store.db import session_scope
from tui_app.store.models import Case, Patient, Unit

BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    closed_auto: int
    closed_answered: int


def close_expired(ctx: Context) -> SweepReport:
    """Persist the closing of every case past its deadline, in small batches."""
    now = ctx.now()
    auto = answered = 0
    while True:
        with session_scope(ctx.engine) as s:
            rows = s.exec(
                select(Case, Unit, Patient)
                .join(Unit, col(Unit.id) == col(Case.unit_id))
                .join(Patient, col(Patient.id) == col(Case.patient_id))
                .where(col(Case.closed_at).is_(None), col(Case.deadline_at) <= now)
                .order_by(col(Case.id)).limit(BATCH)
            ).all()
            for case, unit, p in rows:
                case.closed_at = case.deadline_at
                case.closed_reason = "auto" if case.patient_messages == 0 else "deadline"
                s.add(case)
                if case.patient_messages == 0:
                    auto += 1
                else:
                    answered += 1
                audit.append(
                    s, at=now, actor="system", action="avsluta ärende", unit_code=unit.code,
                    patient_pnr=p.pnr, case_id=case.id,
                    detail="avslutat automatiskt (inget svar)" if case.patient_messages == 0
                    else "avslutat (svarstiden slut)",
                )
        if len(rows) < BATCH:
            return SweepReport(auto, answered)
