"""handling: decisions, Picsara/E-arkiv, tracked downloads, log reviews

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as b:
        b.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("decision", sa.String(length=20), nullable=True))
        b.add_column(
            sa.Column("decision_reason", sa.String(length=300), nullable=False, server_default="")
        )
        b.add_column(sa.Column("decided_by", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("picsara_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("picsara_by", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("laterality", sa.String(length=20), nullable=True))
        b.add_column(sa.Column("body_site", sa.String(length=100), nullable=True))
        b.add_column(sa.Column("printed_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("printed_by", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("scanned_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("cases", schema=None) as b:
        b.add_column(sa.Column("handled_by", sa.String(length=64), nullable=True))
    op.create_table(
        "download",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("staff_login", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleaned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleaned_by", sa.String(length=64), nullable=True),
        sa.Column("clean_note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachment.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("download", schema=None) as b:
        b.create_index(b.f("ix_download_attachment_id"), ["attachment_id"], unique=False)
        b.create_index(b.f("ix_download_case_id"), ["case_id"], unique=False)
        b.create_index(b.f("ix_download_staff_login"), ["staff_login"], unique=False)
        b.create_index(b.f("ix_download_sha256"), ["sha256"], unique=False)
    op.create_table(
        "audit_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("finding", sa.String(length=2000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("audit_review")
    op.drop_table("download")
    with op.batch_alter_table("cases", schema=None) as b:
        b.drop_column("handled_by")
    with op.batch_alter_table("attachment", schema=None) as b:
        for col in (
            "version",
            "decision",
            "decision_reason",
            "decided_by",
            "decided_at",
            "picsara_at",
            "picsara_by",
            "laterality",
            "body_site",
            "printed_at",
            "printed_by",
            "scanned_at",
            "scanned_by",
        ):
            b.drop_column(col)
