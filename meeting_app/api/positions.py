"""Pre-session positions over HTTP (../shared/API.md "Opinion ballots and record"; docs/positions.md).

A member states their own position on an item; the secretariat and the chair read the table.
An objection that takes an item out of the consent block reaches the screens as `consent.left`.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import Forbidden
from agenda.meetings import positions
from agenda.meetings.agenda_items import AgendaItem
from agenda.meetings.positions import PositionSet
from meeting_app.api.common import ident, reply
from meeting_app.api.schemas import Positions, PositionStated
from meeting_app.api.spec import operation
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.inputs import read_json


@operation(
    "State a pre-session position on an item (before the session starts)",
    description="An objection takes the item out of the consent block.",
    who="member (self)",
    body=PositionSet,
    responses={200: PositionStated},
)
async def set_position(request: Request) -> Response:
    me = await api_user(request)
    meeting_id, agenda_item_id = ident(request), ident(request, "agenda_item_id")
    if not me.viewer.has("member"):
        # Before reading the body: a wrong role learns nothing from validation errors.
        raise Forbidden()
    data = await read_json(request, PositionSet)

    def write(s: Session) -> dict[str, Any]:
        row = positions.set_position(
            session=s, meeting_id=meeting_id, agenda_item_id=agenda_item_id, viewer=me.viewer, data=data
        )
        item = s.get(AgendaItem, agenda_item_id)
        return {**positions.public_position(row), "consent": bool(item and item.consent)}

    return reply(await ctx(request).db.write(write))


@operation(
    "The table of pre-session positions (staff), or the caller's own positions (member)",
    who="secretariat, chair; member (own)",
    responses={200: Positions},
)
async def read_positions(request: Request) -> Response:
    me = await api_user(request)
    meeting_id = ident(request)
    found = await ctx(request).db.read(
        lambda s: positions.read_positions(session=s, meeting_id=meeting_id, viewer=me.viewer)
    )
    return reply(found)


routes = [
    Route("/api/v1/meetings/{id:int}/positions", read_positions, methods=["GET"]),
    Route("/api/v1/meetings/{id:int}/positions/{agenda_item_id:int}", set_position, methods=["PUT"]),
]
