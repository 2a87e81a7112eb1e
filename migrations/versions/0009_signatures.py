"""signatures: signing identities, signed files and their signatures, their copy log, wrong PINs

Revision ID: 0009_signatures
Revises: 0008_monitoring_indexes
Create Date: 2026-12-07 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_signatures"
down_revision = "0008_monitoring_indexes"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "signing_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", S(length=16), nullable=False),
        sa.Column("store", S(length=16), nullable=False),
        sa.Column("token", S(length=64), nullable=False),
        sa.Column("key_label", S(length=64), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("certificate_sha256", S(length=64), nullable=False),
        sa.Column("common_name", S(length=200), nullable=False),
        sa.Column("title", S(length=200), nullable=False),
        sa.Column("organisation", S(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signing_identity_user_id", "signing_identity", ["user_id"])
    op.create_index("ix_signing_identity_certificate_sha256", "signing_identity", ["certificate_sha256"])
    op.create_table(
        "signed_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record", S(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("source_sha256", S(length=64), nullable=False),
        sa.Column("sha256", S(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("superseded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("superseded_reason", S(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record", "subject_id", "version", name="uq_signed_file_version"),
    )
    op.create_index("ix_signed_file_subject_id", "signed_file", ["subject_id"])
    op.create_index("ix_signed_file_meeting_id", "signed_file", ["meeting_id"])
    op.create_table(
        "file_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signed_file_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("signer_id", sa.Integer(), nullable=True),
        sa.Column("slot", S(length=32), nullable=False),
        sa.Column("field_name", S(length=64), nullable=False),
        sa.Column("certificate_sha256", S(length=64), nullable=False),
        sa.Column("signed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sha256", S(length=64), nullable=False),
        sa.Column("level", S(length=8), nullable=False),
        sa.Column("time_source", S(length=16), nullable=False),
        sa.ForeignKeyConstraint(["signed_file_id"], ["signed_file.id"]),
        sa.ForeignKeyConstraint(["identity_id"], ["signing_identity.id"]),
        sa.ForeignKeyConstraint(["signer_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("signed_file_id", "position", name="uq_file_signature_position"),
    )
    op.create_index("ix_file_signature_signed_file_id", "file_signature", ["signed_file_id"])
    op.create_table(
        "signed_file_fetch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signed_file_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sha256", S(length=64), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["signed_file_id"], ["signed_file.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signed_file_fetch_signed_file_id", "signed_file_fetch", ["signed_file_id"])
    op.create_index("ix_signed_file_fetch_user_id", "signed_file_fetch", ["user_id"])
    op.create_table(
        "pin_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pin_failure_user_id", "pin_failure", ["user_id"])
    op.create_index("ix_pin_failure_at", "pin_failure", ["at"])


def downgrade() -> None:
    for table in ("pin_failure", "signed_file_fetch", "file_signature", "signed_file", "signing_identity"):
        op.drop_table(table)
