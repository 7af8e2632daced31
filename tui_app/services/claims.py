"""Sending a file to Picsara or E-arkiv under a claim, one recorded step at a time (R19, R20).

The steps and what each leaves behind after a crash are described in services/pending.py,
which settles what a dead process left; the two modules must agree on the recorded `ref`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_app.core.killpoint import killpoint
from tui_app.services.context import Context
from tui_app.services.pending import LOG_ACTION, PREPARING, QUEUED, SENDING, process_owner

if TYPE_CHECKING:
    from tui_app.services.handling import FileContext
    from tui_app.services.actor import Actor


class FolderHandover:
    """A send into a folder (Picsara import, E-arkiv folder): stage temps, then publish them."""

    def __init__(self, parcel: Any) -> None:
        self.parcel = parcel
        self.staged: list[Any] = []
        self.ref: dict[str, object] = {
            "kind": "folder",
            "folder": str(parcel.folder.path),
            "names": parcel.names,
            "step": PREPARING,
        }

    def stage(self) -> dict[str, object]:
        """Write the hidden temp files; the step to record before publishing."""
        from tui_app.adapters.handover import stage_all

        self.staged = stage_all(self.parcel)
        return {"step": SENDING}

    def publish(self) -> list[Path]:
        """Give the files their final names: from here the outside system has them."""
        from tui_app.adapters.handover import publish_all

        return publish_all(self.staged)

    def undo(self) -> None:
        """After the claim was released: remove what staging left."""
        from tui_app.adapters.handover import discard_all

        discard_all(self.staged)


class LpHandover:
    """A print job through lp: submitted held, its id recorded, then resumed."""

    def __init__(self, printer: Any, job: Any) -> None:
        self.printer, self.job = printer, job
        self.job_id: str | None = None
        self.result: Any = None
        self.ref: dict[str, object] = {
            "kind": "lp",
            "printer": printer.printer_name,
            "step": PREPARING,
        }

    def stage(self) -> dict[str, object]:
        """Queue the job on hold; the job id to record before it may print."""
        self.result = self.printer.submit(self.job, hold=True)
        self.job_id = self.result.job_id
        return {"step": QUEUED, "job_id": self.job_id}

    def publish(self) -> Any:
        """Let the held job print."""
        self.printer.resume(self.job_id)
        return self.result

    def undo(self) -> None:
        """A held job that was never resumed does not print; nothing to remove here."""


Handover = FolderHandover | LpHandover


def step_before_stage(ref: dict[str, object]) -> dict[str, object]:
    """lp may queue a job before its id is known: record that it may have (see _look_lp)."""
    return {"step": SENDING} if ref.get("kind") == "lp" else {}


def _cas(ctx: Context, fc: FileContext, version: int, **values: object) -> int:
    """Write values if the file is still at `version`; the new version, or a Swedish refusal."""
    from sqlalchemy import update
    from sqlmodel import col

    from tui_app.core.errors import UserError
    from tui_app.services.handling import _about
    from tui_app.store.db import changed_rows, session_scope
    from tui_app.store.models import Attachment

    with session_scope(ctx.engine) as s:
        result = s.execute(
            update(Attachment)
            .where(col(Attachment.id) == fc.file.id, col(Attachment.version) == version)
            .values(version=version + 1, **values)
        )
        if changed_rows(result) != 1:
            raise UserError(
                "Någon annan ändrade filen samtidigt. Uppdatera ärendet (u) och försök igen."
            ).concerning(**_about(fc))
    return version + 1


_NO_CLAIM = {
    "pending_action": None,
    "pending_by": None,
    "pending_owner": None,
    "pending_at": None,
    "pending_ref": None,
}


def _hand_over(
    ctx: Context,
    fc: FileContext,
    handover: Handover,
    ref: dict[str, object],
    version: int,
    kp: str,
    release: dict[str, object],
) -> tuple[object, int]:
    """Stage and publish, recording each step first; on any failure release the claim and
    remove what staging left. The handover's result and the row's version after it."""
    from tui_app.adapters.errors import AdapterError
    from tui_app.core.errors import UserError
    from tui_app.services.handling import _about

    staged = False
    try:
        before = step_before_stage(ref)
        if before:
            ref.update(before)
            version = _cas(ctx, fc, version, pending_ref=json.dumps(ref))
        ref.update(handover.stage())
        staged = True
        killpoint(f"{kp}.staged")
        version = _cas(ctx, fc, version, pending_ref=json.dumps(ref))
        killpoint(f"{kp}.handing_over")
        result = handover.publish()
    except BaseException as exc:
        try:  # release first, then remove what staging left: a gone temp means "published"
            _cas(ctx, fc, version, **_NO_CLAIM, **release)
        except UserError:
            pass  # settled by resolve_pending meanwhile
        if staged:
            handover.undo()
        if isinstance(exc, AdapterError):
            raise UserError(exc.message).concerning(**_about(fc)) from exc
        raise
    return result, version


def _confirm(
    ctx: Context, actor: Actor, fc: FileContext, action: str, version: int, detail: str
) -> None:
    """Record the file as in Picsara / printed and log it, unless resolve_pending took over."""
    from sqlalchemy import update
    from sqlmodel import col

    from tui_app.core.errors import UserError
    from tui_app.services.handling import _about, _log
    from tui_app.store.db import changed_rows, session_scope
    from tui_app.store.models import Attachment

    done_at, done_by = (
        ("picsara_at", "picsara_by") if action == "picsara" else ("printed_at", "printed_by")
    )
    with session_scope(ctx.engine) as s:
        r = s.execute(
            update(Attachment)
            .where(col(Attachment.id) == fc.file.id, col(Attachment.version) == version)
            .values(version=version + 1, **_NO_CLAIM, **{done_at: ctx.now(), done_by: actor.login})
        )
        if changed_rows(r) != 1:
            # resolve_pending took it over (this process looked stuck) and logged the outcome
            raise UserError(
                "Överföringen tog så lång tid att den följdes upp automatiskt. "
                "Uppdatera ärendet (u) och se vad som gäller."
            ).concerning(**_about(fc))
        _log(s, ctx, actor, fc, LOG_ACTION[action], detail)


def send_claimed(
    ctx: Context,
    actor: Actor,
    fc: FileContext,
    action: str,
    handover: Handover,
    *,
    claim: dict[str, object],
    release: dict[str, object],
    detail: str,
) -> object:
    """Claim the file, hand it over step by step with no transaction open, then confirm.

    Every step is recorded before the next starts (see services/pending.py), so a crash at any
    point leaves a claim that `resolve_pending` settles by looking in the outside system; the
    file is recorded as in Picsara / printed only when the handover is complete. The claim
    also stops a colleague from sending the same file meanwhile.
    """
    kp = action.replace("-", "")
    ref = dict(handover.ref)
    version = _cas(
        ctx,
        fc,
        fc.file.version,
        pending_action=action,
        pending_by=actor.login,
        pending_owner=process_owner(),
        pending_at=ctx.now(),
        pending_ref=json.dumps(ref),
        **claim,
    )
    killpoint(f"{kp}.claimed")
    result, version = _hand_over(ctx, fc, handover, ref, version, kp, release)
    killpoint(f"{kp}.published")
    _confirm(ctx, actor, fc, action, version, detail)
    killpoint(f"{kp}.confirmed")
    return result
