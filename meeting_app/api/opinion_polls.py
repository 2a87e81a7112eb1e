"""Opinion ballots over HTTP (../shared/API.md "Opinion ballots and record"), and the bell's notifications.
See docs/opinion-polls.md.
"""

from __future__ import annotations

import asyncio
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.clock import iso
from agenda.errors import Unavailable
from agenda.people import notifications
from agenda.polls import opinion_polls, poll_lifecycle, poll_report, poll_views
from agenda.polls.opinion_polls import PollAnswer, PollCreate
from agenda.programme.programme import ProgrammeItem
from agenda.viewer import Viewer
from meeting_app.api.common import ident, reply
from meeting_app.api.live_schemas import Bell, PollList, PollView
from meeting_app.api.spec import PDF, operation
from meeting_app.auth import api_user
from meeting_app.context import AppContext, ctx
from meeting_app.files.downloads import content_disposition
from meeting_app.files.pdf_pool import WorkerDied
from meeting_app.files.signing import signed_file
from meeting_app.i18n import translate
from meeting_app.inputs import read_json

STAFF = ("secretariat",)
REPORT_ROLES = ("secretariat", "chair")
READERS = ("secretariat", "chair", "member", "assistant")
REPORT_TIMEOUT = 60.0
PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


async def _view(app: AppContext, poll_id: int, viewer: Viewer, status: int = 200) -> Response:
    def load(s: Session) -> dict[str, Any]:
        poll = opinion_polls.get_poll(session=s, poll_id=poll_id, viewer=viewer)
        return poll_views.poll_view(s, poll, viewer, app.policy)

    return reply(await app.db.read(load), status)


