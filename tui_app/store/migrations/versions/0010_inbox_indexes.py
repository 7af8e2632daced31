"""inbox indexes: per-unit ordered, per stage (partial), name search by trigrams

The inbox reads one index-ordered branch per unit of the actor (store.inboxsql):
- ix_cases_unit_sent_id (unit_id, sent_at, id) replaces ix_cases_unit_sent, so PostgreSQL too
  can walk the (sent_at, id) order of a unit and stop after a page (SQLite's index carries the
  rowid anyway);
- partial indexes per stored stage, their WHERE exactly the terms of inboxsql.STATE_SQL;
- names: on SQLite an FTS5 trigram table over patient (external content, kept by triggers);
  on PostgreSQL ix_patient_search_name becomes a pg_trgm GIN index (same name, so the models
  declare one index for both engines).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

STAGES = {
    "ix_cases_waiting": "handled_at IS NULL AND patient_messages = 0",
    "ix_cases_answered": "handled_at IS NULL AND patient_messages > 0",
    "ix_cases_handled": "handled_at IS NOT NULL",
}

FTS = (
    "CREATE VIRTUAL TABLE patient_fts USING fts5(search_name, pnr, content='patient', "
    "content_rowid='id', tokenize='trigram')"
)
FTS_TRIGGERS = (
    "CREATE TRIGGER patient_fts_insert AFTER INSERT ON patient BEGIN "
    "INSERT INTO patient_fts(rowid, search_name, pnr) VALUES (new.id, new.search_name, new.pnr); "
    "END",
    "CREATE TRIGGER patient_fts_delete AFTER DELETE ON patient BEGIN "
    "INSERT INTO patient_fts(patient_fts, rowid, search_name, pnr) "
    "VALUES ('delete', old.id, old.search_name, old.pnr); END",
    "CREATE TRIGGER patient_fts_update AFTER UPDATE OF search_name, pnr ON patient BEGIN "
    "INSERT INTO patient_fts(patient_fts, rowid, search_name, pnr) "
    "VALUES ('delete', old.id, old.search_name, old.pnr); "
    "INSERT INTO patient_fts(rowid, search_name, pnr) VALUES (new.id, new.search_name, new.pnr); "
    "END",
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_cases_unit_sent", table_name="cases")
    op.create_index("ix_cases_unit_sent_id", "cases", ["unit_id", "sent_at", "id"])
    for name, where in STAGES.items():
        op.create_index(
            name,
            "cases",
            ["unit_id", "sent_at", "id"],
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )
    if sqlite:
        op.execute(FTS)
        for trigger in FTS_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO patient_fts(patient_fts) VALUES ('rebuild')")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.drop_index("ix_patient_search_name", table_name="patient")
        op.create_index(
            "ix_patient_search_name",
            "patient",
            ["search_name"],
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for trigger in ("patient_fts_insert", "patient_fts_delete", "patient_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS patient_fts")
    else:
        op.drop_index("ix_patient_search_name", table_name="patient")
        op.create_index("ix_patient_search_name", "patient", ["search_name"])
    for name in STAGES:
        op.drop_index(name, table_name="cases")
    op.drop_index("ix_cases_unit_sent_id", table_name="cases")
    op.create_index("ix_cases_unit_sent", "cases", ["unit_id", "sent_at"])
