"""Staff handle each file (R13–R22): decide, download one at a time, Picsara or E-arkiv, clean up.

The parts: `common` (the file with its case, refusals, log, copies), `decisions`, `downloads`,
`archive` (Picsara, E-arkiv, scanned), `copies` (clean-up), `closing` (handled, reopen) and
`previews`. Import from here: `handling.decide(...)` and every other name is re-exported.
"""

from __future__ import annotations

from tui_app.services.handling.common import (
    JOURNAL,
    NOT_JOURNAL,
    REFRESH,
    FileContext,
    _about,
    _bump,
    _log,
    _my_copy,
    _refuse,
    _refuse_if_pending,
    _refuse_if_sent,
    _refuse_shared_account,
    _require_staff_flag,
    _who,
    live_copies,
    load_file,
)
from tui_app.services.handling.decisions import _decided_first, decide
from tui_app.services.handling.downloads import download
from tui_app.services.handling.archive import (
    Archived,
    case_study_uid,
    mark_scanned,
    print_earkiv,
    send_to_picsara,
    to_picsara,
)
from tui_app.services.handling.copies import CleanupReport, cleanup
from tui_app.services.handling.closing import mark_handled, missing_for_handled, reopen
from tui_app.services.handling.previews import Preview, preview

__all__ = [
    "JOURNAL",
    "NOT_JOURNAL",
    "REFRESH",
    "Archived",
    "CleanupReport",
    "FileContext",
    "Preview",
    "_about",
    "_bump",
    "_decided_first",
    "_log",
    "_my_copy",
    "_refuse",
    "_refuse_if_pending",
    "_refuse_if_sent",
    "_refuse_shared_account",
    "_require_staff_flag",
    "_who",
    "case_study_uid",
    "cleanup",
    "decide",
    "download",
    "live_copies",
    "load_file",
    "mark_handled",
    "mark_scanned",
    "missing_for_handled",
    "preview",
    "print_earkiv",
    "reopen",
    "send_to_picsara",
    "to_picsara",
]
