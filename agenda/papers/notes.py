"""Private notes per page of a document, seen only by their author. See docs/reader.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, utcnow
from agenda.errors import InvalidInput, NotFound, RuleBroken
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.papers.documents import DocumentVersion
from agenda.text import N_


class PageNote(SQLModel, table=True):
    __tablename__ = "page_note"
    __table_args__ = (UniqueConstraint("user_id", "document_id", "page", name="uq_note_user_document_page"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    page: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class NoteText(BaseModel):
    """The body of `PUT /api/v1/documents/{id}/notes/{page}`: the note's whole text."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str


MAX_NOTE_CHARS = 10_000


def latest_page_count(*, session: Session, document_id: int) -> int:
    """The page count of the document's latest version; NotFound when it has none."""
    pages = session.exec(
        select(DocumentVersion.pages)
        .where(DocumentVersion.document_id == document_id)
        .order_by(col(DocumentVersion.version).desc())
        .limit(1)
    ).first()
    if pages is None:
        raise NotFound()
    return int(pages)


def _check_page(*, session: Session, document_id: int, page: int) -> None:
    pages = latest_page_count(session=session, document_id=document_id)
    if not 1 <= page <= pages:
        raise RuleBroken(
            N_("Trang {page} không có trong tài liệu (từ 1 đến {pages})."),
            code="page_out_of_range",
            page=page,
            pages=pages,
        )


def _find(session: Session, user_id: int, document_id: int, page: int) -> PageNote | None:
    return session.exec(
        select(PageNote).where(
            PageNote.user_id == user_id, PageNote.document_id == document_id, PageNote.page == page
        )
    ).first()


def save_note(*, session: Session, user_id: int, document_id: int, page: int, text: str) -> PageNote | None:
    """Write the user's note on one page; blank text deletes it. Returns the note, or None when
    there is none left.

    The caller has checked that the user may read the document. The page must exist in the
    latest version. The events name the note and never carry its text: the log is read by the
    secretariat, the note by its author alone.
    """
    if "\x00" in text:
        raise InvalidInput(N_("Ghi chú chứa ký tự không hợp lệ."), code="bad_note")
    if len(text) > MAX_NOTE_CHARS:
        raise RuleBroken(N_("Ghi chú dài quá {limit} ký tự."), code="note_too_long", limit=MAX_NOTE_CHARS)
    _check_page(session=session, document_id=document_id, page=page)
    note = _find(session, user_id, document_id, page)
    if not text.strip():
        if note is not None:
            _delete(session, note)
        return None
    if note is not None and note.text == text:
        return note  # an autosave of what is already stored changes nothing
    if note is None:
        note = PageNote(user_id=user_id, document_id=document_id, page=page, text=text)
    else:
        note.text = text
        note.updated_at = utcnow()
    session.add(note)
    session.flush()
    assert note.id is not None
    events.append(
        session,
        k.NoteSaved(note_id=note.id, document_id=document_id, page=page, user_id=user_id),
        actor_id=user_id,
    )
    return note


def delete_note(*, session: Session, user_id: int, document_id: int, page: int) -> bool:
    """Delete the user's note on one page; False when there was none (not an error)."""
    note = _find(session, user_id, document_id, page)
    if note is None:
        return False
    _delete(session, note)
    return True


def _delete(session: Session, note: PageNote) -> None:
    assert note.id is not None
    events.append(
        session,
        k.NoteDeleted(note_id=note.id, document_id=note.document_id, page=note.page, user_id=note.user_id),
        actor_id=note.user_id,
    )
    session.delete(note)
    session.flush()


def list_notes(*, session: Session, user_id: int, document_id: int) -> list[PageNote]:
    """The user's own notes on a document, by page. Nobody else's, whatever their role."""
    return list(
        session.exec(
            select(PageNote)
            .where(PageNote.user_id == user_id, PageNote.document_id == document_id)
            .order_by(col(PageNote.page))
        ).all()
    )


def public_note(note: PageNote) -> dict[str, Any]:
    return {"page": note.page, "text": note.text, "updated_at": iso(note.updated_at)}
