"""The board's figures: per agency and per month, the tasks due in the period by their official
state and the programme items planned in it by how their dossier went. See docs/monitoring.md
"The figures".

Two GROUP BY queries (tasks by agency, due month and state as of today; items by agency, month
and outcome), whatever the number of rows: the database counts, Python only adds up the few
hundred groups. Cancelled tasks are left out of "due". A restricted task counts like any other:
the figures carry no title.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from agenda.agencies.registry import Agency
from agenda.clock import local_today
from agenda.errors import Forbidden
from agenda.monitoring.period import Period
from agenda.programme.programme import ProgrammeItem
from agenda.tasks.models import Task
from agenda.tasks.states import state_expression
from agenda.text import N_
from agenda.viewer import Viewer

READERS = ("secretariat", "chair", "member")
TASK_STATES = ("on_time", "late", "in_time", "overdue")
TASK_KEYS = ("due", *TASK_STATES)
PROGRAMME_OUTCOMES = ("submitted_on_time", "submitted_late", "not_submitted", "postponed", "withdrawn")
PROGRAMME_KEYS = ("planned", *PROGRAMME_OUTCOMES)
# A dossier is in once the item reached one of these (submitted by the agency, or moved on by the
# secretariat); an item sent back to `planned` is not submitted any more.
SUBMITTED_STATUSES = ("submitted", "ready", "scheduled", "discussed", "concluded")


def check_reader(viewer: Viewer) -> None:
    if not viewer.has(*READERS):
        raise Forbidden(N_("Bạn không có quyền xem bảng theo dõi."), code="forbidden")


def outcome_expression() -> Any:
    """A programme item's outcome on the board, as one SQL CASE (each item in exactly one)."""
    submitted = col(ProgrammeItem.status).in_(SUBMITTED_STATUSES)
    return case(
        (col(ProgrammeItem.status) == "withdrawn", "withdrawn"),
        (col(ProgrammeItem.status) == "postponed", "postponed"),
        (and_(submitted, col(ProgrammeItem.submitted_late).is_(True)), "submitted_late"),
        (submitted, "submitted_on_time"),
        else_="not_submitted",
    )


def _empty_tasks() -> dict[str, int]:
    return dict.fromkeys(TASK_KEYS, 0)


def _empty_programme() -> dict[str, int]:
    return dict.fromkeys(PROGRAMME_KEYS, 0)


def rates(tasks: dict[str, int]) -> dict[str, float | None]:
    """The on-time rate (done on time / due) and the official share, completed among those due
    ((on time + late) / due), as fractions; None when nothing is due."""
    due = tasks["due"]
    if not due:
        return {"on_time_rate": None, "completion_rate": None}
    return {
        "on_time_rate": round(tasks["on_time"] / due, 4),
        "completion_rate": round((tasks["on_time"] + tasks["late"]) / due, 4),
    }


def task_groups(session: Session, period: Period, as_of: date) -> list[tuple[int, str, str, int]]:
    """(agency id, due month, state, count) for the tasks due in the period."""
    state = state_expression(as_of).label("state")
    query = (
        select(Task.lead_agency_id, Task.due_month, state, func.count())
        .where(col(Task.due_month) >= period.first, col(Task.due_month) <= period.last)
        .group_by(col(Task.lead_agency_id), col(Task.due_month), state)
    )
    return [(int(a), str(m), str(s), int(n)) for a, m, s, n in session.exec(query).all()]


def programme_groups(session: Session, period: Period) -> list[tuple[int | None, str, str, int]]:
    """(agency id, planned month, outcome, count) for the items planned in the period."""
    outcome = outcome_expression().label("outcome")
    query = (
        select(ProgrammeItem.lead_agency_id, ProgrammeItem.planned_month, outcome, func.count())
        .where(
            col(ProgrammeItem.planned_month) >= period.first, col(ProgrammeItem.planned_month) <= period.last
        )
        .group_by(col(ProgrammeItem.lead_agency_id), col(ProgrammeItem.planned_month), outcome)
    )
    return [(a, str(m), str(o), int(n)) for a, m, o, n in session.exec(query).all()]


def _row(tasks: dict[str, int], programme: dict[str, int]) -> dict[str, Any]:
    return {"tasks": tasks, "programme": programme, **rates(tasks)}


def board(
    *, session: Session, viewer: Viewer, period: Period, as_of: date | None = None, cache: Any = None
) -> dict[str, Any]:
    """The figures as `viewer` reads them: `{period, as_of, agencies: [...], months: [...], totals}`
    (docs/monitoring.md); through `cache` (agenda/monitoring/board_cache.py) when given."""
    check_reader(viewer)
    day = as_of or local_today()
    if cache is not None:
        found: dict[str, Any] = cache.figures(session=session, period=period, as_of=day)
        return found
    return compute(session=session, period=period, as_of=day)


def compute(*, session: Session, period: Period, as_of: date) -> dict[str, Any]:
    """The figures for anyone (no title in them): the board and the monthly report."""
    day = as_of
    by_agency: dict[int | None, tuple[dict[str, int], dict[str, int]]] = defaultdict(
        lambda: (_empty_tasks(), _empty_programme())
    )
    by_month = {m: (_empty_tasks(), _empty_programme()) for m in period.months}
    totals = (_empty_tasks(), _empty_programme())
    for task_agency, month, state, n in task_groups(session, period, day):
        if state == "cancelled":
            continue
        for tasks, _ in (by_agency[task_agency], by_month[month], totals):
            tasks[state] += n
            tasks["due"] += n
    for maybe_agency, month, outcome, n in programme_groups(session, period):
        for _, programme in (by_agency[maybe_agency], by_month[month], totals):
            programme[outcome] += n
            programme["planned"] += n
    agencies = _agencies(session, [a for a in by_agency if a is not None])
    rows = []
    for agency_id, (tasks, programme) in by_agency.items():
        agency = agencies.get(agency_id) if agency_id is not None else None
        rows.append(
            {
                "agency": agency.name if agency else "",
                "agency_id": agency_id,
                "agency_code": agency.code if agency else "",
                **_row(tasks, programme),
            }
        )
    rows.sort(key=lambda r: (r["agency_id"] is None, str(r["agency"]).casefold()))
    return {
        "period": period.as_dict(),
        "as_of": day.isoformat(),
        "agencies": rows,
        "months": [{"month": m, **_row(t, p)} for m, (t, p) in by_month.items()],
        "totals": _row(*totals),
    }


def _agencies(session: Session, ids: list[int]) -> dict[int, Agency]:
    if not ids:
        return {}
    found = session.exec(select(Agency).where(col(Agency.id).in_(ids))).all()
    return {a.id: a for a in found if a.id is not None}
