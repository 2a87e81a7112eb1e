"""A task's reports (with an optional PDF), extension requests and their decision, and
cancelling (../shared/API.md "Agencies, tasks and monitoring"; docs/api.md "Tasks").

Checks run in the order of their cost: session, CSRF and role; the task is visible (else 404)
and this user may act on it (else 403) and it is open (else 409); the fields; only then the
file, which goes through meeting_app/files/uploads.py exactly as a dossier upload does
(streamed, MAX_UPLOAD_MB, checked in the sandbox, stored under its sha256).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from agenda.errors import Forbidden, NotFound, WrongState
from agenda.storage import original_path
from agenda.tasks import lifecycle, views
from agenda.tasks.lifecycle import ExtensionCreate, ExtensionDecision, ReportCreate, TaskCancel
from agenda.tasks.models import Task, TaskReport
from agenda.text import N_
from agenda.viewer import Viewer
from meeting_app.api.common import ident, reply
from meeting_app.api.spec import PDF, Multipart, operation
from meeting_app.api.task_schemas import ExtensionDecided, TaskDetail, TaskExtensionPublic, TaskReportPublic
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.files import uploads
from meeting_app.files.downloads import content_disposition
from meeting_app.inputs import content_type, read_json, validate

NOT_YOURS = N_("Chỉ cơ quan chủ trì và Văn phòng Chính phủ báo cáo kết quả nhiệm vụ này.")
ONLY_LEAD = N_("Chỉ cơ quan chủ trì được xin gia hạn nhiệm vụ này.")
CLOSED = N_("Nhiệm vụ đã kết thúc.")
REPORT_FIELDS = ("text", "done", "completed_on")
PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def _reportable(s: Session, viewer: Viewer, task_id: int) -> Task:
    task = views.visible_task(session=s, viewer=viewer, task_id=task_id)
    if not views.may_report(viewer, task):
        raise Forbidden(NOT_YOURS, code="forbidden")
    if task.status != "open":
        raise WrongState(CLOSED, code="task_closed")
    return task


def _form_report(fields: dict[str, str]) -> ReportCreate:
    """The multipart fields as a report; empty fields are absent (a form's unchecked box)."""
    given = {name: fields[name].strip() for name in REPORT_FIELDS if fields.get(name, "").strip()}
    return validate(ReportCreate, given)


@operation(
    "Report on a task: JSON {text, done?, completed_on?}, or multipart with the same fields and "
    "an optional PDF `file`",
    description="`done: true` closes the task (`completed_on` defaults to today). 409 "
    "`task_closed` on a closed task; 413, 415 and 422 for a file as for dossier uploads.",
    who="the lead agency, secretariat",
    body=Multipart(REPORT_FIELDS),
    responses={201: TaskReportPublic},
)
async def add_report(request: Request) -> Response:
    me = await api_user(request, "secretariat", "agency")
    task_id = ident(request)
    app = ctx(request)
    await app.db.read(lambda s: _reportable(s, me.viewer, task_id))  # 404, 403, 409 before the body
    file: dict[str, Any] | None = None
    if content_type(request) == "multipart/form-data":
        async with uploads.receive(request) as upload:
            data = _form_report({name: upload.text(name) for name in REPORT_FIELDS})
            if upload.path is not None:
                facts = await uploads.check_and_store(request, upload)
                name = facts.title or "bao-cao"
                file = {"sha256": facts.sha256, "name": name[:255], "size": facts.size, "pages": facts.pages}
    else:
        data = await read_json(request, ReportCreate)

    def add(s: Session) -> dict[str, Any]:
        task = _reportable(s, me.viewer, task_id)
        report = lifecycle.add_report(session=s, task=task, data=data, actor_id=me.viewer.user_id, file=file)
        return views.public_report(report)

    return reply(await app.db.write(add), 201)


@operation(
    "A report's PDF, inline",
    who="anyone who may see the task",
    responses={200: PDF},
)
async def report_file(request: Request) -> Response:
    me = await api_user(request, *views.READERS)
    report_id = ident(request)
    app = ctx(request)

    def load(s: Session) -> TaskReport:
        report = s.get(TaskReport, report_id)
        if report is None or report.file_sha256 is None:
            raise NotFound()
        views.visible_task(session=s, viewer=me.viewer, task_id=report.task_id)
        return report

    report = await app.db.read(load)
    assert report.file_sha256 is not None
    path = original_path(app.settings.data_dir, report.file_sha256)
    if not await anyio.to_thread.run_sync(path.is_file):
        raise NotFound()
    disposition = content_disposition(report.file_name or "", default="bao-cao")
    return FileResponse(
        path, media_type="application/pdf", headers={**PRIVATE, "Content-Disposition": disposition}
    )


@operation(
    "Ask for more time (xin gia hạn): {reason, due_on} → 201 a pending request",
    description="422 `bad_due_on` unless later than the current due date; 409 `already_pending`.",
    who="the lead agency",
    body=ExtensionCreate,
    responses={201: TaskExtensionPublic},
)
async def request_extension(request: Request) -> Response:
    me = await api_user(request, "agency")
    task_id = ident(request)
    app = ctx(request)

    def check(s: Session) -> Task:
        task = views.visible_task(session=s, viewer=me.viewer, task_id=task_id)
        if not views.may_extend(me.viewer, task):
            raise Forbidden(ONLY_LEAD, code="forbidden")
        return task

    await app.db.read(check)
    data = await read_json(request, ExtensionCreate)

    def add(s: Session) -> dict[str, Any]:
        extension = lifecycle.request_extension(
            session=s, task=check(s), data=data, actor_id=me.viewer.user_id
        )
        return views.public_extension(extension)

    return reply(await app.db.write(add), 201)


@operation(
    "Approve or refuse an extension request: {approve, note?}",
    description="An approved extension moves `due_on`; `original_due_on` stays. 409 "
    "`already_decided`, or `task_closed`.",
    who="secretariat",
    body=ExtensionDecision,
    responses={200: ExtensionDecided},
)
async def decide_extension(request: Request) -> Response:
    me = await api_user(request, "secretariat")
    extension_id = ident(request)
    data = await read_json(request, ExtensionDecision)

    def decide(s: Session) -> dict[str, Any]:
        extension = lifecycle.decide_extension(
            session=s, extension_id=extension_id, data=data, actor_id=me.viewer.user_id
        )
        found = views.public_extension(extension)
        found["task"] = views.public_task(s, lifecycle.get_task(session=s, task_id=extension.task_id))
        return found

    return reply(await ctx(request).db.write(decide))


@operation(
    "Cancel a task: {reason}; pending extension requests are refused with it",
    who="secretariat",
    body=TaskCancel,
    responses={200: TaskDetail},
)
async def cancel_task(request: Request) -> Response:
    me = await api_user(request, "secretariat")
    task_id = ident(request)
    data = await read_json(request, TaskCancel)

    def cancel(s: Session) -> dict[str, Any]:
        task = lifecycle.cancel_task(
            session=s,
            task=lifecycle.get_task(session=s, task_id=task_id),
            data=data,
            actor_id=me.viewer.user_id,
        )
        return views.public_task(s, task)

    return reply(await ctx(request).db.write(cancel))


routes = [
    Route("/api/v1/tasks/{id:int}/reports", add_report, methods=["POST"]),
    Route("/api/v1/tasks/{id:int}/extensions", request_extension, methods=["POST"]),
    Route("/api/v1/tasks/{id:int}/cancel", cancel_task, methods=["POST"]),
    Route("/api/v1/extensions/{id:int}/decision", decide_extension, methods=["POST"]),
    Route("/api/v1/task-reports/{id:int}/file", report_file, methods=["GET"]),
]
