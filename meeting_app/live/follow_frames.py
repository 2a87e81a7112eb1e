"""The follow-through frames of `/ws/me` (docs/api.md "The user feed"): who is told of a task's or
a dossier's change, and with what.

- Every `task.*` event: `{"type": "task", "task_id", "kind", "agency_id"}` to each connected user
  who may see the task (agenda/tasks/views.py `can_see`), and a bare `{"type": "task"}` to the
  other users who read the monitoring board (secretariat, chair, member, assistant), so that
  their board refreshes without learning which task moved. Agency users who may not see the
  task get nothing.
- `programme.submitted`: `{"type": "dossier", "programme_item_id"}` to the staff, the members
  and the focal points of the item's lead agency, each only if the item is not hidden from them.

`frames` runs in one database read for a batch of committed events and the viewers connected
at that moment; it returns what to push to whom.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from agenda.access.agency_items import visible_item_ids
from agenda.programme.programme import ProgrammeItem
from agenda.tasks import views
from agenda.tasks.models import Task
from agenda.viewer import Viewer

TASK_KINDS = frozenset(
    {"task.created", "task.reported", "task.extension_requested", "task.extension_decided", "task.cancelled"}
)
DOSSIER_KINDS = frozenset({"programme.submitted"})
KINDS = TASK_KINDS | DOSSIER_KINDS
BOARD_READERS = ("secretariat", "chair", "member", "assistant")
DOSSIER_READERS = ("secretariat", "chair", "member")
BARE_TASK = json.dumps({"type": "task"})


def frames(
    session: Session, items: list[tuple[str, dict[str, Any]]], viewers: dict[int, Viewer]
) -> list[tuple[int, str]]:
    """(user id, frame) for each of `items` (kind, payload) and each viewer who is told of it."""
    out: list[tuple[int, str]] = []
    for kind, data in items:
        if kind in TASK_KINDS:
            out.extend(_task_frames(session, kind, data, viewers))
        elif kind in DOSSIER_KINDS:
            out.extend(_dossier_frames(session, data, viewers))
    return out


def _task_frames(
    session: Session, kind: str, data: dict[str, Any], viewers: dict[int, Viewer]
) -> list[tuple[int, str]]:
    task = session.get(Task, int(data["task_id"]))
    if task is None:
        return []
    full = json.dumps({"type": "task", "task_id": task.id, "kind": kind, "agency_id": task.lead_agency_id})
    out: list[tuple[int, str]] = []
    for user_id, viewer in viewers.items():
        if viewer.has(*views.READERS) and views.can_see(session, viewer, task):
            out.append((user_id, full))
        elif viewer.has(*BOARD_READERS):
            out.append((user_id, BARE_TASK))
    return out


def _dossier_frames(
    session: Session, data: dict[str, Any], viewers: dict[int, Viewer]
) -> list[tuple[int, str]]:
    item = session.get(ProgrammeItem, int(data["programme_item_id"]))
    if item is None:
        return []
    frame = json.dumps({"type": "dossier", "programme_item_id": item.id})
    out: list[tuple[int, str]] = []
    for user_id, viewer in viewers.items():
        own = (
            viewer.has("agency") and viewer.agency_id is not None and viewer.agency_id == item.lead_agency_id
        )
        if not (own or viewer.has(*DOSSIER_READERS)):
            continue
        if visible_item_ids(session=session, viewer=viewer, items=[item]):
            out.append((user_id, frame))
    return out
