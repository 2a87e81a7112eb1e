"""A user's offline reading devices, and the order to wipe them (docs/offline.md "Remote wipe").

The administrator sees them on the account's page; the secretariat, who has no access to the
accounts, on `/admin/users/{id}/devices` (linked from the member's registry entry). The order is
a plain POST form with the CSRF token and a confirmation box (a dialog with JavaScript, the box
itself without), answered with a redirect and a flash message.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import NotFound, RuleBroken
from agenda.people import devices
from agenda.people.accounts import User
from agenda.policy import Policy
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.auth import form_user, page_user
from meeting_app.context import ctx
from meeting_app.pages.common import checked, done, failed, page

WIPERS = ("admin", "secretariat")
CONFIRM_REQUIRED = N_("Hãy đánh dấu ô xác nhận trước khi ra lệnh xóa dữ liệu trên thiết bị.")


def devices_of(session: Session, user_id: int, policy: Policy) -> dict[str, Any]:
    """The account and its most recent devices, for the page and the account form."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    found = devices.list_devices(session=session, user_id=user_id)
    return {
        "device_user": user,
        "devices": [devices.public_device(d) for d in found],
        "expiry_hours": policy.offline_expiry_hours,
    }


async def devices_page(request: Request) -> Response:
    await page_user(request, *WIPERS)
    user_id = ident(request)
    policy = ctx(request).policy
    context = await ctx(request).db.read(lambda s: devices_of(s, user_id, policy))
    return page(request, "admin/user_devices.html", context)


async def wipe(request: Request) -> Response:
    me, form = await form_user(request, *WIPERS)
    user_id = ident(request)
    app = ctx(request)

    def order(s: Session) -> int:
        if s.get(User, user_id) is None:
            raise NotFound()
        if not checked(form, "confirm"):
            raise RuleBroken(CONFIRM_REQUIRED, code="confirm_required")
        return devices.order_wipe(session=s, user_id=user_id, actor_id=me.viewer.user_id)

    try:
        count = await app.db.write(order)
    except RuleBroken as exc:
        context = await app.db.read(lambda s: devices_of(s, user_id, app.policy))
        return failed(request, "admin/user_devices.html", context, exc)
    return done(f"/admin/users/{user_id}/devices", "wipe_ordered", n=count)


routes = [
    Route("/admin/users/{id:int}/devices", devices_page, methods=["GET"]),
    Route("/admin/users/{id:int}/wipe", wipe, methods=["POST"]),
]
