"""The shape of the code: the core runs without the TUI, start-up defers heavy imports, migrations match."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PKG = ROOT / "tui_app"
NON_UI = ["core", "store", "services", "intake", "adapters"]


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth (top level or inside functions)."""
    return all_imports(ast.parse(path.read_text(encoding="utf-8")))


def all_imports(tree: ast.Module) -> set[str]:
    """Every module a parsed file imports, at any depth."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_non_ui_packages_never_import_textual_or_ui() -> None:
    for pkg in NON_UI:
        for f in (PKG / pkg).rglob("*.py"):
            bad = {
                m
                for m in imports_of(f)
                if m.split(".")[0] == "textual" or m.startswith("tui_app.ui")
            }
            assert not bad, f"{f.relative_to(ROOT)} imports {bad}"


def test_core_imports_no_lower_layer() -> None:
    for f in (PKG / "core").rglob("*.py"):
        bad = {
            m
            for m in imports_of(f)
            if m.startswith(
                ("tui_app.store", "tui_app.services", "tui_app.adapters", "sqlmodel", "sqlalchemy")
            )
        }
        assert not bad, f"{f.relative_to(ROOT)} imports {bad}"


def test_whole_routine_runs_headless_without_textual(tmp_path: Path) -> None:
    script = f"""
import sys
from datetime import UTC, datetime
from tui_app.cli import make_demo_context
from tui_app.services.identity import staff_by_login
from tui_app.services.cases import draft_message, send_case, inbox
ctx = make_demo_context(__import__('pathlib').Path({str(tmp_path / "demo")!r}))
dan = staff_by_login(ctx, 'danan12')
reum = next(u.id for u in dan.units if u.code == 'REUM-SKO')
d = draft_message(ctx, dan, reum, '200001252386')
send_case(ctx, dan, d.unit_id, d.patient.id, d.text)
assert inbox(ctx, dan)
heavy = [m for m in ('textual', 'PIL', 'pikepdf', 'pypdfium2', 'pydicom', 'reportlab') if m in sys.modules]
print('HEAVY', heavy)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "'textual'" not in out.stdout


def test_importing_the_app_defers_heavy_libraries() -> None:
    script = (
        "import sys, tui_app.cli, tui_app.ui.app, tui_app.services.cases;"
        "print([m for m in ('PIL','pikepdf','pypdfium2','pydicom','reportlab','alembic','magic')"
        " if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_head_revision_constant_names_the_newest_migration() -> None:
    from tui_app.store.migrations import HEAD_REVISION

    revs = {}
    for f in (PKG / "store" / "migrations" / "versions").glob("*.py"):
        tree = ast.parse(f.read_text())
        vals = {
            t.targets[0].id: t.value
            for t in tree.body
            if isinstance(t, ast.Assign) and isinstance(t.targets[0], ast.Name)
        }
        if "revision" in vals:
            revs[ast.literal_eval(vals["revision"])] = ast.literal_eval(vals["down_revision"])
    heads = set(revs) - set(revs.values())
    assert heads == {HEAD_REVISION}


def test_migrations_match_the_models(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import tui_app.store.models  # noqa: F401
    from tui_app.store.migrations import include_name
    from tui_app.store.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    assert upgrade(engine) is True
    assert upgrade(engine) is False  # already at head: nothing to do, Alembic not even imported
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_name": include_name}), SQLModel.metadata
        )
    assert diff == []


def test_sqlite_runs_wal_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    from sqlalchemy import text

    from tui_app.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_times_are_stored_aware_utc(ctx) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC

    from tests.conftest import send
    from tui_app.store.db import session_scope
    from tui_app.store.models import Case

    n = send(ctx)
    with session_scope(ctx.engine) as s:
        case = s.get(Case, n)
        assert case is not None and case.sent_at.tzinfo is UTC
