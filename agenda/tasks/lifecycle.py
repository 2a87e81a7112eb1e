"""A task's life: assigned, reported on, extended, done or cancelled. Each function changes the
task and appends its event in the caller's transaction. See docs/follow-through.md.

Who may call which is the web layer's business (meeting_app/api/tasks.py); the rules of the
task itself (one lead agency, a due date not before the assignment, an extension that moves
the date later, nothing changes a closed task) are kept here.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PField
from sqlmodel import Session, select

from agenda.agencies.registry import agency_ids, ensure_agency, get_agency
from agenda.clock import local_today, utcnow
from agenda.errors import Conflict, NotFound, RuleBroken, WrongState
from agenda.log import events
from agenda.log import follow_up_kinds as k
from agenda.meetings.agenda_items import AgendaItem
from agenda.people.accounts import User
from agenda.people.members import Member
from agenda.polls.opinion_polls import OpinionPoll
from agenda.tasks.indexing import index_task
from agenda.tasks.models import Task, TaskAudience, TaskCooperator, TaskExtension, TaskReport
from agenda.text import N_

MAX_AUDIENCE = 200
MAX_COOPERATORS = 40


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    title: str = PField(min_length=3, max_length=500)
    lead_agency: str | None = PField(default=None, min_length=2, max_length=300)
    lead_agency_id: int | None = PField(default=None, ge=1, le=2**31 - 1)
    due_on: date
    description: str = PField(default="", max_length=10_000)
    cooperating_agencies: list[str] = PField(default_factory=list, max_length=MAX_COOPERATORS)
    leader_member_id: int | None = PField(default=None, ge=1, le=2**31 - 1)
    source_agenda_item_id: int | None = PField(default=None, ge=1, le=2**31 - 1)
    source_poll_id: int | None = PField(default=None, ge=1, le=2**31 - 1)
    document_number: str | None = PField(default=None, min_length=1, max_length=64)
    restricted_user_ids: list[int] = PField(default_factory=list, max_length=MAX_AUDIENCE)

    @model_validator(mode="after")
    def one_lead(self) -> TaskCreate:
        if (self.lead_agency is None) == (self.lead_agency_id is None):
            raise ValueError("give exactly one of lead_agency and lead_agency_id")
        if self.source_agenda_item_id is not None and self.source_poll_id is not None:
            raise ValueError("a task comes from one source")
        return self


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    text: str = PField(min_length=1, max_length=10_000)
    done: bool = False
    completed_on: date | None = None


class ExtensionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    reason: str = PField(min_length=3, max_length=2000)
    due_on: date


class ExtensionDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    approve: bool
    note: str | None = PField(default=None, max_length=2000)


class TaskCancel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    reason: str = PField(min_length=3, max_length=2000)


def get_task(*, session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound()
    return task


def create_task(*, session: Session, data: TaskCreate, actor_id: int | None) -> Task:
    today = local_today()
    if data.due_on < today:
        raise RuleBroken(N_("Thời hạn không được trước hôm nay."), code="due_in_past")
    if data.lead_agency_id is not None:
        lead = get_agency(session=session, agency_id=data.lead_agency_id)
    else:
        assert data.lead_agency is not None
        lead = ensure_agency(session, data.lead_agency, actor_id=actor_id)
    assert lead.id is not None
    meeting_id = _check_sources(session, data)
    if data.leader_member_id is not None and session.get(Member, data.leader_member_id) is None:
        raise RuleBroken(N_("Không có thành viên Chính phủ này."), code="unknown_member")
    audience = sorted(set(data.restricted_user_ids))
    if audience:
        known = set(session.exec(select(User.id).where(User.id.in_(audience))).all())  # type: ignore[union-attr]
        if len(known) != len(audience):
            raise RuleBroken(N_("Có người nhận không tồn tại."), code="unknown_user")
    task = Task(
        code=f"tmp-{uuid4().hex[:20]}",
        title=data.title,
        description=data.description,
        lead_agency_id=lead.id,
        due_on=data.due_on,
        due_month=data.due_on.strftime("%Y-%m"),
        original_due_on=data.due_on,
        leader_member_id=data.leader_member_id,
        source_meeting_id=meeting_id,
        source_agenda_item_id=data.source_agenda_item_id,
        source_poll_id=data.source_poll_id,
        document_number=data.document_number,
        restricted=bool(audience),
        created_by=actor_id,
    )
    session.add(task)
    session.flush()
    assert task.id is not None
    task.code = f"NV-{today.year}-{task.id:05d}"
    cooperators = [
        a for a in agency_ids(session, data.cooperating_agencies, actor_id=actor_id) if a != lead.id
    ]
    session.add_all(TaskCooperator(task_id=task.id, agency_id=a) for a in cooperators)
    session.add_all(TaskAudience(task_id=task.id, user_id=u) for u in audience)
    index_task(session, task)
    events.append(
        session,
        k.TaskCreated(
            task_id=task.id,
            code=task.code,
            title=task.title,
            lead_agency_id=lead.id,
            due_on=task.due_on.isoformat(),
            source_meeting_id=meeting_id,
            source_agenda_item_id=task.source_agenda_item_id,
            source_poll_id=task.source_poll_id,
            restricted=task.restricted,
        ),
        actor_id=actor_id,
    )
    return task


def _check_sources(session: Session, data: TaskCreate) -> int | None:
    """The source meeting's id; a conclusion must have been recorded, a ballot closed."""
    if data.source_agenda_item_id is not None:
        item = session.get(AgendaItem, data.source_agenda_item_id)
        if item is None:
            raise RuleBroken(N_("Không có mục chương trình này."), code="unknown_agenda_item")
        if not item.outcome:
            raise WrongState(N_("Mục này chưa có kết luận."), code="no_conclusion")
        return item.meeting_id
    if data.source_poll_id is not None:
        poll = session.get(OpinionPoll, data.source_poll_id)
        if poll is None:
            raise RuleBroken(N_("Không có phiếu lấy ý kiến này."), code="unknown_poll")
        if poll.state != "closed":
            raise WrongState(N_("Phiếu lấy ý kiến chưa kết thúc."), code="poll_not_closed")
    return None


