"""The search page: one box in the header for every signed-in user, results grouped by type.

The hits come from agenda.search.queries, already filtered for the viewer; each title and snippet is
plain text, cut here into pieces (marked or not) that the template escapes. See docs/search.md.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import InvalidInput
from agenda.search import queries
from agenda.search.text_search import MAX_QUERY_CHARS
from agenda.text import N_
from meeting_app.api.programme import READERS as PROGRAMME_READERS
from meeting_app.auth import page_user
from meeting_app.context import ctx
from meeting_app.errors import status_of
from meeting_app.pages.common import explain, page

LIMIT = 50
GROUPS = {
    "programme_item": N_("Đề án trong chương trình công tác"),
    "meeting": N_("Phiên họp"),
    "agenda_item": N_("Nội dung phiên họp"),
    "conclusion": N_("Kết luận"),
    "document": N_("Tài liệu"),
    "task": N_("Nhiệm vụ được giao"),
    "annotation": N_("Ghi chú và đánh dấu trên tài liệu"),
}


def pieces(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """`text` as (piece, marked) pairs, the marked ones at `spans`."""
    found: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(spans):
        if start < at or end <= start:
            continue
        if start > at:
            found.append((text[at:start], False))
        found.append((text[start:end], True))
        at = end
    if at < len(text):
        found.append((text[at:], False))
    return found


def shown(hit: queries.Hit) -> dict[str, Any]:
    return {
        "url": hit.url,
        "title": pieces(hit.title, hit.title_highlights),
        "snippet": pieces(hit.snippet, hit.highlights),
    }


async def search_page(request: Request) -> Response:
    me = await page_user(request)
    raw = request.query_params.get("q", "")
    viewer = me.viewer
    context: dict[str, Any] = {
        "q": raw.replace("\x00", "")[: MAX_QUERY_CHARS * 2],
        "groups": [],
        "count": 0,
        "searched": False,
        "max_chars": MAX_QUERY_CHARS,
        "group_labels": GROUPS,
    }
    if not raw.strip():
        return page(request, "search/results.html", context)
    try:
        q = queries.check_query(raw)
        hits = await ctx(request).db.read(
            lambda s: queries.search(
                session=s, viewer=viewer, q=q, limit=LIMIT, can_read_programme=viewer.has(*PROGRAMME_READERS)
            )
        )
    except InvalidInput as exc:
        context["error"] = explain(exc)
        return page(request, "search/results.html", context, status_code=status_of(exc))
    context.update(
        searched=True,
        count=len(hits),
        groups=[(kind, [shown(h) for h in found]) for kind, found in queries.grouped(hits)],
    )
    return page(request, "search/results.html", context)


routes = [Route("/search", search_page, methods=["GET"], name="search")]
