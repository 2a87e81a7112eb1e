"""Tracing a paper: a copy code printed in a stamp back to its person, version and time.
See docs/papers.md."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import NotFound
from agenda.papers.copies import trace_copy
from meeting_app.api.common import reply
from meeting_app.api.spec import operation
from meeting_app.auth import api_user
from meeting_app.context import ctx

MAX_CODE = 64  # codes are 9 characters; a little room for spaces and dashes typed by hand


@operation(
    "Resolve a copy code printed in a stamp",
    description="The person, the document version, the time and the opens.",
    who="secretariat",
)
async def lookup(request: Request) -> Response:
    await api_user(request, "secretariat")
    code = request.path_params["code"]
    if not isinstance(code, str) or len(code) > MAX_CODE:
        raise NotFound()
    return reply(await ctx(request).db.read(lambda s: trace_copy(session=s, code=code)))


routes = [Route("/api/v1/copies/{code}", lookup, methods=["GET"])]
