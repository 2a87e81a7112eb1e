"""Meeting pages: the list, a new meeting, the meeting's page (the agenda builder for the secretariat,
a read-only builder for the chair, the published agenda for everyone else), edit and publish.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import DomainError
from agenda.meetings import meetings, positions, publishing
from agenda.meetings.meetings import EDITABLE_STATES, MEETING_KINDS, MeetingCreate, MeetingUpdate
from agenda.meetings.reading import reading_matrix
from agenda.papers import copies
from agenda.people import members
from agenda.people.accounts import User
from agenda.programme import programme
from agenda.programme.programme import SCHEDULABLE
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.api.meetings import meeting_detail
from meeting_app.auth import Current, form_user, page_user
from meeting_app.context import ctx
from meeting_app.inputs import form_fields, validate
from meeting_app.pages.common import done, failed, ident_field, ident_list, page, present, values_of
from meeting_app.pages.home import meeting_rows

STAFF = ("secretariat",)
FIELDS = {
    "title": N_("Tên phiên họp"),
    "kind": N_("Loại phiên họp"),
    "starts_at": N_("Thời gian bắt đầu"),
    "duration_minutes": N_("Thời lượng (phút)"),
    "place": N_("Địa điểm"),
    "chair_member_id": N_("Chủ tọa"),
    "invitee_member_ids": N_("Thành phần mời"),
    "guest_user_ids": N_("Khách mời"),
    "reason": N_("Lý do thay đổi"),
}
ITEM_FIELDS = {
    "title": N_("Tên nội dung"),
    "programme_item_id": N_("Đề án"),
    "minutes": N_("Thời gian (phút)"),
    "presenter": N_("Người trình bày"),
    "restricted_member_ids": N_("Thành phần được xem"),
    "reason": N_("Lý do thay đổi"),
}


def people(s: Session) -> dict[str, Any]:
    """Members for the chair, invitee and audience choices; guest accounts for the guest list."""
    guests = [
        u
        for u in s.exec(select(User).where(User.active == True).order_by(col(User.full_name))).all()  # noqa: E712
        if "guest" in u.roles
    ]
    return {"members": members.list_members(session=s), "guests": guests}


async def list_page(request: Request) -> Response:
    me = await page_user(request)
    rows = await ctx(request).db.read(lambda s: meeting_rows(s, me.viewer, upcoming_only=False))
    return page(request, "meetings/list.html", {"rows": rows, "can_write": me.viewer.has(*STAFF)})


def meeting_data(form: FormData, *, edit: bool = False) -> dict[str, Any]:
    names = ("title", "kind", "starts_at", "duration_minutes", "place")
    data: dict[str, Any] = present(form, names) if edit else form_fields(form, names)
    data["chair_member_id"] = ident_field(form, "chair_member_id")
    data["invitee_member_ids"] = ident_list(form, "invitees")
    data["guest_user_ids"] = ident_list(form, "guests")
    return data


async def new_page(request: Request) -> Response:
    await page_user(request, *STAFF)
    found = await ctx(request).db.read(people)
    values = {"invitees": [str(m.id) for m in found["members"] if m.votes], "kind": "regular"}
    return page(request, "meetings/new.html", {**found, "kinds": MEETING_KINDS, "values": values})


async def create(request: Request) -> Response:
    me, form = await form_user(request, *STAFF)
    try:
        data = validate(MeetingCreate, meeting_data(form))
        meeting = await ctx(request).db.write(
            lambda s: meetings.create_meeting(session=s, data=data, actor_id=me.viewer.user_id)
        )
    except DomainError as exc:
        found = await ctx(request).db.read(people)
        context = {**found, "kinds": MEETING_KINDS, "values": values_of(form)}
        return failed(request, "meetings/new.html", context, exc, FIELDS)
    return done(f"/meetings/{meeting.id}", "created")


async def detail_context(request: Request, me: Current, meeting_id: int) -> dict[str, Any]:
    app = ctx(request)
    viewer = me.viewer

    def load(s: Session) -> dict[str, Any]:
        detail = meeting_detail(s, meeting_id, viewer, app.policy, app.agenda_cache)
        chair_id = detail["chair_member_id"]
        if viewer.is_staff:
            data: dict[str, Any] = {"meeting": detail, **people(s)}
        else:  # readers need only the chair's name
            chair = s.get(members.Member, chair_id) if chair_id else None
            data = {"meeting": detail, "members": [chair] if chair else [], "guests": []}
            if viewer.has("member") and viewer.member_id is not None:  # pre-session positions
                mine = positions.own_positions(session=s, meeting_id=meeting_id, viewer=viewer)
                data["my_positions"] = {p["agenda_item_id"]: p for p in mine}
        shown = [d["id"] for i in detail["agenda"] for d in i.get("documents", [])]
        data["version_news"] = copies.version_news(session=s, user_id=viewer.user_id, document_ids=shown)
        if viewer.is_staff:
            on_agenda = {i.get("programme_item_id") for i in detail["agenda"]}
            candidates = [
                i
                for i in programme.list_items(session=s)
                if i.status in SCHEDULABLE and i.id not in on_agenda
            ]
            data["candidates"] = programme.public_items(session=s, items=candidates, policy=app.policy)
            data["reading"] = reading_matrix(session=s, meeting_id=meeting_id, policy=app.policy)
        return data

    data = await app.db.read(load)
    detail = data["meeting"]
    by_id = {m.id: m for m in data["members"]}
    data["chair"] = by_id.get(detail["chair_member_id"])
    data["editable"] = viewer.has(*STAFF) and detail["state"] in EDITABLE_STATES
    data["published"] = detail["state"] != "draft"
    data["positions_open"] = "my_positions" in data and detail["state"] == "published"
    data["kinds"] = MEETING_KINDS
    data["forms"] = {}
    if viewer.is_staff:
        data["invitees"] = [by_id[i] for i in detail["invitee_member_ids"] if i in by_id]
        data["meeting_values"] = {
            "title": detail["title"],
            "kind": detail["kind"],
            "starts_at": (detail["starts_at"] or "")[:16],
            "duration_minutes": str(detail["duration_minutes"]),
            "place": detail["place"],
            "chair_member_id": str(detail["chair_member_id"] or ""),
            "invitees": [str(i) for i in detail["invitee_member_ids"]],
            "guests": [str(i) for i in detail["guest_user_ids"]],
        }
    return data


def template_for(me: Current) -> str:
    return "meetings/builder.html" if me.viewer.is_staff else "meetings/view.html"


async def detail(request: Request) -> Response:
    me = await page_user(request)
    return page(request, template_for(me), await detail_context(request, me, ident(request)))


async def builder_failed(
    request: Request,
    me: Current,
    meeting_id: int,
    exc: DomainError,
    form_name: str,
    form: FormData,
    fields: dict[str, str] | None = None,
) -> Response:
    """Re-render the builder with the error and what the user typed in the form that failed."""
    context = await detail_context(request, me, meeting_id)
    context["forms"] = {form_name: values_of(form)}
    return failed(request, template_for(me), context, exc, fields or FIELDS)


async def edit(request: Request) -> Response:
    me, form = await form_user(request, *STAFF)
    meeting_id = ident(request)
    try:
        data = validate(MeetingUpdate, {**meeting_data(form, edit=True), **form_fields(form, ("reason",))})
        await ctx(request).db.write(
            lambda s: meetings.update_meeting(
                session=s, meeting_id=meeting_id, data=data, actor_id=me.viewer.user_id
            )
        )
    except DomainError as exc:
        return await builder_failed(request, me, meeting_id, exc, "meeting", form)
    return done(f"/meetings/{meeting_id}", "saved")


async def publish(request: Request) -> Response:
    me, form = await form_user(request, *STAFF)
    meeting_id = ident(request)
    try:
        await ctx(request).db.write(
            lambda s: publishing.publish(session=s, meeting_id=meeting_id, actor_id=me.viewer.user_id)
        )
    except DomainError as exc:
        return await builder_failed(request, me, meeting_id, exc, "publish", form)
    return done(f"/meetings/{meeting_id}", "published")


routes = [
    Route("/meetings", list_page, methods=["GET"], name="meetings"),
    Route("/meetings/new", new_page, methods=["GET"]),
    Route("/meetings/new", create, methods=["POST"]),
    Route("/meetings/{id:int}", detail, methods=["GET"], name="meeting"),
    Route("/meetings/{id:int}/edit", edit, methods=["POST"]),
    Route("/meetings/{id:int}/publish", publish, methods=["POST"]),
]
