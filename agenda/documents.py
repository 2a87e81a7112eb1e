"""Briefing documents and their versions (the dossier of a programme item).

The upload path, validation and watermarking build on these tables; readiness reads which
document kinds a dossier holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import utcnow


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
