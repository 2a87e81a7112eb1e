"""Who has read the papers of a meeting: the secretariat's readiness view. See docs/papers.md.

For each programme item on the agenda: whether its dossier is complete, and for every invited
member and every document (in its latest version) whether the member opened that latest
version, only an older one, or nothing yet. An open is a read receipt of any account linked to
the member (`User.member_id`: the member's own account or their assistant's). A member outside
a restricted item's audience cannot open its papers; those cells are "not in audience" and do
not count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select  # five columns: more than sqlmodel's select types
from sqlmodel import Session, col, select

from agenda.clock import iso
from agenda.meetings.agenda_items import audiences, list_items
from agenda.meetings.meetings import get_meeting, invitee_ids
from agenda.papers.copies import ReadReceipt
from agenda.papers.documents import Document, DocumentVersion, present_kinds
from agenda.people.accounts import User
from agenda.people.members import Member
from agenda.policy import Policy
from agenda.programme.programme import ProgrammeItem

LATEST = "latest"  # opened the latest version
OLDER = "older"  # opened only older versions
UNREAD = "unread"  # opened no version
NOT_IN_AUDIENCE = "not_in_audience"  # a restricted item the member may not see


@dataclass(frozen=True)
class ReadingDocument:
    id: int
    kind: str
    title: str
    version: int  # the latest version
    version_id: int
    pages: int


@dataclass(frozen=True)
class ReadingItem:
    agenda_item_id: int
    position: int
    title: str
    code: str
    programme_item_id: int
    programme_kind: str
    restricted: bool
    missing_documents: list[str]
    documents: list[ReadingDocument]
    audience: frozenset[int]  # the invited members who may see the item's papers

    @property
    def ready(self) -> bool:
        return not self.missing_documents


@dataclass(frozen=True)
class Cell:
    state: str  # LATEST, OLDER, UNREAD or NOT_IN_AUDIENCE
    opened_version: int | None = None  # the newest version the member opened
    last_opened_at: datetime | None = None


@dataclass(frozen=True)
class Tally:
    latest: int = 0
    older: int = 0
    unread: int = 0

    @property
    def total(self) -> int:
        return self.latest + self.older + self.unread


@dataclass
class ReadingMatrix:
    meeting_id: int
    members: list[Member]
    items: list[ReadingItem]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)  # (member id, document id)

    @property
    def documents(self) -> list[ReadingDocument]:
        return [d for item in self.items for d in item.documents]

    def cell(self, member_id: int, document_id: int) -> Cell:
        return self.cells.get((member_id, document_id), Cell(UNREAD))

    def _tally(self, cells: list[Cell]) -> Tally:
        states = [c.state for c in cells]
        return Tally(latest=states.count(LATEST), older=states.count(OLDER), unread=states.count(UNREAD))

    def by_member(self, member_id: int) -> Tally:
        return self._tally([self.cell(member_id, d.id) for d in self.documents])

    def by_document(self, document_id: int) -> Tally:
        return self._tally([self.cell(m.id, document_id) for m in self.members if m.id is not None])

    @property
    def totals(self) -> Tally:
        return self._tally(list(self.cells.values()))


def _items(
    session: Session, meeting_id: int, invited: set[int], chair_id: int | None, policy: Policy
) -> list[ReadingItem]:
    agenda = [i for i in list_items(session, meeting_id) if i.programme_item_id is not None]
    programme_ids = [i.programme_item_id for i in agenda if i.programme_item_id is not None]
    programme = {
        p.id: p
        for p in session.exec(select(ProgrammeItem).where(col(ProgrammeItem.id).in_(programme_ids))).all()
    }
    present = present_kinds(session=session, programme_item_ids=programme_ids)
    latest = (
        select(DocumentVersion.document_id, func.max(DocumentVersion.version).label("v"))
        .group_by(col(DocumentVersion.document_id))
        .subquery()
    )
    documents: dict[int, list[ReadingDocument]] = defaultdict(list)
    for doc, version in session.exec(
        select(Document, DocumentVersion)
        .join(latest, latest.c.document_id == Document.id)
        .join(
            DocumentVersion,
            (col(DocumentVersion.document_id) == Document.id) & (col(DocumentVersion.version) == latest.c.v),
        )
        .where(col(Document.programme_item_id).in_(programme_ids))
        .order_by(col(Document.id))
    ).all():
        assert doc.id is not None and version.id is not None
        documents[doc.programme_item_id].append(
            ReadingDocument(
                id=doc.id,
                kind=doc.kind,
                title=doc.title,
                version=version.version,
                version_id=version.id,
                pages=version.pages,
            )
        )
    audience = audiences(session, [i.id for i in agenda if i.id is not None])
    found: list[ReadingItem] = []
    for item in agenda:
        assert item.id is not None and item.programme_item_id is not None
        source = programme.get(item.programme_item_id)
        if source is None:
            continue
        who = invited
        if item.restricted:
            who = invited & ({*audience.get(item.id, []), *([chair_id] if chair_id is not None else [])})
        found.append(
            ReadingItem(
                agenda_item_id=item.id,
                position=item.position,
                title=item.title,
                code=source.code,
                programme_item_id=item.programme_item_id,
                programme_kind=source.kind,
                restricted=item.restricted,
                missing_documents=policy.missing_documents(
                    source.kind, present.get(item.programme_item_id, set())
                ),
                documents=documents.get(item.programme_item_id, []),
                audience=frozenset(who),
            )
        )
    return found


def reading_matrix(*, session: Session, meeting_id: int, policy: Policy) -> ReadingMatrix:
    """Invited members × the latest version of every document of the agenda's programme items.

    NotFound when the meeting does not exist. (Who may ask is the caller's check: the
    secretariat and the chair.)
    """
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    invited = set(invitee_ids(session, meeting_id))
    members = list(
        session.exec(
            select(Member).where(col(Member.id).in_(invited)).order_by(col(Member.precedence), col(Member.id))
        ).all()
    )
    items = _items(session, meeting_id, invited, meeting.chair_member_id, policy)
    matrix = ReadingMatrix(meeting_id=meeting_id, members=members, items=items)
    by_document = {d.id: d for d in matrix.documents}
    if not members or not by_document:
        return matrix
    # One row per (member, document, version opened): the newest open of each.
    opened: dict[tuple[int, int], list[tuple[int, int, datetime]]] = defaultdict(list)
    for member_id, document_id, version_id, version, last_at in session.execute(
        sa_select(
            col(User.member_id),
            col(DocumentVersion.document_id),
            col(DocumentVersion.id),
            col(DocumentVersion.version),
            func.max(ReadReceipt.at),
        )
        .select_from(ReadReceipt)
        .join(User, col(User.id) == ReadReceipt.user_id)
        .join(DocumentVersion, col(DocumentVersion.id) == ReadReceipt.document_version_id)
        .where(col(User.member_id).in_(invited), col(DocumentVersion.document_id).in_(by_document))
        .group_by(
            col(User.member_id),
            col(DocumentVersion.document_id),
            col(DocumentVersion.id),
            col(DocumentVersion.version),
        )
    ).all():
        if member_id is not None and version_id is not None:
            opened[(member_id, document_id)].append((version_id, version, last_at))
    for item in items:
        for document in item.documents:
            for member in members:
                assert member.id is not None
                if member.id not in item.audience:
                    matrix.cells[(member.id, document.id)] = Cell(NOT_IN_AUDIENCE)
                    continue
                rows = opened.get((member.id, document.id), [])
                if not rows:
                    matrix.cells[(member.id, document.id)] = Cell(UNREAD)
                    continue
                newest = max(rows, key=lambda r: r[1])
                state = LATEST if any(r[0] == document.version_id for r in rows) else OLDER
                matrix.cells[(member.id, document.id)] = Cell(
                    state, opened_version=newest[1], last_opened_at=max(r[2] for r in rows)
                )
    return matrix


def public_matrix(matrix: ReadingMatrix) -> dict[str, Any]:
    """The matrix as JSON for GET /api/v1/meetings/{id}/reading."""

    def tally(found: Tally) -> dict[str, int]:
        return {"latest": found.latest, "older": found.older, "unread": found.unread, "total": found.total}

    return {
        "meeting_id": matrix.meeting_id,
        "members": [{"id": m.id, "full_name": m.full_name, "title": m.title} for m in matrix.members],
        "items": [
            {
                "agenda_item_id": item.agenda_item_id,
                "position": item.position,
                "title": item.title,
                "code": item.code,
                "programme_item_id": item.programme_item_id,
                "restricted": item.restricted,
                "ready": item.ready,
                "missing_documents": item.missing_documents,
                "documents": [
                    {
                        "id": d.id,
                        "kind": d.kind,
                        "title": d.title,
                        "version": d.version,
                        "pages": d.pages,
                        "reading": tally(matrix.by_document(d.id)),
                    }
                    for d in item.documents
                ],
            }
            for item in matrix.items
        ],
        "rows": [
            {
                "member_id": m.id,
                "reading": tally(matrix.by_member(m.id or 0)),
                "cells": [
                    {
                        "document_id": d.id,
                        "state": (cell := matrix.cell(m.id or 0, d.id)).state,
                        "opened_version": cell.opened_version,
                        "last_opened_at": iso(cell.last_opened_at),
                    }
                    for d in matrix.documents
                ],
            }
            for m in matrix.members
        ],
        "totals": tally(matrix.totals),
    }
