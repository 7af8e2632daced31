"""The garbage collector: stale staging folders, and stored files of abandoned uploads."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select

from tui_app.services.context import Context
from tui_app.services.files.staging import _staging_root
from tui_app.services.files.storage import file_store
from tui_app.store.db import session_scope
from tui_app.store.models import Attachment

STAGING_MAX_AGE_S = 24 * 3600
ORPHAN_MIN_AGE_S = 3600


#: Intents handled per write transaction: staff never wait behind the collector for longer.
INTENT_BATCH = 200


@dataclass(frozen=True)
class GarbageReport:
    """What the collector removed, and (after a walk of the files, `walk=True`) the stored files
    it kept because nothing declared them."""

    staging: int
    abandoned: int
    unknown: int = 0
    walked: bool = False  # whether `unknown` was counted (a walk of every stored file)

    @property
    def removed(self) -> int:
        """Folders and files removed in all."""
        return self.staging + self.abandoned


def collect_garbage(ctx: Context, now: float | None = None, *, walk: bool = False) -> GarbageReport:
    """Remove stale staging folders, and stored files of uploads the database has declared
    abandoned (an upload intent older than an hour whose key no attachment took).

    Its cost follows what is due: the intents older than an hour are read by their time index,
    a batch per short write transaction; stored files are never listed. A stored file that
    neither an attachment nor an intent names is never deleted (it belongs to something this
    database does not know); `walk=True` (`tui-app sweep --full`) walks every stored file to
    count them. Refuses (StoreMismatch), deleting nothing, when the files folder does not
    belong to this database.
    """
    from tui_app.services.storeid import check_store

    check_store(ctx)
    now = now or time.time()
    staging = 0
    root = _staging_root(ctx)
    if root.is_dir():
        for d in root.iterdir():
            if now - d.stat().st_mtime > STAGING_MAX_AGE_S:
                shutil.rmtree(d, ignore_errors=True)
                staging += 1
    from tui_app.store.filestore import prune_cache

    staging += prune_cache(file_store(ctx), STAGING_MAX_AGE_S, now)  # copies from the database
    abandoned = _collect_intents(ctx, datetime.fromtimestamp(now - ORPHAN_MIN_AGE_S, UTC))
    if not walk:
        return GarbageReport(staging, abandoned)
    return GarbageReport(staging, abandoned, _count_unknown(ctx), walked=True)


def _collect_intents(ctx: Context, cutoff: datetime) -> int:
    """Settle the intents older than `cutoff`, oldest first, INTENT_BATCH per transaction:
    the file of one no attachment took is deleted; every settled intent goes. How many files
    were deleted."""
    from tui_app.store.models import UploadIntent

    abandoned = 0
    while True:
        with session_scope(ctx.engine) as s:
            stale = s.exec(
                select(UploadIntent)
                .where(col(UploadIntent.created_at) < cutoff)
                .order_by(col(UploadIntent.created_at), col(UploadIntent.storage_key))
                .limit(INTENT_BATCH)
            ).all()
            for intent in stale:
                key = intent.storage_key
                taken = s.exec(
                    select(Attachment.id)
                    .where(
                        (col(Attachment.storage_key) == key) | (col(Attachment.thumb_key) == key)
                    )
                    .limit(1)
                ).first()
                if taken is None:
                    store = file_store(ctx)
                    if store.exists(key):
                        store.delete(key, s)
                        abandoned += 1
                s.delete(intent)
        if len(stale) < INTENT_BATCH:
            return abandoned


def _count_unknown(ctx: Context) -> int:
    """Stored files no attachment and no intent names (looked up in batches of keys)."""
    from tui_app.store.models import UploadIntent

    unknown = 0
    batch: list[str] = []

    def flush() -> int:
        with session_scope(ctx.engine) as s:
            known = set(
                s.exec(
                    select(Attachment.storage_key).where(col(Attachment.storage_key).in_(batch))
                ).all()
            )
            known |= {
                k
                for k in s.exec(
                    select(Attachment.thumb_key).where(col(Attachment.thumb_key).in_(batch))
                ).all()
                if k
            }
            known |= set(
                s.exec(
                    select(UploadIntent.storage_key).where(col(UploadIntent.storage_key).in_(batch))
                ).all()
            )
        return sum(1 for k in batch if k not in known)

    for key in file_store(ctx).keys():
        batch.append(key)
        if len(batch) >= 500:
            unknown += flush()
            batch = []
    if batch:
        unknown += flush()
    return unknown
