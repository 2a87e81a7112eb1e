"""The agenda builder's forms: add a programme or procedural item, move, edit and remove items.

Every form works without JavaScript; static/js/agenda-builder.js adds drag-and-drop and
keyboard reordering on top through the JSON API. After publishing, each change needs a reason.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import DomainError, InvalidInput
from agenda.meetings import agenda_edits, agenda_items
from agenda.meetings.agenda_items import AgendaItemCreate, AgendaItemUpdate, AgendaOrder
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.auth import form_user
from meeting_app.context import ctx
from meeting_app.inputs import form_fields, validate
from meeting_app.pages.common import checked, done, ident_field, ident_list, optional, present
from meeting_app.pages.meetings import ITEM_FIELDS, STAFF, builder_failed


def item_fields(form: FormData) -> dict[str, Any]:
    data: dict[str, Any] = form_fields(form, ("minutes", "presenter", "reason"))
    data["consent"] = checked(form, "consent")
    data["restricted_member_ids"] = ident_list(form, "restricted")
    return data


async def add_item(request: Request) -> Response:
    """Add a programme item (name=programme_item_id) or a procedural item (name=title)."""
    me, form = await form_user(request, *STAFF)
    meeting_id = ident(request)
    policy = ctx(request).policy
    procedural = form.get("procedural") == "1"
    data = item_fields(form)
    if procedural:
        data.update(form_fields(form, ("title",)))
    else:
        data["programme_item_id"] = ident_field(form, "programme_item_id")
        data["override_readiness"] = checked(form, "override_readiness")
    try:
        if not procedural and data["programme_item_id"] is None:
            raise InvalidInput(
                N_("Hãy chọn một đề án để đưa vào chương trình."), code="programme_item_required"
            )
        if procedural and "title" not in data:
            raise InvalidInput(N_("Hãy nhập tên nội dung."), code="title_required")
        payload = validate(AgendaItemCreate, data)
        item = await ctx(request).db.write(
            lambda s: agenda_edits.add_item(
                session=s, meeting_id=meeting_id, data=payload, actor_id=me.viewer.user_id, policy=policy
            )
        )
    except DomainError as exc:
        return await builder_failed(
            request, me, meeting_id, exc, "procedural" if procedural else "add", form, ITEM_FIELDS
        )
    return done(f"/meetings/{meeting_id}#item-{item.id}", "added")


async def meeting_of(request: Request, agenda_item_id: int) -> int:
    """The meeting an agenda item belongs to (NotFound for an unknown item)."""
    item = await ctx(request).db.read(
        lambda s: agenda_items.get_agenda_item(session=s, agenda_item_id=agenda_item_id)
    )
    return item.meeting_id


def swapped(order: list[int], item_id: int, step: int) -> list[int]:
    """The order with `item_id` moved one place up (step -1) or down (+1); unchanged at an end."""
    at = order.index(item_id)
    to = at + step
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    return order


async def move(request: Request) -> Response:
    me, form = await form_user(request, *STAFF)
    agenda_item_id = ident(request)
    meeting_id = await meeting_of(request, agenda_item_id)
    step = {"up": -1, "down": 1}.get(str(form.get("direction")), 0)
    reason = optional(form, "reason")

    def run(s: Session) -> list[int]:
        order = swapped(agenda_items.agenda_ids(s, meeting_id), agenda_item_id, step)
        data = AgendaOrder(agenda_item_ids=order, reason=reason[:2000] if reason else None)
        return agenda_edits.reorder(session=s, meeting_id=meeting_id, data=data, actor_id=me.viewer.user_id)

    try:
        if step == 0:
            raise InvalidInput(N_("Hướng di chuyển không hợp lệ."), code="bad_direction")
        await ctx(request).db.write(run)
    except DomainError as exc:
        return await builder_failed(request, me, meeting_id, exc, f"move-{agenda_item_id}", form, ITEM_FIELDS)
    return done(f"/meetings/{meeting_id}#item-{agenda_item_id}", "moved")


async def edit_item(request: Request) -> Response:
    me, form = await form_user(request, *STAFF)
    agenda_item_id = ident(request)
    meeting_id = await meeting_of(request, agenda_item_id)
    data = {**item_fields(form), **present(form, ("minutes", "title", "presenter"))}
    try:
        payload = validate(AgendaItemUpdate, data)
        await ctx(request).db.write(
            lambda s: agenda_edits.update_item(
                session=s, agenda_item_id=agenda_item_id, data=payload, actor_id=me.viewer.user_id
            )
        )
    except DomainError as exc:
        return await builder_failed(request, me, meeting_id, exc, f"edit-{agenda_item_id}", form, ITEM_FIELDS)
    return done(f"/meetings/{meeting_id}#item-{agenda_item_id}", "saved")


async def remove_item(request: Request) -> Response:
    me, form = await form_user(request, *STAFF)
    agenda_item_id = ident(request)
    meeting_id = await meeting_of(request, agenda_item_id)
    reason = optional(form, "reason")
    policy = ctx(request).policy
    try:
        await ctx(request).db.write(
            lambda s: agenda_edits.remove_item(
                session=s,
                agenda_item_id=agenda_item_id,
                reason=reason[:2000] if reason else None,
                actor_id=me.viewer.user_id,
                policy=policy,
            )
        )
    except DomainError as exc:
        return await builder_failed(
            request, me, meeting_id, exc, f"remove-{agenda_item_id}", form, ITEM_FIELDS
        )
    return done(f"/meetings/{meeting_id}", "removed")


routes = [
    Route("/meetings/{id:int}/agenda-items", add_item, methods=["POST"]),
    Route("/agenda-items/{id:int}/move", move, methods=["POST"]),
    Route("/agenda-items/{id:int}/edit", edit_item, methods=["POST"]),
    Route("/agenda-items/{id:int}/remove", remove_item, methods=["POST"]),
]
