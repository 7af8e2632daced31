"""The one surface the UI calls: every use case a screen may run, typed, grouped by role.

`tui_app.ui` imports services only through this package (tests/test_seam.py checks it); the
functions live in one module per role (signin, staff, case, patient, admin) and are re-exported
here. Each function is a plain call into the use case that does the work; screens run them off
the UI thread with `Runner.run` (ui/base.py), e.g.

    self.run(lambda: api.open_case(self.ctx, self.actor, case_id), on_done=self._opened)

Importing this package is cheap: it is imported while the first screen is painted, when the
data layer (SQLAlchemy, SQLModel, the mapped tables) is still loading in its own thread. So
the use cases are imported inside the functions, which run in workers, and only after
`ctx.engine` is there (it waits for the loading thread, or says why loading failed): neither
the UI thread, which would freeze, nor a second thread racing the loading one through the
same imports. The dataclasses and constants of heavy modules are named here for mypy and
loaded on first use (PEP 562 `__getattr__` below).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from tui_app.core.rules import CaseState
from tui_app.services.actor import Actor, UnitInfo
from tui_app.services.api._base import wait_for_data_layer
from tui_app.services.cancel import Cancel, Cancelled
from tui_app.services.context import Context
from tui_app.services.errors import as_user_error
from tui_app.services.views import (
    CaseView,
    Draft,
    FileView,
    InboxCounts,
    InboxKey,
    InboxPage,
    InboxRow,
    InboxWhere,
    MessageView,
    PatientInfo,
    copies_left,
)

# The use cases, one module per role; they are named here so `api.inbox` keeps working.
from tui_app.services.api.admin import (
    units,
    staff_rows,
    set_unit_flag,
    set_picsara_permission,
    set_active,
    set_memberships,
    add_care_relation,
    search_log,
    verify_log,
    record_review,
)
from tui_app.services.api.case import (
    decide,
    download,
    to_picsara,
    print_earkiv,
    mark_scanned,
    cleanup,
    mark_handled,
    reopen,
    log_refusal,
    load_preview,
    render_view,
)
from tui_app.services.api.patient import (
    patient_cases,
    patient_open_case,
    picker_start,
    display_name_for,
    stage_file,
    discard_staged,
    patient_reply,
)
from tui_app.services.api.signin import (
    sign_in_choices,
    patient_actor,
    staff_by_login,
)
from tui_app.services.api.staff import (
    watch_changes,
    inbox,
    inbox_page,
    inbox_counts,
    open_case,
    advance_clock,
    last_used_unit,
    draft_message,
    send_case,
)

if TYPE_CHECKING:
    from tui_app.services.admin import StaffRow
    from tui_app.services.audit import REFUSED, ChainReport
    from tui_app.services.auditlog import PAGE, LogRow
    from tui_app.services.files import StagedToken
    from tui_app.services.handling import JOURNAL, NOT_JOURNAL, Archived, CleanupReport, Preview
    from tui_app.services.identity import SignInChoice
    from tui_app.services.preview import ZOOMS, PreviewSource, Rendered, View

__all__ = [
    # light, imported with this module
    "Actor",
    "Cancel",
    "Cancelled",
    "CaseState",
    "CaseView",
    "Context",
    "Draft",
    "FileView",
    "InboxCounts",
    "InboxKey",
    "InboxPage",
    "InboxRow",
    "InboxWhere",
    "MessageView",
    "PatientInfo",
    "UnitInfo",
    "as_user_error",
    "copies_left",
    # loaded on first use (see _LAZY)
    "JOURNAL",
    "NOT_JOURNAL",
    "Archived",
    "PAGE",
    "REFUSED",
    "ZOOMS",
    "ChainReport",
    "CleanupReport",
    "LogRow",
    "Preview",
    "PreviewSource",
    "Rendered",
    "SignInChoice",
    "StaffRow",
    "StagedToken",
    "View",
    # the use cases, by role (signin, staff, case, patient, admin)
    "add_care_relation",
    "advance_clock",
    "cleanup",
    "decide",
    "discard_staged",
    "display_name_for",
    "download",
    "draft_message",
    "inbox",
    "inbox_counts",
    "inbox_page",
    "last_used_unit",
    "load_preview",
    "log_refusal",
    "mark_handled",
    "mark_scanned",
    "open_case",
    "patient_actor",
    "patient_cases",
    "patient_open_case",
    "patient_reply",
    "picker_start",
    "print_earkiv",
    "record_review",
    "render_view",
    "reopen",
    "search_log",
    "send_case",
    "set_active",
    "set_memberships",
    "set_picsara_permission",
    "set_unit_flag",
    "sign_in_choices",
    "staff_by_login",
    "staff_rows",
    "stage_file",
    "to_picsara",
    "units",
    "verify_log",
    "wait_for_data_layer",
    "watch_changes",
]

#: Names of heavy modules, loaded when first asked for (`api.View`, `from api import JOURNAL`).
_LAZY: dict[str, str] = {
    "StaffRow": "tui_app.services.admin",
    "REFUSED": "tui_app.services.audit",
    "ChainReport": "tui_app.services.audit",
    "PAGE": "tui_app.services.auditlog",
    "LogRow": "tui_app.services.auditlog",
    "StagedToken": "tui_app.services.files",
    "JOURNAL": "tui_app.services.handling",
    "Archived": "tui_app.services.handling",
    "NOT_JOURNAL": "tui_app.services.handling",
    "CleanupReport": "tui_app.services.handling",
    "Preview": "tui_app.services.handling",
    "SignInChoice": "tui_app.services.identity",
    "ZOOMS": "tui_app.services.preview",
    "PreviewSource": "tui_app.services.preview",
    "Rendered": "tui_app.services.preview",
    "View": "tui_app.services.preview",
}

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
