"""Pre-session positions on the pages (docs/positions.md): a member's form post from the meeting
page, and the table of positions for the secretariat and the chair ("Ý kiến trước phiên họp").

The meeting page's per-item control posts here without JavaScript; static/js/positions.js
sends the same change through the JSON API and stays on the page.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import DomainError, Forbidden
from agenda.meetings import positions
from agenda.meetings.meetings import get_meeting, public_meeting
from agenda.meetings.positions import PositionSet
from agenda.people import members
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.auth import form_user, page_user
from meeting_app.context import ctx
from meeting_app.inputs import validate
from meeting_app.pages.common import done, failed, page, text
from meeting_app.pages.meetings import detail_context, template_for

FIELDS = {"position": N_("Ý kiến trước phiên họp"), "comment": N_("Ý kiến kèm theo")}


async def state_position(request: Request) -> Response:
    me, form = await form_user(request)
    meeting_id, agenda_item_id = ident(request), ident(request, "agenda_item_id")
    try:
        data = validate(
            PositionSet,
            {"position": text(form, "position", limit=40), "comment": text(form, "comment", limit=5000)},
        )
        await ctx(request).db.write(
            lambda s: positions.set_position(
                session=s, meeting_id=meeting_id, agenda_item_id=agenda_item_id, viewer=me.viewer, data=data
            )
        )
    except DomainError as exc:
        context = await detail_context(request, me, meeting_id)
        return failed(request, template_for(me), context, exc, FIELDS)
    return done(f"/meetings/{meeting_id}#item-{agenda_item_id}", "saved")


def _cells(table: dict[str, Any], chair_id: int | None) -> list[dict[str, Any]]:
    """The grid's rows: per member, per item, the position (or None) and whether it applies."""
    rows = []
    for member in table["members"]:
        cells = []
        for item in table["items"]:
            mine = next((p for p in item["positions"] if p["member_id"] == member["id"]), None)
            applies = (
                not item["restricted"]
                or member["id"] in item["restricted_member_ids"]
                or member["id"] == chair_id
            )
            cells.append({"item": item, "position": mine, "applies": applies})
        rows.append({"member": member, "cells": cells})
    return rows


async def table_page(request: Request) -> Response:
    me = await page_user(request)
    meeting_id = ident(request)
    viewer = me.viewer

    def load(s: Session) -> dict[str, Any]:
        meeting = get_meeting(session=s, meeting_id=meeting_id, viewer=viewer)
        if not viewer.is_staff:
            raise Forbidden()
        table = positions.position_table(session=s, meeting_id=meeting_id)
        chair = s.get(members.Member, meeting.chair_member_id) if meeting.chair_member_id else None
        return {
            "meeting": public_meeting(meeting),
            "chair": chair,
            "table": table,
            "rows": _cells(table, meeting.chair_member_id),
        }

    return page(request, "positions/table.html", await ctx(request).db.read(load))


routes = [
    Route("/meetings/{id:int}/positions", table_page, methods=["GET"], name="positions_table"),
    Route("/meetings/{id:int}/positions/{agenda_item_id:int}", state_position, methods=["POST"]),
]
