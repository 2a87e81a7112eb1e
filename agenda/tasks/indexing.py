"""A task in the search index (agenda/search/index.py): found by its code, title, description and
lead agency, as type `task`. Written by `lifecycle.create_task` in its own transaction, and by
`agenda.search.queries.rebuild`. Who finds it is decided at query time (agenda/search/queries.py
with agenda/tasks/views.py), so a restricted task is indexed like any other. See docs/search.md.
"""

from __future__ import annotations

from sqlmodel import Session

from agenda.agencies.registry import Agency
from agenda.search import index
from agenda.tasks.models import Task


def index_task(session: Session, task: Task) -> None:
    assert task.id is not None
    agency = session.get(Agency, task.lead_agency_id)
    body = " ".join(part for part in (task.description, agency.name if agency else "") if part)
    index.put(session, "task", task.id, f"{task.code} {task.title}", body)
