"""What the follow-through endpoints answer, as pydantic models for the OpenAPI document: the
agencies, tasks with their reports and extension requests (docs/api.md "Tasks").

As in meeting_app/api/schemas.py, the endpoints build their JSON in the domain
(agenda/agencies/registry.py, agenda/tasks/views.py `public_*`); these models describe it and
forbid unknown fields, and tests/test_tasks_api.py validates real answers against them.
"""

from __future__ import annotations

from typing import Literal

from meeting_app.api.schemas import Public, Time

State = Literal["on_time", "late", "in_time", "overdue", "cancelled"]


class AgencyPublic(Public):
    id: int
    code: str
    name: str
    kind: Literal["ministry", "ministerial", "government", "other"]
    active: bool


class AgencyList(Public):
    items: list[AgencyPublic]


class TaskSource(Public):
    meeting_id: int | None
    agenda_item_id: int | None
    poll_id: int | None
    document_number: str | None


class TaskSummary(Public):
    id: int
    code: str
    title: str
    description: str
    lead_agency: str
    lead_agency_id: int
    cooperating_agencies: list[str]
    due_on: str
    original_due_on: str
    leader_member_id: int | None
    source: TaskSource
    status: Literal["open", "done", "cancelled"]
    completed_on: str | None
    cancel_reason: str | None
    restricted: bool
    state: State
    as_of: str


class ReportFile(Public):
    name: str | None
    size: int | None
    pages: int | None


class TaskReportPublic(Public):
    id: int
    text: str
    done: bool
    completed_on: str | None
    file: ReportFile | None
    author_id: int | None
    created_at: Time | None


class TaskExtensionPublic(Public):
    id: int
    task_id: int
    reason: str
    due_on: str
    previous_due_on: str
    status: Literal["pending", "approved", "refused"]
    decision_note: str | None
    requested_by: int | None
    created_at: Time | None
    decided_at: Time | None


class TaskDetail(TaskSummary):
    reports: list[TaskReportPublic]
    extensions: list[TaskExtensionPublic]


class TaskList(Public):
    items: list[TaskSummary]
    total: int
    limit: int
    offset: int


class ExtensionDecided(TaskExtensionPublic):
    task: TaskDetail
