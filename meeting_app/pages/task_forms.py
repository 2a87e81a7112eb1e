"""What the task pages share: the choices their forms offer (agencies, leaders, people), reading
a task form into the domain's TaskCreate fields, the names a task page shows and its history.
See docs/task-screens.md.

Pages call the domain (agenda/tasks) directly; this module only loads and shapes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from agenda.agencies.registry import Agency, list_agencies
from agenda.errors import InvalidInput, RuleBroken
from agenda.log.events import Event
from agenda.meetings.agenda_items import AgendaItem
from agenda.meetings.meetings import Meeting
from agenda.people.accounts import User
from agenda.people.members import Member, list_members
from agenda.polls.opinion_polls import OpinionPoll
from agenda.tasks import lifecycle
from agenda.tasks.lifecycle import TaskCreate
from agenda.tasks.models import Task, TaskAudience
from agenda.text import N_
from meeting_app.inputs import validate
from meeting_app.pages.common import ident_field, ident_list, text
from meeting_app.pages.event_sentences import Names, sentence

# Who creates and manages tasks; who reads the task list.
CREATORS = ("secretariat", "chair")
READERS = ("secretariat", "chair", "member", "assistant", "agency")
TASK_KINDS = (
    "task.created",
    "task.reported",
    "task.extension_requested",
    "task.extension_decided",
    "task.cancelled",
)
FIELDS = {
    "title": N_("Tên nhiệm vụ"),
    "description": N_("Nội dung"),
    "lead_agency_id": N_("Cơ quan chủ trì"),
    "lead_agency": N_("Cơ quan chủ trì"),
    "cooperating_agencies": N_("Cơ quan phối hợp"),
    "due_on": N_("Thời hạn"),
    "leader_member_id": N_("Lãnh đạo phụ trách"),
    "document_number": N_("Số văn bản giao nhiệm vụ"),
    "restricted_user_ids": N_("Giới hạn người xem"),
    "text": N_("Nội dung báo cáo"),
    "done": N_("Đã hoàn thành"),
    "completed_on": N_("Ngày hoàn thành"),
    "reason": N_("Lý do"),
    "note": N_("Ghi chú"),
    "file": N_("Tệp PDF"),
}
# A domain refusal's code → the field it is about (marked aria-invalid on the form).
BY_CODE = {
    "due_in_past": "due_on",
    "bad_due_on": "due_on",
    "unknown_member": "leader_member_id",
    "unknown_user": "restricted_user_ids",
    "agency_required": "lead_agency_id",
    "unknown_agency": "lead_agency_id",
    "completed_in_future": "completed_on",
    "completed_on_without_done": "completed_on",
    "file_required": "file",
    "bad_pdf": "file",
}


def leaders(session: Session) -> list[Member]:
    """The leaders a task may be put in the charge of: the Prime Minister and the Deputy Prime
    Ministers (members whose title says "Thủ tướng"); every active member when none does."""
    members = list_members(session=session)
    chiefs = [m for m in members if "thủ tướng" in m.title.casefold()]
    return chiefs or members


def form_choices(session: Session) -> dict[str, Any]:
    """The options of the task forms: active agencies, leaders and the people a task may be
    restricted to."""
    people = session.exec(
        select(User).where(col(User.active).is_(True)).order_by(col(User.full_name), col(User.id))
    ).all()
    return {
        "agency_options": [(a.id, a.name) for a in list_agencies(session=session, include_inactive=False)],
        "leader_options": [(m.id, f"{m.full_name} — {m.title}") for m in leaders(session)],
        "people_options": [
            (u.id, u.full_name)
            for u in people
            if u.has("secretariat", "chair", "member", "assistant", "agency")
        ],
    }


def agency_names(session: Session, ids: list[int]) -> list[str]:
    """The names of the chosen agencies (ids not in the registry are dropped)."""
    if not ids:
        return []
    found = {a.id: a.name for a in session.exec(select(Agency).where(col(Agency.id).in_(ids))).all()}
    return [found[i] for i in ids if i in found]


def task_fields(form: FormData, *, prefix: str = "") -> dict[str, Any]:
    """A task form's fields as TaskCreate takes them (cooperating agencies still as ids, under
    `cooperating_ids`: the caller names them inside its transaction)."""
    data: dict[str, Any] = {
        "title": text(form, f"{prefix}title", limit=600),
        "due_on": text(form, f"{prefix}due_on", limit=20) or None,
        "lead_agency_id": ident_field(form, f"{prefix}lead_agency_id"),
    }
    description = text(form, f"{prefix}description", limit=10_100)
    if description:
        data["description"] = description
    leader = ident_field(form, f"{prefix}leader_member_id")
    if leader is not None:
        data["leader_member_id"] = leader
    number = text(form, f"{prefix}document_number", limit=80)
    if number:
        data["document_number"] = number
    poll = ident_field(form, f"{prefix}source_poll_id")
    if poll is not None:
        data["source_poll_id"] = poll
    audience = ident_list(form, f"{prefix}restricted_user_ids")
    if audience:
        data["restricted_user_ids"] = audience
    data["cooperating_ids"] = ident_list(form, f"{prefix}cooperating_agencies", limit=60)
    return data


def checked_task(fields: dict[str, Any]) -> tuple[TaskCreate, list[int]]:
    """A task form's fields validated, and the cooperating agencies' ids."""
    fields = dict(fields)
    cooperating: list[int] = fields.pop("cooperating_ids", [])
    if fields.get("lead_agency_id") is None:
        raise InvalidInput(
            N_("Dữ liệu không hợp lệ ở các trường: {names}."),
            code="invalid_fields",
            names="lead_agency_id",
            fields=[{"field": "lead_agency_id", "problem": "missing"}],
        )
    fields.pop("lead_agency", None)
    return validate(TaskCreate, fields), cooperating


def create_from_form(session: Session, data: TaskCreate, cooperating: list[int], *, actor_id: int) -> Task:
    """Create a task from a form, inside the caller's transaction: the lead agency must be one
    of the registry (the form's select), the cooperating ones are named by their ids."""
    if data.lead_agency_id is None or session.get(Agency, data.lead_agency_id) is None:
        raise RuleBroken(N_("Không có cơ quan này trong danh mục."), code="unknown_agency")
    named = data.model_copy(update={"cooperating_agencies": agency_names(session, cooperating)})
    return lifecycle.create_task(session=session, data=named, actor_id=actor_id)


def source_of(session: Session, task: Task) -> dict[str, Any]:
    """Where the task comes from, for its page: the meeting and agenda item, or the ballot."""
    found: dict[str, Any] = {"meeting": None, "item": None, "poll": None}
    if task.source_meeting_id is not None:
        found["meeting"] = session.get(Meeting, task.source_meeting_id)
    if task.source_agenda_item_id is not None:
        found["item"] = session.get(AgendaItem, task.source_agenda_item_id)
    if task.source_poll_id is not None:
        found["poll"] = session.get(OpinionPoll, task.source_poll_id)
    return found


def people_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        u.id: u.full_name
        for u in session.exec(select(User).where(col(User.id).in_(wanted))).all()
        if u.id is not None
    }


