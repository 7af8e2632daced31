"""inbox indexes: per-unit ordered, per stage (partial), name search by trigrams, counts

The inbox reads one index-ordered branch per unit of the actor (store.inboxsql):
- ix_cases_unit_sent_name (unit_id, sent_at, id, patient_name) replaces ix_cases_unit_sent, so
  PostgreSQL too can walk the (sent_at, id) order of a unit and stop after a page, and a name
  search that matches many patients tests each case's name in the index itself (no patient
  row read per case: Andersson at 1M, 23 ms -> ~1 ms);
- cases.patient_name: the patient's search_name, copied, kept by triggers in the database
  (a case inserted or moved to another patient, a patient renamed), whoever writes; ix_cases_patient_unit (patient_id, unit_id, sent_at, id, patient_name) replaces
  ix_cases_patient_id, so a search's few patients find their cases in the actor's units
  without reading the other units' rows;
- partial indexes per stored stage, their WHERE exactly the terms of inboxsql.STATE_SQL;
- names: on SQLite an FTS5 trigram table over patient (external content, kept by triggers);
  on PostgreSQL ix_patient_search_name becomes a pg_trgm GIN index (same name, so the models
  declare one index for both engines);
- case_count: the cases per unit and stored stage (0 waiting or closed unanswered, 1 answered
  or closed after an answer, 2 handled), kept exact by triggers on cases in the database
  itself, whoever writes; the inbox's counts add the open ones of the last REPLY_WINDOW.

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

STAGE = (
    "CASE WHEN {r}.handled_at IS NOT NULL THEN 2 WHEN {r}.patient_messages > 0 THEN 1 ELSE 0 END"
)
_ADD = (
    "INSERT INTO case_count (unit_id, stage, n) VALUES ({u}, {s}, {d}) "
    "ON CONFLICT (unit_id, stage) DO UPDATE SET n = case_count.n + {d}"
)
COUNT_TRIGGERS_SQLITE = (
    "CREATE TRIGGER case_count_insert AFTER INSERT ON cases BEGIN "
    + _ADD.format(u="new.unit_id", s=STAGE.format(r="new"), d=1)
    + "; END",
    "CREATE TRIGGER case_count_delete AFTER DELETE ON cases BEGIN "
    + _ADD.format(u="old.unit_id", s=STAGE.format(r="old"), d=-1)
    + "; END",
    "CREATE TRIGGER case_count_update AFTER UPDATE OF unit_id, handled_at, patient_messages "
    f"ON cases WHEN old.unit_id IS NOT new.unit_id OR ({STAGE.format(r='old')}) "
    f"IS NOT ({STAGE.format(r='new')}) BEGIN "
    + _ADD.format(u="old.unit_id", s=STAGE.format(r="old"), d=-1)
    + "; "
    + _ADD.format(u="new.unit_id", s=STAGE.format(r="new"), d=1)
    + "; END",
)
# PostgreSQL: the two rows of a change are touched in (unit, stage) order, so two writers
# moving cases between the same stages in opposite directions never deadlock.
COUNT_FUNCTION_PG = f"""
CREATE FUNCTION case_count_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o_u integer; o_s integer; n_u integer; n_s integer;
BEGIN
    IF TG_OP <> 'INSERT' THEN o_u := OLD.unit_id; o_s := {STAGE.format(r="OLD")}; END IF;
    IF TG_OP <> 'DELETE' THEN n_u := NEW.unit_id; n_s := {STAGE.format(r="NEW")}; END IF;
    IF o_u IS NOT DISTINCT FROM n_u AND o_s IS NOT DISTINCT FROM n_s THEN RETURN NULL; END IF;
    IF o_u IS NOT NULL AND (n_u IS NULL OR (o_u, o_s) < (n_u, n_s)) THEN
        {_ADD.format(u="o_u", s="o_s", d=-1)};
        o_u := NULL;
    END IF;
    IF n_u IS NOT NULL THEN {_ADD.format(u="n_u", s="n_s", d=1)}; END IF;
    IF o_u IS NOT NULL THEN {_ADD.format(u="o_u", s="o_s", d=-1)}; END IF;
    RETURN NULL;
