"""Who may read a paper. See docs/papers.md and docs/security.md.

Papers follow the agenda and the opinion ballots, so this sits above the meetings and the polls
(and the papers themselves): the page, the API, the reader, the copies and search all ask here.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from agenda.access.agency_items import reads_own_dossier
from agenda.errors import NotFound
from agenda.meetings.agenda_items import AgendaItem, audiences, can_see_item
from agenda.meetings.meetings import Meeting, can_see, guest_ids, invitee_ids
from agenda.papers.documents import Document, DocumentVersion, dossier
from agenda.polls.opinion_polls import polled_member
from agenda.programme.programme import ProgrammeItem
from agenda.viewer import Viewer


def visible_dossier(*, session: Session, programme_item_id: int, viewer: Viewer) -> list[dict[str, Any]]:
    """The dossier, or NotFound when the item does not exist or `viewer` may not read its papers."""
    if session.get(ProgrammeItem, programme_item_id) is None or not can_view_programme_papers(
        session=session, viewer=viewer, programme_item_id=programme_item_id
    ):
        raise NotFound()
    return dossier(session=session, programme_item_id=programme_item_id)


def can_view_programme_papers(*, session: Session, viewer: Viewer, programme_item_id: int) -> bool:
    """Papers follow the agenda: staff see every dossier, an agency's focal point its own items'
    (agenda/access/agency_items.py); others see an item's papers only while
    it is on a published agenda of a meeting they may see, and not restricted from them, or once
    an opinion ballot on it was sent to their member (members and assistants)."""
    if viewer.is_staff:
        return True
    if reads_own_dossier(session=session, viewer=viewer, item_id=programme_item_id):
        return True
    if viewer.member_id is not None and viewer.has("member", "assistant"):
        if polled_member(session, programme_item_id, viewer.member_id):
            return True
    rows = session.exec(
        select(AgendaItem, Meeting)
        .join(Meeting, col(Meeting.id) == AgendaItem.meeting_id)
        .where(AgendaItem.programme_item_id == programme_item_id, Meeting.state != "draft")
    ).all()
    for item, meeting in rows:
        assert meeting.id is not None and item.id is not None
        if not can_see(viewer, meeting, invitee_ids(session, meeting.id), guest_ids(session, meeting.id)):
            continue
        if can_see_item(viewer, meeting, item, audiences(session, [item.id]).get(item.id, [])):
            return True
    return False


def get_visible_document(*, session: Session, document_id: int, viewer: Viewer) -> Document:
    """The document, or NotFound when it does not exist or `viewer` may not read its papers."""
    document = session.get(Document, document_id)
    if document is None or not can_view_programme_papers(
        session=session, viewer=viewer, programme_item_id=document.programme_item_id
    ):
        raise NotFound()
    return document


def get_visible_version(
    *, session: Session, document_id: int, version: int, viewer: Viewer
) -> tuple[Document, DocumentVersion]:
    document = get_visible_document(session=session, document_id=document_id, viewer=viewer)
    found = session.exec(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.version == version
        )
    ).first()
    if found is None:
        raise NotFound()
    return document, found
