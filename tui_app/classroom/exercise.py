"""The guided exercise: the steps of the routine, ticked off from what the demo has stored.

`steps(facts)` is a pure function over facts read from the demo's database and access log
(`load_facts`); nothing here listens to the UI, so a tick means the routine really happened.
Only what the trainee did counts: facts newer than the baseline taken when the demo started
(the demo's own sample cases and log entries are older).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_app.classroom.room import Trainee
    from tui_app.services.actor import Actor
    from tui_app.services.context import Context

#: (key, what the trainee does, in Swedish) in the order of the routine.
STEPS: tuple[tuple[str, str], ...] = (
    ("send", "Skicka meddelandet till en patient (personal: n)"),
    ("answer", "Svara som patienten med ett foto och en PDF (F3)"),
    ("refused", "Försök skicka en fil som nekas (se README i exempelmappen)"),
    ("decide", "Bedöm en fil: journalförs (j) eller inte (i)"),
    ("picsara", "Spara en bild i Picsara (s)"),
    ("earkiv", "Skriv ut en fil för E-arkiv (e)"),
    ("cleanup", "Ladda ner en fil (l) och rensa kopian (r)"),
    ("handled", "Markera ärendet hanterat (h)"),
    ("log", "Titta i åtkomstloggen som administratör (l)"),
)


@dataclass(frozen=True)
class Baseline:
    """What the demo held when it started: only later facts are the trainee's."""

    audit_seq: int = 0
    case_id: int = 0


@dataclass(frozen=True)
class FileFact:
    """One received file of a case the trainee sent."""

    mime: str
    decided: bool = False
    picsara: bool = False
    printed: bool = False


@dataclass(frozen=True)
class LogFact:
    """One access-log entry made after the demo started."""

    actor: str
    action: str
    outcome: str


@dataclass(frozen=True)
class Facts:
    """What the demo has stored about the trainee's own work."""

    cases_sent: int = 0
    cases_handled: int = 0
    files: tuple[FileFact, ...] = ()
    downloads_cleaned: int = 0
    log: tuple[LogFact, ...] = ()


@dataclass(frozen=True)
class Step:
    """One step of the exercise and whether it is done."""

    key: str
    text: str
    done: bool


def steps(facts: Facts) -> list[Step]:
    """The exercise's steps, each ticked when the stored facts show it was done."""
    images = [f for f in facts.files if f.mime.startswith("image/")]
    pdfs = [f for f in facts.files if f.mime == "application/pdf"]
    done = {
        "send": facts.cases_sent > 0,
        "answer": bool(images) and bool(pdfs),
        "refused": any(e.actor.startswith("patient") and e.outcome == "nekad" for e in facts.log),
        "decide": any(f.decided for f in facts.files),
        "picsara": any(f.picsara for f in facts.files),
        "earkiv": any(f.printed for f in facts.files),
        "cleanup": facts.downloads_cleaned > 0,
        "handled": facts.cases_handled > 0,
        "log": any(e.action == "logguppföljning" and e.outcome == "ok" for e in facts.log),
    }
    return [Step(key, text, done[key]) for key, text in STEPS]


def summary(done: list[Step]) -> str:
    """'3/9' for a progress table."""
    return f"{sum(s.done for s in done)}/{len(done)}"


def take_baseline(ctx: Context) -> Baseline:
    """What the demo holds now (called once, right after the demo material is loaded)."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from tui_app.store.db import read_scope
    from tui_app.store.models import AuditEntry, Case

    with read_scope(ctx.engine) as s:
        seq = s.exec(select(func.max(col(AuditEntry.seq)))).one()
        case = s.exec(select(func.max(col(Case.id)))).one()
    return Baseline(audit_seq=int(seq or 0), case_id=int(case or 0))


def load_facts(ctx: Context, base: Baseline) -> Facts:
    """The facts about the trainee's work: cases, files, downloads and log entries newer than
    the baseline (one short read)."""
    from sqlmodel import col, select

    from tui_app.store.db import read_scope
    from tui_app.store.models import Attachment, AuditEntry, Case, Download

    with read_scope(ctx.engine) as s:
        cases = s.exec(select(Case).where(col(Case.id) > base.case_id)).all()
        ids = [c.id for c in cases]
        files = (
            s.exec(select(Attachment).where(col(Attachment.case_id).in_(ids))).all() if ids else []
        )
        cleaned = (
            s.exec(
                select(Download.id).where(
                    col(Download.case_id).in_(ids), col(Download.cleaned_at).is_not(None)
                )
            ).all()
            if ids
            else []
        )
        log = s.exec(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.outcome).where(
                col(AuditEntry.seq) > base.audit_seq
            )
        ).all()
        return Facts(
            cases_sent=len(cases),
            cases_handled=sum(1 for c in cases if c.handled_at is not None),
            files=tuple(
                FileFact(
                    mime=a.mime,
                    decided=a.decision is not None,
                    picsara=a.picsara_at is not None,
                    printed=a.printed_at is not None,
                )
                for a in files
            ),
            downloads_cleaned=len(cleaned),
            log=tuple(LogFact(actor, action, outcome) for actor, action, outcome in log),
        )


def record_progress(
    ctx: Context, seat: Trainee, actor: Actor | None
) -> tuple[list[Step], timedelta]:
    """The trainee's steps now, written to the seat's progress file for the trainer's table,
    and the classroom's shared clock offset (run off the UI thread)."""
    from tui_app.classroom.room import write_json
    from tui_app.services.democlock import read_shared_offset

    now = steps(load_facts(ctx, seat.baseline))
    write_json(
        seat.demo.progress_file,
        {
            "steps": [[s.key, s.done] for s in now],
            "done": sum(s.done for s in now),
            "total": len(now),
            "signed_in": actor.display_name if actor is not None else "",
        },
    )
    return now, read_shared_offset(seat.clock_file)
