"""Private notes per page of a document, seen only by their author. See docs/papers.md."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from agenda.clock import utcnow


class PageNote(SQLModel, table=True):
    __tablename__ = "page_note"
    __table_args__ = (UniqueConstraint("user_id", "document_id", "page", name="uq_note_user_document_page"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    page: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
