"""Personal copies and read receipts. See docs/papers.md.

A copy is one person's stamped copy of one document version (or of a meeting's briefing
book). Its short code, printed in the stamp, resolves back to the person, the version and the
time. There is one copy per (version, person); its file is a cache that can be rebuilt from the
original and this row at any time, byte for byte the same stamp.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import UniqueConstraint, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, utcnow
from agenda.errors import NotFound
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.papers.documents import Document, DocumentVersion
from agenda.people.accounts import User


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


def copy_of(
    *,
    session: Session,
    user_id: int,
    document_version_id: int | None = None,
    meeting_id: int | None = None,
    book_hash: str | None = None,
) -> DocumentCopy | None:
    """The user's copy of a document version (or of a meeting's book), if one was issued."""
    if (document_version_id is None) == (meeting_id is None):
        raise ValueError("a copy is of a document version or of a book")
    query = select(DocumentCopy).where(DocumentCopy.user_id == user_id)
    if document_version_id is not None:
        query = query.where(DocumentCopy.document_version_id == document_version_id)
    else:
        query = query.where(DocumentCopy.meeting_id == meeting_id, DocumentCopy.book_hash == book_hash)
    return session.exec(query).first()


def issue_copy(
    *,
    session: Session,
    user_id: int,
    document_version_id: int | None = None,
    meeting_id: int | None = None,
    book_hash: str | None = None,
) -> DocumentCopy:
    """The user's copy of a document version (or of a meeting's book); made and logged once."""
    found = copy_of(
        session=session,
        user_id=user_id,
        document_version_id=document_version_id,
        meeting_id=meeting_id,
        book_hash=book_hash,
    )
    if found is not None:
        return found
    copy = DocumentCopy(
        code=new_code(),
        user_id=user_id,
        document_version_id=document_version_id,
        meeting_id=meeting_id,
        book_hash=book_hash,
    )
    try:
        # A concurrent first open of the same copy (PostgreSQL runs both transactions at once)
        # loses on the unique constraint: roll back to the savepoint and take the winner's row.
        with session.begin_nested():
            session.add(copy)
            session.flush()
    except IntegrityError:
        found = copy_of(
            session=session,
            user_id=user_id,
            document_version_id=document_version_id,
            meeting_id=meeting_id,
            book_hash=book_hash,
        )
        if found is None:
            raise
        return found
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


# A reader that asks for the whole file and then for ranges (pdf.js cancels the whole-file
# request and fetches the first range itself) opens the copy once, not twice.
OPEN_WINDOW = timedelta(minutes=5)


def record_open(*, session: Session, copy: DocumentCopy, partial: bool = False) -> ReadReceipt | None:
    """Log that the copy's owner opened it (a read receipt and `copy.opened`).

    A `partial` open, a byte range from the start of the file, is the same open as one logged
    in the last OPEN_WINDOW and is not logged again: then None.
    """
    assert copy.id is not None
    if partial:
        recent = session.exec(
            select(ReadReceipt.id).where(
                ReadReceipt.copy_id == copy.id, ReadReceipt.at > utcnow() - OPEN_WINDOW
            )
        ).first()
        if recent is not None:
            return None
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


def opens_of(*, session: Session, copy_id: int) -> list[ReadReceipt]:
    """Every recorded open of a copy, oldest first."""
    return list(
        session.exec(
            select(ReadReceipt)
            .where(ReadReceipt.copy_id == copy_id)
            .order_by(col(ReadReceipt.at), col(ReadReceipt.id))
        ).all()
    )


def trace_copy(*, session: Session, code: str) -> dict[str, Any]:
    """What a copy code printed on a paper resolves to: whose copy, of what, issued when, opened when.

    For the secretariat tracing a paper back to its recipient. NotFound for an unknown code.
    """
    copy = find_copy(session=session, code=code)
    assert copy.id is not None
    user = session.get(User, copy.user_id)
    version = session.get(DocumentVersion, copy.document_version_id) if copy.document_version_id else None
    document = session.get(Document, version.document_id) if version is not None else None
    return {
        "code": copy.code,
        "user": {"id": user.id, "username": user.username, "full_name": user.full_name} if user else None,
        "document": (
            {"id": document.id, "title": document.title, "kind": document.kind} if document else None
        ),
        "version": version.version if version is not None else None,
        "meeting_id": copy.meeting_id,
        "issued_at": iso(copy.issued_at),
        "opens": [{"at": iso(receipt.at)} for receipt in opens_of(session=session, copy_id=copy.id)],
    }


def version_news(*, session: Session, user_id: int, document_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The documents with a version newer than any the user has opened, and what changed.

    Only documents the user has opened at all (a read receipt of an older version) and not in
    their latest version. Per document id: `opened_version`, `opened_pages`, and the latest
    `version`, `pages`, `note` (its change note) and `uploaded_at`.
    """
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
