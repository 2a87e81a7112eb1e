"""What one recipient's briefing book holds: the plan both the pages and the build draw from.

agenda/books/briefing.py makes it from the database; agenda/books/book_pages.py draws its cover,
contents and dividers; agenda/books/book_build.py assembles the PDF. Plain frozen data, so it
crosses into the PDF process pool.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BookDocument:
    """One document of an agenda item, in its latest version."""

    document_id: int
    version_id: int
    version: int
    kind: str
    kind_label: str
    title: str
    pages: int
    sha256: str
    path: str  # the stored original


@dataclass(frozen=True)
class BookItem:
    """An agenda item this recipient may see. `number` is its number on the agenda (its
    position), so the book keeps the agenda's numbers where a restricted item was left out."""

    agenda_item_id: int
    position: int
    number: int
    title: str
    code: str
    lead_agency: str
    presenter: str
    minutes: int
    consent: bool
    documents: tuple[BookDocument, ...]


@dataclass(frozen=True)
class BookPlan:
    """Everything one recipient's book shows; `plan_hash` names it in the cache."""

    meeting_id: int
    title: str
    kind: str
    kind_label: str
    starts_at: str  # local, e.g. "08:30, thứ Năm, ngày 03/12/2026"
    place: str
    chair_name: str
    chair_title: str
    agenda_version: int
    draft: bool
    recipient_id: int
    recipient_name: str
    recipient_title: str
    items: tuple[BookItem, ...]
    hidden: tuple[int, ...] = ()  # the agenda numbers left out (items outside this recipient's audience)
    agenda_size: int = 0  # how many items the agenda has, these included
    plan_hash: str = ""

    @property
    def total(self) -> int:
        return self.agenda_size or len(self.items)
