"""Briefing documents and their versions (the dossier of a programme item).

The upload path, validation and watermarking build on these tables; readiness reads which
document kinds a dossier holds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, utcnow
from agenda.errors import InvalidInput, NotFound, RuleBroken
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.policy import DOCUMENT_KINDS
from agenda.search import search
from agenda.text import N_, one_line
from agenda.viewer import Viewer

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_TITLE = 500
MAX_NOTE = 2000
# Meetings whose tablets hear of new papers and versions (`document.updated`).
LIVE_MEETING_STATES = ("published", "in_progress")


class Document(SQLModel, table=True):
    __tablename__ = "document"

    id: int | None = Field(default=None, primary_key=True)
    programme_item_id: int = Field(foreign_key="programme_item.id", index=True)
    kind: str = Field(max_length=32)
    title: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class DocumentVersion(SQLModel, table=True):
    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "version", name="uq_document_version"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    version: int
    sha256: str = Field(max_length=64)
    pages: int
    size: int
    note: str = Field(default="", max_length=2000)
    uploaded_by: int | None = Field(default=None, foreign_key="user_account.id")
    uploaded_at: datetime = Field(default_factory=utcnow)


def present_kinds(*, session: Session, programme_item_ids: Iterable[int]) -> dict[int, set[str]]:
    """For each programme item, the document kinds that have at least one version."""
    ids = list(programme_item_ids)
    found: dict[int, set[str]] = defaultdict(set)
    if not ids:
        return found
    rows = session.exec(
        select(Document.programme_item_id, Document.kind)
        .where(col(Document.programme_item_id).in_(ids))
        .where(col(Document.id).in_(select(DocumentVersion.document_id)))
    ).all()
    for item_id, kind in rows:
        found[item_id].add(kind)
    return found


def _check_kind(kind: str) -> str:
    if kind not in DOCUMENT_KINDS:
        raise RuleBroken(
            N_("Loại tài liệu không hợp lệ ({kinds})."),
            code="unknown_document_kind",
            kinds=", ".join(DOCUMENT_KINDS),
        )
    return kind


def _check_title(title: str) -> str:
    title = one_line(title)
    if not title or len(title) > MAX_TITLE:
        raise RuleBroken(N_("Tên tài liệu thiếu hoặc quá dài."), code="bad_title")
    return title


def _check_note(note: str, *, required: bool) -> str:
    note = note.strip()
    if required and not note:
        raise RuleBroken(N_("Cần ghi chú nội dung thay đổi của phiên bản mới."), code="change_note_required")
    if len(note) > MAX_NOTE:
        raise RuleBroken(N_("Ghi chú quá dài (tối đa {limit} ký tự)."), code="note_too_long", limit=MAX_NOTE)
    return note


def _check_file(sha256: str, pages: int, size: int) -> None:
    if not SHA256_RE.match(sha256) or pages < 1 or size < 1:
        raise InvalidInput(N_("Tệp tài liệu không hợp lệ."), code="bad_file")


def check_new_document(*, kind: str, title: str | None, note: str) -> None:
    """The cheap checks of `add_document`, for the web layer to run before the file is checked.

    A missing title passes here: the upload may take it from the PDF's own metadata.
    """
    _check_kind(kind)
    if title is not None and one_line(title):
        _check_title(title)
    _check_note(note, required=False)


def check_new_version(*, title: str | None, note: str) -> None:
    """The cheap checks of `add_version`, for the web layer to run before the file is checked."""
    if title is not None and title.strip():
        _check_title(title)
    _check_note(note, required=True)


def _live_agenda_items(session: Session, programme_item_id: int) -> list[tuple[int, int]]:
    """(meeting id, agenda item id) wherever the item is on the agenda of a published or running meeting."""
    from agenda.meetings.agenda_items import AgendaItem
    from agenda.meetings.meetings import Meeting

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
        search.store_text(session, version.id, text)
    search.index_document_version(session, document, text)


def _tell_meetings(
    session: Session, document: Document, version: DocumentVersion, actor_id: int | None
) -> None:
    """Log `document.updated` on every published or running meeting whose agenda holds the item,
    so the tablets following it learn of the new paper or version."""
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
    from agenda.programme.programme import ProgrammeItem  # programme imports this module

    if session.get(ProgrammeItem, programme_item_id) is None:
        raise NotFound()
    _check_kind(kind)
    title = _check_title(title)
    note = _check_note(note, required=False)
    _check_file(sha256, pages, size)
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
    note = _check_note(note, required=True)
    new_title = _check_title(title) if title is not None and title.strip() else None
    _check_file(sha256, pages, size)
    latest = session.exec(
        select(func.max(DocumentVersion.version)).where(DocumentVersion.document_id == document_id)
    ).one()
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


def public_version(version: DocumentVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "pages": version.pages,
        "size": version.size,
        "uploaded_at": iso(version.uploaded_at),
        "note": version.note,
    }


def public_document(document: Document, versions: list[DocumentVersion]) -> dict[str, Any]:
    """A document with its versions, oldest first, and the latest one again as `latest`."""
    shown = [public_version(v) for v in sorted(versions, key=lambda v: v.version)]
    return {
        "id": document.id,
        "kind": document.kind,
        "title": document.title,
        "programme_item_id": document.programme_item_id,
        "versions": shown,
        "latest": shown[-1] if shown else None,
    }


def dossier(*, session: Session, programme_item_id: int) -> list[dict[str, Any]]:
    """Every document of an item's dossier with its versions, in the order they were added."""
    documents = session.exec(
        select(Document).where(Document.programme_item_id == programme_item_id).order_by(col(Document.id))
    ).all()
    ids = [d.id for d in documents if d.id is not None]
    by_document: dict[int, list[DocumentVersion]] = defaultdict(list)
    if ids:
        for row in session.exec(
            select(DocumentVersion)
            .where(col(DocumentVersion.document_id).in_(ids))
            .order_by(col(DocumentVersion.version))
        ).all():
            by_document[row.document_id].append(row)
    return [public_document(d, by_document[d.id or 0]) for d in documents]


