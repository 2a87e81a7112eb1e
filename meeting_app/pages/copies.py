"""The secretariat's copy-code lookup: a code read off a paper back to its person, version and time.
See docs/papers.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import NotFound
from agenda.papers.copies import trace_copy
from meeting_app.api.copies import MAX_CODE
from meeting_app.auth import page_user
from meeting_app.context import ctx
from meeting_app.pages.common import page


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def lookup_page(request: Request) -> Response:
    await page_user(request, "secretariat")
    code = " ".join(request.query_params.get("code", "").replace("\x00", "").split())[:MAX_CODE]
    context: dict[str, Any] = {"code": code, "searched": bool(code), "result": None}
    if not code:
        return page(request, "copies/lookup.html", context)
    try:
        result = await ctx(request).db.read(lambda s: trace_copy(session=s, code=code))
    except NotFound:
        return page(request, "copies/lookup.html", context, status_code=404)
    result["issued"] = _when(result["issued_at"])
    result["opened"] = [_when(o["at"]) for o in result["opens"]]
    context["result"] = result
    return page(request, "copies/lookup.html", context)


routes = [Route("/copies", lookup_page, methods=["GET"], name="copies")]
