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

What each viewer sees of a ballot is agenda/polls/poll_views.py; reminders are agenda/people/notifications.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, to_utc, utcnow
from agenda.errors import Forbidden, NotFound, RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.people.members import voting_members
from agenda.policy import Policy
from agenda.programme.programme import ProgrammeItem
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


def _lock(session: Session, poll_id: int) -> OpinionPoll:
    """The ballot row, locked until commit (PostgreSQL); SQLite's BEGIN IMMEDIATE serializes."""
    query = select(OpinionPoll).where(OpinionPoll.id == poll_id).with_for_update()
    poll = session.exec(query.execution_options(populate_existing=True)).first()
    if poll is None:
        raise NotFound()
    return poll


def _check_deadline(deadline: datetime) -> datetime:
    try:
        found = to_utc(deadline)
    except (OverflowError, ValueError) as exc:
        raise RuleBroken(N_("Thời hạn trả lời không hợp lệ."), code="bad_deadline") from exc
    now = utcnow()
    if found < now + MIN_LEAD:
        raise RuleBroken(N_("Thời hạn trả lời phải ở tương lai."), code="deadline_in_past")
    if found > now + MAX_LEAD:
        raise RuleBroken(N_("Thời hạn trả lời không được quá một năm."), code="deadline_too_far")
    return found


def create(*, session: Session, data: PollCreate, actor_id: int | None) -> OpinionPoll:
    item = session.get(ProgrammeItem, data.programme_item_id)
    if item is None:
        raise RuleBroken(N_("Không có đề án này trong chương trình công tác."), code="unknown_programme_item")
    if item.status == "withdrawn":
        raise RuleBroken(N_("Đề án đã rút khỏi chương trình công tác."), code="item_withdrawn")
    deadline = _check_deadline(data.deadline)
    poll = OpinionPoll(
        programme_item_id=data.programme_item_id,
        question=data.question,
        deadline=deadline,
        created_by=actor_id,
    )
    session.add(poll)
    session.flush()
    assert poll.id is not None
    events.append(
        session,
        k.PollCreated(
            poll_id=poll.id,
            programme_item_id=poll.programme_item_id,
            question=poll.question,
            deadline=iso(poll.deadline) or "",
        ),
        actor_id=actor_id,
    )
    return poll


def send(*, session: Session, poll_id: int, actor_id: int | None) -> OpinionPoll:
    """draft -> sent: every active voting member now becomes a recipient, fixed from here on."""
    poll = _lock(session, poll_id)
    if poll.state != "draft":
        raise WrongState(N_("Phiếu lấy ý kiến đã được gửi."), code="poll_not_draft")
    if overdue(poll, utcnow() + MIN_LEAD):
        raise WrongState(N_("Đã quá thời hạn trả lời; hãy tạo phiếu mới."), code="deadline_passed")
    members = [m.id for m in voting_members(session=session) if m.id is not None]
    if not members:
        raise RuleBroken(N_("Chưa có thành viên Chính phủ nào có quyền biểu quyết."), code="no_recipients")
    assert poll.id is not None
    session.add_all(PollRecipient(poll_id=poll.id, member_id=m) for m in members)
    poll.state = "sent"
    poll.sent_at = utcnow()
    poll.total = len(members)
    session.add(poll)
    events.append(
        session,
        k.PollSent(
            poll_id=poll.id,
            programme_item_id=poll.programme_item_id,
            deadline=iso(poll.deadline) or "",
            recipients=members,
            total=poll.total,
        ),
        actor_id=actor_id,
    )
    from agenda.people.notifications import announce_poll  # notifications reads this module's tables

    announce_poll(session=session, poll=poll)
    return poll


def respond(*, session: Session, poll_id: int, data: PollAnswer, viewer: Viewer) -> PollResponse:
    """Answer, or revise the answer, for the viewer's own member, until the deadline."""
    if data.position not in POSITIONS:
        raise RuleBroken(N_("Ý kiến phải là đồng ý, không đồng ý hoặc ý kiến khác."), code="bad_position")
    get_poll(session=session, poll_id=poll_id, viewer=viewer)  # 404 when not sent to this member
    if not viewer.has("member") or viewer.member_id is None:
        raise Forbidden(NOT_A_RECIPIENT, code="not_a_recipient")
    poll = _lock(session, poll_id)
    member_id = viewer.member_id
    if not is_recipient(session, poll_id, member_id):
        raise Forbidden(NOT_A_RECIPIENT, code="not_a_recipient")
    if poll.state == "closed":
        raise WrongState(N_("Phiếu lấy ý kiến đã kết thúc."), code="poll_closed")
    if poll.state != "sent":
        raise WrongState(N_("Phiếu lấy ý kiến chưa được gửi."), code="poll_not_sent")
    now = utcnow()
    if overdue(poll, now):
        raise WrongState(N_("Đã quá thời hạn trả lời phiếu lấy ý kiến."), code="deadline_passed")
    answer = response_of(session, poll_id, member_id)
    revised = answer is not None
    if answer is None:
        answer = PollResponse(
            poll_id=poll_id,
            member_id=member_id,
            position=data.position,
            comment=data.comment,
            answered_at=now,
        )
        poll.responded += 1
    else:
        answer.position = data.position
        answer.comment = data.comment
        answer.revised_at = now
    session.add(answer)
    session.add(poll)
    events.append(
        session,
        k.PollAnswered(
            poll_id=poll_id,
            member_id=member_id,
            position=data.position,
            comment=data.comment,
            revised=revised,
            responded=poll.responded,
            total=poll.total,
        ),
        actor_id=viewer.user_id,
    )
    return answer


