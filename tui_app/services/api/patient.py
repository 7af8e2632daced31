"""The patient (1177): own cases, chosen files and the reply.

Part of the UI's one surface, re-exported by `tui_app.services.api`; see there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.services.actor import Actor
from tui_app.services.api._base import wait_for_data_layer
from tui_app.services.context import Context
from tui_app.services.views import CaseView

if TYPE_CHECKING:
    from tui_app.services.files import StagedToken


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
    samples = Path(__file__).resolve().parents[3] / "data" / "samples"
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
