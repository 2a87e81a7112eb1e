"""offline devices: browsers that keep papers for offline reading, and their wipe orders

Revision ID: 0010_offline_devices
Revises: 0009_signatures
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_offline_devices"
down_revision = "0009_signatures"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "offline_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", S(length=64), nullable=False),
        sa.Column("label", S(length=80), nullable=False),
        sa.Column("registered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("wipe_ordered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("wipe_deactivated", sa.Boolean(), nullable=False),
        sa.Column("wiped_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_offline_device_user_id", "offline_device", ["user_id"])


def downgrade() -> None:
    op.drop_table("offline_device")
