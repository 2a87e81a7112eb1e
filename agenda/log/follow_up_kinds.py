"""Event kinds of the follow-through (issue 15): agencies, dossier submission and tasks. See
docs/follow-through.md; agenda/log/event_kinds.py re-exports them, and docs/events.md lists them.

None carries a `meeting_id`: they go to the global stream, which no tablet's meeting feed
reads, so a restricted task's title never rides a meeting's feed. A task's source meeting is
`source_meeting_id`.
"""

from __future__ import annotations

from dataclasses import dataclass

from agenda.log.events import EventData, event_kind


@event_kind
@dataclass(frozen=True)
class AgencyCreated(EventData):
    """An agency joined the registry, by hand or because an item or task named it first."""

    kind = "agency.created"
    agency_id: int
    code: str
    name: str


@event_kind
@dataclass(frozen=True)
class DossierSubmitted(EventData):
    """The lead agency (or the secretariat for it) submitted a programme item's dossier (nộp hồ
    sơ); `late` when after the policy's deadline, by `days_late` days."""

    kind = "programme.submitted"
    programme_item_id: int
    late: bool
    days_late: int


@event_kind
@dataclass(frozen=True)
class TaskCreated(EventData):
    """A task was assigned: from a conclusion (`source_agenda_item_id`), an opinion ballot
    (`source_poll_id`) or as a directive (`document_number`)."""

    kind = "task.created"
    task_id: int
    code: str
    title: str
    lead_agency_id: int
    due_on: str
    source_meeting_id: int | None
    source_agenda_item_id: int | None
    source_poll_id: int | None
    restricted: bool


@event_kind
@dataclass(frozen=True)
class TaskReported(EventData):
    """The lead agency (or the secretariat) reported on a task; `done` closes it as completed on
    `completed_on`."""

    kind = "task.reported"
    task_id: int
    report_id: int
    done: bool
    completed_on: str | None
    has_file: bool


@event_kind
@dataclass(frozen=True)
class TaskExtensionRequested(EventData):
    """The lead agency asked to move a task's due date to `due_on`."""

    kind = "task.extension_requested"
    task_id: int
    extension_id: int
    due_on: str
    reason: str


@event_kind
@dataclass(frozen=True)
class TaskExtensionDecided(EventData):
    """The secretariat decided an extension request; approved, the due date moved from
    `previous_due_on` to `due_on` (the original due date is kept on the task)."""

    kind = "task.extension_decided"
    task_id: int
    extension_id: int
    approved: bool
    due_on: str
    previous_due_on: str
    note: str | None


@event_kind
@dataclass(frozen=True)
class TaskCancelled(EventData):
    """The secretariat cancelled a task, with a reason."""

    kind = "task.cancelled"
    task_id: int
    reason: str
