"""The tokens a patient's screen holds for chosen files; the staged files stay here."""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tui_app.core.errors import UserError
from tui_app.services.context import Context
from tui_app.services.files.staging import StagedFile, discard_staged, stage_file


@dataclass(frozen=True)
class StagedToken:
    """What the patient's screen holds of a chosen file: what it shows, never where it lies.

    The staged file itself (its paths in the private staging folder, its hashes) stays here,
    in the context's token map (`stage_token`, `staged_for`, `discard_token`)."""

    id: str
    name: str  # safe to show
    size: int  # bytes, as chosen
    accepted: bool
    reason: str | None  # why not, in Swedish, when refused
    kind: str  # the type as shown: "JPEG", "PDF", … ("" when unknown)


class _Tokens:
    """The staged files behind the tokens handed to one context's screens (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, StagedFile] = {}


_TOKENS: weakref.WeakKeyDictionary[Context, _Tokens] = weakref.WeakKeyDictionary()
_TOKENS_LOCK = threading.Lock()


def _tokens(ctx: Context) -> _Tokens:
    with _TOKENS_LOCK:
        t = _TOKENS.get(ctx)
        if t is None:
            t = _TOKENS[ctx] = _Tokens()
        return t


def stage_token(
    ctx: Context, source: Path, on_wait: Callable[[bool], None] | None = None
) -> StagedToken:
    """Check and clean one chosen file (stage_file); the caller gets a token for it."""
    staged = stage_file(ctx, source, on_wait)
    t = _tokens(ctx)
    with t.lock:
        t.files[staged.token] = staged
    return StagedToken(
        id=staged.token,
        name=staged.display_name,
        size=staged.original_size,
        accepted=staged.accepted,
        reason=staged.reason,
        kind=(staged.mime or "").split("/")[-1].upper(),
    )


def staged_for(ctx: Context, token_ids: list[str]) -> list[StagedFile]:
    """The staged files behind these tokens, in order; a token no longer known is refused."""
    t = _tokens(ctx)
    with t.lock:
        found = [t.files.get(i) for i in token_ids]
    if any(f is None for f in found):
        raise UserError("En fil saknas i förberedelsen. Ta bort den och välj filen igen.")
    return [f for f in found if f is not None]


def forget_tokens(ctx: Context, token_ids: list[str]) -> None:
    """Drop tokens whose files went into the store with a reply (nothing left to delete)."""
    t = _tokens(ctx)
    with t.lock:
        for i in token_ids:
            t.files.pop(i, None)


def discard_token(ctx: Context, token_id: str) -> None:
    """The patient removed a chosen file: delete it from staging and forget its token."""
    t = _tokens(ctx)
    with t.lock:
        staged = t.files.pop(token_id, None)
    if staged is not None:
        discard_staged(ctx, staged)


def discard_all_tokens(ctx: Context) -> int:
    """Delete every chosen file not sent (the app is closing); returns how many."""
    t = _tokens(ctx)
    with t.lock:
        left, t.files = list(t.files.values()), {}
    for staged in left:
        discard_staged(ctx, staged)
    return len(left)


@atexit.register
def _discard_at_exit() -> None:
    """Chosen but never sent files leave with the process (the collector is the fallback)."""
    with _TOKENS_LOCK:
        contexts = list(_TOKENS.keys())
    for ctx in contexts:
        try:
            discard_all_tokens(ctx)
        except OSError:
            pass
