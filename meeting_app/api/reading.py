"""Who has read a meeting's papers: the secretariat's readiness view as JSON. See docs/papers.md."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.meetings.reading import public_matrix, reading_matrix
from meeting_app.api.common import ident, reply
from meeting_app.api.spec import operation
from meeting_app.auth import api_user
from meeting_app.context import ctx

WHO = ("secretariat", "chair")


@operation(
    "Reading status of the papers",
    description="Per programme item the dossier's completeness, per invited member and document "
    "whether the latest version (or only an older one) was opened.",
    who="secretariat, chair",
)
async def reading(request: Request) -> Response:
    await api_user(request, *WHO)
    meeting_id = ident(request)
    policy = ctx(request).policy
    return reply(
        await ctx(request).db.read(
            lambda s: public_matrix(reading_matrix(session=s, meeting_id=meeting_id, policy=policy))
        )
    )


routes = [Route("/api/v1/meetings/{id:int}/reading", reading, methods=["GET"])]
