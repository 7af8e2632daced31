"""pending sends: a claim with an owner and a time on attachments and downloads (crash-safe R19–R21)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as b:
        b.add_column(sa.Column("pending_action", sa.String(length=20), nullable=True))
        b.add_column(sa.Column("pending_by", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("pending_owner", sa.String(length=200), nullable=True))
        b.add_column(sa.Column("pending_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("pending_ref", sa.String(), nullable=True))
        b.create_index("ix_attachment_pending_action", ["pending_action"], unique=False)
    with op.batch_alter_table("download", schema=None) as b:
        b.add_column(sa.Column("pending_owner", sa.String(length=200), nullable=True))
        b.create_index("ix_download_pending_owner", ["pending_owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("download", schema=None) as b:
        b.drop_index("ix_download_pending_owner")
        b.drop_column("pending_owner")
    with op.batch_alter_table("attachment", schema=None) as b:
        b.drop_index("ix_attachment_pending_action")
        for col in ("pending_action", "pending_by", "pending_owner", "pending_at", "pending_ref"):
            b.drop_column(col)
