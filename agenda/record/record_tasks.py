"""The tasks each conclusion gave (agenda/tasks/), for the minutes and the session resolution.
See docs/minutes.md "Tasks" and docs/follow-through.md.

The record itself is fixed at adjournment (agenda/record/minutes_record.py), but tasks are
assigned from a conclusion afterwards (on the console or the minutes page), so they are read
when the minutes are viewed and added to each item the viewer sees: `tasks` (code, title, lead
agency, due date) and `restricted_tasks`, the number of restricted tasks. The minutes and the
resolution are meant for every member, so a restricted task is never named in them, whoever
reads: it is counted only ("n nhiệm vụ mật"). Cancelled tasks are left out.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from agenda.agencies.registry import Agency
from agenda.tasks.models import Task


def tasks_by_item(session: Session, agenda_item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """agenda item id -> {"tasks": [...], "restricted_tasks": n}, for the items that gave any."""
    if not agenda_item_ids:
        return {}
    rows = session.exec(
        select(Task, Agency.name)
        .join(Agency, col(Agency.id) == Task.lead_agency_id)
        .where(col(Task.source_agenda_item_id).in_(agenda_item_ids), Task.status != "cancelled")
        .order_by(col(Task.due_on), col(Task.id))
    ).all()
    found: dict[int, dict[str, Any]] = {}
    for task, agency in rows:
        assert task.source_agenda_item_id is not None
        entry = found.setdefault(task.source_agenda_item_id, {"tasks": [], "restricted_tasks": 0})
        if task.restricted:
            entry["restricted_tasks"] += 1
            continue
        entry["tasks"].append(
            {
                "id": task.id,
                "code": task.code,
                "title": task.title,
                "lead_agency": agency,
                "due_on": task.due_on.isoformat(),
            }
        )
    return found


def with_tasks(session: Session, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The record's items, each one the viewer sees (a placeholder has no title) with its tasks."""
    given = tasks_by_item(session, [int(i["id"]) for i in items if "title" in i])
    empty: dict[str, Any] = {"tasks": [], "restricted_tasks": 0}
    return [{**item, **given.get(int(item["id"]), empty)} if "title" in item else item for item in items]