@dataclass(frozen=True)
class Tally:
    result: dict[str, Any]
    positions: dict[str, str | None]  # every recipient's position, null when they did not answer


def tally(session: Session, poll: OpinionPoll, policy: Policy) -> Tally:
    """Count the stored responses of the recipients (the close and the recount use this)."""
    members = recipients(session, poll.id or 0)
    answers = {r.member_id: r.position for r in responses(session, poll.id or 0)}
    positions: dict[str, str | None] = {str(m): answers.get(m) for m in members}
    chosen = [p for p in positions.values() if p is not None]
    total = len(members)
    agree = chosen.count("agree")
    result = {
        "agree": agree,
        "disagree": chosen.count("disagree"),
        "other": chosen.count("other"),
        "responded": len(chosen),
        "not_responded": total - len(chosen),
        "total_membership": total,
        "adopted": policy.adopted_by_opinion(agree, total),
        "rule": RULE,
    }
    return Tally(result=result, positions=positions)


def close(
    *, session: Session, poll_id: int, actor_id: int | None, policy: Policy, reason: str = "early"
) -> OpinionPoll:
    """Close and tally in one transaction. Closing a closed ballot returns it unchanged."""
    poll = _lock(session, poll_id)
    if poll.state == "closed":
        return poll
    if poll.state != "sent":
        raise WrongState(N_("Phiếu lấy ý kiến chưa được gửi."), code="poll_not_sent")
    assert poll.id is not None
    counted = tally(session, poll, policy)
    poll.state = "closed"
    poll.closed_at = utcnow()
    poll.result = json.dumps({"result": counted.result, "positions": counted.positions}, sort_keys=True)
    session.add(poll)
    events.append(
        session,
        k.PollClosed(
            poll_id=poll.id,
            programme_item_id=poll.programme_item_id,
            closed_at=iso(poll.closed_at) or "",
            reason=reason,
            result=counted.result,
            positions=counted.positions,
        ),
        actor_id=actor_id,
    )
    return poll


def close_due_polls(*, session: Session, now: datetime | None = None, policy: Policy) -> list[OpinionPoll]:
    """Close every sent ballot whose deadline has passed (the reminder loop calls this)."""
    now = now or utcnow()
    due = session.exec(
        select(OpinionPoll.id).where(OpinionPoll.state == "sent", OpinionPoll.deadline <= now)
    ).all()
    return [
        close(session=session, poll_id=poll_id, actor_id=None, policy=policy, reason="deadline")
        for poll_id in due
        if poll_id is not None
    ]


# --- the recount (python run.py verify) ---------------------------------------------------------


@dataclass(frozen=True)
class RecountProblem:
    poll_id: int
    reason: str


def recount_all(session: Session, policy: Policy) -> tuple[int, list[RecountProblem]]:
    """Recount every closed ballot from its stored responses and compare with the stored result
    and with the `poll.closed` event in the hash-chained log. Returns (ballots checked, problems).

    Reasons: `response_from_outside` (a response by a member the ballot was not sent to),
    `counts_do_not_add_up` (the stored `responded` differs from the rows), `response_after_deadline`,
    `tally_differs_from_responses` (a response or the stored result was changed),
    `tally_differs_from_log`."""
    problems: list[RecountProblem] = []
    closed = session.exec(
        select(OpinionPoll).where(OpinionPoll.state == "closed").order_by(col(OpinionPoll.id))
    ).all()
    logged = {
        int(e.payload()["poll_id"]): e.payload()
        for e in session.exec(select(events.Event).where(events.Event.kind == "poll.closed")).all()
    }
    for poll in closed:
        assert poll.id is not None
        stored = poll.result_dict() or {}
        members = set(recipients(session, poll.id))
        answers = responses(session, poll.id)
        counted = tally(session, poll, policy)
        total = int(stored.get("result", {}).get("total_membership", -1))
        late = [a for a in answers if max(a.answered_at, a.revised_at or a.answered_at) > poll.deadline]
        if any(a.member_id not in members for a in answers):
            problems.append(RecountProblem(poll.id, "response_from_outside"))
        elif len(answers) != poll.responded or total != len(members) or poll.total != len(members):
            problems.append(RecountProblem(poll.id, "counts_do_not_add_up"))
        elif late:
            problems.append(RecountProblem(poll.id, "response_after_deadline"))
        elif counted.result != stored.get("result") or counted.positions != stored.get("positions"):
            problems.append(RecountProblem(poll.id, "tally_differs_from_responses"))
        elif (
            poll.id not in logged
            or logged[poll.id].get("result") != counted.result
            or logged[poll.id].get("positions") != counted.positions
        ):
            problems.append(RecountProblem(poll.id, "tally_differs_from_log"))
    return len(closed), problems
