"""The work programme pages: the filtered list, a new item, an item's page with edit and status forms."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.access.papers import can_view_programme_papers
from agenda.errors import DomainError, NotFound
from agenda.meetings import agenda_items
from agenda.papers.documents import dossier
from agenda.people.accounts import User
from agenda.policy import PROGRAMME_KINDS
from agenda.programme import postponements, programme
from agenda.programme.programme import MANUAL_TRANSITIONS, STATUSES, ProgrammeItemCreate, ProgrammeItemUpdate
from agenda.programme.submission import SUBMITTABLE
from agenda.text import N_
from agenda.viewer import Viewer
from meeting_app.api.common import ident
from meeting_app.auth import Current, form_user, page_user
from meeting_app.context import ctx
from meeting_app.inputs import form_fields, validate
from meeting_app.pages.common import done, failed, page, present, text, values_of

READERS = ("secretariat", "chair", "member")
WRITERS = ("secretariat",)
# An item's page also opens to its lead agency's users (cán bộ đầu mối): they upload its dossier,
# submit it and ask to postpone it (docs/task-screens.md).
AGENCY = "agency"
FILTERS = ("month", "agency", "kind", "status", "q")
FIELDS = {
    "code": N_("Mã đề án"),
    "title": N_("Tên đề án"),
    "kind": N_("Loại đề án"),
    "lead_agency": N_("Cơ quan chủ trì"),
    "planned_month": N_("Tháng dự kiến trình"),
    "status": N_("Trạng thái"),
    "reason": N_("Lý do"),
    "to_month": N_("Lùi đến tháng"),
    "note": N_("Ghi chú"),
}
EDIT_FIELDS = ("title", "kind", "lead_agency", "planned_month")


def list_filters(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").replace("\x00", "").strip()[:300] for name in FILTERS}


async def list_page(request: Request) -> Response:
    me = await page_user(request, *READERS)
    filters = list_filters(request)
    policy = ctx(request).policy

    def load(s: Session) -> dict[str, Any]:
        found = programme.list_items(
            session=s,
            month=filters["month"] or None,
            agency=filters["agency"] or None,
            kind=filters["kind"] or None,
            status=filters["status"] or None,
            q=filters["q"] or None,
        )
        hidden = agenda_items.hidden_programme_ids(session=s, viewer=me.viewer)
        found = [i for i in found if i.id not in hidden]
        return {
            "items": programme.public_items(session=s, items=found, policy=policy),
            "agencies": programme.agencies(session=s),
        }

    data = await ctx(request).db.read(load)
    return page(
        request,
        "programme/list.html",
        {
            **data,
            "filters": filters,
            "kinds": PROGRAMME_KINDS,
            "statuses": STATUSES,
            "can_write": me.viewer.has(*WRITERS),
        },
    )


async def form_context(request: Request) -> dict[str, Any]:
    agencies = await ctx(request).db.read(lambda s: programme.agencies(session=s))
    return {"kinds": PROGRAMME_KINDS, "agencies": agencies}


async def new_page(request: Request) -> Response:
    await page_user(request, *WRITERS)
    return page(request, "programme/new.html", {**await form_context(request), "values": {}})


async def create(request: Request) -> Response:
    me, form = await form_user(request, *WRITERS)
    try:
        data = validate(ProgrammeItemCreate, form_fields(form, tuple(ProgrammeItemCreate.model_fields)))
        item = await ctx(request).db.write(
            lambda s: programme.create_item(session=s, data=data, actor_id=me.viewer.user_id)
        )
    except DomainError as exc:
        context = {**await form_context(request), "values": values_of(form)}
        return failed(request, "programme/new.html", context, exc, FIELDS)
    return done(f"/programme/{item.id}", "created")


def agency_owns(session: Session, viewer: Viewer, item_id: int) -> bool:
    """`viewer` is a user of the item's lead agency (and the item is not hidden from them)."""
    if not viewer.has(AGENCY) or viewer.agency_id is None:
        return False
    item = session.get(programme.ProgrammeItem, item_id)
    if item is None or item.lead_agency_id != viewer.agency_id:
        return False
    return item_id not in agenda_items.hidden_programme_ids(session=session, viewer=viewer)


def check_item_access(session: Session, viewer: Viewer, item_id: int, roles: tuple[str, ...]) -> None:
    """404 unless `viewer` has one of `roles` or works for the item's lead agency."""
    if not viewer.has(*roles) and not agency_owns(session, viewer, item_id):
        raise NotFound()


