"""Briefing documents and their versions (the dossier of a programme item).

The upload path (agenda/meetings/dossier.py), validation and watermarking build on these
tables; readiness reads which document kinds a dossier holds. Who may read a paper is decided
above the meetings and the polls, in agenda/access/papers.py.
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
from agenda.policy import DOCUMENT_KINDS
from agenda.search import index
from agenda.search.index import DocumentText
from agenda.text import N_, one_line

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_TITLE = 500
MAX_NOTE = 2000


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


def check_kind(kind: str) -> str:
    if kind not in DOCUMENT_KINDS:
        raise RuleBroken(
            N_("Loại tài liệu không hợp lệ ({kinds})."),
            code="unknown_document_kind",
            kinds=", ".join(DOCUMENT_KINDS),
        )
    return kind


def check_title(title: str) -> str:
    title = one_line(title)
    if not title or len(title) > MAX_TITLE:
        raise RuleBroken(N_("Tên tài liệu thiếu hoặc quá dài."), code="bad_title")
    return title


def check_note(note: str, *, required: bool) -> str:
    note = note.strip()
    if required and not note:
        raise RuleBroken(N_("Cần ghi chú nội dung thay đổi của phiên bản mới."), code="change_note_required")
    if len(note) > MAX_NOTE:
        raise RuleBroken(N_("Ghi chú quá dài (tối đa {limit} ký tự)."), code="note_too_long", limit=MAX_NOTE)
    return note


def check_file(sha256: str, pages: int, size: int) -> None:
    if not SHA256_RE.match(sha256) or pages < 1 or size < 1:
        raise InvalidInput(N_("Tệp tài liệu không hợp lệ."), code="bad_file")


def check_new_document(*, kind: str, title: str | None, note: str) -> None:
    """The cheap checks of `add_document`, for the web layer to run before the file is checked.

    A missing title passes here: the upload may take it from the PDF's own metadata.
    """
    check_kind(kind)
    if title is not None and one_line(title):
        check_title(title)
    check_note(note, required=False)


def check_new_version(*, title: str | None, note: str) -> None:
    """The cheap checks of `add_version`, for the web layer to run before the file is checked."""
    if title is not None and title.strip():
        check_title(title)
    check_note(note, required=True)


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


# --- who may read what ---------------------------------------------------------------------------


def get_document(*, session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
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


def index_document_version(session: Session, document: Document, text: str | None = None) -> None:
    """The document under its title, with the text of its latest version.

    `text` is that version's text when the caller has it at hand; otherwise it is read back.
    """
    assert document.id is not None
    if text is None:
        text = latest_text(session, document.id)
    index.put(session, "document", document.id, document.title, text)


def latest_text(session: Session, document_id: int, *, limit: int | None = None) -> str:
    value: Any = DocumentText.text if limit is None else func.substr(DocumentText.text, 1, limit)
    found = session.exec(
        select(value)
        .select_from(DocumentVersion)
        .outerjoin(DocumentText, col(DocumentText.document_version_id) == DocumentVersion.id)
        .where(DocumentVersion.document_id == document_id)
        .order_by(col(DocumentVersion.version).desc())
        .limit(1)
    ).first()
    return str(found or "")


def versions_without_text(session: Session) -> list[tuple[int, str]]:
    """(version id, sha256) of every document version whose text was never extracted
    (uploaded before search existed); `python run.py reindex` extracts them."""
    rows = session.exec(
        select(DocumentVersion.id, DocumentVersion.sha256)
        .where(col(DocumentVersion.id).not_in(select(DocumentText.document_version_id)))
        .order_by(col(DocumentVersion.id))
    ).all()
    return [(int(version_id), str(sha)) for version_id, sha in rows if version_id is not None]
