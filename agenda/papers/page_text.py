"""Each page's text of a document version, for anchoring annotations (docs/annotations.md).

Extracted once per version in the PDF pool from the stored original (agenda/papers/anchoring.py
`page_texts_of`), the first time a quote on that version is checked or the version re-anchors
the document's annotations, and kept here: one row per page.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, col, select


class DocumentPageText(SQLModel, table=True):
    __tablename__ = "document_page_text"

    document_version_id: int = Field(foreign_key="document_version.id", primary_key=True)
    page: int = Field(primary_key=True)  # 1-based
    text: str = Field(sa_column=Column(Text, nullable=False))


def has_texts(session: Session, version_id: int) -> bool:
    found = session.exec(
        select(DocumentPageText.page).where(DocumentPageText.document_version_id == version_id).limit(1)
    ).first()
    return found is not None


def page_texts(session: Session, version_id: int) -> list[str] | None:
    """The version's page texts in order; None when they were never extracted."""
    rows = session.exec(
        select(DocumentPageText.page, DocumentPageText.text)
        .where(DocumentPageText.document_version_id == version_id)
        .order_by(col(DocumentPageText.page))
    ).all()
    if not rows:
        return None
    texts = [""] * max(int(page) for page, _text in rows)
    for page, text in rows:
        texts[int(page) - 1] = text
    return texts


def store_texts(session: Session, version_id: int, texts: Sequence[str]) -> None:
    """Keep the version's page texts (a version extracted twice at once keeps the first)."""
    if has_texts(session, version_id):
        return
    for number, text in enumerate(texts or [""], start=1):
        session.add(
            DocumentPageText(document_version_id=version_id, page=number, text=text.replace("\x00", " "))
        )
    session.flush()
