"""The lists behind the board's numbers (drill-downs) and what is at risk. See docs/monitoring.md
"Drill-downs" and "At risk".

Every list is the viewer's: a restricted task outside the viewer's audience, or a programme item
on an agenda item restricted from them, is counted (`hidden`) but never listed, so its title and
code never leave the database ("1 nhiệm vụ mật" on the page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import exists, func
from sqlmodel import Session, col, select

from agenda.agencies.registry import Agency
from agenda.clock import iso, local_today
from agenda.errors import InvalidInput
from agenda.meetings.agenda_items import hidden_programme_ids
from agenda.monitoring.figures import PROGRAMME_KEYS, TASK_KEYS, check_reader, outcome_expression
from agenda.monitoring.period import Period
from agenda.papers.documents import present_kinds
from agenda.policy import Policy
from agenda.programme.programme import ProgrammeItem, submission_deadline
from agenda.tasks.models import Task, TaskReport
from agenda.tasks.states import state_expression, state_of
from agenda.tasks.views import visible_clause
from agenda.text import N_
from agenda.viewer import Viewer

AT_RISK_DAYS = 7
PAGE = 100
AT_RISK_STATUSES = ("planned", "postponed")


@dataclass(frozen=True)
class Drill:
    """What a drill-down asks for: an agency (None: all), a state or outcome, the period."""

    period: Period
    agency_id: int | None = None
    state: str = "due"


def check_state(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput(N_("Trạng thái không hợp lệ."), code="bad_state", allowed=list(allowed))
    return value


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Agency.id, Agency.name).where(col(Agency.id).in_(ids))).all()
    return {a: n for a, n in rows if a is not None}


# --- tasks --------------------------------------------------------------------------------------


def _task_filter(query: Any, drill: Drill, day: date) -> Any:
    query = query.where(col(Task.due_month) >= drill.period.first, col(Task.due_month) <= drill.period.last)
    if drill.agency_id is not None:
        query = query.where(Task.lead_agency_id == drill.agency_id)
    state = state_expression(day)
    if drill.state == "due":
        return query.where(state != "cancelled")
    return query.where(state == drill.state)


def task_rows(session: Session, tasks: list[Task], day: date) -> list[dict[str, Any]]:
    names = _names(session, {t.lead_agency_id for t in tasks})
    reported = _reported(session, [t.id for t in tasks if t.id is not None])
    return [
        {
            "id": t.id,
            "code": t.code,
            "title": t.title,
            "lead_agency": names.get(t.lead_agency_id, ""),
            "lead_agency_id": t.lead_agency_id,
            "due_on": t.due_on.isoformat(),
            "original_due_on": t.original_due_on.isoformat(),
            "completed_on": t.completed_on.isoformat() if t.completed_on else None,
            "state": state_of(t, day),
            "reported": (t.id or 0) in reported,
        }
        for t in tasks
    ]


def _reported(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    rows = session.exec(select(TaskReport.task_id).where(col(TaskReport.task_id).in_(ids)).distinct()).all()
    return set(rows)


def _visible_page(
    session: Session, viewer: Viewer, base: Any, order: tuple[Any, ...], limit: int, offset: int
) -> tuple[list[Task], int, int]:
    """One page of the tasks under `base` that `viewer` may see, how many they may see, and how
    many they may not (counted, never listed)."""
    total = int(session.exec(base(select(func.count()).select_from(Task))).one())
    clause = visible_clause(viewer)
    query = base(select(Task))
    count = base(select(func.count()).select_from(Task))
    if clause is not None:
        query = query.where(clause)
        count = count.where(clause)
    visible = total if clause is None else int(session.exec(count).one())
    tasks = list(session.exec(query.order_by(*order).offset(offset).limit(limit)).all())
    return tasks, visible, total - visible


def drill_tasks(
    *,
    session: Session,
    viewer: Viewer,
    drill: Drill,
    limit: int = PAGE,
    offset: int = 0,
    as_of: date | None = None,
) -> dict[str, Any]:
    """The tasks behind a task figure: `{items, total, hidden}` (`hidden`: restricted tasks the
    viewer may not see, counted in `total`)."""
    check_reader(viewer)
    check_state(drill.state, TASK_KEYS)
    day = as_of or local_today()
    tasks, visible, hidden = _visible_page(
        session,
        viewer,
        lambda q: _task_filter(q, drill, day),
        (col(Task.due_on), col(Task.id)),
        limit,
        offset,
    )
    return {
        "items": task_rows(session, tasks, day),
        "total": visible + hidden,
        "shown": visible,
        "hidden": hidden,
        "as_of": day.isoformat(),
    }


def risky_tasks(
    *, session: Session, viewer: Viewer, as_of: date | None = None, days: int = AT_RISK_DAYS
) -> dict[str, Any]:
    """Open tasks due within `days` (today included) that have no report yet."""
    check_reader(viewer)
    day = as_of or local_today()
    no_report = ~exists().where(col(TaskReport.task_id) == col(Task.id))

    def base(query: Any) -> Any:
        return query.where(
            col(Task.status) == "open",
            col(Task.due_on) >= day,
            col(Task.due_on) <= day + timedelta(days=days),
            no_report,
        )

    tasks, visible, hidden = _visible_page(session, viewer, base, (col(Task.due_on), col(Task.id)), PAGE, 0)
    return {"items": task_rows(session, tasks, day), "total": visible + hidden, "hidden": hidden}


# --- programme items ----------------------------------------------------------------------------


def item_rows(session: Session, items: list[ProgrammeItem], policy: Policy) -> list[dict[str, Any]]:
    present = present_kinds(session=session, programme_item_ids=[i.id for i in items if i.id is not None])
    return [
        {
            "id": i.id,
            "code": i.code,
            "title": i.title,
            "lead_agency": i.lead_agency,
            "lead_agency_id": i.lead_agency_id,
            "planned_month": i.planned_month,
            "status": i.status,
            "submission_deadline": submission_deadline(i.planned_month, policy.submission_day).isoformat(),
            "submitted_at": iso(i.submitted_at),
            "submitted_late": i.submitted_late,
            "days_late": i.days_late,
            "missing_documents": policy.missing_documents(i.kind, present.get(i.id or 0, set())),
        }
        for i in items
    ]


def drill_programme(
    *, session: Session, viewer: Viewer, drill: Drill, policy: Policy, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """The programme items behind a programme figure (`state`: planned, or one outcome)."""
    check_reader(viewer)
    check_state(drill.state, PROGRAMME_KEYS)
    query = select(ProgrammeItem).where(
        col(ProgrammeItem.planned_month) >= drill.period.first,
        col(ProgrammeItem.planned_month) <= drill.period.last,
    )
    if drill.agency_id is not None:
        query = query.where(ProgrammeItem.lead_agency_id == drill.agency_id)
    if drill.state != "planned":
        query = query.where(outcome_expression() == drill.state)
    hidden_ids = hidden_programme_ids(session=session, viewer=viewer)
    total = int(session.exec(select(func.count()).select_from(query.subquery())).one())
    if hidden_ids:
        query = query.where(col(ProgrammeItem.id).not_in(hidden_ids))
    shown = int(session.exec(select(func.count()).select_from(query.subquery())).one())
    page = (
        query.order_by(col(ProgrammeItem.planned_month), col(ProgrammeItem.code)).offset(offset).limit(limit)
    )
    items = list(session.exec(page).all())
    return {
        "items": item_rows(session, items, policy),
        "total": total,
        "shown": shown,
        "hidden": total - shown,
    }


def risky_items(
    *, session: Session, viewer: Viewer, policy: Policy, as_of: date | None = None, days: int = AT_RISK_DAYS
) -> dict[str, Any]:
    """Items not yet submitted whose submission deadline falls within `days` (today included)
    and whose dossier is still incomplete."""
    check_reader(viewer)
    day = as_of or local_today()
    months = _months_due(day, days, policy.submission_day)
    items = list(
        session.exec(
            select(ProgrammeItem)
            .where(
                col(ProgrammeItem.planned_month).in_(months), col(ProgrammeItem.status).in_(AT_RISK_STATUSES)
            )
            .order_by(col(ProgrammeItem.planned_month), col(ProgrammeItem.code))
        ).all()
    )
    rows = [r for r in item_rows(session, items, policy) if r["missing_documents"]]
    hidden_ids = hidden_programme_ids(session=session, viewer=viewer)
    shown = [r for r in rows if r["id"] not in hidden_ids]
    return {"items": shown, "total": len(rows), "hidden": len(rows) - len(shown)}


def _months_due(day: date, days: int, submission_day: int) -> list[str]:
    """The planned months whose submission deadline falls between `day` and `day + days`."""
    found = []
    for offset in range(days + 1):
        d = day + timedelta(days=offset)
        year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
        planned = f"{year:04d}-{month:02d}"
        if submission_deadline(planned, submission_day) == d:
            found.append(planned)
    return found
