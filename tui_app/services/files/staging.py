"""Staging a patient's chosen file: checked and cleaned in a private folder, until sent or removed."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.core.safetext import safe_display_name
from tui_app.services.context import Context

if TYPE_CHECKING:
    from tui_app.intake.sandbox import SandboxConfig


@dataclass(frozen=True)
class StagedFile:
    """A file the patient chose, already checked and cleaned in a private staging folder."""

    token: str
    original_name: str
    accepted: bool
    reason: str | None
    mime: str | None
    original_size: int
    sha256_original: str
    stored_path: Path | None
    stored_sha256: str | None
    thumb_path: Path | None
    width: int | None = None
    height: int | None = None
    pages: int | None = None

    @property
    def display_name(self) -> str:
        """The name, safe to show."""
        return safe_display_name(self.original_name)


def _staging_root(ctx: Context) -> Path:
    return ctx.data_dir / "staging"


def _storable_name(src: Path) -> str:
    """The file's name as text that can be stored and shown: bytes that are not UTF-8 (a Latin-1
    "été", or b"bad\\xff") become U+FFFD, instead of surrogates no database can encode."""
    return os.fsencode(src.name).decode("utf-8", "replace")


def display_name_for(src: Path) -> str:
    """The name a chosen file will be shown (and stored) under, safe to show."""
    return safe_display_name(_storable_name(src))


def _sandbox(ctx: Context) -> SandboxConfig:
    """The intake limits, with the worker bound shared by every process of this deployment."""
    from tui_app.intake.sandbox import SandboxConfig

    return SandboxConfig(slots_dir=ctx.data_dir / "intake-slots")


def stage_files(
    ctx: Context, sources: list[Path], on_wait: Callable[[bool], None] | None = None
) -> list[StagedFile]:
    """Check and clean files the patient chose, in one sandboxed worker (R09, R10).

    A refusal is a StagedFile too; its reason says what is wrong and what to do. `on_wait(True)`
    is called when the check waits for a free intake worker (the server's bound), and
    `on_wait(False)` when it starts.
    """
    from tui_app.intake import prepare_many

    batch = _staging_root(ctx) / uuid.uuid4().hex
    batch.mkdir(parents=True, mode=0o700)
    try:
        results = prepare_many(sources, batch, _sandbox(ctx), on_wait)
    finally:
        _remove_empty(batch)  # nothing accepted: no folder left behind
    out = []
    for src, p in zip(sources, results):
        v = p.verdict
        out.append(
            StagedFile(
                token=uuid.uuid4().hex,
                original_name=_storable_name(src),
                accepted=v.accepted,
                reason=v.reason,
                mime=p.stored_mime or v.mime,
                original_size=v.size,
                sha256_original=v.sha256,
                stored_path=p.stored_path,
                stored_sha256=p.stored_sha256,
                thumb_path=p.thumbnail_path,
                width=v.width,
                height=v.height,
                pages=v.pages,
            )
        )
    return out


def stage_file(
    ctx: Context, source: Path, on_wait: Callable[[bool], None] | None = None
) -> StagedFile:
    """Check and clean one chosen file (see stage_files)."""
    return stage_files(ctx, [source], on_wait)[0]


def discard_staged(ctx: Context, staged: StagedFile) -> None:
    """Forget a chosen file (the patient removed it from the list)."""
    for p in (staged.stored_path, staged.thumb_path):
        if p is not None:
            p.unlink(missing_ok=True)
            _remove_empty(p.parent)


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()  # only when empty: other files of the batch may still be waiting
    except OSError:
        pass
