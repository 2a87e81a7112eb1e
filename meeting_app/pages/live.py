"""The live session screens: the presiding console, the member's tablet and the room display.

Each page is a shell; static/js/live.js fills it from the live feed (../shared/API.md "Live feed") and
sends commands to the JSON API. The page hands its script the meeting id, the labels of the
codes the state carries and the messages in the viewer's language, all in data-* attributes
(the CSP forbids inline scripts). A viewer who may not see the meeting gets 404; one who may
see it but not this screen gets 403.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import Forbidden
from agenda.live.presiding import OUTCOMES
from agenda.meetings import meetings
from agenda.record import signatures
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.auth import Current, page_user
from meeting_app.context import ctx
from meeting_app.i18n import gettext
from meeting_app.labels import LABELS, label
from meeting_app.pages.common import page
from meeting_app.pages.meetings import people

CONSOLE_ROLES = ("chair", "secretariat")
DISPLAY_ROLES = ("observer", "chair", "secretariat")
# The states in which the meeting page links to the live screens.
LIVE_STATES = ("published", "in_progress", "adjourned")

OUTCOME_LABELS = LABELS["outcome"]
ATTENDANCE_LABELS = {
    "present": N_("Có mặt"),
    "remote": N_("Trực tuyến"),
    "absent": N_("Vắng"),
    "excused": N_("Vắng có phép"),
}
CHOICE_LABELS = {
    "yes": N_("Tán thành"),
    "no": N_("Không tán thành"),
    "abstain": N_("Không biểu quyết"),
}


def live_labels() -> dict[str, dict[str, str]]:
    """The labels of every code the live state carries, in the viewer's language."""
    assert set(OUTCOME_LABELS) == set(OUTCOMES)
    found = {
        group: {code: label(group, code) for code in LABELS[group]}
        for group in ("meeting_state", "agenda_state", "document_kind")
    }
    found["outcome"] = {code: gettext(text) for code, text in OUTCOME_LABELS.items()}
    found["attendance"] = {code: gettext(text) for code, text in ATTENDANCE_LABELS.items()}
    found["choice"] = {code: gettext(text) for code, text in CHOICE_LABELS.items()}
    return found


async def live_context(request: Request, roles: tuple[str, ...]) -> tuple[Current, dict[str, Any]]:
    """The meeting (404 when this viewer may not see it), then the role check (403)."""
    me = await page_user(request)
    meeting_id = ident(request)
    viewer = me.viewer

    def load(s: Session) -> dict[str, Any]:
        meeting = meetings.get_meeting(session=s, meeting_id=meeting_id, viewer=viewer)
        return {"meeting": meetings.public_meeting(meeting)}

    data = await ctx(request).db.read(load)
    if roles and not viewer.has(*roles):
        raise Forbidden()
    data["labels_json"] = json.dumps(live_labels(), ensure_ascii=False, sort_keys=True)
    data["outcomes"] = [(code, gettext(OUTCOME_LABELS[code])) for code in OUTCOMES]
    return me, data


async def console(request: Request) -> Response:
    me, data = await live_context(request, CONSOLE_ROLES)
    guests = await ctx(request).db.read(lambda s: people(s)["guests"])
    data["guests_json"] = json.dumps(
        [{"id": g.id, "full_name": g.full_name} for g in guests], ensure_ascii=False
    )
    data["start_tolerance"] = ctx(request).policy.start_tolerance_minutes
    meeting_id = ident(request)

    def signing(s: Session) -> dict[str, Any]:
        return {
            "offers_signature": signatures.offers_resolution(s, meeting_id, me.viewer),
            "resolution_signed": signatures.listing(s, "resolution", meeting_id),
        }

    data.update(await ctx(request).db.read(signing))
    return page(request, "live/console.html", data)


async def tablet(request: Request) -> Response:
    _me, data = await live_context(request, ())
    return page(request, "live/tablet.html", data)


async def display(request: Request) -> Response:
    _me, data = await live_context(request, DISPLAY_ROLES)
    return page(request, "live/display.html", data)


routes = [
    Route("/meetings/{id:int}/console", console, methods=["GET"], name="live_console"),
    Route("/meetings/{id:int}/tablet", tablet, methods=["GET"], name="live_tablet"),
    Route("/meetings/{id:int}/display", display, methods=["GET"], name="live_display"),
]
