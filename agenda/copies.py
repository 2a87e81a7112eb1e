"""Personal copies and read receipts. See docs/papers.md.

A copy is one person's stamped copy of one document version (or of a meeting's briefing
book). Its short code, printed in the stamp, resolves back to the person, the version and the
time. There is one copy per (version, person); its file is a cache that can be rebuilt from the
original and this row at any time, byte for byte the same stamp.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from agenda import event_kinds as k
from agenda import events
from agenda.clock import utcnow
from agenda.errors import NotFound


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


# --- issuing and resolving copies ---------------------------------------------------------------

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper


def new_code() -> str:
    """A short, unguessable code like `K7Q2-M9XD` (40 bits)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())[:8]
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == 8 else cleaned


def issue_copy(
    *,
    session: Session,
    user_id: int,
    document_version_id: int | None = None,
    meeting_id: int | None = None,
    book_hash: str | None = None,
) -> DocumentCopy:
    """The user's copy of a document version (or of a meeting's book); made and logged once."""
    if (document_version_id is None) == (meeting_id is None):
        raise ValueError("a copy is of a document version or of a book")
    query = select(DocumentCopy).where(DocumentCopy.user_id == user_id)
    if document_version_id is not None:
        query = query.where(DocumentCopy.document_version_id == document_version_id)
    else:
        query = query.where(DocumentCopy.meeting_id == meeting_id, DocumentCopy.book_hash == book_hash)
    found = session.exec(query).first()
    if found is not None:
        return found
    copy = DocumentCopy(
        code=new_code(),
        user_id=user_id,
        document_version_id=document_version_id,
        meeting_id=meeting_id,
        book_hash=book_hash,
    )
    session.add(copy)
    session.flush()
    assert copy.id is not None
    events.append(
        session,
        k.CopyIssued(
            copy_id=copy.id,
            code=copy.code,
            user_id=user_id,
            document_version_id=document_version_id,
            book_meeting_id=meeting_id,
        ),
        actor_id=user_id,
    )
    return copy


def record_open(*, session: Session, copy: DocumentCopy) -> ReadReceipt:
    """Log that the copy's owner opened it."""
    assert copy.id is not None
    receipt = ReadReceipt(copy_id=copy.id, user_id=copy.user_id, document_version_id=copy.document_version_id)
    session.add(receipt)
    events.append(
        session,
        k.CopyOpened(copy_id=copy.id, user_id=copy.user_id, document_version_id=copy.document_version_id),
        actor_id=copy.user_id,
    )
    return receipt


def find_copy(*, session: Session, code: str) -> DocumentCopy:
    copy = session.exec(select(DocumentCopy).where(DocumentCopy.code == normalize_code(code))).first()
    if copy is None:
        raise NotFound()
    return copy
