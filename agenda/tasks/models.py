"""The task tables. See docs/follow-through.md.

A task has exactly one lead agency (Decree 39/2022/NĐ-CP) and any cooperating agencies
(`TaskCooperator`). `due_month` repeats `due_on`'s YYYY-MM so that the monitoring board groups
50,000 tasks by an indexed column on both engines. A restricted task lists its audience in
`TaskAudience`; the secretariat and the lead agency's users always see it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from agenda.clock import utcnow

STATUSES = ("open", "done", "cancelled")


class Task(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_agency_month", "lead_agency_id", "due_month"),
        Index("ix_task_month_status", "due_month", "status"),
        # The monitoring board (migration 0008): its GROUP BY reads only this index, and the
        # at-risk list finds the open tasks due this week.
        Index(
            "ix_task_board", "due_month", "lead_agency_id", "status", "due_on", "completed_on", "cancelled_on"
        ),
        Index("ix_task_status_due", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    title: str = Field(max_length=500)
    description: str = Field(default="", max_length=10_000)
    lead_agency_id: int = Field(foreign_key="agency.id", index=True)
    due_on: date = Field(index=True)
    due_month: str = Field(max_length=7)
    original_due_on: date
    leader_member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    source_meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    source_agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id", index=True)
    source_poll_id: int | None = Field(default=None, foreign_key="opinion_poll.id", index=True)
    document_number: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", max_length=16, index=True)
    completed_on: date | None = None
    cancelled_on: date | None = None
    cancel_reason: str | None = Field(default=None, max_length=2000)
    restricted: bool = Field(default=False)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TaskCooperator(SQLModel, table=True):
    __tablename__ = "task_cooperator"

    task_id: int = Field(foreign_key="task.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True, index=True)


class TaskAudience(SQLModel, table=True):
    __tablename__ = "task_audience"

    task_id: int = Field(foreign_key="task.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, index=True)


class TaskReport(SQLModel, table=True):
    __tablename__ = "task_report"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    text: str = Field(max_length=10_000)
    done: bool = Field(default=False)
    completed_on: date | None = None
    file_sha256: str | None = Field(default=None, max_length=64)
    file_name: str | None = Field(default=None, max_length=255)
    file_size: int | None = None
    file_pages: int | None = None
    author_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)


class TaskExtension(SQLModel, table=True):
    __tablename__ = "task_extension"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    reason: str = Field(max_length=2000)
    due_on: date
    previous_due_on: date
    status: str = Field(default="pending", max_length=16, index=True)  # pending, approved, refused
    requested_by: int | None = Field(default=None, foreign_key="user_account.id")
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    decision_note: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
