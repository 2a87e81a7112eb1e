"""The home page: what each role needs first.

Secretariat and chair: upcoming meetings, this month's programme, items not ready and
pending postponement requests. Members, assistants and guests: their to-do list first
(agenda/todo.py: ballots to answer, the next session, positions to give, papers to read), then
their meetings. Observers: the meetings list. Administrators: accounts.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from agenda.clock import to_local, utcnow
from agenda.meetings import agenda_items, meetings
from agenda.programme import postponements, programme
from agenda.todo import member_todo
from agenda.viewer import Viewer
from meeting_app.auth import page_user
from meeting_app.context import ctx
from meeting_app.pages.common import page

CLOSED_STATUSES = ("concluded", "withdrawn")
OTHER_HOMES = ("secretariat", "chair", "member", "assistant", "guest", "observer", "admin")
LIST_LIMIT = 50
NOT_READY_LIMIT = 15


def meeting_rows(session: Session, viewer: Viewer, *, upcoming_only: bool) -> list[dict[str, Any]]:
    found = meetings.list_meetings(session=session, viewer=viewer, upcoming_only=upcoming_only)
    if upcoming_only:
        found.sort(key=lambda m: m.starts_at)
    return [
        {"meeting": m, "count": len(agenda_items.agenda_ids(session, m.id or 0))} for m in found[:LIST_LIMIT]
    ]


def staff_home(session: Session, viewer: Viewer, request: Request) -> dict[str, Any]:
    policy = ctx(request).policy
    month = to_local(utcnow()).strftime("%Y-%m")
    due = programme.public_items(
        session=session, items=programme.list_items(session=session, month=month), policy=policy
    )
    everything = programme.public_items(
        session=session, items=programme.list_items(session=session), policy=policy
    )
    not_ready = [i for i in everything if i["status"] not in CLOSED_STATUSES and i["missing_documents"]]
    by_id = {i["id"]: i for i in everything}
    pending = [
        {"request": p, "item": by_id.get(p.programme_item_id)}
        for p in postponements.list_postponements(session=session, status="pending")
    ]
    return {
        "upcoming": meeting_rows(session, viewer, upcoming_only=True),
        "month": month,
        "due": due,
        "not_ready": not_ready[:NOT_READY_LIMIT],
        "not_ready_total": len(not_ready),
        "pending": pending,
    }


async def home(request: Request) -> Response:
    me = await page_user(request)
    viewer = me.viewer
    if viewer.has("agency") and not viewer.has(*OTHER_HOMES):
        return RedirectResponse("/agency", status_code=303)  # cán bộ đầu mối: the agency's home
    now = utcnow()

    def load(s: Session) -> dict[str, Any]:
        data: dict[str, Any] = {"staff": None, "mine": None, "todo": None}
        if viewer.is_staff:
            data["staff"] = staff_home(s, viewer, request)
        elif viewer.has("member", "assistant", "guest", "observer"):
            data["mine"] = meeting_rows(s, viewer, upcoming_only=False)
        if viewer.has("member", "assistant", "guest") and not viewer.has("secretariat"):
            data["todo"] = member_todo(session=s, viewer=viewer, now=now)
        return data

    data = await ctx(request).db.read(load)
    data["now"] = now
    return page(request, "home/index.html", data)


routes = [Route("/", home, methods=["GET"], name="home")]
