"""Tasks from a meeting's conclusions (/meetings/{id}/tasks/new), for the secretariat: every
agenda item with its recorded conclusion, the tasks it already gave, and rows to add several
more (title, lead agency, due date, leader). See docs/task-screens.md.

One submit creates every filled row in one transaction, or none: a refused row is shown with
its own message and marked fields, and the whole form comes back (400/422) with what was typed.
A row left empty is skipped.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import DomainError, InvalidInput, RuleBroken
from agenda.meetings.agenda_items import AgendaItem
from agenda.meetings.meetings import get_meeting
from agenda.tasks import views
from agenda.tasks.lifecycle import TaskCreate
from agenda.tasks.models import Task
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.auth import Current, form_user, page_user
from meeting_app.context import ctx
from meeting_app.pages.common import bad_fields, done, explain, failed, page, values_of
from meeting_app.pages.task_forms import (
    BY_CODE,
    FIELDS,
    checked_task,
    create_from_form,
    form_choices,
    task_fields,
)

WRITERS = ("secretariat",)
ROWS = 3  # empty rows offered per conclusion
ROW_FIELDS = ("title", "lead_agency_id", "due_on", "leader_member_id")
NOTHING = N_("Hãy nhập ít nhất một nhiệm vụ.")
ROWS_REFUSED = N_("Chưa tạo nhiệm vụ nào: {count} dòng cần sửa (xem từng dòng bên dưới).")


class RowsRefused(RuleBroken):
    """Some rows were refused; nothing was stored. `problems`: row key → (message, fields)."""

    def __init__(self, problems: dict[str, tuple[str, list[str]]]) -> None:
        super().__init__(ROWS_REFUSED, code="rows_refused", count=len(problems))
        self.problems = problems


def row_key(item_id: int, n: int) -> str:
    return f"row-{item_id}-{n}-"


async def bulk_context(request: Request, me: Current, meeting_id: int) -> dict[str, Any]:
    def load(s: Session) -> dict[str, Any]:
        meeting = get_meeting(session=s, meeting_id=meeting_id, viewer=me.viewer)
        items = s.exec(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(col(AgendaItem.position))
        ).all()
        ids = [i.id for i in items]
        tasks = s.exec(
            select(Task).where(col(Task.source_agenda_item_id).in_(ids)).order_by(col(Task.id))
        ).all()
        given: dict[int, list[dict[str, Any]]] = {}
        for shown in views.public_tasks(s, list(tasks)):
            given.setdefault(shown["source"]["agenda_item_id"], []).append(shown)
        return {
            "meeting": meeting,
            "items": [i for i in items if i.outcome],
            "pending_items": [i for i in items if not i.outcome],
            "given": given,
            **form_choices(s),
        }

    data = await ctx(request).db.read(load)
    return {
        **data,
        "rows": ROWS,
        "values": {},
        "row_errors": {},
    }


async def bulk_page(request: Request) -> Response:
    me = await page_user(request, *WRITERS)
    return page(request, "tasks/bulk.html", await bulk_context(request, me, ident(request)))


def filled_rows(form: FormData, item_ids: list[int]) -> list[tuple[str, int]]:
    """The (row key, agenda item id) of every row with something typed in it."""
    found = []
    for item_id in item_ids:
        for n in range(ROWS):
            key = row_key(item_id, n)
            if any(str(form.get(key + name, "")).strip() for name in ROW_FIELDS):
                found.append((key, item_id))
    return found


def read_rows(
    form: FormData, rows: list[tuple[str, int]]
) -> tuple[list[tuple[str, TaskCreate, list[int]]], dict[str, tuple[str, list[str]]]]:
    """Each filled row validated, and the refused ones: row key → (message, fields)."""
    problems: dict[str, tuple[str, list[str]]] = {}
    found = []
    for key, item_id in rows:
        try:
            fields = task_fields(form, prefix=key)
            fields["source_agenda_item_id"] = item_id
            data, cooperating = checked_task(fields)
            found.append((key, data, cooperating))
        except DomainError as exc:
            problems[key] = (explain(exc, FIELDS), bad_fields(exc, BY_CODE))
    return found, problems


async def create_all(request: Request) -> Response:
    me, form = await form_user(request, *WRITERS)
    meeting_id = ident(request)
    context = await bulk_context(request, me, meeting_id)
    item_ids = [i.id for i in context["items"]]
    try:
        rows = filled_rows(form, item_ids)
        if not rows:
            raise InvalidInput(NOTHING, code="nothing_to_create")
        parsed, refused = read_rows(form, rows)

        def write(s: Session) -> int:
            problems = dict(refused)  # the rows that did not validate; the others are tried too
            for key, data, cooperating in parsed:
                try:
                    with s.begin_nested():
                        create_from_form(s, data, cooperating, actor_id=me.viewer.user_id)
                except DomainError as exc:
                    problems[key] = (explain(exc, FIELDS), bad_fields(exc, BY_CODE))
            if problems:
                raise RowsRefused(problems)  # the transaction rolls back: none is kept
            return len(parsed)

        count = await ctx(request).db.write(write)
    except DomainError as exc:
        context["values"] = values_of(form)
        if isinstance(exc, RowsRefused):
            context["row_errors"] = {
                key: {"message": message, "fields": fields} for key, (message, fields) in exc.problems.items()
            }
        return failed(request, "tasks/bulk.html", context, exc)
    return done(f"/meetings/{meeting_id}/tasks/new", "tasks_created", n=count)


routes = [
    Route("/meetings/{id:int}/tasks/new", bulk_page, methods=["GET"], name="meeting_tasks_new"),
    Route("/meetings/{id:int}/tasks/new", create_all, methods=["POST"]),
]
