"""audit_head: one row holding the access log's newest seq and hash

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    conn = op.get_bind()
    last = conn.execute(
        sa.text("SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1")
    ).first()
    op.bulk_insert(
        head, [{"id": 1, "seq": last[0] if last else 0, "hash": last[1] if last else GENESIS}]
    )


def downgrade() -> None:
    op.drop_table("audit_head")
