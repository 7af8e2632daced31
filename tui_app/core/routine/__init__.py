"""The state machine of a received file and of a case (SPEC.md R08, R12–R22), in one place.

From the stored facts of a file and its case (`FileFacts`, `CaseFacts`) and of the person acting
(`Who`) this package derives what may be done next (`allowed`), why not (`blocker`, with the rule
id), the status words the case table and the inbox show (`file_status`, `todo_for`) and what
stands between a case and "handled" (`missing_for_handled`). Services refuse with the same
blockers the screens grey keys with, so the two can no longer disagree.

Messages name actions, never keys: `{file_cleanup}` stands for whatever key the user's keymap
binds to that action. The UI renders it (`render_hints`); outside the UI the hint is dropped.
Swedish words here are display text; the enum values that are stored in the database keep the
stored strings.

The parts: `kinds` (enums), `facts` (actions, hints, the facts and `Blocker`), `status` (status
words), `blockers` (why not, per action; R08). Import from here: every name is re-exported.
"""

from __future__ import annotations

from tui_app.core.routine.kinds import (
    CaseState,
    Decision,
    FileKind,
    FileState,
    Laterality,
    Target,
    case_state,
    kind_of,
    laterality_prompt,
    parse_laterality,
)
from tui_app.core.routine.facts import (
    CASE_ACTIONS,
    FILE_ACTIONS,
    Action,
    Blocker,
    CaseFacts,
    FileFacts,
    Person,
    Who,
    plain,
    render_hints,
)
from tui_app.core.routine.status import (
    file_status,
    missing_for_handled,
    state_of,
    todo_for,
)
from tui_app.core.routine.blockers import (
    HANDLED_TEXT,
    NO_COPY_TEXT,
    NO_FILE,
    allowed,
    attach_blocker,
    blocker,
    check_file_count,
    new_case_blocker,
    refuse,
)

__all__ = [
    "Action",
    "Blocker",
    "CASE_ACTIONS",
    "CaseFacts",
    "CaseState",
    "Decision",
    "FILE_ACTIONS",
    "FileFacts",
    "FileKind",
    "FileState",
    "HANDLED_TEXT",
    "Laterality",
    "NO_COPY_TEXT",
    "NO_FILE",
    "Person",
    "Target",
    "Who",
    "allowed",
    "attach_blocker",
    "blocker",
    "case_state",
    "check_file_count",
    "file_status",
    "kind_of",
    "laterality_prompt",
    "missing_for_handled",
    "new_case_blocker",
    "parse_laterality",
    "plain",
    "refuse",
    "render_hints",
    "state_of",
    "todo_for",
]
