"""Received files: staging a patient's chosen file, storing a reply's files all-or-nothing, listing them.

The parts live in submodules (staging, tokens, storage, views, garbage); every name is
importable from here as before.
"""

from __future__ import annotations

from tui_app.services.files.garbage import (
    ORPHAN_MIN_AGE_S,
    STAGING_MAX_AGE_S,
    GarbageReport,
    collect_garbage,
)
from tui_app.services.files.staging import (
    StagedFile,
    discard_staged,
    display_name_for,
    stage_file,
    stage_files,
)
from tui_app.services.files.storage import (
    EXT,
    Reserved,
    attach_demo_files,
    attach_uploads,
    check_reply_files,
    file_store,
    reserve_storage,
)
from tui_app.services.files.tokens import (
    StagedToken,
    discard_all_tokens,
    discard_token,
    forget_tokens,
    stage_token,
    staged_for,
)
from tui_app.services.files.views import file_facts, file_status, file_views, stored_path

__all__ = [
    "EXT",
    "ORPHAN_MIN_AGE_S",
    "STAGING_MAX_AGE_S",
    "GarbageReport",
    "Reserved",
    "StagedFile",
    "StagedToken",
    "attach_demo_files",
    "attach_uploads",
    "check_reply_files",
    "collect_garbage",
    "discard_all_tokens",
    "discard_staged",
    "discard_token",
    "display_name_for",
    "file_facts",
    "file_status",
    "file_store",
    "file_views",
    "forget_tokens",
    "reserve_storage",
    "stage_file",
    "stage_files",
    "stage_token",
    "staged_for",
    "stored_path",
]
