"""Personal copies and read receipts. See docs/papers.md.

A copy is one person's stamped copy of one document version (or of a meeting's briefing
book). Its short code, printed in the stamp, resolves back to the person, the version and the
time. There is one copy per (version, person); its file is a cache that can be rebuilt from the
original and this row at any time, byte for byte the same stamp.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from agenda.clock import utcnow


class DocumentCopy(SQLModel, table=True):
    __tablename__ = "document_copy"
    __table_args__ = (
        UniqueConstraint("document_version_id", "user_id", name="uq_copy_version_user"),
        UniqueConstraint("meeting_id", "user_id", "book_hash", name="uq_copy_book_user"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    document_version_id: int | None = Field(default=None, foreign_key="document_version.id")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")  # a briefing book
    book_hash: str | None = Field(default=None, max_length=64)  # the book's inputs, for a book copy
    issued_at: datetime = Field(default_factory=utcnow)


class ReadReceipt(SQLModel, table=True):
    """One open of a copy: who, which version, when. Append-only."""

    __tablename__ = "read_receipt"

    id: int | None = Field(default=None, primary_key=True)
    copy_id: int = Field(foreign_key="document_copy.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    document_version_id: int | None = Field(default=None, foreign_key="document_version.id", index=True)
    at: datetime = Field(default_factory=utcnow)
