"""SQLModel tables, Alembic migrations and the engine: no Textual here."""
