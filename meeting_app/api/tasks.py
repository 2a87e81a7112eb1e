"""Tasks (nhiệm vụ): create, list (with `?format=csv`) and read one (../shared/API.md "Agencies,
tasks and monitoring"; docs/api.md "Tasks"). Reports, extensions and cancelling are in
meeting_app/api/task_reports.py.

Who sees which task is agenda/tasks/views.py: a task outside the viewer's reach answers 404 and
is absent from the list, whatever the filters.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.clock import local_today
from agenda.tasks import lifecycle, views
from agenda.tasks.lifecycle import TaskCreate
from meeting_app.api import task_query
from meeting_app.api.common import ident, reply
from meeting_app.api.csv_export import csv_response, wants_csv
from meeting_app.api.spec import operation
from meeting_app.api.task_schemas import TaskDetail, TaskList
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.i18n import translate
from meeting_app.inputs import read_json

CREATORS = ("secretariat", "chair")
READERS = views.READERS
LIST_QUERY: dict[str, type] = {
    "agency": str,
    "state": str,
    "leader_member_id": int,
    "meeting_id": int,
    "poll_id": int,
    "agenda_item_id": int,
    "due_from": str,
    "due_to": str,
    "due_month": str,
    "as_of": str,
    "limit": int,
    "offset": int,
    "format": str,
}


@operation(
    "Assign a task: {title, lead_agency, due_on, description?, cooperating_agencies?, "
    "leader_member_id?, source_agenda_item_id?, source_poll_id?, document_number?, restricted_user_ids?}",
    description="A `lead_agency` not yet in the registry adds it. 409 `no_conclusion` when the "
    "agenda item has no conclusion yet, `poll_not_closed` for an open ballot; 422 `due_in_past`, "
    "`unknown_member`, `unknown_user`, `unknown_agenda_item`, `unknown_poll`.",
    who="secretariat, chair",
    body=TaskCreate,
    responses={201: TaskDetail},
)
async def create_task(request: Request) -> Response:
    me = await api_user(request, *CREATORS)
    data = await read_json(request, TaskCreate)

    def create(s: Session) -> dict[str, Any]:
        task = lifecycle.create_task(session=s, data=data, actor_id=me.viewer.user_id)
        return views.public_task(s, task)

    return reply(await ctx(request).db.write(create), 201)


@operation(
    "The tasks this user may see, soonest due first: {items, total, limit, offset}; `?format=csv`",
    description="Filters: `agency` (id or name), `state` (on_time, late, in_time, overdue, "
    "cancelled, as of `as_of`, default today), `leader_member_id`, `meeting_id`, `poll_id`, "
    "`agenda_item_id`, `due_from`, `due_to` (YYYY-MM-DD), `due_month` (YYYY-MM). `limit` "
    "(1-1000, default 100) and `offset` page the JSON; the CSV holds every matching task.",
    who="secretariat, chair, member, assistant; agency (its own and those naming it)",
    query=LIST_QUERY,
    responses={200: TaskList},
)
async def list_tasks(request: Request) -> Response:
    me = await api_user(request, *READERS)
    asked = task_query.parse(request.query_params)
    as_csv = wants_csv(request)

    def load(s: Session) -> tuple[list[dict[str, Any]], int]:
        f = task_query.with_agency(s, asked)
        limit = task_query.CSV_LIMIT if as_csv else asked.limit
        offset = 0 if as_csv else asked.offset
        tasks, total = views.list_tasks(session=s, viewer=me.viewer, f=f, limit=limit, offset=offset)
        return views.public_tasks(s, tasks, as_of=f.as_of), total

    items, total = await ctx(request).db.read(load)
    if as_csv:
        header = [translate(name) for name in task_query.CSV_HEADER]
        rows = task_query.csv_rows(items, translate)
        return csv_response(header, rows, filename=f"nhiem-vu-{local_today().isoformat()}.csv")
    return reply({"items": items, "total": total, "limit": asked.limit, "offset": asked.offset})


@operation(
    "One task with its reports and extension requests; `as_of=YYYY-MM-DD` computes its state for another day",
    who="as the list",
    query={"as_of": str},
    responses={200: TaskDetail},
)
async def get_task(request: Request) -> Response:
    me = await api_user(request, *READERS)
    task_id = ident(request)
    as_of = task_query.day(request.query_params, "as_of")

    def load(s: Session) -> dict[str, Any]:
        task = views.visible_task(session=s, viewer=me.viewer, task_id=task_id)
        return views.public_task(s, task, as_of=as_of)

    return reply(await ctx(request).db.read(load))


routes = [
    Route("/api/v1/tasks", list_tasks, methods=["GET"]),
    Route("/api/v1/tasks", create_task, methods=["POST"]),
    Route("/api/v1/tasks/{id:int}", get_task, methods=["GET"]),
]
