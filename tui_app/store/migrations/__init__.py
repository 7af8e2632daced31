"""Alembic migrations. HEAD_REVISION must name the newest file in versions/ (a test checks)."""

HEAD_REVISION = "0009"
