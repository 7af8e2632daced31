"""The suite on PostgreSQL: TUI_APP_TEST_PG names a server (an SQLAlchemy URL of its
maintenance database, e.g. postgresql+psycopg://postgres@/postgres?host=/tmp/pg), and each test
gets a database of its own, copied from a template that is migrated and loaded once."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

_lock = threading.Lock()
_template: str | None = None


def enabled() -> bool:
    """True when the suite runs against a PostgreSQL server."""
    return bool(os.environ.get("TUI_APP_TEST_PG"))


def _with_db(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(os.environ["TUI_APP_TEST_PG"], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _ensure_template() -> str:
    global _template
    with _lock:
        if _template is None:
            from tests.conftest import DEMO
            from tui_app.services.context import close_context, open_context
            from tui_app.services.seed import load_file
            from tempfile import mkdtemp
            from pathlib import Path

            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            name = f"tui_tmpl_{worker}_{uuid.uuid4().hex[:8]}"
            _admin(f'CREATE DATABASE "{name}"')
            url = _with_db(os.environ["TUI_APP_TEST_PG"], name)
            c = open_context(url, Path(mkdtemp()))
            load_file(c, DEMO, with_cases=False)
            close_context(c)
            _template = name
        return _template


def fresh_database(request: pytest.FixtureRequest) -> str:
    """A new database for one test, as the template holds it; returns its URL."""
    template = _ensure_template()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under xdist
    name = f"t_{worker}_{uuid.uuid4().hex[:16]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return _with_db(os.environ["TUI_APP_TEST_PG"], name)


def drop_database(url: str) -> None:
    """Remove a test's database."""
    from sqlalchemy.engine import make_url

    _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
