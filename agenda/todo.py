"""A member's to-do list: what is waiting for them, the home page's first card. See docs/home.md.

Four lists, each read for one viewer and filtered by the same rules as the pages they link to:
- the opinion ballots sent to the member and not answered yet, nearest deadline first;
- the next session (the member's earliest published or running meeting) with its time and place;
- the items of that session on which the member has not stated a position, while positions
  are still taken (the session is published, not started);
- the papers of that session the viewer has not opened, or opened only in an older version.
A restricted item the member is not in appears in none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from agenda.clock import utcnow
from agenda.meetings.agenda_items import AgendaItem, audiences, can_see_item, list_items
from agenda.meetings.meetings import Meeting, list_meetings
from agenda.meetings.positions import Position
from agenda.papers.copies import ReadReceipt
from agenda.papers.documents import DocumentVersion, latest_versions
from agenda.polls.opinion_polls import OpinionPoll, PollRecipient, PollResponse
from agenda.programme.programme import ProgrammeItem
from agenda.viewer import Viewer

NEXT_STATES = ("published", "in_progress")
# A published session that has not started stays "next" for this long after its scheduled time
# (it may be late, or moved); one older than that was abandoned, not pending.
STALE_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class PollTodo:
    poll_id: int
    question: str
    code: str
    deadline: datetime
    overdue: bool


@dataclass(frozen=True)
class PositionTodo:
    agenda_item_id: int
    position: int  # the item's number on the agenda
    title: str


@dataclass(frozen=True)
class PaperTodo:
    document_id: int
    title: str
    kind: str
    agenda_item_id: int
    position: int
    version: int  # the latest version
    opened_version: int | None  # the newest version the viewer opened; None: never opened

    @property
    def is_new_version(self) -> bool:
        return self.opened_version is not None


@dataclass
class Todo:
    meeting: Meeting | None = None
    polls: list[PollTodo] = field(default_factory=list)
    positions: list[PositionTodo] = field(default_factory=list)
    papers: list[PaperTodo] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many things wait for the viewer (the next session itself is not one)."""
        return len(self.polls) + len(self.positions) + len(self.papers)


def unanswered_polls(*, session: Session, member_id: int, now: datetime) -> list[PollTodo]:
    """The ballots sent to the member and still open, without their answer; nearest deadline first."""
    answered = select(PollResponse.poll_id).where(PollResponse.member_id == member_id)
    rows = session.exec(
        select(OpinionPoll, ProgrammeItem.code)
        .join(PollRecipient, col(PollRecipient.poll_id) == OpinionPoll.id)
        .join(ProgrammeItem, col(ProgrammeItem.id) == OpinionPoll.programme_item_id)
        .where(
            PollRecipient.member_id == member_id,
            OpinionPoll.state == "sent",
            col(OpinionPoll.id).not_in(answered),
        )
        .order_by(col(OpinionPoll.deadline), col(OpinionPoll.id))
    ).all()
    return [
        PollTodo(
            poll_id=poll.id or 0,
            question=poll.question,
            code=code,
            deadline=poll.deadline,
            overdue=now >= poll.deadline,
        )
        for poll, code in rows
    ]


def next_meeting(*, session: Session, viewer: Viewer, now: datetime) -> Meeting | None:
    """The viewer's running meeting, or else their earliest published one not long overdue."""
    found = [
        m
        for m in list_meetings(session=session, viewer=viewer)
        if m.state in NEXT_STATES and (m.state == "in_progress" or m.starts_at >= now - STALE_AFTER)
    ]
    found.sort(key=lambda m: (m.state != "in_progress", m.starts_at, m.id or 0))
    return found[0] if found else None


def visible_items(session: Session, viewer: Viewer, meeting: Meeting) -> list[AgendaItem]:
    """The meeting's agenda items this viewer may see, in agenda order."""
    items = list_items(session, meeting.id or 0)
    audience = audiences(session, [i.id for i in items if i.id is not None])
    return [i for i in items if can_see_item(viewer, meeting, i, audience.get(i.id or 0, []))]


def positions_to_give(
    *, session: Session, meeting: Meeting, items: list[AgendaItem], member_id: int
) -> list[PositionTodo]:
    """The items without the member's position, while the session takes positions (published)."""
    if meeting.state != "published":
        return []
    stated = set(
        session.exec(
            select(Position.agenda_item_id).where(
                Position.meeting_id == meeting.id, Position.member_id == member_id
            )
        ).all()
    )
    return [
        PositionTodo(agenda_item_id=i.id or 0, position=i.position, title=i.title)
        for i in items
        if i.id not in stated
    ]


def papers_to_read(*, session: Session, items: list[AgendaItem], user_id: int) -> list[PaperTodo]:
    """The papers of these items whose latest version the user has not opened, in agenda order."""
    by_programme = {i.programme_item_id: i for i in items if i.programme_item_id is not None}
    latest = latest_versions(session=session, programme_item_ids=sorted(by_programme))
    if not latest:
        return []
    opened = dict(
        session.exec(
            select(DocumentVersion.document_id, func.max(DocumentVersion.version))
            .join(ReadReceipt, col(ReadReceipt.document_version_id) == DocumentVersion.id)
            .where(
                ReadReceipt.user_id == user_id,
                col(DocumentVersion.document_id).in_([d.id for d, _ in latest]),
            )
            .group_by(col(DocumentVersion.document_id))
        ).all()
    )
    found: list[PaperTodo] = []
    for document, version in latest:
        seen = opened.get(document.id or 0)
        if seen is not None and seen >= version.version:
            continue
        item = by_programme[document.programme_item_id]
        found.append(
            PaperTodo(
                document_id=document.id or 0,
                title=document.title,
                kind=document.kind,
                agenda_item_id=item.id or 0,
                position=item.position,
                version=version.version,
                opened_version=seen,
            )
        )
    found.sort(key=lambda p: (p.position, p.document_id))
    return found


def member_todo(*, session: Session, viewer: Viewer, now: datetime | None = None) -> Todo:
    """What waits for this viewer. Ballots and positions are a member's own (an assistant sees
    the ballots sent to their member but cannot answer them, so they are listed; positions are
    not); the next session and its unread papers are anyone's who is invited."""
    now = now or utcnow()
    todo = Todo()
    if viewer.member_id is not None and viewer.has("member", "assistant"):
        todo.polls = unanswered_polls(session=session, member_id=viewer.member_id, now=now)
    meeting = next_meeting(session=session, viewer=viewer, now=now)
    if meeting is None:
        return todo
    todo.meeting = meeting
    items = visible_items(session, viewer, meeting)
    if viewer.member_id is not None and viewer.has("member"):
        todo.positions = positions_to_give(
            session=session, meeting=meeting, items=items, member_id=viewer.member_id
        )
    todo.papers = papers_to_read(session=session, items=items, user_id=viewer.user_id)
    return todo
