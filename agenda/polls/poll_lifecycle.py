"""An opinion ballot's life: created, sent, answered, tallied and closed. See docs/opinion-polls.md.

The tables and the reads are agenda/polls/opinion_polls.py; sending also rings the bell of every
recipient (agenda/polls/reminders.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from agenda.clock import iso, to_utc, utcnow
from agenda.errors import Forbidden, NotFound, RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.people.members import voting_members
from agenda.policy import Policy
from agenda.polls.opinion_polls import (
    MAX_LEAD,
    MIN_LEAD,
    NOT_A_RECIPIENT,
    POSITIONS,
    RULE,
    OpinionPoll,
    PollAnswer,
    PollCreate,
    PollRecipient,
    PollResponse,
    get_poll,
    is_recipient,
    overdue,
    recipients,
    response_of,
    responses,
)
from agenda.polls.reminders import announce_poll, nudge
from agenda.programme.programme import ProgrammeItem
from agenda.text import N_
from agenda.viewer import Viewer


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
        raise RuleBroken(
            N_("Hạn trả lời phải sau thời điểm hiện tại ít nhất {minutes} phút."),
            code="deadline_in_past",
            minutes=int(MIN_LEAD.total_seconds() // 60),
        )
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

    announce_poll(session=session, poll=poll)
    return poll


def remind(*, session: Session, poll_id: int) -> int:
    """Remind, now, the recipients of a sent ballot who have not answered; how many members were
    reminded. Each notification is logged (`notification.created`). 409 on a draft
    (`poll_not_sent`), a closed ballot (`poll_closed`), after the deadline (`deadline_passed`)
    and within the hour of the last reminder (`reminded_recently`); 422 `all_answered`."""
    poll = _lock(session, poll_id)
    if poll.state == "draft":
        raise WrongState(N_("Phiếu lấy ý kiến chưa được gửi."), code="poll_not_sent")
    if poll.state == "closed":
        raise WrongState(N_("Phiếu lấy ý kiến đã kết thúc."), code="poll_closed")
    if overdue(poll):
        raise WrongState(N_("Đã quá thời hạn trả lời phiếu lấy ý kiến."), code="deadline_passed")
    members, made = nudge(session=session, poll=poll)
    if not members:
        raise RuleBroken(N_("Mọi thành viên đã trả lời phiếu này."), code="all_answered")
    if not made:
        raise WrongState(
            N_("Các thành viên chưa trả lời đã được nhắc trong giờ này; có thể nhắc lại sau."),
            code="reminded_recently",
        )
    return len(members)


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
