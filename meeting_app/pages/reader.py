"""The tablet reader: one document version in pdf.js, with private notes and anchored annotations
(docs/reader.md).

The page carries everything static/js/reader.js needs in data-* attributes; the PDF itself
comes from the watermarked file route of the JSON API, never from an original.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.access import papers
from agenda.errors import NotFound
from agenda.meetings.agenda_items import AgendaItem, audiences, can_see_item
from agenda.meetings.meetings import Meeting, can_see, guest_ids, invitee_ids
from agenda.papers import copies, documents, notes
from agenda.papers.annotations import MAX_EXACT, MAX_TEXT
from agenda.papers.documents import DocumentVersion
from agenda.papers.notes import MAX_NOTE_CHARS
from agenda.viewer import Viewer
from meeting_app import vendor
from meeting_app.api.common import MAX_ID, ident
from meeting_app.auth import page_user
from meeting_app.context import ctx
from meeting_app.pages.common import page


def chosen_version(raw: str | None, versions: list[DocumentVersion]) -> DocumentVersion:
    """`?v=<n>`, or the latest version without it; anything that names no version is not found."""
    if raw is None or raw == "":
        return versions[-1]
    if not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise NotFound()
    for version in versions:
        if version.version == int(raw):
            return version
    raise NotFound()


def way_back(session: Session, viewer: Viewer, programme_item_id: int) -> dict[str, str] | None:
    """The newest meeting this viewer may see whose agenda holds the document's item."""
    rows = session.exec(
        select(AgendaItem, Meeting)
        .join(Meeting, col(Meeting.id) == AgendaItem.meeting_id)
        .where(AgendaItem.programme_item_id == programme_item_id)
        .order_by(col(Meeting.starts_at).desc())
    ).all()
    for item, meeting in rows:
        assert meeting.id is not None and item.id is not None
        if not can_see(viewer, meeting, invitee_ids(session, meeting.id), guest_ids(session, meeting.id)):
            continue
        if can_see_item(viewer, meeting, item, audiences(session, [item.id]).get(item.id, [])):
            return {"url": f"/meetings/{meeting.id}#item-{item.id}", "title": meeting.title}
    if viewer.is_staff:
        return {"url": f"/programme/{programme_item_id}", "title": ""}
    return None


async def read(request: Request) -> Response:
    me = await page_user(request)
    document_id = ident(request)
    raw = request.query_params.get("v")
    viewer = me.viewer

    def load(s: Session) -> dict[str, Any]:
        document = papers.get_visible_document(session=s, document_id=document_id, viewer=viewer)
        versions = documents.versions_of(session=s, document_id=document_id)
        if not versions:
            raise NotFound()
        return {
            "document": document,
            "versions": versions,
            "version": chosen_version(raw, versions),
            "latest": versions[-1],
            "news": copies.version_news(session=s, user_id=viewer.user_id, document_ids=[document_id]).get(
                document_id
            ),
            "back": way_back(s, viewer, document.programme_item_id),
            "note_pages": notes.latest_page_count(session=s, document_id=document_id),
        }

    data = await ctx(request).db.read(load)
    version: DocumentVersion = data["version"]
    data.update(
        pdfjs=vendor.pdfjs_version(),
        file_url=f"/api/v1/documents/{document_id}/versions/{version.version}/file",
        notes_url=f"/api/v1/documents/{document_id}/notes",
        max_note_chars=MAX_NOTE_CHARS,
        annotations_url=f"/api/v1/documents/{document_id}/annotations",
        audience_url=f"/api/v1/documents/{document_id}/annotation-audience",
        max_quote_chars=MAX_EXACT,
        max_annotation_chars=MAX_TEXT,
    )
    return page(request, "reader/read.html", data)


routes = [Route("/documents/{id:int}/read", read, methods=["GET"], name="reader")]
