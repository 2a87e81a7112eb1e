"""Opinion ballot pages (docs/opinion-polls.md): the inbox, a ballot (the member's answer form,
the assistant's read-only view, the secretariat's board with send and close), and the
notifications page behind the bell.

Every form works without JavaScript. static/js/poll-board.js moves the board live from the
`poll` frames of /ws/me (carried by static/js/bell.js), reading the ballot again through the
JSON API.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from agenda.errors import DomainError, Forbidden
from agenda.papers import documents
from agenda.people import notifications
from agenda.people.members import Member
from agenda.polls import opinion_polls, poll_lifecycle, poll_views
from agenda.polls.opinion_polls import (
    MAX_COMMENT,
    MIN_LEAD,
    NOT_A_RECIPIENT,
    POSITIONS,
    PollAnswer,
    PollCreate,
)
from agenda.programme import programme
from agenda.record import signatures
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.api.opinion_polls import READERS, inbox, public_notification
from meeting_app.auth import Current, form_user, page_user
from meeting_app.context import ctx
from meeting_app.i18n import gettext
from meeting_app.inputs import validate
from meeting_app.pages.common import done, failed, ident_field, page, safe_next, text, values_of
from meeting_app.pages.poll_actions import ACTIONS, PollAction, offered

STAFF = ("secretariat",)
FIELDS = {
    "programme_item_id": N_("Đề án"),
    "question": N_("Nội dung xin ý kiến"),
    "deadline": N_("Thời hạn trả lời"),
    "position": N_("Ý kiến"),
    "comment": N_("Ý kiến cụ thể"),
}
POSITION_LABELS = {
    "agree": N_("Đồng ý"),
    "disagree": N_("Không đồng ý"),
    "other": N_("Ý kiến khác"),
}
STATE_LABELS = {
    "draft": N_("Chưa gửi"),
    "sent": N_("Đang lấy ý kiến"),
    "closed": N_("Đã kết thúc"),
}
STATUS_LABELS = {
    "answered": N_("Đã trả lời"),
    "pending": N_("Chưa trả lời"),
    "overdue": N_("Quá hạn"),
}
# Items a ballot may be about: any that is still in the programme.
POLLABLE = ("planned", "submitted", "ready", "scheduled", "discussed", "concluded", "postponed")


def labels() -> dict[str, dict[str, str]]:
    return {
        "position": {k: gettext(v) for k, v in POSITION_LABELS.items()},
        "state": {k: gettext(v) for k, v in STATE_LABELS.items()},
        "status": {k: gettext(v) for k, v in STATUS_LABELS.items()},
    }


def _candidates(session: Session) -> list[programme.ProgrammeItem]:
    return [i for i in programme.list_items(session=session) if i.status in POLLABLE]


async def _list_context(request: Request, me: Current) -> dict[str, Any]:
    viewer = me.viewer

    def load(s: Session) -> dict[str, Any]:
        data: dict[str, Any] = {"polls": inbox(s, viewer)}
        if viewer.has(*STAFF):
            data["candidates"] = _candidates(s)
        return data

    data = await ctx(request).db.read(load)
    minutes = int(MIN_LEAD.total_seconds() // 60)
    data.update(labels=labels(), can_create=viewer.has(*STAFF), values={}, min_lead_minutes=minutes)
    return data


async def list_page(request: Request) -> Response:
    me = await page_user(request, *READERS)
    return page(request, "opinion_polls/list.html", await _list_context(request, me))


async def create(request: Request) -> Response:
    me, form = await form_user(request, *STAFF)
    try:
        data = validate(
            PollCreate,
            {
                "programme_item_id": ident_field(form, "programme_item_id"),
                "question": text(form, "question", limit=3000),
                "deadline": text(form, "deadline", limit=40) or None,
            },
        )
        poll = await ctx(request).db.write(
            lambda s: poll_lifecycle.create(session=s, data=data, actor_id=me.viewer.user_id)
        )
    except DomainError as exc:
        context = {**await _list_context(request, me), "values": values_of(form)}
        return failed(request, "opinion_polls/list.html", context, exc, FIELDS)
    return done(f"/opinion-polls/{poll.id}", "created")


async def poll_context(request: Request, me: Current, poll_id: int) -> dict[str, Any]:
    app = ctx(request)
    viewer = me.viewer

    def load(s: Session) -> dict[str, Any]:
        poll = opinion_polls.get_poll(session=s, poll_id=poll_id, viewer=viewer)
        view = poll_views.poll_view(s, poll, viewer, app.policy)
        member = s.get(Member, viewer.member_id) if viewer.member_id is not None else None
        return {
            "poll": view,
            "papers": documents.dossier(session=s, programme_item_id=poll.programme_item_id),
            "member": member,
            "report_signed": signatures.listing(s, "poll_report", poll_id),
            "may_sign_report": signatures.may_sign(
                s, record="poll_report", subject_id=poll_id, viewer=viewer, policy=app.policy
            ),
        }

    data = await app.db.read(load)
    poll = data["poll"]
    mine = poll.get("my_response") or {}
    shown = labels()
    data.update(
        labels=shown,
        labels_json=json.dumps(shown, ensure_ascii=False, sort_keys=True),
        positions=[(code, gettext(POSITION_LABELS[code])) for code in POSITIONS],
        is_staff=viewer.is_staff,
        can_manage=viewer.has(*STAFF),
        can_report=viewer.has("secretariat", "chair") and poll["state"] != "draft",
        actions=offered(poll["state"]) if viewer.has(*STAFF) else [],
        is_assistant=viewer.has("assistant") and not viewer.has("member"),
        max_comment=MAX_COMMENT,
        values={"position": mine.get("position", ""), "comment": mine.get("comment", "")},
    )
    return data


async def poll_page(request: Request) -> Response:
    me = await page_user(request, *READERS)
    return page(request, "opinion_polls/poll.html", await poll_context(request, me, ident(request)))


def _acting(action: PollAction) -> Callable[[Request], Awaitable[Response]]:
    """The POST handler of one row of poll_actions.ACTIONS."""

    async def act(request: Request) -> Response:
        me, _form = await form_user(request, *STAFF)
        poll_id = ident(request)
        app = ctx(request)
        actor_id = me.viewer.user_id
        try:
            result = await app.db.write(lambda s: action.run(s, poll_id, actor_id, app.policy))
        except DomainError as exc:
            context = await poll_context(request, me, poll_id)
            return failed(request, "opinion_polls/poll.html", context, exc, FIELDS)
        counted = {"n": result} if isinstance(result, int) else {}
        return done(f"/opinion-polls/{poll_id}", action.flash, **counted)

    act.__name__ = f"poll_{action.name}"
    return act


def answer_data(form: FormData) -> dict[str, Any]:
    position = text(form, "position", limit=40)
    comment = form.get("comment")
    return {
        "position": position,
        "comment": comment.replace("\x00", "").strip() if isinstance(comment, str) else "",
    }


async def answer(request: Request) -> Response:
    me, form = await form_user(request)
    poll_id = ident(request)
    viewer = me.viewer
    try:
        if not viewer.has("member"):
            raise Forbidden(NOT_A_RECIPIENT, code="not_a_recipient")
        data = validate(PollAnswer, answer_data(form))
        await ctx(request).db.write(
            lambda s: poll_lifecycle.respond(session=s, poll_id=poll_id, data=data, viewer=viewer)
        )
    except DomainError as exc:
        context = await poll_context(request, me, poll_id)
        context["values"] = {
            "position": text(form, "position", limit=40),
            "comment": answer_data(form)["comment"],
        }
        return failed(request, "opinion_polls/poll.html", context, exc, FIELDS)
    return done(f"/opinion-polls/{poll_id}#answer", "answered")


# --- notifications ------------------------------------------------------------------------------


async def notifications_page(request: Request) -> Response:
    me = await page_user(request)
    user_id = me.viewer.user_id

    def load(s: Session) -> dict[str, Any]:
        items = notifications.list_for(session=s, user_id=user_id)
        return {
            "items": [public_notification(n) for n in items],
            "unread": notifications.unread_count(s, user_id),
        }

    return page(request, "opinion_polls/notifications.html", await ctx(request).db.read(load))


async def open_notification(request: Request) -> Response:
    """Mark the notification read and go where it points (a path of this site only)."""
    me, _form = await form_user(request)
    notification_id = ident(request)
    user_id = me.viewer.user_id
    found = await ctx(request).db.write(
        lambda s: notifications.mark_read(session=s, notification_id=notification_id, user_id=user_id)
    )
    return RedirectResponse(safe_next(found.url, "/notifications"), status_code=303)


async def read_all(request: Request) -> Response:
    me, _form = await form_user(request)
    user_id = me.viewer.user_id
    await ctx(request).db.write(lambda s: notifications.mark_all_read(session=s, user_id=user_id))
    return done("/notifications", "all_read")


routes = [
    Route("/opinion-polls", list_page, methods=["GET"], name="opinion_polls"),
    Route("/opinion-polls/new", create, methods=["POST"]),
    Route("/opinion-polls/{id:int}", poll_page, methods=["GET"], name="opinion_poll"),
    *(Route(f"/opinion-polls/{{id:int}}/{a.name}", _acting(a), methods=["POST"]) for a in ACTIONS),
    Route("/opinion-polls/{id:int}/answer", answer, methods=["POST"]),
    Route("/notifications", notifications_page, methods=["GET"], name="notifications"),
    Route("/notifications/{id:int}/open", open_notification, methods=["POST"]),
    Route("/notifications/read-all", read_all, methods=["POST"]),
]
