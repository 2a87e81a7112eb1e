"""The task list (/tasks) with its filters and CSV link, and a directive task (/tasks/new).
See docs/task-screens.md.

The list shows what `agenda.tasks.views.list_tasks` lets the viewer see: every task for the
secretariat and the chair, the unrestricted ones (and those naming them) for members and
assistants, an agency's own for its users. A filter value that is not one the form offers
answers 400 with the form and the field marked, never a 500.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.agencies.registry import Agency
from agenda.errors import DomainError, InvalidInput, NotFound
from agenda.meetings.meetings import Meeting
from agenda.polls.opinion_polls import OpinionPoll
from agenda.tasks import views
from agenda.tasks.models import Task
from agenda.tasks.states import STATES
from agenda.tasks.views import TaskFilter
from agenda.text import N_
from meeting_app.auth import form_user, page_user
from meeting_app.context import ctx
from meeting_app.pages.common import done, failed, page, values_of
from meeting_app.pages.task_forms import (
    BY_CODE,
    CREATORS,
    FIELDS,
    READERS,
    checked_task,
    create_from_form,
    form_choices,
    leaders,
    task_fields,
)

PER_PAGE = 50
MAX_PAGE = 10_000
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
FILTER_FIELDS = {
    "agency": N_("Cơ quan chủ trì"),
    "leader": N_("Lãnh đạo phụ trách"),
    "meeting": N_("Phiên họp"),
    "state": N_("Tình trạng"),
    "month": N_("Tháng đến hạn"),
    "page": N_("Trang"),
}


def _id(value: str) -> int | None:
    if not value:
        return None
    if value.isdigit() and len(value) < 11 and 0 < int(value) <= 2**31 - 1:
        return int(value)
    raise ValueError(value)


def read_filters(request: Request) -> tuple[dict[str, str], TaskFilter, int, list[str]]:
    """The filters as typed (to fill the form back in), as a TaskFilter, the page number and
    the names of the filters that are not valid."""
    raw = {
        name: request.query_params.get(name, "").replace("\x00", "").strip()[:40] for name in FILTER_FIELDS
    }
    bad: list[str] = []
    found: dict[str, Any] = {}
    for name, key in (("agency", "agency_id"), ("leader", "leader_member_id"), ("meeting", "meeting_id")):
        try:
            found[key] = _id(raw[name])
        except ValueError:
            bad.append(name)
    if raw["state"] and raw["state"] not in STATES:
        bad.append("state")
    elif raw["state"]:
        found["state"] = raw["state"]
    if raw["month"] and not MONTH.match(raw["month"]):
        bad.append("month")
    elif raw["month"]:
        found["due_month"] = raw["month"]
    number = 1
    if raw["page"]:
        if raw["page"].isdigit() and 0 < int(raw["page"]) <= MAX_PAGE:
            number = int(raw["page"])
        else:
            bad.append("page")
    return raw, TaskFilter(**{k: v for k, v in found.items() if v is not None}), number, bad


def csv_link(raw: dict[str, str], agency_name: str | None) -> str:
    """The same filters as /api/v1/tasks takes them (../shared/API.md), with format=csv."""
    params: list[tuple[str, str]] = []
    if agency_name:
        params.append(("agency", agency_name))
    if raw["state"]:
        params.append(("state", raw["state"]))
    if raw["leader"]:
        params.append(("leader_member_id", raw["leader"]))
    if raw["meeting"]:
        params.append(("meeting_id", raw["meeting"]))
    if raw["month"] and MONTH.match(raw["month"]):
        year, month = int(raw["month"][:4]), int(raw["month"][5:])
        params.append(("due_from", date(year, month, 1).isoformat()))
        params.append(("due_to", date(year, month, monthrange(year, month)[1]).isoformat()))
    params.append(("format", "csv"))
    return "/api/v1/tasks?" + urlencode(params)


def page_link(raw: dict[str, str], number: int) -> str:
    kept = [(k, v) for k, v in raw.items() if v and k != "page"]
    return "/tasks?" + urlencode([*kept, ("page", str(number))])


async def list_page(request: Request) -> Response:
    me = await page_user(request, *READERS)
    raw, task_filter, number, bad = read_filters(request)

    def load(s: Session) -> dict[str, Any]:
        tasks: list[Task] = []
        total = 0
        if not bad:
            tasks, total = views.list_tasks(
                session=s, viewer=me.viewer, f=task_filter, limit=PER_PAGE, offset=(number - 1) * PER_PAGE
            )
        # the meetings that the viewer's tasks come from
        meeting_ids = select(Meeting.id, Meeting.title).join(
            Task, col(Task.source_meeting_id) == col(Meeting.id)
        )
        clause = views.visible_clause(me.viewer)
        if clause is not None:
            meeting_ids = meeting_ids.where(clause)
        agencies = [(a.id, a.name) for a in s.exec(select(Agency).order_by(col(Agency.name))).all()]
        return {
            "tasks": views.public_tasks(s, tasks),
            "total": total,
            "agencies": agencies,
            "leaders": [(m.id, f"{m.full_name} — {m.title}") for m in leaders(s)],
            "meetings": sorted(s.exec(meeting_ids.distinct()).all(), key=lambda row: row[1]),
        }

    data = await ctx(request).db.read(load)
    agency_name = next((name for i, name in data["agencies"] if str(i) == raw["agency"]), None)
    pages = max(1, -(-data["total"] // PER_PAGE))
    context = {
        **data,
        "filters": raw,
        "states": STATES,
        "page_number": number,
        "pages": pages,
        "previous_link": page_link(raw, number - 1) if number > 1 else None,
        "next_link": page_link(raw, number + 1) if number < pages else None,
        "csv_link": csv_link(raw, agency_name),
        "can_create": me.viewer.has(*CREATORS),
        "invalid": bad,
    }
    if bad:
        error = InvalidInput(
            N_("Dữ liệu không hợp lệ ở các trường: {names}."),
            code="invalid_fields",
            names=", ".join(bad),
            fields=[{"field": name, "problem": "invalid"} for name in bad],
        )
        return failed(request, "tasks/list.html", context, error, FILTER_FIELDS)
    return page(request, "tasks/list.html", context)


async def new_context(request: Request, poll_id: int | str | None) -> dict[str, Any]:
    """The form's choices and, for a task from an opinion ballot, the closed ballot (404 when
    there is no such closed ballot)."""

    def load(s: Session) -> dict[str, Any]:
        poll = None
        if poll_id is not None:
            poll = s.get(OpinionPoll, poll_id) if isinstance(poll_id, int) else None
            if poll is None or poll.state != "closed":
                raise NotFound()
        return {**form_choices(s), "poll": poll}

    return await ctx(request).db.read(load)


async def new_page(request: Request) -> Response:
    await page_user(request, *CREATORS)
    poll_id = request.query_params.get("poll", "")
    context = await new_context(request, _poll_param(poll_id))
    values = {"title": context["poll"].question[:500]} if context["poll"] else {}
    return page(request, "tasks/new.html", {**context, "values": values})


def _poll_param(value: str) -> int | str | None:
    try:
        return _id(value.strip()[:20])
    except ValueError:
        return "invalid"


async def create(request: Request) -> Response:
    me, form = await form_user(request, *CREATORS)
    fields = task_fields(form)
    try:
        data, cooperating = checked_task(fields)
        task_id = await ctx(request).db.write(
            lambda s: create_from_form(s, data, cooperating, actor_id=me.viewer.user_id).id
        )
    except DomainError as exc:
        poll = fields.get("source_poll_id")
        context = {**await new_context(request, poll), "values": values_of(form)}
        return failed(request, "tasks/new.html", context, exc, FIELDS, BY_CODE)
    return done(f"/tasks/{task_id}", "task_created")


routes = [
    Route("/tasks", list_page, methods=["GET"], name="tasks"),
    Route("/tasks/new", new_page, methods=["GET"]),
    Route("/tasks/new", create, methods=["POST"]),
]
