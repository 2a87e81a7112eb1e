"""Running the session over HTTP (../shared/API.md "Live session"): start, roll call, advance, outcomes,
the consent block, adjourn, the speakers queue, and the feed's snapshot as plain JSON.

Every command goes through one domain function; its events reach the sockets after commit.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.clock import iso
from agenda.live import presiding
from agenda.live.live_state import public_speaker
from agenda.live.presiding import Advance, OutcomeSet
from agenda.meetings import attendance, meetings, speakers
from agenda.meetings.attendance import AttendanceSet
from meeting_app.api.common import ident, reply
from meeting_app.api.live_schemas import LiveSnapshot, SpeakerPublic
from meeting_app.api.schemas import MeetingPublic, MeetingStarted
from meeting_app.api.spec import operation
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.inputs import read_json

PRESIDING = ("chair", "secretariat")


async def _live(request: Request, meeting_id: int) -> dict[str, Any]:
    """The feed's snapshot for the requesting user (what the socket would send first)."""
    me = await api_user(request)
    app = ctx(request)
    await app.db.read(lambda s: meetings.get_meeting(session=s, meeting_id=meeting_id, viewer=me.viewer))
    return await app.hub.snapshot_for(meeting_id, me.viewer)


@operation(
    "The live feed's snapshot, filtered for the caller", who="invited users", responses={200: LiveSnapshot}
)
async def live(request: Request) -> Response:
    return reply(await _live(request, ident(request)))


@operation(
    "Start the session (409 no_quorum without quorum)",
    who="chair, secretariat",
    responses={200: MeetingStarted},
)
async def start(request: Request) -> Response:
    me = await api_user(request, *PRESIDING)
    meeting_id = ident(request)
    app = ctx(request)
    meeting = await app.db.write(
        lambda s: presiding.start(
            session=s, meeting_id=meeting_id, actor_id=me.viewer.user_id, policy=app.policy
        )
    )
    body = meetings.public_meeting(meeting)
    assert meeting.started_at is not None
    # A compatible addition (docs/live.md): how far off its scheduled time the session started.
    body["off_schedule_minutes"] = presiding.off_schedule_minutes(meeting, meeting.started_at, app.policy)
    return reply(body)


@operation("Adjourn the session", who="chair, secretariat", responses={200: MeetingPublic})
async def adjourn(request: Request) -> Response:
    me = await api_user(request, *PRESIDING)
    meeting_id = ident(request)
    app = ctx(request)
    meeting = await app.db.write(
        lambda s: presiding.adjourn(session=s, meeting_id=meeting_id, actor_id=me.viewer.user_id)
    )
    app.vote_sealer.schedule(app, meeting_id)  # a catch-up of the votes' sealed records
    return reply(meetings.public_meeting(meeting))


@operation("Record a member's attendance, with a substitute", who="chair, secretariat", body=AttendanceSet)
async def set_attendance(request: Request) -> Response:
    me = await api_user(request, *PRESIDING)
    meeting_id, member_id = ident(request), ident(request, "member_id")
    data = await read_json(request, AttendanceSet)
    app = ctx(request)
    row = await app.db.write(
        lambda s: attendance.set_attendance(
            session=s,
            meeting_id=meeting_id,
            member_id=member_id,
            data=data,
            actor_id=me.viewer.user_id,
            policy=app.policy,
        )
    )
    quorum = await app.db.read(lambda s: attendance.quorum(s, meeting_id, app.policy))
    return reply(
        {
            "member_id": row.member_id,
            "status": row.status,
            "substitute_user_id": row.substitute_user_id,
            "quorum": quorum.as_dict(),
        }
    )


@operation("Move to another agenda item", who="chair, secretariat", body=Advance)
async def advance(request: Request) -> Response:
    me = await api_user(request, *PRESIDING)
    meeting_id = ident(request)
    data = await read_json(request, Advance)
    item = await ctx(request).db.write(
        lambda s: presiding.advance(session=s, meeting_id=meeting_id, to=data.to, actor_id=me.viewer.user_id)
    )
    current = {
        "id": item.id,
        "position": item.position,
        "title": item.title,
        "minutes": item.minutes,
        "presenter": item.presenter,
        "restricted": item.restricted,
        "state": item.state,
        "spent_seconds": item.spent_seconds,
        "current_since": iso(item.current_since),
    }
    return reply({"current_item": current})


