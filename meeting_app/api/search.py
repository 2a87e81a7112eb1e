"""One search over what the caller may see (../shared/API.md "Opinion ballots and record").

See docs/search.md.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.search import queries
from meeting_app.api.common import reply
from meeting_app.api.programme import READERS as PROGRAMME_READERS
from meeting_app.api.spec import operation
from meeting_app.auth import api_user
from meeting_app.context import ctx


@operation(
    "Search what this user may see",
    description="Programme items, meetings, agenda items, conclusions, document text and tasks, with or "
    "without Vietnamese diacritics: `q` (1-200 characters), `limit` (1-50, default 20) → "
    "`{results: [{type, id, title, snippet, url, highlights, title_highlights}]}`.",
    who="user (each sees only what they may see)",
    query={"q": str, "limit": int},
)
async def find(request: Request) -> Response:
    """GET /api/v1/search?q=...&limit=20 → {results: [{type, id, title, snippet, url, highlights}]}."""
    me = await api_user(request)
    query = request.query_params
    q = queries.check_query(query.get("q"))
    limit = queries.check_limit(query.get("limit"))
    viewer = me.viewer
    hits = await ctx(request).db.read(
        lambda s: queries.search(
            session=s, viewer=viewer, q=q, limit=limit, can_read_programme=viewer.has(*PROGRAMME_READERS)
        )
    )
    return reply({"results": [hit.public() for hit in hits]})


routes = [Route("/api/v1/search", find, methods=["GET"])]
