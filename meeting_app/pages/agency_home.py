"""The agency user's home (/agency, cán bộ đầu mối) and the "nộp hồ sơ" form. See
docs/task-screens.md.

/agency shows the agency's programme items with their submission deadline (the policy's day of
the month before the planned month), dossier completeness and whether (and how late) the dossier
was submitted, with a submit button; then its tasks grouped by the four official states. Each
item links to its page (meeting_app/pages/programme.py), where the agency's users upload its
dossier and ask to postpone it.

POST /programme/{id}/submit submits an item's dossier (agenda/programme/submission.py) for the
item's agency users and the secretariat.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.agencies.registry import Agency
from agenda.errors import DomainError
from agenda.meetings import agenda_items
from agenda.programme import programme
from agenda.programme.programme import ProgrammeItem
from agenda.programme.submission import submit_dossier
from agenda.tasks import views
from agenda.tasks.states import OFFICIAL_STATES
from agenda.tasks.views import TaskFilter
from meeting_app.api.common import ident
from meeting_app.auth import Current, form_user, page_user
from meeting_app.context import ctx
from meeting_app.pages.common import done, failed, page, text
from meeting_app.pages.programme import check_item_access, detail_failed, submittable

AGENCY = ("agency",)
CLOSED = ("concluded", "withdrawn")
TASK_LIMIT = 500


async def agency_context(request: Request, me: Current) -> dict[str, Any]:
    policy = ctx(request).policy
    agency_id = me.viewer.agency_id

    def load(s: Session) -> dict[str, Any]:
        agency = s.get(Agency, agency_id) if agency_id is not None else None
        if agency is None:
            return {"agency": None, "items": [], "closed_items": [], "groups": [], "cancelled": 0}
        found = s.exec(
            select(ProgrammeItem)
            .where(ProgrammeItem.lead_agency_id == agency_id)
            .order_by(col(ProgrammeItem.planned_month), col(ProgrammeItem.code))
        ).all()
        hidden = agenda_items.hidden_programme_ids(session=s, viewer=me.viewer)
        items = programme.public_items(
            session=s, items=[i for i in found if i.id not in hidden], policy=policy
        )
        for item in items:
            item["can_submit"] = submittable(item)
        tasks, _ = views.list_tasks(
            session=s, viewer=me.viewer, f=TaskFilter(agency_id=agency_id), limit=TASK_LIMIT
        )
        shown = views.public_tasks(s, tasks)
        groups = [{"state": st, "tasks": [t for t in shown if t["state"] == st]} for st in OFFICIAL_STATES]
        return {
            "agency": agency,
            "items": [i for i in items if i["status"] not in CLOSED],
            "closed_items": [i for i in items if i["status"] in CLOSED],
            "groups": groups,
            "cancelled": sum(1 for t in shown if t["state"] == "cancelled"),
        }

    return await ctx(request).db.read(load)


async def agency_home(request: Request) -> Response:
    me = await page_user(request, *AGENCY)
    return page(request, "agency/home.html", await agency_context(request, me))


async def submit(request: Request) -> Response:
    me, form = await form_user(request, "secretariat", "agency")
    item_id = ident(request)
    policy = ctx(request).policy
    await ctx(request).db.read(lambda s: check_item_access(s, me.viewer, item_id, ("secretariat",)))
    from_home = text(form, "back", limit=10) == "agency"
    try:
        await ctx(request).db.write(
            lambda s: submit_dossier(session=s, item_id=item_id, actor_id=me.viewer.user_id, policy=policy)
        )
    except DomainError as exc:
        if from_home:
            return failed(request, "agency/home.html", await agency_context(request, me), exc)
        return await detail_failed(request, me, item_id, exc, "submit", {})
    return done("/agency" if from_home else f"/programme/{item_id}", "submitted")


routes = [
    Route("/agency", agency_home, methods=["GET"], name="agency_home"),
    Route("/programme/{id:int}/submit", submit, methods=["POST"]),
]
