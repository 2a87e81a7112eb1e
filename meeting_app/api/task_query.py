"""The task list's query string and its CSV rows (docs/api.md "Tasks").

`GET /api/v1/tasks?agency=&state=&leader_member_id=&meeting_id=&poll_id=&agenda_item_id=
&due_from=&due_to=&due_month=&as_of=&limit=&offset=&format=csv`. A malformed value (a date that
does not exist such as 2027-02-30, an id that is not a number, an unknown state) gets 400 naming
the parameter; `agency` takes an agency's id or its name (an unknown name matches no task).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlmodel import Session

from agenda.agencies.registry import by_name
from agenda.errors import InvalidInput
from agenda.tasks.states import STATES
from agenda.tasks.views import PAGE, TaskFilter
from agenda.text import N_
from meeting_app.api.common import MAX_ID

MAX_PAGE = 1000
CSV_LIMIT = 50_000
NO_AGENCY = MAX_ID  # an id no agency has: an unknown agency name matches nothing
BAD_PARAMETER = N_("Tham số không hợp lệ: {name}.")
STATE_LABELS = {
    "on_time": N_("Hoàn thành đúng hạn"),
    "late": N_("Hoàn thành quá hạn"),
    "in_time": N_("Chưa hoàn thành, còn trong hạn"),
    "overdue": N_("Chưa hoàn thành, quá hạn"),
    "cancelled": N_("Đã hủy"),
}
CSV_HEADER = (
    N_("Mã nhiệm vụ"),
    N_("Tên nhiệm vụ"),
    N_("Cơ quan chủ trì"),
    N_("Cơ quan phối hợp"),
    N_("Thời hạn"),
    N_("Thời hạn ban đầu"),
    N_("Tình trạng"),
    N_("Ngày hoàn thành"),
    N_("Số văn bản"),
)


def bad(name: str) -> InvalidInput:
    return InvalidInput(BAD_PARAMETER, code="bad_parameter", name=name)


def day(query: Mapping[str, str], name: str) -> date | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise bad(name) from None


def number(query: Mapping[str, str], name: str, *, low: int = 1, high: int = MAX_ID) -> int | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 10 or not low <= int(value) <= high:
        raise bad(name)
    return int(value)


@dataclass(frozen=True)
class TaskQuery:
    """What the list was asked for: the filter, the page and the day the states are computed for."""

    filter: TaskFilter
    agency: str | None
    limit: int
    offset: int


def parse(query: Mapping[str, str]) -> TaskQuery:
    """The task list's parameters, checked (400 `bad_parameter` names the first bad one)."""
    state = query.get("state", "").strip() or None
    if state is not None and state not in STATES:
        raise bad("state")
    month = query.get("due_month", "").strip() or None
    if month is not None and (len(month) != 7 or day({"m": f"{month}-01"}, "m") is None):
        raise bad("due_month")
    agency = query.get("agency", "").strip()[:300] or None
    found = TaskFilter(
        state=state,
        leader_member_id=number(query, "leader_member_id"),
        meeting_id=number(query, "meeting_id"),
        poll_id=number(query, "poll_id"),
        agenda_item_id=number(query, "agenda_item_id"),
        due_from=day(query, "due_from"),
        due_to=day(query, "due_to"),
        due_month=month,
        as_of=day(query, "as_of"),
    )
    limit = number(query, "limit", high=MAX_PAGE) or PAGE
    offset = number(query, "offset", low=0, high=MAX_ID) or 0
    return TaskQuery(filter=found, agency=agency, limit=limit, offset=offset)


def with_agency(session: Session, asked: TaskQuery) -> TaskFilter:
    """The filter with `agency` resolved: a number is an id, anything else a name."""
    if asked.agency is None:
        return asked.filter
    if asked.agency.isascii() and asked.agency.isdigit() and len(asked.agency) <= 10:
        agency_id = int(asked.agency)
    else:
        agency = by_name(session, asked.agency)
        agency_id = agency.id if agency is not None and agency.id is not None else NO_AGENCY
    return replace(asked.filter, agency_id=agency_id)


def csv_rows(tasks: list[dict[str, Any]], translate: Any) -> list[list[Any]]:
    """One row per task, the state in words (in the user's language)."""
    return [
        [
            t["code"],
            t["title"],
            t["lead_agency"],
            "; ".join(t["cooperating_agencies"]),
            t["due_on"],
            t["original_due_on"],
            translate(STATE_LABELS[t["state"]]),
            t["completed_on"] or "",
            t["source"]["document_number"] or "",
        ]
        for t in tasks
    ]
