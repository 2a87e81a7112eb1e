"""Private notes per page of a document, seen only by their author. See docs/reader.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, to_utc, utcnow
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
    """The body of `PUT /api/v1/documents/{id}/notes/{page}`: the note's whole text, and for an
    edit made offline the `updated_at` it started from (null: there was no note)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str
    base_updated_at: str | None = None

    def has_base(self) -> bool:
        """Did the body say what the edit started from (a queued offline edit)?"""
        return "base_updated_at" in self.model_fields_set


MAX_NOTE_CHARS = 10_000
# Between the stored note and an offline edit that met it (docs/reader.md "Notes made offline").
OFFLINE_SEPARATOR = N_("— Bản ghi khi ngoại tuyến ({time}) —")


@dataclass(frozen=True)
class Saved:
    note: PageNote | None  # None when none is left
    conflict: bool = False


def parse_base(raw: str | None) -> datetime | None:
    """The `base_updated_at` of a body as an aware time; InvalidInput when it is not ISO 8601."""
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(N_("Thời điểm gốc của ghi chú không hợp lệ."), code="bad_base") from exc
    return to_utc(value)


def _same_second(stored: datetime, base: datetime) -> bool:
    """The API gives `updated_at` to the second (agenda.clock.iso): compare at that grain."""
    return to_utc(stored).replace(microsecond=0) == base.replace(microsecond=0)


def save_offline_note(
    *,
    session: Session,
    user_id: int,
    document_id: int,
    page: int,
    text: str,
    base: datetime | None,
    separator: Callable[[datetime], str],
) -> Saved:
    """An edit made offline, sent with the `updated_at` it started from (`base`, None when there
    was no note). When the stored note changed since (another device, or online meanwhile), both
    are kept: the stored text, then `separator(now)` on its own line, then the offline text; and
    an offline deletion of a note changed since keeps the stored one. Otherwise it is `save_note`."""
    if len(text) > MAX_NOTE_CHARS:
        raise RuleBroken(N_("Ghi chú dài quá {limit} ký tự."), code="note_too_long", limit=MAX_NOTE_CHARS)
    _check_page(session=session, document_id=document_id, page=page)
    stored = _find(session, user_id, document_id, page)
    moved = stored is not None and (base is None or not _same_second(stored.updated_at, base))
    if stored is None or not moved or stored.text == text:
        return Saved(
            save_note(session=session, user_id=user_id, document_id=document_id, page=page, text=text)
        )
    if not text.strip():
        return Saved(stored, conflict=True)
    merged = f"{stored.text.rstrip()}\n\n{separator(utcnow())}\n{text}"
    return Saved(
        save_note(
            session=session, user_id=user_id, document_id=document_id, page=page, text=merged, limit=None
        ),
        conflict=True,
    )


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


def save_note(
    *,
    session: Session,
    user_id: int,
    document_id: int,
    page: int,
    text: str,
    limit: int | None = MAX_NOTE_CHARS,
) -> PageNote | None:
    """Write the user's note on one page; blank text deletes it. Returns the note, or None when
    there is none left.

    The caller has checked that the user may read the document. The page must exist in the
    latest version. The events name the note and never carry its text: the log is read by the
    secretariat, the note by its author alone. `limit` is None only for a note that keeps both
    sides of an offline conflict (each side was checked).
    """
    if "\x00" in text:
        raise InvalidInput(N_("Ghi chú chứa ký tự không hợp lệ."), code="bad_note")
    if limit is not None and len(text) > limit:
        raise RuleBroken(N_("Ghi chú dài quá {limit} ký tự."), code="note_too_long", limit=limit)
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
