"""The briefing book page: a progress bar while the user's book is built, then the PDF itself.

static/js/book.js polls `GET /api/v1/meetings/{id}/book.pdf` (HEAD, so no read receipt is
logged while waiting), updates the <progress> bar from its 202 answers and opens the PDF
once it answers 200. Without JavaScript the page's link opens the API route directly.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.meetings import meetings
from meeting_app.api.common import ident
from meeting_app.auth import page_user
from meeting_app.context import ctx
from meeting_app.pages.common import page


async def book_page(request: Request) -> Response:
    me = await page_user(request)
    meeting_id = ident(request)
    meeting = await ctx(request).db.read(
        lambda s: meetings.get_meeting(session=s, meeting_id=meeting_id, viewer=me.viewer)
    )
    context = {
        "meeting": meetings.public_meeting(meeting),
        "book_url": f"/api/v1/meetings/{meeting_id}/book.pdf",
    }
    return page(request, "meetings/book.html", context)


routes = [
    Route("/meetings/{id:int}/book", book_page, methods=["GET"], name="meeting_book"),
]
