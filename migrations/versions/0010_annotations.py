"""annotations: highlights and notes anchored to a paper's text, their sharing, each author's
re-anchoring counts, and each version's page texts (issue 17, part 3)

Revision ID: 0010_annotations
Revises: 0009_signatures
Create Date: 2026-12-14 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_annotations"
down_revision = "0009_signatures"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "annotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", S(length=16), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("exact", sa.Text(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("suffix", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", S(length=16), nullable=False),
        sa.Column("share_secretariat", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_annotation_user_id", "annotation", ["user_id"])
    op.create_index("ix_annotation_document_id", "annotation", ["document_id"])
    op.create_table(
        "annotation_share",
        sa.Column("annotation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["annotation_id"], ["annotation.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("annotation_id", "user_id"),
    )
    op.create_index("ix_annotation_share_user_id", "annotation_share", ["user_id"])
    op.create_table(
        "annotation_carry",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("carried", sa.Integer(), nullable=False),
        sa.Column("orphaned", sa.Integer(), nullable=False),
        sa.Column("at", TIME(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.PrimaryKeyConstraint("user_id", "document_id", "to_version"),
    )
    op.create_table(
        "document_page_text",
        sa.Column("document_version_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_version_id"], ["document_version.id"]),
        sa.PrimaryKeyConstraint("document_version_id", "page"),
    )


def downgrade() -> None:
    op.drop_table("document_page_text")
    op.drop_table("annotation_carry")
    op.drop_index("ix_annotation_share_user_id", table_name="annotation_share")
    op.drop_table("annotation_share")
    op.drop_index("ix_annotation_document_id", table_name="annotation")
    op.drop_index("ix_annotation_user_id", table_name="annotation")
    op.drop_table("annotation")