def visible_dossier(*, session: Session, programme_item_id: int, viewer: Viewer) -> list[dict[str, Any]]:
    """The dossier, or NotFound when the item does not exist or `viewer` may not read its papers."""
    from agenda.programme.programme import ProgrammeItem  # programme imports this module

    if session.get(ProgrammeItem, programme_item_id) is None or not can_view_programme_papers(
        session=session, viewer=viewer, programme_item_id=programme_item_id
    ):
        raise NotFound()
    return dossier(session=session, programme_item_id=programme_item_id)


# --- who may read what ---------------------------------------------------------------------------


def can_view_programme_papers(*, session: Session, viewer: Viewer, programme_item_id: int) -> bool:
    """Papers follow the agenda: staff see every dossier; others see an item's papers only while
    it is on a published agenda of a meeting they may see, and not restricted from them, or once
    an opinion ballot on it was sent to their member (members and assistants)."""
    from agenda.meetings.agenda_items import AgendaItem, audiences, can_see_item
    from agenda.meetings.meetings import Meeting, can_see, guest_ids, invitee_ids

    if viewer.is_staff:
        return True
    if viewer.member_id is not None and viewer.has("member", "assistant"):
        from agenda.polls.opinion_polls import polled_member  # an opinion ballot carries its item's papers

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


def get_document(*, session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound()
    return document


def get_visible_document(*, session: Session, document_id: int, viewer: Viewer) -> Document:
    """The document, or NotFound when it does not exist or `viewer` may not read its papers."""
    document = session.get(Document, document_id)
    if document is None or not can_view_programme_papers(
        session=session, viewer=viewer, programme_item_id=document.programme_item_id
    ):
        raise NotFound()
    return document


def versions_of(*, session: Session, document_id: int) -> list[DocumentVersion]:
    """Every version of a document, oldest first."""
    return list(
        session.exec(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document_id)
            .order_by(col(DocumentVersion.version))
        ).all()
    )


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


def version_news(*, session: Session, user_id: int, document_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The documents with a version newer than any the user has opened, and what changed.

    Only documents the user has opened at all (a read receipt of an older version) and not in
    their latest version. Per document id: `opened_version`, `opened_pages`, and the latest
    `version`, `pages`, `note` (its change note) and `uploaded_at`.
    """
    from agenda.papers.copies import ReadReceipt

    ids = sorted(set(document_ids))
    if not ids:
        return {}
    opened = session.exec(
        select(DocumentVersion.document_id, func.max(DocumentVersion.version))
        .join(ReadReceipt, col(ReadReceipt.document_version_id) == DocumentVersion.id)
        .where(ReadReceipt.user_id == user_id, col(DocumentVersion.document_id).in_(ids))
        .group_by(col(DocumentVersion.document_id))
    ).all()
    seen = {document_id: version for document_id, version in opened if version is not None}
    if not seen:
        return {}
    by_document: dict[int, dict[int, DocumentVersion]] = defaultdict(dict)
    for row in session.exec(
        select(DocumentVersion).where(col(DocumentVersion.document_id).in_(sorted(seen)))
    ).all():
        by_document[row.document_id][row.version] = row
    news: dict[int, dict[str, Any]] = {}
    for document_id, opened_version in seen.items():
        versions = by_document[document_id]
        latest = versions[max(versions)]
        if latest.version <= opened_version:
            continue
        news[document_id] = {
            "opened_version": opened_version,
            "opened_pages": versions[opened_version].pages,
            "version": latest.version,
            "pages": latest.pages,
            "note": latest.note,
            "uploaded_at": latest.uploaded_at,
        }
    return news


def latest_versions(
    *, session: Session, programme_item_ids: list[int]
) -> list[tuple[Document, DocumentVersion]]:
    """Each document of these programme items with its newest version, by document id."""
    if not programme_item_ids:
        return []
    latest = (
        select(DocumentVersion.document_id, func.max(DocumentVersion.version).label("v"))
        .group_by(col(DocumentVersion.document_id))
        .subquery()
    )
    rows = session.exec(
        select(Document, DocumentVersion)
        .join(latest, latest.c.document_id == Document.id)
        .join(
            DocumentVersion,
            (col(DocumentVersion.document_id) == Document.id) & (col(DocumentVersion.version) == latest.c.v),
        )
        .where(col(Document.programme_item_id).in_(programme_item_ids))
        .order_by(col(Document.id))
    ).all()
    return [(document, version) for document, version in rows]
