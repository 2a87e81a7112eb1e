"""Who sees which task, the task lists and a task as the API shows it. See
docs/follow-through.md "Who sees what".

- The secretariat and the chair see every task.
- An `agency` account sees its own agency's tasks (restricted ones too: it must report on them),
  and any task whose audience names it.
- Members and assistants see every task that is not restricted, and the restricted ones whose
  audience names them.
A restricted task outside a viewer's reach is absent from lists and answers 404; the monitoring
board counts it without a title (agenda/monitoring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from agenda.agencies.registry import Agency
from agenda.clock import iso, local_today
from agenda.errors import Forbidden, NotFound
from agenda.tasks.models import Task, TaskAudience, TaskCooperator, TaskExtension, TaskReport
from agenda.tasks.states import state_expression, state_of
from agenda.text import N_
from agenda.viewer import Viewer

READERS = ("secretariat", "chair", "member", "assistant", "agency")
PAGE = 100


def sees_all(viewer: Viewer) -> bool:
    return viewer.has("secretariat", "chair")


def check_reader(viewer: Viewer) -> None:
    if not viewer.has(*READERS):
        raise Forbidden(N_("Bạn không có quyền xem nhiệm vụ."), code="forbidden")


def visible_clause(viewer: Viewer) -> Any:
    """A WHERE clause keeping the tasks `viewer` may see (None: all of them)."""
    if sees_all(viewer):
        return None
    named = col(Task.id).in_(select(TaskAudience.task_id).where(TaskAudience.user_id == viewer.user_id))
    if viewer.has("member", "assistant"):
        return or_(col(Task.restricted).is_(False), named)
    if viewer.has("agency") and viewer.agency_id is not None:
        return or_(col(Task.lead_agency_id) == viewer.agency_id, named)
    return named


def can_see(session: Session, viewer: Viewer, task: Task) -> bool:
    if sees_all(viewer):
        return True
    if viewer.has("agency") and viewer.agency_id == task.lead_agency_id:
        return True
    if viewer.has("member", "assistant") and not task.restricted:
        return True
    return session.get(TaskAudience, (task.id, viewer.user_id)) is not None


def visible_task(*, session: Session, viewer: Viewer, task_id: int) -> Task:
    check_reader(viewer)
    task = session.get(Task, task_id)
    if task is None or not can_see(session, viewer, task):
        raise NotFound()
    return task


def may_report(viewer: Viewer, task: Task) -> bool:
    """The lead agency's accounts and the secretariat report on a task."""
    return viewer.has("secretariat") or (viewer.has("agency") and viewer.agency_id == task.lead_agency_id)


def may_extend(viewer: Viewer, task: Task) -> bool:
    """Only the lead agency asks for more time."""
    return viewer.has("agency") and viewer.agency_id == task.lead_agency_id


@dataclass(frozen=True)
class TaskFilter:
    agency_id: int | None = None
    state: str | None = None
    leader_member_id: int | None = None
    meeting_id: int | None = None
    poll_id: int | None = None
    agenda_item_id: int | None = None
    due_from: date | None = None
    due_to: date | None = None
    due_month: str | None = None
    as_of: date | None = None


def _filtered(query: Any, viewer: Viewer, f: TaskFilter) -> Any:
    clause = visible_clause(viewer)
    if clause is not None:
        query = query.where(clause)
    if f.agency_id is not None:
        query = query.where(Task.lead_agency_id == f.agency_id)
    if f.state is not None:
        query = query.where(state_expression(f.as_of or local_today()) == f.state)
    if f.leader_member_id is not None:
        query = query.where(Task.leader_member_id == f.leader_member_id)
    if f.meeting_id is not None:
        query = query.where(Task.source_meeting_id == f.meeting_id)
    if f.poll_id is not None:
        query = query.where(Task.source_poll_id == f.poll_id)
    if f.agenda_item_id is not None:
        query = query.where(Task.source_agenda_item_id == f.agenda_item_id)
    if f.due_from is not None:
        query = query.where(col(Task.due_on) >= f.due_from)
    if f.due_to is not None:
        query = query.where(col(Task.due_on) <= f.due_to)
    if f.due_month is not None:
        query = query.where(Task.due_month == f.due_month)
    return query


