"""opinion ballots, their recipients and responses; notifications; user email

Revision ID: 0004_opinion_polls
Revises: 0003
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004_opinion_polls"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opinion_poll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_item_id", sa.Integer(), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("deadline", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("responded", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["programme_item_id"], ["programme_item.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("opinion_poll", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opinion_poll_programme_item_id"), ["programme_item_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_opinion_poll_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_opinion_poll_state"), ["state"], unique=False)

    op.create_table(
        "poll_recipient",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["poll_id"], ["opinion_poll.id"]),
        sa.PrimaryKeyConstraint("poll_id", "member_id"),
    )
    with op.batch_alter_table("poll_recipient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_recipient_member_id"), ["member_id"], unique=False)

    op.create_table(
        "poll_response",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("position", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["poll_id"], ["opinion_poll.id"]),
        sa.PrimaryKeyConstraint("poll_id", "member_id"),
    )

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key", name="uq_notification_user_key"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("email")

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_created_at"))
        batch_op.drop_index(batch_op.f("ix_notification_user_id"))
    op.drop_table("notification")
    op.drop_table("poll_response")
    with op.batch_alter_table("poll_recipient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_recipient_member_id"))
    op.drop_table("poll_recipient")
    with op.batch_alter_table("opinion_poll", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opinion_poll_state"))
        batch_op.drop_index(batch_op.f("ix_opinion_poll_deadline"))
        batch_op.drop_index(batch_op.f("ix_opinion_poll_programme_item_id"))
    op.drop_table("opinion_poll")
