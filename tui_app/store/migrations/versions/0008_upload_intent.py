"""upload_intent: storage keys reserved before a file is placed; downloads outlive their case

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upload_intent",
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("storage_key"),
    )
    with op.batch_alter_table("download", schema=None) as b:
        b.alter_column("attachment_id", existing_type=sa.Integer(), nullable=True)
        b.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        b.add_column(sa.Column("size", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM download WHERE attachment_id IS NULL OR case_id IS NULL")
    with op.batch_alter_table("download", schema=None) as b:
        b.drop_column("size")
        b.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
        b.alter_column("attachment_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("upload_intent")
