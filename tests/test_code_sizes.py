"""The routine's code stays readable in pieces: no module over 400 lines, no function over 60.

Covers the parts split for that reason (issue 13): the routine's state machine, the handling
use cases, the UI's services API and its case and patient screens, the functions that were
split out of pending, claims, audit and the adapters, and the operator's tools (doctor, backup,
restore), the intake check, the classroom server, and the received files, the sweep and the
case use cases (services/files, sweep.py, cases.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "tui_app"
CHECKED = [
    *sorted((ROOT / "core" / "routine").glob("*.py")),
    *sorted((ROOT / "services" / "handling").glob("*.py")),
    *sorted((ROOT / "services" / "api").glob("*.py")),
    *sorted((ROOT / "services" / "files").glob("*.py")),
    ROOT / "services" / "pending.py",
    ROOT / "services" / "claims.py",
    ROOT / "services" / "audit.py",
    ROOT / "services" / "sweep.py",
    ROOT / "services" / "cases.py",
    ROOT / "adapters" / "coversheet.py",
    ROOT / "adapters" / "dicom.py",
    ROOT / "ui" / "screens" / "case.py",
    ROOT / "ui" / "screens" / "case_archive.py",
    ROOT / "ui" / "screens" / "patient.py",
    ROOT / "ui" / "screens" / "patient_page.py",
    *sorted((ROOT / "ops" / "doctor").glob("*.py")),
    ROOT / "ops" / "backup.py",
    ROOT / "ops" / "restore.py",
    ROOT / "intake" / "cli.py",
    ROOT / "classroom" / "server.py",
    ROOT / "classroom" / "seat.py",
]


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_function_sizes(path: Path) -> None:
    src = path.read_text(encoding="utf-8")
    assert len(src.splitlines()) < 400, f"{path.name} has {len(src.splitlines())} lines"
    long = [
        f"{node.name} ({(node.end_lineno or 0) - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(src))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and (node.end_lineno or 0) - node.lineno + 1 > 60
    ]
    assert not long, f"{path.name}: {', '.join(long)}"
