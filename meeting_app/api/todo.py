"""GET /api/v1/me/todo: what waits for the caller (docs/home.md), the member's home as JSON."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.clock import iso, utcnow
from agenda.todo import Todo, member_todo
from meeting_app.api.common import reply
from meeting_app.api.schemas import Public, Time
from meeting_app.api.spec import operation
from meeting_app.auth import api_user
from meeting_app.context import ctx


class TodoMeeting(Public):
    id: int
    title: str
    state: str
    starts_at: Time
    place: str
    url: str


class TodoPoll(Public):
    poll_id: int
    question: str
    code: str
    deadline: Time
    overdue: bool
    url: str


class TodoPosition(Public):
    agenda_item_id: int
    position: int
    title: str
    url: str


class TodoPaper(Public):
    document_id: int
    title: str
    kind: str
    agenda_item_id: int
    position: int
    version: int
    opened_version: int | None
    new_version: bool
    url: str


class TodoPublic(Public):
    """The caller's to-do list; `count` is how many entries wait (the meeting is not one)."""

    meeting: TodoMeeting | None
    polls: list[TodoPoll]
    positions: list[TodoPosition]
    papers: list[TodoPaper]
    count: int


def public_todo(todo: Todo) -> dict[str, Any]:
    meeting = todo.meeting
    meeting_id = meeting.id if meeting is not None else 0
    return {
        "meeting": None
        if meeting is None
        else {
            "id": meeting.id,
            "title": meeting.title,
            "state": meeting.state,
            "starts_at": iso(meeting.starts_at),
            "place": meeting.place,
            "url": f"/meetings/{meeting.id}",
        },
        "polls": [
            {
                "poll_id": p.poll_id,
                "question": p.question,
                "code": p.code,
                "deadline": iso(p.deadline),
                "overdue": p.overdue,
                "url": f"/opinion-polls/{p.poll_id}",
            }
            for p in todo.polls
        ],
        "positions": [
            {
                "agenda_item_id": p.agenda_item_id,
                "position": p.position,
                "title": p.title,
                "url": f"/meetings/{meeting_id}#item-{p.agenda_item_id}",
            }
            for p in todo.positions
        ],
        "papers": [
            {
                "document_id": p.document_id,
                "title": p.title,
                "kind": p.kind,
                "agenda_item_id": p.agenda_item_id,
                "position": p.position,
                "version": p.version,
                "opened_version": p.opened_version,
                "new_version": p.is_new_version,
                "url": f"/documents/{p.document_id}/read",
            }
            for p in todo.papers
        ],
        "count": todo.count,
    }


@operation("The caller's to-do list", who="user", responses={200: TodoPublic})
async def my_todo(request: Request) -> Response:
    me = await api_user(request)
    viewer = me.viewer
    now = utcnow()
    todo = await ctx(request).db.read(lambda s: member_todo(session=s, viewer=viewer, now=now))
    return reply(public_todo(todo))


routes = [Route("/api/v1/me/todo", my_todo, methods=["GET"])]
