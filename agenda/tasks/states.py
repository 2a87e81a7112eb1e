"""The four official states of a task as of any day, in Python and in SQL. See
docs/follow-through.md "The four states".

As of day D, a task that was completed on or before D is `on_time` when completed on or before
its due date and `late` after it; one cancelled on or before D is `cancelled`; any other is open
as of D: `in_time` while D is on or before the due date, `overdue` from the day after. So a task
done on its due date is on time, done the day after is late; open on its due date is in time,
open the day after is overdue. The due date is the current one: an approved extension moves it
(the original is kept in `original_due_on`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case
from sqlmodel import col

from agenda.tasks.models import Task

STATES = ("on_time", "late", "in_time", "overdue", "cancelled")
OFFICIAL_STATES = ("on_time", "late", "in_time", "overdue")


def state_of(task: Task, as_of: date) -> str:
    if task.status == "done" and task.completed_on is not None and task.completed_on <= as_of:
        return "on_time" if task.completed_on <= task.due_on else "late"
    if task.status == "cancelled" and (task.cancelled_on is None or task.cancelled_on <= as_of):
        return "cancelled"
    return "in_time" if as_of <= task.due_on else "overdue"


def state_expression(as_of: date) -> Any:
    """`state_of` as one SQL CASE, for filters and the board's GROUP BY."""
    completed = and_(
        col(Task.status) == "done", col(Task.completed_on).is_not(None), col(Task.completed_on) <= as_of
    )
    cancelled = and_(
        col(Task.status) == "cancelled",
        (col(Task.cancelled_on).is_(None)) | (col(Task.cancelled_on) <= as_of),
    )
    return case(
        (and_(completed, col(Task.completed_on) <= col(Task.due_on)), "on_time"),
        (completed, "late"),
        (cancelled, "cancelled"),
        (col(Task.due_on) >= as_of, "in_time"),
        else_="overdue",
    )