def audience_names(session: Session, task_id: int) -> list[str]:
    rows = session.exec(
        select(User.full_name)
        .join(TaskAudience, col(TaskAudience.user_id) == col(User.id))
        .where(TaskAudience.task_id == task_id)
        .order_by(col(User.full_name))
    ).all()
    return list(rows)


def task_events(session: Session, task_id: int) -> list[Event]:
    """The task's events, oldest first. Task events sit in the global stream; the stored JSON
    (sorted keys, ", " and ": ") is searched for the id, then each payload is checked."""
    key = f'"task_id": {task_id}'
    rows = session.exec(
        select(Event)
        .where(
            col(Event.kind).in_(TASK_KINDS),
            or_(col(Event.data).like(f"%{key},%"), col(Event.data).like(f"%{key}}}%")),
        )
        .order_by(col(Event.id))
    ).all()
    return [e for e in rows if json.loads(e.data).get("task_id") == task_id]


def history(session: Session, task: Task) -> list[dict[str, Any]]:
    """The task's events as sentences in the viewer's language, with who and when."""
    assert task.id is not None
    found = task_events(session, task.id)
    names = people_names(session, {e.actor_id for e in found})
    shown = Names(users=names)
    return [
        {
            "at": e.at,
            "actor": names.get(e.actor_id) if e.actor_id is not None else None,
            "sentence": sentence(e.kind, _readable(json.loads(e.data)), shown),
        }
        for e in found
    ]


def _readable(data: Mapping[str, Any]) -> dict[str, Any]:
    """Dates in a payload shown as dd/mm/yyyy."""
    shown = dict(data)
    for name in ("due_on", "previous_due_on", "completed_on"):
        value = shown.get(name)
        if isinstance(value, str) and len(value) == 10:
            shown[name] = f"{value[8:10]}/{value[5:7]}/{value[:4]}"
    return shown