async def detail_context(request: Request, me: Current, item_id: int) -> dict[str, Any]:
    policy = ctx(request).policy

    def load(s: Session) -> dict[str, Any]:
        if item_id in agenda_items.hidden_programme_ids(session=s, viewer=me.viewer):
            raise NotFound()
        owner = agency_owns(s, me.viewer, item_id)
        if not me.viewer.has(*READERS) and not owner:
            raise NotFound()
        item = programme.get_item(session=s, item_id=item_id)
        requests = postponements.list_postponements(session=s, item_id=item_id)
        people = {r.requested_by for r in requests} | {r.decided_by for r in requests}
        names = {u.id: u.full_name for u in s.exec(select(User).where(col(User.id).in_(people - {None})))}
        return {
            "item": programme.public_items(session=s, items=[item], policy=policy)[0],
            "postponements": requests,
            "names": names,
            "documents": dossier(session=s, programme_item_id=item_id),
            "papers_visible": can_view_programme_papers(
                session=s, viewer=me.viewer, programme_item_id=item_id
            ),
            "agencies": programme.agencies(session=s),
            "owner": owner,
        }

    data = await ctx(request).db.read(load)
    item = data["item"]
    owner = data["owner"]
    return {
        **data,
        "required": policy.required_documents(item["kind"]),
        "next_statuses": MANUAL_TRANSITIONS.get(item["status"], ()),
        "kinds": PROGRAMME_KINDS,
        "can_write": me.viewer.has(*WRITERS),
        "can_request": me.viewer.has("secretariat", "member") or owner,
        "can_upload": me.viewer.has(*WRITERS) or owner,
        "can_submit": (me.viewer.has(*WRITERS) or owner) and submittable(item),
        "max_upload_mb": ctx(request).settings.max_upload_mb,
        "forms": {},
    }


def submittable(item: dict[str, Any]) -> bool:
    """The dossier can be submitted (nộp hồ sơ): agenda/programme/submission.py's rule."""
    if item["status"] not in SUBMITTABLE:
        return False
    return not (item["submitted_at"] and item["status"] in ("submitted", "ready"))


async def detail(request: Request) -> Response:
    me = await page_user(request, *READERS, AGENCY)
    return page(request, "programme/detail.html", await detail_context(request, me, ident(request)))


async def detail_failed(
    request: Request, me: Current, item_id: int, exc: DomainError, form_name: str, values: dict[str, Any]
) -> Response:
    context = await detail_context(request, me, item_id)
    context["forms"] = {form_name: values}
    return failed(request, "programme/detail.html", context, exc, FIELDS)


async def edit(request: Request) -> Response:
    me, form = await form_user(request, *WRITERS)
    item_id = ident(request)
    policy = ctx(request).policy
    try:
        data = validate(ProgrammeItemUpdate, present(form, EDIT_FIELDS))
        await ctx(request).db.write(
            lambda s: programme.update_item(
                session=s, item_id=item_id, data=data, actor_id=me.viewer.user_id, policy=policy
            )
        )
    except DomainError as exc:
        return await detail_failed(request, me, item_id, exc, "edit", values_of(form))
    return done(f"/programme/{item_id}", "saved")


async def change_status(request: Request) -> Response:
    me, form = await form_user(request, *WRITERS)
    item_id = ident(request)
    policy = ctx(request).policy
    try:
        data = validate(
            ProgrammeItemUpdate,
            {"status": text(form, "status", limit=32), "reason": text(form, "reason") or None},
        )
        await ctx(request).db.write(
            lambda s: programme.update_item(
                session=s, item_id=item_id, data=data, actor_id=me.viewer.user_id, policy=policy
            )
        )
    except DomainError as exc:
        return await detail_failed(request, me, item_id, exc, "status", values_of(form))
    return done(f"/programme/{item_id}", "status")


routes = [
    Route("/programme", list_page, methods=["GET"], name="programme_list"),
    Route("/programme/new", new_page, methods=["GET"]),
    Route("/programme/new", create, methods=["POST"]),
    Route("/programme/{id:int}", detail, methods=["GET"], name="programme_item"),
    Route("/programme/{id:int}/edit", edit, methods=["POST"]),
    Route("/programme/{id:int}/status", change_status, methods=["POST"]),
]
