"""Votes over HTTP (../shared/API.md "Live session"): prepare, open, close, cast, read.

A ballot needs an `Idempotency-Key` header; its answer is stored in the ballot's transaction,
so a tablet that retries after a lost answer gets the first answer again, never a second vote.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import InvalidInput
from agenda.text import N_
from agenda.votes import lifecycle, models
from agenda.votes.ballots import BallotRequest
from agenda.votes.models import Answer, BallotCast, VoteCreate
from meeting_app.api.common import ident, reply
from meeting_app.api.live import PRESIDING
from meeting_app.api.live_schemas import BallotCounted, VotePublic, VoteView
from meeting_app.api.spec import operation
from meeting_app.auth import api_user
from meeting_app.context import AppContext, ctx
from meeting_app.inputs import read_json

MAX_KEY = 200


def idempotency_key(request: Request) -> str:
    return valid_key(request.headers.get("idempotency-key", ""))


def valid_key(raw: str) -> str:
    """The Idempotency-Key header's value, or the 400 that refuses it."""
    key = raw.strip()
    if not key:
        raise InvalidInput(N_("Thiếu tiêu đề Idempotency-Key."), code="idempotency_key_required")
    if len(key) > MAX_KEY or not key.isprintable() or not key.isascii():
        raise InvalidInput(N_("Tiêu đề Idempotency-Key không hợp lệ."), code="bad_idempotency_key")
    return key


async def _view(request: Request, vote_id: int) -> Response:
    me = await api_user(request)
    found = await ctx(request).db.read(
        lambda s: models.vote_view(
            s, models.get_vote(session=s, vote_id=vote_id, viewer=me.viewer), me.viewer
        )
    )
    return reply(found)


@operation("A vote; counts of choices only once closed", who="invited users", responses={200: VoteView})
async def get_vote(request: Request) -> Response:
    return await _view(request, ident(request))


@operation("Prepare a vote", who="chair, secretariat", body=VoteCreate, responses={201: VotePublic})
async def create_vote(request: Request) -> Response:
    me = await api_user(request, *PRESIDING)
    agenda_item_id = ident(request)
    data = await read_json(request, VoteCreate)
    vote = await ctx(request).db.write(
        lambda s: lifecycle.create(
            session=s, agenda_item_id=agenda_item_id, data=data, actor_id=me.viewer.user_id
        )
    )
    return reply(models.public_vote(vote), 201)


@operation("Open a vote (needs quorum)", who="chair, secretariat", responses={200: VoteView})
async def open_vote(request: Request) -> Response:
    me = await api_user(request, *PRESIDING)
    vote_id = ident(request)
    app = ctx(request)
    await app.db.write(
        lambda s: lifecycle.open_vote(
            session=s, vote_id=vote_id, actor_id=me.viewer.user_id, policy=app.policy
        )
    )
    return await _view(request, vote_id)


@operation("Close and count a vote (idempotent)", who="chair, secretariat", responses={200: VoteView})
async def close_vote(request: Request) -> Response:
    me = await api_user(request, *PRESIDING)
    vote_id = ident(request)
    app = ctx(request)
    vote = await app.db.write(
        lambda s: lifecycle.close(session=s, vote_id=vote_id, actor_id=me.viewer.user_id, policy=app.policy)
    )
    app.vote_sealer.schedule(app, vote.meeting_id)  # its result record, sealed in the background
    return await _view(request, vote_id)


@operation(
    "Cast or change a ballot; needs an Idempotency-Key header",
    who="member (self)",
    body=BallotCast,
    headers=("Idempotency-Key",),
    responses={200: BallotCounted},
)
async def cast_ballot(request: Request) -> Response:
    me = await api_user(request, "member")
    vote_id = ident(request)
    key = idempotency_key(request)
    data = await read_json(request, BallotCast)
    app = ctx(request)
    ballot = BallotRequest(vote_id=vote_id, choice=data.choice, key=key, viewer=me.viewer)
    answer = await cast(app, ballot)
    return Response(
        json.dumps(answer.body),
        status_code=answer.status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


async def cast(app: AppContext, ballot: BallotRequest) -> Answer:
    """Cast through the ballot box, counted in the metrics; a refusal is raised (errors.py
    answers it). Also the ballot lane's way (meeting_app/api/ballot_lane.py)."""
    return await app.metrics.ballots.counted(app.ballots.cast(app.db, ballot, app.settings.secret_key))


routes = [
    Route("/api/v1/agenda-items/{id:int}/votes", create_vote, methods=["POST"]),
    Route("/api/v1/votes/{id:int}", get_vote, methods=["GET"]),
    Route("/api/v1/votes/{id:int}/open", open_vote, methods=["POST"]),
    Route("/api/v1/votes/{id:int}/close", close_vote, methods=["POST"]),
    Route("/api/v1/votes/{id:int}/ballots", cast_ballot, methods=["POST"]),
]