END $$
"""
NAME_OF = "coalesce((SELECT p.search_name FROM patient p WHERE p.id = {r}.patient_id), '')"
NAME_TRIGGERS_SQLITE = (
    "CREATE TRIGGER cases_patient_name_insert AFTER INSERT ON cases BEGIN "
    f"UPDATE cases SET patient_name = {NAME_OF.format(r='new')} WHERE id = new.id; END",
    "CREATE TRIGGER cases_patient_name_move AFTER UPDATE OF patient_id ON cases BEGIN "
    f"UPDATE cases SET patient_name = {NAME_OF.format(r='new')} WHERE id = new.id; END",
    "CREATE TRIGGER patient_name_cases AFTER UPDATE OF search_name ON patient "
    "WHEN old.search_name IS NOT new.search_name BEGIN "
    "UPDATE cases SET patient_name = new.search_name WHERE patient_id = new.id; END",
)
NAME_PG = (
    "CREATE FUNCTION cases_patient_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"NEW.patient_name := {NAME_OF.format(r='NEW')}; RETURN NEW; END $$",
    "CREATE TRIGGER cases_patient_name BEFORE INSERT OR UPDATE OF patient_id ON cases "
    "FOR EACH ROW EXECUTE FUNCTION cases_patient_name()",
    "CREATE FUNCTION patient_name_cases() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE cases SET patient_name = NEW.search_name WHERE patient_id = NEW.id; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER patient_name_cases AFTER UPDATE OF search_name ON patient FOR EACH ROW "
    "WHEN (OLD.search_name IS DISTINCT FROM NEW.search_name) "
    "EXECUTE FUNCTION patient_name_cases()",
)
COUNT_TRIGGER_PG = (
    "CREATE TRIGGER case_count_change AFTER INSERT OR DELETE OR UPDATE OF unit_id, handled_at, "
    "patient_messages ON cases FOR EACH ROW EXECUTE FUNCTION case_count_apply()"
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_cases_unit_sent", table_name="cases")
    op.add_column(
        "cases",
        sa.Column("patient_name", sa.String(length=210), nullable=False, server_default=""),
    )
    op.execute(f"UPDATE cases SET patient_name = {NAME_OF.format(r='cases')}")
    for statement in NAME_TRIGGERS_SQLITE if sqlite else NAME_PG:
        op.execute(statement)
    op.create_index(
        "ix_cases_unit_sent_name", "cases", ["unit_id", "sent_at", "id", "patient_name"]
    )
    op.create_index(
        "ix_cases_patient_unit",
        "cases",
        ["patient_id", "unit_id", "sent_at", "id", "patient_name"],
    )
    op.drop_index("ix_cases_patient_id", table_name="cases")
    for name, where in STAGES.items():
        op.create_index(
            name,
            "cases",
            ["unit_id", "sent_at", "id"],
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )
    op.create_table(
        "case_count",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "stage"),
    )
    op.execute(
        "INSERT INTO case_count (unit_id, stage, n) SELECT unit_id, s, count(*) FROM "
        f"(SELECT unit_id, {STAGE.format(r='cases')} AS s FROM cases) AS t GROUP BY unit_id, s"
    )
    if sqlite:
        for trigger in COUNT_TRIGGERS_SQLITE:
            op.execute(trigger)
    else:
        op.execute(COUNT_FUNCTION_PG)
        op.execute(COUNT_TRIGGER_PG)
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
    if sqlite:
        for trigger in ("case_count_insert", "case_count_delete", "case_count_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    else:
        op.execute("DROP TRIGGER IF EXISTS case_count_change ON cases")
        op.execute("DROP FUNCTION IF EXISTS case_count_apply()")
    op.drop_table("case_count")
    for name in STAGES:
        op.drop_index(name, table_name="cases")
    op.drop_index("ix_cases_patient_unit", table_name="cases")
    op.create_index("ix_cases_patient_id", "cases", ["patient_id"])
    op.drop_index("ix_cases_unit_sent_name", table_name="cases")
    if sqlite:
        for trigger in ("cases_patient_name_insert", "cases_patient_name_move"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TRIGGER IF EXISTS patient_name_cases")
    else:
        op.execute("DROP TRIGGER IF EXISTS cases_patient_name ON cases")
        op.execute("DROP TRIGGER IF EXISTS patient_name_cases ON patient")
        op.execute("DROP FUNCTION IF EXISTS cases_patient_name()")
        op.execute("DROP FUNCTION IF EXISTS patient_name_cases()")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("patient_name")
    op.create_index("ix_cases_unit_sent", "cases", ["unit_id", "sent_at"])