def _open(task: Task) -> None:
    if task.status != "open":
        raise WrongState(N_("Nhiệm vụ đã kết thúc."), code="task_closed")


def add_report(
    *,
    session: Session,
    task: Task,
    data: ReportCreate,
    actor_id: int | None,
    file: dict[str, Any] | None = None,
) -> TaskReport:
    """A progress report; `done` closes the task, completed on `completed_on` (default today).
    `file` is an already-checked PDF stored by its hash: {sha256, name, size, pages}."""
    _open(task)
    assert task.id is not None
    completed_on = None
    if data.done:
        completed_on = data.completed_on or local_today()
        if completed_on > local_today():
            raise RuleBroken(N_("Ngày hoàn thành không được sau hôm nay."), code="completed_in_future")
        task.status = "done"
        task.completed_on = completed_on
        task.updated_at = utcnow()
    elif data.completed_on is not None:
        raise RuleBroken(
            N_("Chỉ ghi ngày hoàn thành khi báo cáo đã hoàn thành."), code="completed_on_without_done"
        )
    report = TaskReport(
        task_id=task.id,
        text=data.text,
        done=data.done,
        completed_on=completed_on,
        author_id=actor_id,
        file_sha256=file["sha256"] if file else None,
        file_name=file["name"] if file else None,
        file_size=file["size"] if file else None,
        file_pages=file["pages"] if file else None,
    )
    session.add(report)
    session.flush()
    assert report.id is not None
    events.append(
        session,
        k.TaskReported(
            task_id=task.id,
            report_id=report.id,
            done=data.done,
            completed_on=completed_on.isoformat() if completed_on else None,
            has_file=file is not None,
        ),
        actor_id=actor_id,
    )
    return report


def request_extension(
    *, session: Session, task: Task, data: ExtensionCreate, actor_id: int | None
) -> TaskExtension:
    _open(task)
    assert task.id is not None
    if data.due_on <= task.due_on:
        raise RuleBroken(N_("Thời hạn xin gia hạn phải sau thời hạn hiện tại."), code="bad_due_on")
    pending = session.exec(
        select(TaskExtension).where(TaskExtension.task_id == task.id, TaskExtension.status == "pending")
    ).first()
    if pending is not None:
        raise Conflict(N_("Nhiệm vụ đã có đề nghị gia hạn đang chờ xử lý."), code="already_pending")
    request = TaskExtension(
        task_id=task.id,
        reason=data.reason,
        due_on=data.due_on,
        previous_due_on=task.due_on,
        requested_by=actor_id,
    )
    session.add(request)
    session.flush()
    assert request.id is not None
    events.append(
        session,
        k.TaskExtensionRequested(
            task_id=task.id, extension_id=request.id, due_on=data.due_on.isoformat(), reason=data.reason
        ),
        actor_id=actor_id,
    )
    return request


def decide_extension(
    *, session: Session, extension_id: int, data: ExtensionDecision, actor_id: int | None
) -> TaskExtension:
    request = session.get(TaskExtension, extension_id)
    if request is None:
        raise NotFound()
    if request.status != "pending":
        raise WrongState(N_("Đề nghị này đã được xử lý."), code="already_decided")
    task = get_task(session=session, task_id=request.task_id)
    _open(task)
    previous = task.due_on
    if data.approve:
        task.due_on = request.due_on
        task.due_month = request.due_on.strftime("%Y-%m")
        task.updated_at = utcnow()
    request.status = "approved" if data.approve else "refused"
    request.decided_by = actor_id
    request.decision_note = data.note
    request.decided_at = utcnow()
    events.append(
        session,
        k.TaskExtensionDecided(
            task_id=task.id or 0,
            extension_id=extension_id,
            approved=data.approve,
            due_on=task.due_on.isoformat(),
            previous_due_on=previous.isoformat(),
            note=data.note,
        ),
        actor_id=actor_id,
    )
    return request


def cancel_task(*, session: Session, task: Task, data: TaskCancel, actor_id: int | None) -> Task:
    _open(task)
    assert task.id is not None
    task.status = "cancelled"
    task.cancelled_on = local_today()
    task.cancel_reason = data.reason
    task.updated_at = utcnow()
    for request in session.exec(
        select(TaskExtension).where(TaskExtension.task_id == task.id, TaskExtension.status == "pending")
    ).all():
        request.status = "refused"
        request.decision_note = data.reason
        request.decided_at = utcnow()
    events.append(session, k.TaskCancelled(task_id=task.id, reason=data.reason), actor_id=actor_id)
    return task
