"""What the PDF summary of one's own annotations for a meeting holds (docs/annotations.md
"Export"): plain data for agenda/record/annotations_pdf.py, which draws it in the PDF pool.

The caller's own annotations only, on the papers of the meeting's agenda items they may see,
each paper only if they may still read it; shared annotations of others are not exported.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from agenda.access.papers import get_visible_document
from agenda.clock import iso, utcnow
from agenda.errors import NotFound
from agenda.meetings.agenda_items import AgendaItem, get_agenda_item
from agenda.meetings.meetings import get_meeting
from agenda.papers.annotations import Annotation
from agenda.papers.documents import Document
from agenda.people.accounts import User
from agenda.viewer import Viewer


def plan(session: Session, *, meeting_id: int, viewer: Viewer) -> dict[str, Any]:
    """{meeting: {id, title, starts_at}, author, made_at, papers: [{title, item, annotations:
    [{kind, version, page, exact, text, state}]}]}; NotFound when the meeting is not the viewer's."""
    meeting = get_meeting(session=session, meeting_id=meeting_id, viewer=viewer)
    user = session.get(User, viewer.user_id)
    papers: list[dict[str, Any]] = []
    items = session.exec(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(col(AgendaItem.position))
    ).all()
    seen: set[int] = set()
    for item in items:
        if item.programme_item_id is None or item.id is None:
            continue
        try:
            get_agenda_item(session=session, agenda_item_id=item.id, viewer=viewer)
        except NotFound:
            continue
        documents = session.exec(
            select(Document)
            .where(Document.programme_item_id == item.programme_item_id)
            .order_by(col(Document.id))
        ).all()
        for document in documents:
            if document.id is None or document.id in seen:
                continue
            seen.add(document.id)
            try:
                get_visible_document(session=session, document_id=document.id, viewer=viewer)
            except NotFound:
                continue
            own = session.exec(
                select(Annotation)
                .where(Annotation.document_id == document.id, Annotation.user_id == viewer.user_id)
                .order_by(col(Annotation.state), col(Annotation.page), col(Annotation.id))
            ).all()
            if not own:
                continue
            papers.append(
                {
                    "title": document.title,
                    "item": item.title,
                    "annotations": [
                        {
                            "kind": a.kind,
                            "version": a.version,
                            "page": a.page,
                            "exact": a.exact,
                            "text": a.text,
                            "state": a.state,
                        }
                        for a in own
                    ],
                }
            )
    return {
        "meeting": {"id": meeting.id, "title": meeting.title, "starts_at": iso(meeting.starts_at)},
        "author": user.full_name if user is not None else "",
        "made_at": iso(utcnow()),
        "papers": papers,
    }
