"""Briefing documents and their versions (the dossier of a programme item).

The upload path, validation and watermarking build on these tables; readiness reads which
document kinds a dossier holds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from agenda import event_kinds as k
from agenda import events
from agenda.clock import utcnow
from agenda.errors import InvalidInput, NotFound, RuleBroken
from agenda.policy import DOCUMENT_KINDS
from agenda.text import N_
from agenda.viewer import Viewer

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


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
) -> tuple[Document, DocumentVersion]:
    """Add a document with its first version to an item's dossier and log `document.added`.

    The caller has already stored the original under its sha256 and counted its pages.
    """
    from agenda.programme import ProgrammeItem  # programme imports this module

    if session.get(ProgrammeItem, programme_item_id) is None:
        raise NotFound()
    if kind not in DOCUMENT_KINDS:
        raise RuleBroken(
            N_("Loại tài liệu không hợp lệ ({kinds})."),
            code="unknown_document_kind",
            kinds=", ".join(DOCUMENT_KINDS),
        )
    title = title.strip()
    if not title or len(title) > 500:
        raise RuleBroken(N_("Tên tài liệu thiếu hoặc quá dài."), code="bad_title")
    if not SHA256_RE.match(sha256) or pages < 1 or size < 1:
        raise InvalidInput(N_("Tệp tài liệu không hợp lệ."), code="bad_file")
    note = note.strip()[:2000]
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
    return document, version


# --- who may read what ---------------------------------------------------------------------------


def can_view_programme_papers(*, session: Session, viewer: Viewer, programme_item_id: int) -> bool:
    """Papers follow the agenda: staff see every dossier; others see an item's papers only while
    it is on a published agenda of a meeting they may see, and not restricted from them."""
    from agenda.agenda_items import AgendaItem, audiences, can_see_item
    from agenda.meetings import Meeting, can_see, guest_ids, invitee_ids

    if viewer.is_staff:
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
