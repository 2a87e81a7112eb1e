"""Opinion ballots (phiếu lấy ý kiến thành viên Chính phủ): how the Government decides between
sessions. See docs/opinion-polls.md.

- States: draft -> sent -> closed. The secretariat creates a ballot on a programme item (its
  papers are the item's dossier) with a question and a deadline, then sends it: every active
  voting member at that moment becomes a recipient (`poll_recipient`), fixed from then on.
- A recipient answers agree, disagree or other, with a comment, and may revise until the
  deadline; after it the answer is refused (409 `deadline_passed`). An assistant sees the
  member's ballots and papers but never answers.
- The ballot closes early (secretariat) or at the deadline (`close_due_polls`, run by the
  reminder loop); it is tallied in the closing transaction under `Policy.adopted_by_opinion`:
  adopted when those who agree exceed half of the total membership (the recipients), so
  non-responders count against. `python run.py verify` recounts every closed ballot.

The tables and the reads are here; the life of a ballot is agenda/polls/poll_lifecycle.py, what each
viewer sees of it agenda/polls/poll_views.py, its reminders agenda/polls/reminders.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import utcnow
from agenda.errors import NotFound
from agenda.text import N_
from agenda.viewer import Viewer

POSITIONS = ("agree", "disagree", "other")
STATES = ("draft", "sent", "closed")
RULE = "agree_over_half_of_membership"
MAX_COMMENT = 5000
MIN_LEAD = timedelta(minutes=5)  # a deadline at least this far ahead when created or sent
MAX_LEAD = timedelta(days=366)
NOT_A_RECIPIENT = N_(
    "Chỉ thành viên Chính phủ nhận phiếu mới được trả lời; bộ phận giúp việc không trả lời thay."
)


class OpinionPoll(SQLModel, table=True):
    __tablename__ = "opinion_poll"

    id: int | None = Field(default=None, primary_key=True)
    programme_item_id: int = Field(foreign_key="programme_item.id", index=True)
    question: str = Field(max_length=2000)
    deadline: datetime = Field(index=True)
    state: str = Field(default="draft", max_length=16, index=True)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    closed_at: datetime | None = None
    total: int = 0  # recipients, fixed at send
    responded: int = 0
    result: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

    def result_dict(self) -> dict[str, Any] | None:
        if self.result is None:
            return None
        found: dict[str, Any] = json.loads(self.result)
        return found


class PollRecipient(SQLModel, table=True):
    """A member the ballot was sent to: every active voting member at send time."""

    __tablename__ = "poll_recipient"

    poll_id: int = Field(foreign_key="opinion_poll.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True)


class PollResponse(SQLModel, table=True):
    """A member's written opinion; one per member and ballot (the primary key)."""

    __tablename__ = "poll_response"

    poll_id: int = Field(foreign_key="opinion_poll.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    position: str = Field(max_length=16)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    answered_at: datetime = Field(default_factory=utcnow)
    revised_at: datetime | None = None


class PollCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    programme_item_id: int = PField(ge=1, le=2**31 - 1)
    question: str = PField(min_length=1, max_length=2000)
    deadline: datetime


class PollAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    position: str = PField(max_length=16)
    comment: str = PField(default="", max_length=MAX_COMMENT)


# --- reading ------------------------------------------------------------------------------------


def recipients(session: Session, poll_id: int) -> list[int]:
    return list(
        session.exec(
            select(PollRecipient.member_id)
            .where(PollRecipient.poll_id == poll_id)
            .order_by(col(PollRecipient.member_id))
        ).all()
    )


def is_recipient(session: Session, poll_id: int, member_id: int | None) -> bool:
    return member_id is not None and session.get(PollRecipient, (poll_id, member_id)) is not None


def can_see(session: Session, poll: OpinionPoll, viewer: Viewer) -> bool:
    """Staff see every ballot; a member and their assistants see the ballots sent to the member."""
    if viewer.is_staff:
        return True
    if poll.state == "draft" or viewer.member_id is None or not viewer.has("member", "assistant"):
        return False
    return is_recipient(session, poll.id or 0, viewer.member_id)


def get_poll(*, session: Session, poll_id: int, viewer: Viewer | None = None) -> OpinionPoll:
    """The ballot, or NotFound when it does not exist or `viewer` may not see it."""
    poll = session.get(OpinionPoll, poll_id)
    if poll is None or (viewer is not None and not can_see(session, poll, viewer)):
        raise NotFound()
    return poll


def list_polls(*, session: Session, viewer: Viewer) -> list[OpinionPoll]:
    """The viewer's inbox, newest deadline first: staff see all; a member or an assistant, the
    ballots sent to the member."""
    query = select(OpinionPoll).order_by(col(OpinionPoll.deadline).desc(), col(OpinionPoll.id).desc())
    if not viewer.is_staff:
        if viewer.member_id is None or not viewer.has("member", "assistant"):
            return []
        query = query.join(PollRecipient, col(PollRecipient.poll_id) == OpinionPoll.id).where(
            PollRecipient.member_id == viewer.member_id, OpinionPoll.state != "draft"
        )
    return list(session.exec(query.limit(500)).all())


def polled_member(session: Session, programme_item_id: int, member_id: int) -> bool:
    """True when a ballot on this programme item was sent to this member: the ballot carries the
    item's papers, so the member (and their assistants) may read them (agenda/papers/documents.py)."""
    found = session.exec(
        select(PollRecipient.poll_id)
        .join(OpinionPoll, col(OpinionPoll.id) == PollRecipient.poll_id)
        .where(OpinionPoll.programme_item_id == programme_item_id, PollRecipient.member_id == member_id)
        .limit(1)
    ).first()
    return found is not None


def response_of(session: Session, poll_id: int, member_id: int | None) -> PollResponse | None:
    return None if member_id is None else session.get(PollResponse, (poll_id, member_id))


def responses(session: Session, poll_id: int) -> list[PollResponse]:
    return list(
        session.exec(
            select(PollResponse).where(PollResponse.poll_id == poll_id).order_by(col(PollResponse.member_id))
        ).all()
    )


def overdue(poll: OpinionPoll, now: datetime | None = None) -> bool:
    """The deadline has passed (whatever the state: answers are refused from then on)."""
    return (now or utcnow()) >= poll.deadline


# --- changing -----------------------------------------------------------------------------------


# --- the recount (python run.py verify) ---------------------------------------------------------
