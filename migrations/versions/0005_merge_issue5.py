"""merge the branches of issue 5: opinion polls, positions, minutes, search

Revision ID: 0005
Revises: 0004_minutes, 0004_opinion_polls, 0004_positions, 0004_search
Create Date: 2026-11-25 22:30:00
"""

from __future__ import annotations

revision = "0005"
down_revision = ("0004_minutes", "0004_opinion_polls", "0004_positions", "0004_search")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
