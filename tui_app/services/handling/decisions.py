"""Staff decide per file: journaled or not (R13, R22)."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from tui_app.core.errors import InvalidInput, UserError
from tui_app.core.routine import Action
from tui_app.services.context import Context
from tui_app.services.guard import refusals_logged
from tui_app.services.actor import Actor
from tui_app.store.db import changed_rows, read_scope, session_scope
from tui_app.store.models import Attachment
from tui_app.services.handling.common import (
    JOURNAL,
    NOT_JOURNAL,
    REFRESH,
    FileContext,
    _about,
    _log,
    _refuse,
    _refuse_if_sent,
    _refuse_shared_account,
    _who,
    load_file,
)


def decide(
    ctx: Context,
    actor: Actor,
    file_id: int,
    journal: bool,
    reason: str = "",
    *,
    expected_version: int | None = None,
) -> None:
    """Record the staff member's decision: journaled or not (R13, R22); never automatic.

    `expected_version` is the file's version as the staff member's screen showed it: when a
    colleague decided (or changed the file) since, nothing is written and the message says
    who decided what. The check is a compare-and-set UPDATE, so it holds across processes and
    on PostgreSQL too, not only inside one transaction.
    """
    _refuse_shared_account(ctx, actor, "beslut", "besluta om journalföring", file_id=file_id)
    with refusals_logged(ctx, actor, "beslut"):
        # The checks only read: no write lock until the compare-and-set below.
        with read_scope(ctx.engine) as s:
            fc = load_file(s, actor, file_id)
            _refuse(s, ctx, actor, fc, Action.FILE_JOURNAL if journal else Action.FILE_NOT_JOURNAL)
            reason = reason.strip()
            if not journal and not reason:
                raise InvalidInput(
                    "Skriv en kort anledning till att filen inte journalförs."
                ).concerning(**_about(fc))
            if len(reason) > 300:
                raise InvalidInput("Anledningen får vara högst 300 tecken.").concerning(
                    **_about(fc)
                )
            _refuse_if_sent(s, fc, "beslutet kan inte ändras nu")
            seen = fc.file.version if expected_version is None else expected_version
            if fc.file.version != seen:
                raise _decided_first(s, fc)
        decision = JOURNAL if journal else NOT_JOURNAL
        with session_scope(ctx.engine) as s:
            done = s.execute(
                update(Attachment)
                .where(
                    col(Attachment.id) == file_id,
                    col(Attachment.version) == seen,
                    col(Attachment.pending_action).is_(None),
                    col(Attachment.picsara_at).is_(None),
                    col(Attachment.printed_at).is_(None),
                )
                .values(
                    version=seen + 1,
                    decision=decision,
                    decision_reason=reason,
                    decided_by=actor.login,
                    decided_at=ctx.now(),
                )
            )
            if changed_rows(done) != 1:
                fresh = load_file(s, actor, file_id)
                _refuse_if_sent(s, fresh, "beslutet kan inte ändras nu")
                raise _decided_first(s, fresh)
            _log(s, ctx, actor, fc, "beslut", decision + (f" ({reason})" if reason else ""))


def _decided_first(s: Session, fc: FileContext) -> UserError:
    """The refusal for a decision made from a stale screen: who decided first, and what."""
    from tui_app.core.clock import local

    f = fc.file
    if f.decision is None:
        msg = (
            "Filen har ändrats sedan du öppnade ärendet. Ditt beslut sparades inte. "
            f"{REFRESH} och försök igen."
        )
    else:
        when = f" kl. {local(f.decided_at):%H:%M}" if f.decided_at else ""
        why = f" ({f.decision_reason})" if f.decision_reason else ""
        msg = (
            f"{_who(s, f.decided_by)} hann före: filen är redan beslutad som ”{f.decision}”"
            f"{why}{when}. Ditt beslut sparades inte. {REFRESH} och ändra beslutet bara om "
            "det behövs."
        )
    return UserError(msg).concerning(**_about(fc))
