"""The signing forms: a PIN and a button on the minutes page (the minutes, the resolution), the
console after the adjournment (the resolution) and a closed ballot's page (its report). Without
JavaScript they post here (Post/Redirect/Get); static/js/sign-form.js sends the same PIN to the
API instead and shows the result in place. See docs/signatures.md.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import DomainError
from meeting_app.api.common import ident
from meeting_app.auth import form_user
from meeting_app.context import ctx
from meeting_app.files.signing import sign_record
from meeting_app.pages.common import done, failed, safe_next
from meeting_app.pages.minutes import minutes_context
from meeting_app.pages.opinion_polls import poll_context


async def _sign_meeting_record(request: Request, record: str) -> Response:
    me, form = await form_user(request)
    meeting_id = ident(request)
    back = safe_next(form.get("next"), f"/meetings/{meeting_id}/minutes")
    try:
        await sign_record(
            ctx(request), record=record, subject_id=meeting_id, viewer=me.viewer, pin=form.get("pin")
        )
    except DomainError as exc:
        context = await minutes_context(request, me, meeting_id)
        return failed(request, "minutes/view.html", context, exc)
    return done(f"{back}#signatures", "signed")


async def sign_minutes(request: Request) -> Response:
    return await _sign_meeting_record(request, "minutes")


async def sign_resolution(request: Request) -> Response:
    return await _sign_meeting_record(request, "resolution")


async def sign_poll_report(request: Request) -> Response:
    me, form = await form_user(request)
    poll_id = ident(request)
    try:
        await sign_record(
            ctx(request), record="poll_report", subject_id=poll_id, viewer=me.viewer, pin=form.get("pin")
        )
    except DomainError as exc:
        context = await poll_context(request, me, poll_id)
        return failed(request, "opinion_polls/poll.html", context, exc)
    return done(f"/opinion-polls/{poll_id}#report-signatures", "signed")


routes = [
    Route("/meetings/{id:int}/minutes/sign", sign_minutes, methods=["POST"]),
    Route("/meetings/{id:int}/resolution/sign", sign_resolution, methods=["POST"]),
    Route("/opinion-polls/{id:int}/report/sign", sign_poll_report, methods=["POST"]),
]