def list_tasks(
    *, session: Session, viewer: Viewer, f: TaskFilter, limit: int = PAGE, offset: int = 0
) -> tuple[list[Task], int]:
    """One page of the tasks `viewer` may see under `f`, soonest due first, and how many match."""
    check_reader(viewer)
    query = _filtered(select(Task), viewer, f).order_by(col(Task.due_on), col(Task.id))
    total = session.exec(_filtered(select(func.count()).select_from(Task), viewer, f)).one()
    return list(session.exec(query.offset(offset).limit(limit)).all()), int(total)


def public_tasks(session: Session, tasks: list[Task], *, as_of: date | None = None) -> list[dict[str, Any]]:
    """Tasks as the list shows them (no reports or extensions), with two queries for the names."""
    day = as_of or local_today()
    ids = [t.id for t in tasks if t.id is not None]
    agency_ids = {t.lead_agency_id for t in tasks}
    coop: dict[int, list[int]] = {}
    for row in session.exec(select(TaskCooperator).where(col(TaskCooperator.task_id).in_(ids))).all():
        coop.setdefault(row.task_id, []).append(row.agency_id)
        agency_ids.add(row.agency_id)
    names = {
        agency_id: name
        for agency_id, name in session.exec(
            select(Agency.id, Agency.name).where(col(Agency.id).in_(agency_ids))
        )
        if agency_id is not None
    }
    return [_summary(t, names, coop.get(t.id or 0, []), day) for t in tasks]


def _summary(task: Task, names: dict[int, str], coop: list[int], day: date) -> dict[str, Any]:
    return {
        "id": task.id,
        "code": task.code,
        "title": task.title,
        "description": task.description,
        "lead_agency": names.get(task.lead_agency_id, ""),
        "lead_agency_id": task.lead_agency_id,
        "cooperating_agencies": sorted(names.get(a, "") for a in coop),
        "due_on": task.due_on.isoformat(),
        "original_due_on": task.original_due_on.isoformat(),
        "leader_member_id": task.leader_member_id,
        "source": {
            "meeting_id": task.source_meeting_id,
            "agenda_item_id": task.source_agenda_item_id,
            "poll_id": task.source_poll_id,
            "document_number": task.document_number,
        },
        "status": task.status,
        "completed_on": task.completed_on.isoformat() if task.completed_on else None,
        "cancel_reason": task.cancel_reason,
        "restricted": task.restricted,
        "state": state_of(task, day),
        "as_of": day.isoformat(),
    }


def public_task(session: Session, task: Task, *, as_of: date | None = None) -> dict[str, Any]:
    """The whole task: its summary, reports and extension requests."""
    found = public_tasks(session, [task], as_of=as_of)[0]
    reports = session.exec(
        select(TaskReport).where(TaskReport.task_id == task.id).order_by(col(TaskReport.id))
    ).all()
    extensions = session.exec(
        select(TaskExtension).where(TaskExtension.task_id == task.id).order_by(col(TaskExtension.id))
    ).all()
    found["reports"] = [public_report(r) for r in reports]
    found["extensions"] = [public_extension(e) for e in extensions]
    return found


def public_report(report: TaskReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "text": report.text,
        "done": report.done,
        "completed_on": report.completed_on.isoformat() if report.completed_on else None,
        "file": (
            {"name": report.file_name, "size": report.file_size, "pages": report.file_pages}
            if report.file_sha256
            else None
        ),
        "author_id": report.author_id,
        "created_at": iso(report.created_at),
    }


def public_extension(request: TaskExtension) -> dict[str, Any]:
    return {
        "id": request.id,
        "task_id": request.task_id,
        "reason": request.reason,
        "due_on": request.due_on.isoformat(),
        "previous_due_on": request.previous_due_on.isoformat(),
        "status": request.status,
        "decision_note": request.decision_note,
        "requested_by": request.requested_by,
        "created_at": iso(request.created_at),
        "decided_at": iso(request.decided_at),
    }
