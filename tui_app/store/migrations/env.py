"""Alembic environment: runs on the connection the app hands over (see store.db.upgrade)."""

from __future__ import annotations

from alembic import context

import tui_app.store.models  # noqa: F401  (registers the tables)
from sqlmodel import SQLModel
from tui_app.store.migrations import include_name

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    from tui_app.store.db import make_engine

    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic: no connection and no sqlalchemy.url given")
    connection = make_engine(url).connect()

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_name=include_name,  # the FTS5 tables are made by hand, not by the models
)
with context.begin_transaction():
    context.run_migrations()
