"""Adding papers to a programme item's dossier, and telling the meetings that have it on their agenda.
See docs/papers.md.

The tables and the checks are the papers' (agenda/papers/documents.py); this module sits above
the meetings because a new paper or version is also logged (`document.updated`) on every
published or running meeting whose agenda holds the item.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from agenda.errors import Conflict, NotFound
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.meetings.agenda_items import AgendaItem
from agenda.meetings.change_notices import tell_new_version
from agenda.meetings.meetings import Meeting
from agenda.papers.documents import (
    Document,
    DocumentVersion,
    check_file,
    check_kind,
    check_note,
    check_title,
    index_document_version,
)
from agenda.programme.programme import ProgrammeItem
from agenda.search import index
from agenda.text import N_

# Meetings whose tablets hear of new papers and versions (`document.updated`).
LIVE_MEETING_STATES = ("published", "in_progress")


def _live_agenda_items(session: Session, programme_item_id: int) -> list[tuple[int, int]]:
    """(meeting id, agenda item id) wherever the item is on the agenda of a published or running meeting."""
    rows = session.exec(
        select(Meeting.id, AgendaItem.id)
        .join(AgendaItem, col(AgendaItem.meeting_id) == Meeting.id)
        .where(
            AgendaItem.programme_item_id == programme_item_id,
            col(Meeting.state).in_(LIVE_MEETING_STATES),
        )
        .order_by(col(Meeting.id), col(AgendaItem.id))
    ).all()
    return [(int(meeting_id), int(item_id)) for meeting_id, item_id in rows if meeting_id and item_id]


def _keep_text(session: Session, document: Document, version: DocumentVersion, text: str | None) -> None:
    """Store the version's extracted text (when the caller has it) and index the document."""
    assert version.id is not None
    if text is not None:
        index.store_text(session, version.id, text)
    index_document_version(session, document, text)


def _tell_meetings(
    session: Session, document: Document, version: DocumentVersion, actor_id: int | None
) -> None:
    """Log `document.updated` on every published or running meeting whose agenda holds the item,
    so the tablets following it learn of the new paper or version, and ring the bell of each
    invitee who may see the item (agenda/meetings/change_notices.py)."""
    assert document.id is not None
    for meeting_id, agenda_item_id in _live_agenda_items(session, document.programme_item_id):
        events.append(
            session,
            k.DocumentUpdated(
                meeting_id=meeting_id,
                agenda_item_id=agenda_item_id,
                document_id=document.id,
                doc_kind=document.kind,
                title=document.title,
                version=version.version,
                pages=version.pages,
                note=version.note,
            ),
            actor_id=actor_id,
        )
        meeting = session.get(Meeting, meeting_id)
        item = session.get(AgendaItem, agenda_item_id)
        if meeting is not None and item is not None:
            tell_new_version(
                session,
                meeting=meeting,
                item=item,
                document_id=document.id,
                title=document.title,
                version=version.version,
                note=version.note,
                actor_id=actor_id,
            )


def add_document(
    *,
    session: Session,
    programme_item_id: int,
    kind: str,
    title: str,
    sha256: str,
    pages: int,
    size: int,
    note: str,
    actor_id: int | None,
    text: str | None = None,
) -> tuple[Document, DocumentVersion]:
    """Add a document with its first version to an item's dossier and log `document.added`,
    and `document.updated` on each published or running meeting that has the item on its agenda.

    The caller has already stored the original under its sha256 and counted its pages, and
    passes the `text` extracted from it (kept, and indexed for search). The item's status does
    not move: the secretariat moves it (`ready` needs a full dossier).
    """
    if session.get(ProgrammeItem, programme_item_id) is None:
        raise NotFound()
    check_kind(kind)
    title = check_title(title)
    note = check_note(note, required=False)
    check_file(sha256, pages, size)
    document = Document(programme_item_id=programme_item_id, kind=kind, title=title)
    session.add(document)
    session.flush()
    assert document.id is not None
    version = DocumentVersion(
        document_id=document.id,
        version=1,
        sha256=sha256,
        pages=pages,
        size=size,
        note=note,
        uploaded_by=actor_id,
    )
    session.add(version)
    session.flush()
    _keep_text(session, document, version, text)
    events.append(
        session,
        k.DocumentAdded(
            document_id=document.id,
            programme_item_id=programme_item_id,
            doc_kind=kind,
            title=title,
            version=1,
            pages=pages,
            sha256=sha256,
        ),
        actor_id=actor_id,
    )
    _tell_meetings(session, document, version, actor_id)
    return document, version


def add_version(
    *,
    session: Session,
    document_id: int,
    sha256: str,
    pages: int,
    size: int,
    note: str,
    actor_id: int | None,
    title: str | None = None,
    text: str | None = None,
) -> DocumentVersion:
    """Add the next version of a document, with its change note, and log `document.version_added`,
    and `document.updated` on each published or running meeting that has the item on its agenda.

    Earlier versions stay as they are (copies and read receipts point at them). A `title`
    renames the document. Concurrent uploads to one document queue on its row.
    """
    document = session.exec(select(Document).where(Document.id == document_id).with_for_update()).first()
    if document is None:
        raise NotFound()
    note = check_note(note, required=True)
    new_title = check_title(title) if title is not None and title.strip() else None
    check_file(sha256, pages, size)
    current = session.exec(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document_id)
        .order_by(col(DocumentVersion.version).desc())
    ).first()
    if current is not None and current.sha256 == sha256:
        raise Conflict(
            N_("Tệp này giống hệt bản {version} hiện hành của tài liệu; không tạo phiên bản mới."),
            code="same_file",
            version=current.version,
        )
    latest = current.version if current is not None else 0
    if new_title is not None:
        document.title = new_title
        session.add(document)
    version = DocumentVersion(
        document_id=document_id,
        version=int(latest or 0) + 1,
        sha256=sha256,
        pages=pages,
        size=size,
        note=note,
        uploaded_by=actor_id,
    )
    session.add(version)
    session.flush()
    _keep_text(session, document, version, text)
    events.append(
        session,
        k.DocumentVersionAdded(
            document_id=document_id,
            programme_item_id=document.programme_item_id,
            title=document.title,
            version=version.version,
            pages=pages,
            sha256=sha256,
            note=note,
        ),
        actor_id=actor_id,
    )
    _tell_meetings(session, document, version, actor_id)
    return version