@operation("Adopt the consent block", who="chair, secretariat")
async def adopt_consent(request: Request) -> Response:
    me = await api_user(request, *PRESIDING)
    meeting_id = ident(request)
    app = ctx(request)
    adopted = await app.db.write(
        lambda s: presiding.adopt_consent(
            session=s, meeting_id=meeting_id, actor_id=me.viewer.user_id, policy=app.policy
        )
    )
    return reply({"adopted_item_ids": [i.id for i in adopted]})


@operation("Record an outcome", who="chair, secretariat", body=OutcomeSet)
async def set_outcome(request: Request) -> Response:
    me = await api_user(request, *PRESIDING)
    agenda_item_id = ident(request)
    data = await read_json(request, OutcomeSet)
    app = ctx(request)
    item = await app.db.write(
        lambda s: presiding.set_outcome(
            session=s, agenda_item_id=agenda_item_id, data=data, actor_id=me.viewer.user_id, policy=app.policy
        )
    )
    return reply(
        {
            "agenda_item_id": item.id,
            "outcome": item.outcome,
            "conclusion": item.conclusion,
            "state": item.state,
        }
    )


@operation("Ask to speak", who="member, guest", responses={201: SpeakerPublic})
async def request_speaker(request: Request) -> Response:
    me = await api_user(request)
    agenda_item_id = ident(request)
    speaker = await ctx(request).db.write(
        lambda s: speakers.request(session=s, agenda_item_id=agenda_item_id, viewer=me.viewer)
    )
    return reply(public_speaker(speaker), 201)


@operation("Give the floor", who="chair, secretariat", responses={200: SpeakerPublic})
async def start_speaker(request: Request) -> Response:
    me = await api_user(request, *PRESIDING)
    speaker_id = ident(request)
    speaker = await ctx(request).db.write(
        lambda s: speakers.start(session=s, speaker_id=speaker_id, actor_id=me.viewer.user_id)
    )
    return reply(public_speaker(speaker))


@operation("End the speaker's time", who="chair, secretariat", responses={200: SpeakerPublic})
async def stop_speaker(request: Request) -> Response:
    me = await api_user(request, *PRESIDING)
    speaker_id = ident(request)
    speaker = await ctx(request).db.write(
        lambda s: speakers.stop(session=s, speaker_id=speaker_id, actor_id=me.viewer.user_id)
    )
    return reply(public_speaker(speaker))


@operation("Withdraw a request to speak", who="speaker, chair, secretariat", responses={204: None})
async def withdraw_speaker(request: Request) -> Response:
    me = await api_user(request)
    speaker_id = ident(request)
    await ctx(request).db.write(
        lambda s: speakers.withdraw(session=s, speaker_id=speaker_id, viewer=me.viewer)
    )
    return Response(status_code=204)


routes = [
    Route("/api/v1/meetings/{id:int}/live", live, methods=["GET"]),
    Route("/api/v1/meetings/{id:int}/start", start, methods=["POST"]),
    Route("/api/v1/meetings/{id:int}/adjourn", adjourn, methods=["POST"]),
    Route("/api/v1/meetings/{id:int}/attendance/{member_id:int}", set_attendance, methods=["PUT"]),
    Route("/api/v1/meetings/{id:int}/advance", advance, methods=["POST"]),
    Route("/api/v1/meetings/{id:int}/consent/adopt", adopt_consent, methods=["POST"]),
    Route("/api/v1/agenda-items/{id:int}/outcome", set_outcome, methods=["POST"]),
    Route("/api/v1/agenda-items/{id:int}/speakers", request_speaker, methods=["POST"]),
    Route("/api/v1/speakers/{id:int}/start", start_speaker, methods=["POST"]),
    Route("/api/v1/speakers/{id:int}/stop", stop_speaker, methods=["POST"]),
    Route("/api/v1/speakers/{id:int}", withdraw_speaker, methods=["DELETE"]),
]
