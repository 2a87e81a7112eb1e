"""Briefing books: one watermarked PDF per meeting per recipient. See docs/papers.md.

`book_inputs` reads, in one database read, everything a recipient's book shows (a `BookPlan`:
plain, picklable data) and hashes it, so any change to the meeting, the agenda, a document or
who may see what gives a new `plan_hash`, and so a new book. `build_book` (agenda/books/book_build.py,
re-exported here) runs in the PDF process pool and turns a plan into the stamped PDF.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from pathlib import Path

from sqlmodel import Session, col, select

from agenda import storage
from agenda.books.book_build import BookError, BuildResult, build_book, read_progress, write_progress
from agenda.books.plan import BookDocument, BookItem, BookPlan
from agenda.errors import NotFound
from agenda.labels import MEETING_KIND_LABELS, local_when
from agenda.meetings.agenda_items import audiences, can_see_item, list_items
from agenda.meetings.meetings import get_meeting
from agenda.papers.copy_files import title_of
from agenda.papers.documents import latest_versions
from agenda.people.accounts import User
from agenda.people.members import Member
from agenda.policy import DOCUMENT_KINDS, Policy
from agenda.programme.programme import ProgrammeItem
from agenda.viewer import Viewer

# Bumped whenever the book's layout changes, so every cached book is rebuilt.
BOOK_FORMAT = 2  # 2: the agenda's numbers, with the gaps of restricted items

DOCUMENT_KIND_LABELS = {
    "submission": "Tờ trình",
    "draft": "Dự thảo",
    "appraisal": "Báo cáo thẩm định",
    "synthesis": "Báo cáo tổng hợp ý kiến",
    "annex": "Phụ lục",
    "other": "Tài liệu khác",
}


# --- the plan -----------------------------------------------------------------------------------


def _kind_order(kind: str) -> int:
    return DOCUMENT_KINDS.index(kind) if kind in DOCUMENT_KINDS else len(DOCUMENT_KINDS)


def _latest_documents(
    session: Session, programme_ids: list[int], data_dir: Path
) -> dict[int, list[BookDocument]]:
    """Per programme item, the latest version of each document, in DOCUMENT_KINDS order."""
    rows = latest_versions(session=session, programme_item_ids=programme_ids)
    found: dict[int, list[BookDocument]] = {}
    for document, version in sorted(rows, key=lambda row: (_kind_order(row[0].kind), row[0].id or 0)):
        assert document.id is not None and version.id is not None
        found.setdefault(document.programme_item_id, []).append(
            BookDocument(
                document_id=document.id,
                version_id=version.id,
                version=version.version,
                kind=document.kind,
                kind_label=DOCUMENT_KIND_LABELS.get(document.kind, document.kind),
                title=document.title,
                pages=version.pages,
                sha256=version.sha256,
                path=str(storage.original_path(data_dir, version.sha256)),
            )
        )
    return found


def book_inputs(
    *, session: Session, meeting_id: int, viewer: Viewer, policy: Policy, data_dir: Path
) -> BookPlan:
    """What `viewer`'s book of the meeting holds, and its hash. NotFound when the viewer may not
    see the meeting (a draft is seen by the secretariat and the chair only).

    Restricted items outside the viewer's audience are left out: no title, no papers. The items
    keep the agenda's numbers, and the contents say which numbers are not in the viewer's scope
    (`hidden`), so "item 8" is "8." in every book (issue 14, defect 9). `policy` is the
    deployment's rule book (the order of document kinds is DOCUMENT_KINDS for every deployment
    today).
    """
    meeting = get_meeting(session=session, meeting_id=meeting_id, viewer=viewer)
    assert meeting.id is not None
    items = list_items(session, meeting.id)
    audience = audiences(session, [i.id for i in items if i.id is not None])
    visible = [i for i in items if can_see_item(viewer, meeting, i, audience.get(i.id or 0, []))]
    programme_ids = [i.programme_item_id for i in visible if i.programme_item_id is not None]
    programme = {
        p.id: p
        for p in session.exec(select(ProgrammeItem).where(col(ProgrammeItem.id).in_(programme_ids))).all()
    }
    documents = _latest_documents(session, programme_ids, data_dir)
    book_items: list[BookItem] = []
    shown = {i.id for i in visible}
    hidden = tuple(i.position for i in items if i.id not in shown)
    for item in visible:
        assert item.id is not None
        source = programme.get(item.programme_item_id) if item.programme_item_id is not None else None
        book_items.append(
            BookItem(
                agenda_item_id=item.id,
                position=item.position,
                number=item.position,
                title=item.title,
                code=source.code if source else "",
                lead_agency=source.lead_agency if source else "",
                presenter=item.presenter,
                minutes=item.minutes,
                consent=item.consent,
                documents=tuple(documents.get(item.programme_item_id or 0, [])),
            )
        )
    chair = session.get(Member, meeting.chair_member_id) if meeting.chair_member_id else None
    user = session.get(User, viewer.user_id)
    if user is None:
        raise NotFound()
    plan = BookPlan(
        meeting_id=meeting.id,
        title=meeting.title,
        kind=meeting.kind,
        kind_label=MEETING_KIND_LABELS.get(meeting.kind, meeting.kind),
        starts_at=local_when(meeting.starts_at),
        place=meeting.place,
        chair_name=chair.full_name if chair else "",
        chair_title=chair.title if chair else "",
        agenda_version=meeting.agenda_version,
        draft=meeting.state == "draft",
        recipient_id=viewer.user_id,
        recipient_name=user.full_name,
        recipient_title=title_of(session=session, user=user),
        items=tuple(book_items),
        hidden=hidden,
        agenda_size=len(items),
    )
    return replace(plan, plan_hash=plan_digest(plan))


def plan_digest(plan: BookPlan) -> str:
    """sha256 over everything the book shows (meeting, agenda version, items in order with their
    documents' version ids and sha256, the recipient) and BOOK_FORMAT; not over file paths."""
    facts = asdict(plan)
    facts.pop("plan_hash")
    for item in facts["items"]:
        for document in item["documents"]:
            document.pop("path")
    facts["format"] = BOOK_FORMAT
    facts["visible"] = [i.agenda_item_id for i in plan.items]
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


__all__ = [
    "BOOK_FORMAT",
    "BookDocument",
    "BookError",
    "BookItem",
    "BookPlan",
    "BuildResult",
    "book_inputs",
    "build_book",
    "plan_digest",
    "read_progress",
    "write_progress",
]
