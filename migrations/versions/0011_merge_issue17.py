"""merge the branches of issue 17: annotations anchored to the text, offline devices

Revision ID: 0011_merge_issue17
Revises: 0010_annotations, 0010_offline_devices
Create Date: 2026-12-07 20:50:00
"""

from __future__ import annotations

revision = "0011_merge_issue17"
down_revision = ("0010_annotations", "0010_offline_devices")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
