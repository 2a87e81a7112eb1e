"""The monthly report (báo cáo tình hình thực hiện nhiệm vụ và chương trình công tác) as plain
data, for agenda/monitoring/report_pdf.py to draw. See docs/monitoring.md "The monthly report".

The report is the same for every reader, and it may end up on a session's agenda, so it lists
no restricted task: they count in the figures and, in the overdue list, by number only. A
programme item on an agenda item restricted from ordinary members is left out of its lists
likewise.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from agenda.clock import local_today
from agenda.errors import Forbidden
from agenda.meetings.agenda_items import hidden_programme_ids
from agenda.monitoring.figures import compute, outcome_expression
from agenda.monitoring.lists import task_rows
from agenda.monitoring.period import Period, check_month
from agenda.policy import Policy
from agenda.programme.programme import ProgrammeItem
from agenda.tasks.models import Task
from agenda.tasks.states import state_expression
from agenda.text import N_
from agenda.viewer import Viewer

REPORT_READERS = ("secretariat", "chair")
MAX_LISTED = 300
# Who the report's lists are written for: any member, none of whose audiences is known.
ANY_MEMBER = Viewer(user_id=0, roles=frozenset({"member"}))


def check_report_reader(viewer: Viewer) -> None:
    if not viewer.has(*REPORT_READERS):
        raise Forbidden(N_("Chỉ Văn phòng Chính phủ và chủ tọa xem được báo cáo."), code="forbidden")


def month_label(month: str) -> str:
    return f"{month[5:7]}/{month[:4]}"


def report_title(month: str) -> str:
    return f"Báo cáo tình hình thực hiện nhiệm vụ và chương trình công tác tháng {month_label(month)}"


def build_report(
    *, session: Session, month: str, policy: Policy, as_of: date | None = None
) -> dict[str, Any]:
    """`{month, title, as_of, figures, overdue: {items, restricted}, not_submitted}`: the month's
    figures per agency, the tasks due up to the month's end still open and overdue, and the
    month's items whose dossier is not in."""
    check_month(month, "month")
    day = as_of or local_today()
    figures = compute(session=session, period=Period(month, month), as_of=day)
    overdue = (
        select(Task)
        .where(col(Task.due_month) <= month, state_expression(day) == "overdue")
        .order_by(col(Task.due_on), col(Task.id))
    )
    open_tasks = list(session.exec(overdue.where(col(Task.restricted).is_(False)).limit(MAX_LISTED)).all())
    restricted = len(session.exec(overdue.where(col(Task.restricted).is_(True))).all())
    hidden = hidden_programme_ids(session=session, viewer=ANY_MEMBER)
    items = [
        i
        for i in session.exec(
            select(ProgrammeItem)
            .where(ProgrammeItem.planned_month == month, outcome_expression() == "not_submitted")
            .order_by(col(ProgrammeItem.lead_agency), col(ProgrammeItem.code))
        ).all()
        if i.id not in hidden
    ]
    return {
        "month": month,
        "title": report_title(month),
        "as_of": day.isoformat(),
        "figures": figures,
        "overdue": {"items": task_rows(session, open_tasks, day), "restricted": restricted},
        "not_submitted": [
            {"code": i.code, "title": i.title, "lead_agency": i.lead_agency, "status": i.status}
            for i in items
        ],
    }
