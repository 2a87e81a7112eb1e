"""A task's page (/tasks/{id}): its fields, source, state as of today, reports, extension requests
and history, with the forms of who may act on it. See docs/task-screens.md.

- report (báo cáo kết quả): the lead agency's users and the secretariat; multipart, with an
  optional PDF read as a stream and checked in the sandbox (meeting_app/files/uploads.py);
- request an extension (xin gia hạn): the lead agency's users;
- decide an extension, cancel (with a reason): the secretariat.
A task the viewer may not see answers 404 (a restricted one leaks nothing); an action the viewer
may not take, 403. A refused form comes back with the message, the field marked and its 4xx.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import DomainError, Forbidden, InvalidInput, NotFound
from agenda.people.members import Member
from agenda.tasks import lifecycle, views
from agenda.tasks.lifecycle import ExtensionCreate, ExtensionDecision, ReportCreate, TaskCancel
from agenda.tasks.models import Task, TaskExtension
from agenda.text import N_
from agenda.viewer import Viewer
from meeting_app.api.common import ident
from meeting_app.auth import Current, form_user, page_user, upload_user
from meeting_app.context import ctx
from meeting_app.errors import CsrfFailed
from meeting_app.files import uploads
from meeting_app.inputs import validate
from meeting_app.pages.common import done, failed, page, text, values_of
from meeting_app.pages.task_forms import (
    BY_CODE,
    FIELDS,
    READERS,
    audience_names,
    history,
    people_names,
    source_of,
)

MANAGERS = ("secretariat",)


def permissions(viewer: Viewer, task: Task, pending: bool) -> dict[str, bool]:
    is_open = task.status == "open"
    return {
        "can_report": is_open and views.may_report(viewer, task),
        "can_extend": is_open and views.may_extend(viewer, task) and not pending,
        "can_decide": is_open and viewer.has(*MANAGERS),
        "can_cancel": is_open and viewer.has(*MANAGERS),
    }


async def task_context(request: Request, me: Current, task_id: int) -> dict[str, Any]:
    def load(s: Session) -> dict[str, Any]:
        task = views.visible_task(session=s, viewer=me.viewer, task_id=task_id)
        shown = views.public_task(s, task)
        pending = any(e["status"] == "pending" for e in shown["extensions"])
        people = {r["author_id"] for r in shown["reports"]} | {e["requested_by"] for e in shown["extensions"]}
        leader = s.get(Member, task.leader_member_id) if task.leader_member_id else None
        return {
            "task": shown,
            "source": source_of(s, task),
            "leader": leader,
            "names": people_names(s, people),
            "audience": audience_names(s, task_id) if task.restricted else [],
            "history": history(s, task),
            **permissions(me.viewer, task, pending),
        }

    data = await ctx(request).db.read(load)
    return {
        **data,
        "forms": {},
        "failed_form": None,
        "max_upload_mb": ctx(request).settings.max_upload_mb,
    }


async def task_page(request: Request) -> Response:
    me = await page_user(request, *READERS)
    return page(request, "tasks/view.html", await task_context(request, me, ident(request)))


async def refused(
    request: Request,
    me: Current,
    task_id: int,
    exc: DomainError,
    form_name: str,
    values: dict[str, Any],
    *,
    file_refused: bool = False,
) -> Response:
    """The task page again with the refused form open, its message and its field marked (the
    file's, when the PDF check refused it)."""
    context = await task_context(request, me, task_id)
    context["forms"] = {form_name: values}
    context["failed_form"] = form_name
    by_code = {**BY_CODE, exc.code: "file"} if file_refused else BY_CODE
    return failed(request, "tasks/view.html", context, exc, FIELDS, by_code)


async def allowed(request: Request, me: Current, task_id: int, may: str) -> Task:
    """The task, when the viewer sees it (else 404) and may do `may` on it (else 403)."""

    def load(s: Session) -> Task:
        return views.visible_task(session=s, viewer=me.viewer, task_id=task_id)

    task = await ctx(request).db.read(load)
    rules = {"report": views.may_report, "extend": views.may_extend}
    if may in rules and not rules[may](me.viewer, task):
        raise Forbidden()
    return task


async def report(request: Request) -> Response:
    me, check_token = await upload_user(request, "secretariat", "agency")
    task_id = ident(request)
    task = await allowed(request, me, task_id, "report")
    app = ctx(request)
    values: dict[str, str] = {}
    checking_file = False
    try:
        async with uploads.receive(request, on_file=check_token) as upload:
            check_token(upload.fields)
            values = {
                n: upload.fields.get(n, "").replace("\x00", "")[:5000] for n in ("text", "completed_on")
            }
            is_done = upload.fields.get("done") in ("1", "on")
            if is_done:
                values["done"] = "1"
            data = validate(
                ReportCreate,
                {
                    "text": upload.text("text"),
                    "done": is_done,
                    "completed_on": upload.text("completed_on") or None,
                },
            )
            file: dict[str, Any] | None = None
            if upload.path is not None:
                checking_file = True
                facts = await uploads.check_and_store(request, upload)
                checking_file = False
                name = f"bao-cao-{task.code}.pdf"
                file = {"sha256": facts.sha256, "name": name, "size": facts.size, "pages": facts.pages}

        def write(s: Session) -> None:
            found = lifecycle.get_task(session=s, task_id=task_id)
            lifecycle.add_report(session=s, task=found, data=data, actor_id=me.viewer.user_id, file=file)

        await app.db.write(write)
    except CsrfFailed:
        raise
    except DomainError as exc:
        return await refused(request, me, task_id, exc, "report", values, file_refused=checking_file)
    return done(f"/tasks/{task_id}#reports", "task_reported")


async def request_extension(request: Request) -> Response:
    me, form = await form_user(request, "agency")
    task_id = ident(request)
    await allowed(request, me, task_id, "extend")
    try:
        data = validate(
            ExtensionCreate,
            {"reason": text(form, "reason", limit=2100), "due_on": text(form, "due_on", limit=20) or None},
        )
        await ctx(request).db.write(
            lambda s: lifecycle.request_extension(
                session=s,
                task=lifecycle.get_task(session=s, task_id=task_id),
                data=data,
                actor_id=me.viewer.user_id,
            )
        )
    except DomainError as exc:
        return await refused(request, me, task_id, exc, "extend", values_of(form))
    return done(f"/tasks/{task_id}#extensions", "extension_requested")


async def decide_extension(request: Request) -> Response:
    me, form = await form_user(request, *MANAGERS)
    task_id = ident(request)
    extension_id = ident(request, "extension_id")
    await allowed(request, me, task_id, "decide")

    def owned(s: Session) -> None:
        found = s.get(TaskExtension, extension_id)
        if found is None or found.task_id != task_id:
            raise NotFound()

    await ctx(request).db.read(owned)
    choice = text(form, "decision", limit=16)
    try:
        if choice not in ("approve", "refuse"):
            raise InvalidInput(N_("Hãy chọn chấp thuận hoặc không chấp thuận."), code="decision_required")
        data = validate(
            ExtensionDecision,
            {"approve": choice == "approve", "note": text(form, "note", limit=2100) or None},
        )
        await ctx(request).db.write(
            lambda s: lifecycle.decide_extension(
                session=s, extension_id=extension_id, data=data, actor_id=me.viewer.user_id
            )
        )
    except DomainError as exc:
        return await refused(request, me, task_id, exc, f"decide-{extension_id}", values_of(form))
    return done(f"/tasks/{task_id}#extensions", "extension_approved" if data.approve else "extension_refused")


async def cancel(request: Request) -> Response:
    me, form = await form_user(request, *MANAGERS)
    task_id = ident(request)
    await allowed(request, me, task_id, "cancel")
    try:
        data = validate(TaskCancel, {"reason": text(form, "reason", limit=2100)})
        await ctx(request).db.write(
            lambda s: lifecycle.cancel_task(
                session=s,
                task=lifecycle.get_task(session=s, task_id=task_id),
                data=data,
                actor_id=me.viewer.user_id,
            )
        )
    except DomainError as exc:
        return await refused(request, me, task_id, exc, "cancel", values_of(form))
    return done(f"/tasks/{task_id}", "task_cancelled")


routes = [
    Route("/tasks/{id:int}", task_page, methods=["GET"], name="task"),
    Route("/tasks/{id:int}/reports", report, methods=["POST"]),
    Route("/tasks/{id:int}/extensions", request_extension, methods=["POST"]),
    Route("/tasks/{id:int}/extensions/{extension_id:int}/decision", decide_extension, methods=["POST"]),
    Route("/tasks/{id:int}/cancel", cancel, methods=["POST"]),
]
