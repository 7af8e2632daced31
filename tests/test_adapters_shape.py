"""The adapters' shape: pure file/process I/O, no UI, no database, heavy libraries imported late."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT
from tests.test_architecture import all_imports

ADAPTERS = ROOT / "tui_app" / "adapters"
HEAVY = ("PIL", "pikepdf", "pypdfium2", "pydicom", "reportlab", "zxingcpp")
FORBIDDEN = (
    "textual",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "tui_app.ui",
    "tui_app.store",
    "tui_app.services",
)


def module_level_imports(tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_adapters_never_touch_ui_or_database() -> None:
    for f in ADAPTERS.glob("*.py"):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        bad = {m for m in all_imports(tree) if m.startswith(FORBIDDEN)}
        assert not bad, f"{f.name} imports {bad}"


def test_adapters_import_heavy_libraries_inside_functions() -> None:
    for f in ADAPTERS.glob("*.py"):
        top = module_level_imports(ast.parse(f.read_text(encoding="utf-8")))
        assert not {m for m in top if m.split(".")[0] in HEAVY}, f.name
    names = ", ".join(
        f"tui_app.adapters.{f.stem}" for f in ADAPTERS.glob("*.py") if f.stem != "__init__"
    )
    script = f"import sys, {names}; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_adapter_modules_are_small_and_public_functions_documented() -> None:
    for f in ADAPTERS.glob("*.py"):
        text = f.read_text(encoding="utf-8")
        assert len(text.splitlines()) < 400, f.name
        tree = ast.parse(text)
        assert ast.get_docstring(tree), f"{f.name} has no module docstring"
        defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        defs += [
            m
            for c in defs
            if isinstance(c, ast.ClassDef)
            for m in c.body
            if isinstance(m, ast.FunctionDef)
        ]
        for node in defs:
            if not node.name.startswith("_"):
                assert ast.get_docstring(node), f"{f.name}: {node.name} has no docstring"
