"""minutes: the record of an adjourned meeting, its narrative and its finalization

Revision ID: 0004_minutes
Revises: 0003
Create Date: 2026-12-01 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004_minutes"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "minutes",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("opening", sa.Text(), server_default="", nullable=False),
        sa.Column("closing", sa.Text(), server_default="", nullable=False),
        sa.Column("item_notes", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finalized_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("finalized_by", sa.Integer(), nullable=True),
        sa.Column("last_event_seq", sa.Integer(), nullable=True),
        sa.Column("last_event_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["finalized_by"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.PrimaryKeyConstraint("meeting_id"),
    )


def downgrade() -> None:
    op.drop_table("minutes")