def inbox(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    """The viewer's ballots with what a list needs: the item, the counts, their own answer."""
    found = []
    for poll in opinion_polls.list_polls(session=session, viewer=viewer):
        row = poll_views.public_poll(poll, session.get(ProgrammeItem, poll.programme_item_id))
        if viewer.member_id is not None and viewer.has("member", "assistant"):
            mine = opinion_polls.response_of(session, poll.id or 0, viewer.member_id)
            row["my_position"] = mine.position if mine else None
        found.append(row)
    return found


@operation(
    "Opinion ballots: all (staff), or those sent to the caller's member (members, assistants)",
    who="secretariat, chair, member, assistant",
    responses={200: PollList},
)
async def list_polls(request: Request) -> Response:
    me = await api_user(request, *READERS)
    items = await ctx(request).db.read(lambda s: inbox(s, me.viewer))
    return reply({"items": items})


@operation(
    "One opinion ballot",
    description="`responded`/`total`; `result` after the deadline or close; the caller's own answer; "
    "the board (staff).",
    who="secretariat, chair, members and assistants it was sent to",
    responses={200: PollView},
)
async def get_poll(request: Request) -> Response:
    me = await api_user(request, *READERS)
    return await _view(ctx(request), ident(request), me.viewer)


@operation(
    "Create an opinion ballot on a programme item (draft); its papers are the item's dossier",
    who="secretariat",
    body=PollCreate,
    responses={201: PollView},
)
async def create_poll(request: Request) -> Response:
    me = await api_user(request, *STAFF)
    data = await read_json(request, PollCreate)
    app = ctx(request)
    poll = await app.db.write(
        lambda s: poll_lifecycle.create(session=s, data=data, actor_id=me.viewer.user_id)
    )
    return await _view(app, poll.id or 0, me.viewer, 201)


@operation("Send to every active voting member", who="secretariat", responses={200: PollView})
async def send_poll(request: Request) -> Response:
    me = await api_user(request, *STAFF)
    poll_id = ident(request)
    app = ctx(request)
    await app.db.write(lambda s: poll_lifecycle.send(session=s, poll_id=poll_id, actor_id=me.viewer.user_id))
    return await _view(app, poll_id, me.viewer)


@operation("Close early and tally (idempotent)", who="secretariat", responses={200: PollView})
async def close_poll(request: Request) -> Response:
    me = await api_user(request, *STAFF)
    poll_id = ident(request)
    app = ctx(request)
    actor_id = me.viewer.user_id
    await app.db.write(
        lambda s: poll_lifecycle.close(session=s, poll_id=poll_id, actor_id=actor_id, policy=app.policy)
    )
    return await _view(app, poll_id, me.viewer)


@operation(
    "Remind now the recipients who have not answered (at most once an hour); adds `reminded`",
    who="secretariat",
    responses={200: PollView},
)
async def remind_poll(request: Request) -> Response:
    me = await api_user(request, *STAFF)
    poll_id = ident(request)
    app = ctx(request)
    count = await app.db.write(lambda s: poll_lifecycle.remind(session=s, poll_id=poll_id))

    def load(s: Session) -> dict[str, Any]:
        poll = opinion_polls.get_poll(session=s, poll_id=poll_id, viewer=me.viewer)
        return poll_views.poll_view(s, poll, me.viewer, app.policy)

    return reply({**(await app.db.read(load)), "reminded": count})


@operation(
    "Answer or revise until the deadline; 409 deadline_passed after it",
    who="member (self)",
    body=PollAnswer,
    responses={200: PollView},
)
async def answer_poll(request: Request) -> Response:
    me = await api_user(request, "member")
    poll_id = ident(request)
    data = await read_json(request, PollAnswer)
    app = ctx(request)
    viewer = me.viewer
    await app.db.write(lambda s: poll_lifecycle.respond(session=s, poll_id=poll_id, data=data, viewer=viewer))
    return await _view(app, poll_id, me.viewer)


@operation(
    "The synthesis report (application/pdf): tally, each member's position and comment, non-responders",
    who="secretariat, chair",
    responses={200: PDF},
)
async def report_pdf(request: Request) -> Response:
    me = await api_user(request, *REPORT_ROLES)
    poll_id = ident(request)
    app = ctx(request)

    def load(s: Session) -> poll_report.ReportPlan:
        poll = opinion_polls.get_poll(session=s, poll_id=poll_id, viewer=me.viewer)
        return poll_report.plan(s, poll, app.policy)

    plan = await app.db.read(load)
    pdf = await signed_file(app, "poll_report", poll_id, me.viewer)  # once signed, served as signed
    if pdf is None:
        try:
            job = asyncio.wrap_future(app.pdf_pool.submit_within(REPORT_TIMEOUT, poll_report.render, plan))
            pdf = await asyncio.wait_for(job, REPORT_TIMEOUT)
        except (BrokenProcessPool, WorkerDied, RuntimeError, TimeoutError) as exc:
            raise Unavailable() from exc
    name = f"Báo cáo tổng hợp ý kiến – {plan.code} – phiếu {plan.poll_id}"
    headers = {**PRIVATE, "Content-Disposition": content_disposition(name, default="bao-cao-tong-hop-y-kien")}
    return Response(pdf, media_type="application/pdf", headers=headers)


# --- notifications (the bell) -------------------------------------------------------------------


def public_notification(found: notifications.Notification) -> dict[str, Any]:
    params = found.param_dict()
    return {
        "id": found.id,
        "kind": found.kind,
        "title": translate(found.title, params),
        "body": translate(found.body, params),
        "url": found.url,
        "created_at": iso(found.created_at),
        "read_at": iso(found.read_at),
    }


def bell(session: Session, user_id: int) -> dict[str, Any]:
    items = notifications.list_for(session=session, user_id=user_id)
    return {
        "items": [public_notification(n) for n in items],
        "unread": notifications.unread_count(session, user_id),
    }


@operation("The bell: {items, unread}, newest first", who="user", responses={200: Bell})
async def list_notifications(request: Request) -> Response:
    me = await api_user(request)
    user_id = me.viewer.user_id
    return reply(await ctx(request).db.read(lambda s: bell(s, user_id)))


@operation("Mark one notification read", who="user (own)", responses={200: Bell})
async def read_notification(request: Request) -> Response:
    me = await api_user(request)
    notification_id = ident(request)
    user_id = me.viewer.user_id
    app = ctx(request)
    await app.db.write(
        lambda s: notifications.mark_read(session=s, notification_id=notification_id, user_id=user_id)
    )
    return reply(await app.db.read(lambda s: bell(s, user_id)))


@operation("Mark every notification read", who="user", responses={200: Bell})
async def read_all_notifications(request: Request) -> Response:
    me = await api_user(request)
    user_id = me.viewer.user_id
    app = ctx(request)
    await app.db.write(lambda s: notifications.mark_all_read(session=s, user_id=user_id))
    return reply(await app.db.read(lambda s: bell(s, user_id)))


routes = [
    Route("/api/v1/opinion-polls", list_polls, methods=["GET"]),
    Route("/api/v1/opinion-polls", create_poll, methods=["POST"]),
    Route("/api/v1/opinion-polls/{id:int}", get_poll, methods=["GET"]),
    Route("/api/v1/opinion-polls/{id:int}/send", send_poll, methods=["POST"]),
    Route("/api/v1/opinion-polls/{id:int}/close", close_poll, methods=["POST"]),
    Route("/api/v1/opinion-polls/{id:int}/remind", remind_poll, methods=["POST"]),
    Route("/api/v1/opinion-polls/{id:int}/response", answer_poll, methods=["PUT"]),
    Route("/api/v1/opinion-polls/{id:int}/report.pdf", report_pdf, methods=["GET"]),
    Route("/api/v1/notifications", list_notifications, methods=["GET"]),
    Route("/api/v1/notifications/{id:int}/read", read_notification, methods=["POST"]),
    Route("/api/v1/notifications/read-all", read_all_notifications, methods=["POST"]),
]
