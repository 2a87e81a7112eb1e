"""Meetings and the agenda builder (../shared/API.md "Meetings and agenda")."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import InvalidInput, NotFound
from agenda.meetings import agenda_edits, agenda_items, meetings, publishing
from agenda.meetings.agenda_cache import AgendaCache
from agenda.meetings.agenda_items import AgendaItemCreate, AgendaItemUpdate, AgendaOrder
from agenda.meetings.meetings import MeetingCreate, MeetingUpdate
from agenda.policy import Policy
from agenda.text import N_
from agenda.viewer import Viewer
from meeting_app.api.common import ident, listing, reply
from meeting_app.api.schemas import AgendaEntryPublic, MeetingDetail, MeetingList
from meeting_app.api.spec import operation
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.i18n import translate
from meeting_app.inputs import read_json
from meeting_app.labels import readable

STAFF = ("secretariat",)


def meeting_detail(
    session: Session, meeting_id: int, viewer: Viewer, policy: Policy, cache: AgendaCache | None = None
) -> dict[str, Any]:
    """The meeting with its agenda as `viewer` may see it; staff also get people and warnings."""
    if cache is not None:
        data = cache.get(session=session, meeting_id=meeting_id)
    else:
        data = agenda_items.load_agenda(session=session, meeting_id=meeting_id)
    meeting = data.meeting
    if not meetings.can_see(viewer, meeting, data.invitees, data.guests):
        raise NotFound()
    detail = meetings.public_meeting(meeting)
    agenda = agenda_items.present_agenda(data, viewer, policy)
    detail["agenda"] = agenda
    if viewer.is_staff:
        detail["invitee_member_ids"] = sorted(data.invitees)
        detail["guest_user_ids"] = sorted(data.guests)
        detail["total_minutes"] = sum(int(i.get("minutes", 0)) for i in agenda)
        detail["warnings"] = [
            {
                "code": w["code"],
                "message": translate(w["message"], readable(w["params"])),
                **({"agenda_item_id": w["agenda_item_id"]} if "agenda_item_id" in w else {}),
            }
            for w in agenda_items.warnings(agenda, meeting)
        ]
    return detail


async def _detail(request: Request, meeting_id: int, viewer: Viewer) -> dict[str, Any]:
    app = ctx(request)
    return await app.db.read(lambda s: meeting_detail(s, meeting_id, viewer, app.policy, app.agenda_cache))


@operation("The meetings this user may see", who="user", responses={200: MeetingList})
async def list_meetings(request: Request) -> Response:
    me = await api_user(request)
    found = await ctx(request).db.read(lambda s: meetings.list_meetings(session=s, viewer=me.viewer))
    return listing([meetings.public_meeting(m) for m in found])


def require_offset(data: MeetingCreate | MeetingUpdate) -> None:
    """../shared/API.md: times carry an offset. (Page forms send local time without one; the domain
    reads a naive time as Vietnamese time, but over the API it is ambiguous, so refused.)"""
    if data.starts_at is not None and data.starts_at.tzinfo is None:
        raise InvalidInput(
            N_("Dữ liệu không hợp lệ ở các trường: {names}."),
            code="invalid_fields",
            names="starts_at",
            fields=[{"field": "starts_at", "problem": "timezone_aware"}],
        )


@operation(
    "Create a meeting (invitees default to all voting members)",
    who="secretariat",
    body=MeetingCreate,
    responses={201: MeetingDetail},
)
async def create_meeting(request: Request) -> Response:
    me = await api_user(request, *STAFF)
    data = await read_json(request, MeetingCreate)
    require_offset(data)
    meeting = await ctx(request).db.write(
        lambda s: meetings.create_meeting(session=s, data=data, actor_id=me.viewer.user_id)
    )
    assert meeting.id is not None
    return reply(await _detail(request, meeting.id, me.viewer), 201)


@operation(
    "A meeting with its agenda as this viewer may see it",
    who="invited users, secretariat, chair",
    responses={200: MeetingDetail},
)
async def get_meeting(request: Request) -> Response:
    me = await api_user(request)
    return reply(await _detail(request, ident(request), me.viewer))


@operation(
    "Change a meeting; after publishing give a reason",
    who="secretariat",
    body=MeetingUpdate,
    responses={200: MeetingDetail},
)
async def update_meeting(request: Request) -> Response:
    me = await api_user(request, *STAFF)
    meeting_id = ident(request)
    data = await read_json(request, MeetingUpdate)
    require_offset(data)
    await ctx(request).db.write(
        lambda s: meetings.update_meeting(
            session=s, meeting_id=meeting_id, data=data, actor_id=me.viewer.user_id
        )
    )
    return reply(await _detail(request, meeting_id, me.viewer))


@operation("Publish the agenda", who="secretariat", responses={200: MeetingDetail})
async def publish(request: Request) -> Response:
    me = await api_user(request, *STAFF)
    meeting_id = ident(request)
    await ctx(request).db.write(
        lambda s: publishing.publish(session=s, meeting_id=meeting_id, actor_id=me.viewer.user_id)
    )
    return reply(await _detail(request, meeting_id, me.viewer))


def _item_of(detail: dict[str, Any], agenda_item_id: int) -> dict[str, Any]:
    return next(i for i in detail["agenda"] if i["id"] == agenda_item_id)


@operation(
    "Add an agenda item; a not-ready programme item needs override_readiness",
    who="secretariat",
    body=AgendaItemCreate,
    responses={201: AgendaEntryPublic},
)
async def add_agenda_item(request: Request) -> Response:
    me = await api_user(request, *STAFF)
    meeting_id = ident(request)
    data = await read_json(request, AgendaItemCreate)
    policy = ctx(request).policy
    item = await ctx(request).db.write(
        lambda s: agenda_edits.add_item(
            session=s, meeting_id=meeting_id, data=data, actor_id=me.viewer.user_id, policy=policy
        )
    )
    assert item.id is not None
    return reply(_item_of(await _detail(request, meeting_id, me.viewer), item.id), 201)


@operation(
    "One agenda item (a placeholder if restricted)", who="invited users", responses={200: AgendaEntryPublic}
)
async def get_agenda_item(request: Request) -> Response:
    me = await api_user(request)
    agenda_item_id = ident(request)
    # The meeting's visibility decides 404; inside a visible meeting, a restricted item outside
    # the viewer's audience is the placeholder of ../shared/API.md, exactly as in the meeting's agenda.
    item = await ctx(request).db.read(
        lambda s: agenda_items.get_agenda_item(session=s, agenda_item_id=agenda_item_id)
    )
    return reply(_item_of(await _detail(request, item.meeting_id, me.viewer), agenda_item_id))


@operation(
    "Edit an agenda item", who="secretariat", body=AgendaItemUpdate, responses={200: AgendaEntryPublic}
)
async def update_agenda_item(request: Request) -> Response:
    me = await api_user(request, *STAFF)
    agenda_item_id = ident(request)
    data = await read_json(request, AgendaItemUpdate)
    item = await ctx(request).db.write(
        lambda s: agenda_edits.update_item(
            session=s, agenda_item_id=agenda_item_id, data=data, actor_id=me.viewer.user_id
        )
    )
    return reply(_item_of(await _detail(request, item.meeting_id, me.viewer), agenda_item_id))


@operation(
    "Remove an agenda item; ?reason= after publishing",
    who="secretariat",
    query={"reason": str},
    responses={204: None},
)
async def remove_agenda_item(request: Request) -> Response:
    me = await api_user(request, *STAFF)
    agenda_item_id = ident(request)
    reason = request.query_params.get("reason")
    policy = ctx(request).policy
    await ctx(request).db.write(
        lambda s: agenda_edits.remove_item(
            session=s, agenda_item_id=agenda_item_id, reason=reason, actor_id=me.viewer.user_id, policy=policy
        )
    )
    return Response(status_code=204)


@operation(
    "Reorder the agenda (a permutation)", who="secretariat", body=AgendaOrder, responses={200: MeetingDetail}
)
async def reorder(request: Request) -> Response:
    me = await api_user(request, *STAFF)
    meeting_id = ident(request)
    data = await read_json(request, AgendaOrder)
    await ctx(request).db.write(
        lambda s: agenda_edits.reorder(
            session=s, meeting_id=meeting_id, data=data, actor_id=me.viewer.user_id
        )
    )
    return reply(await _detail(request, meeting_id, me.viewer))


routes = [
    Route("/api/v1/meetings", list_meetings, methods=["GET"]),
    Route("/api/v1/meetings", create_meeting, methods=["POST"]),
    Route("/api/v1/meetings/{id:int}", get_meeting, methods=["GET"]),
    Route("/api/v1/meetings/{id:int}", update_meeting, methods=["PATCH"]),
    Route("/api/v1/meetings/{id:int}/publish", publish, methods=["POST"]),
    Route("/api/v1/meetings/{id:int}/agenda-items", add_agenda_item, methods=["POST"]),
    Route("/api/v1/meetings/{id:int}/agenda-order", reorder, methods=["PUT"]),
    Route("/api/v1/agenda-items/{id:int}", get_agenda_item, methods=["GET"]),
    Route("/api/v1/agenda-items/{id:int}", update_agenda_item, methods=["PATCH"]),
    Route("/api/v1/agenda-items/{id:int}", remove_agenda_item, methods=["DELETE"]),
]
