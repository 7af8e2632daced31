"""operator jobs at a million cases: indexes that let the log search, the sweep and leftovers
read only what they need

- the access log: (actor, seq), (patient_pnr, seq), (unit_code, seq), so each filter of the
  administrator's search reads its page newest first from an index (they replace the
  single-column actor and patient_pnr indexes, which they cover);
- attachment.thumb_key (the garbage collector asks whether a key is still taken),
  attachment.size / original_size / sha256_original and download.size (`leftovers` asks about
  the sizes and checksums of the files it found, never for all of them);
- upload_intent.created_at (the garbage collector reads only the intents that are due);
- partial indexes of the sends and copies under way (attachment.pending_action,
  download.pending_owner WHERE ... IS NOT NULL): SQLite never used the full ones for
  `IS NOT NULL`, so the sweep (and every start) scanned every attachment and download.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: (table, index name, columns) created by this revision.
INDEXES = (
    ("audit_entry", "ix_audit_actor_seq", ["actor", "seq"]),
    ("audit_entry", "ix_audit_pnr_seq", ["patient_pnr", "seq"]),
    ("audit_entry", "ix_audit_unit_seq", ["unit_code", "seq"]),
    ("attachment", "ix_attachment_thumb_key", ["thumb_key"]),
    ("attachment", "ix_attachment_size", ["size"]),
    ("attachment", "ix_attachment_original_size", ["original_size"]),
    ("attachment", "ix_attachment_sha256_original", ["sha256_original"]),
    ("download", "ix_download_size", ["size"]),
    ("upload_intent", "ix_upload_intent_created_at", ["created_at"]),
)
#: (table, index name, column) of the partial indexes: only the rows where it IS NOT NULL.
PARTIAL = (
    ("attachment", "ix_attachment_pending", "pending_action"),
    ("download", "ix_download_pending", "pending_owner"),
)
#: Indexes the ones above cover.
REPLACED = (
    ("audit_entry", "ix_audit_entry_actor", ["actor"]),
    ("audit_entry", "ix_audit_entry_patient_pnr", ["patient_pnr"]),
    ("attachment", "ix_attachment_pending_action", ["pending_action"]),
    ("download", "ix_download_pending_owner", ["pending_owner"]),
)


def upgrade() -> None:
    for table, name, cols in INDEXES:
        op.create_index(name, table, cols, unique=False)
    for table, name, column in PARTIAL:
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, table, [column], sqlite_where=where, postgresql_where=where)
    for table, name, _cols in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, name, cols in REPLACED:
        op.create_index(name, table, cols, unique=False)
    for table, name, _column in PARTIAL:
        op.drop_index(name, table_name=table)
    for table, name, _cols in reversed(INDEXES):
        op.drop_index(name, table_name=table)
