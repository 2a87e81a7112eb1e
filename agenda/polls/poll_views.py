"""What each viewer sees of an opinion ballot: the API's representation, the result once it is
final, and the secretariat's board. See docs/opinion-polls.md.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from agenda.clock import iso
from agenda.people.members import Member
from agenda.policy import Policy
from agenda.polls.opinion_polls import (
    OpinionPoll,
    PollRecipient,
    PollResponse,
    is_recipient,
    overdue,
    response_of,
    responses,
)
from agenda.polls.poll_lifecycle import tally
from agenda.programme.programme import ProgrammeItem
from agenda.viewer import Viewer


def public_response(response: PollResponse | None) -> dict[str, Any] | None:
    if response is None:
        return None
    return {
        "position": response.position,
        "comment": response.comment,
        "answered_at": iso(response.answered_at),
        "revised_at": iso(response.revised_at),
    }


def public_poll(poll: OpinionPoll, item: ProgrammeItem | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": poll.id,
        "programme_item_id": poll.programme_item_id,
        "question": poll.question,
        "deadline": iso(poll.deadline),
        "state": poll.state,
        "created_at": iso(poll.created_at),
        "sent_at": iso(poll.sent_at),
        "closed_at": iso(poll.closed_at),
        "responded": poll.responded,
        "total": poll.total,
        "overdue": poll.state != "draft" and overdue(poll),
    }
    if item is not None:
        found["programme_item"] = {"id": item.id, "code": item.code, "title": item.title, "kind": item.kind}
    return found


def result_of(session: Session, poll: OpinionPoll, policy: Policy) -> dict[str, Any] | None:
    """The tally: stored once closed; after the deadline (before the loop closes the ballot) it is
    already final, since no answer is accepted any more, so it is computed; before, none."""
    stored = poll.result_dict()
    if stored is not None:
        return dict(stored["result"])
    if poll.state == "sent" and overdue(poll):
        return tally(session, poll, policy).result
    return None


def board(session: Session, poll: OpinionPoll) -> list[dict[str, Any]]:
    """Per recipient (in order of precedence): the answer, or `pending` / `overdue`."""
    if poll.state == "draft":
        return []
    members = session.exec(
        select(Member)
        .join(PollRecipient, col(PollRecipient.member_id) == Member.id)
        .where(PollRecipient.poll_id == poll.id)
        .order_by(col(Member.precedence), col(Member.id))
    ).all()
    answers = {r.member_id: r for r in responses(session, poll.id or 0)}
    late = overdue(poll)
    rows = []
    for member in members:
        answer = answers.get(member.id or 0)
        status = "answered" if answer else ("overdue" if late else "pending")
        rows.append(
            {
                "member_id": member.id,
                "full_name": member.full_name,
                "title": member.title,
                "status": status,
                "response": public_response(answer),
            }
        )
    return rows


def poll_view(session: Session, poll: OpinionPoll, viewer: Viewer, policy: Policy) -> dict[str, Any]:
    """What GET /api/v1/opinion-polls/{id} answers for this viewer."""
    item = session.get(ProgrammeItem, poll.programme_item_id)
    found = public_poll(poll, item)
    result = result_of(session, poll, policy)
    if result is not None:
        found["result"] = result
    if viewer.member_id is not None and viewer.has("member", "assistant") and poll.state != "draft":
        found["my_response"] = public_response(response_of(session, poll.id or 0, viewer.member_id))
        answerable = poll.state == "sent" and not overdue(poll) and viewer.has("member")
        found["can_answer"] = answerable and is_recipient(session, poll.id or 0, viewer.member_id)
    if viewer.is_staff:
        found["board"] = board(session, poll)
    return found
