"""A vote's life: created on an agenda item, opened with quorum (its electorate fixed), closed and
decided. See docs/live.md and docs/rules.md.
"""

from __future__ import annotations

import json
import secrets

from sqlmodel import Session

from agenda.clock import iso, utcnow
from agenda.errors import WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.meetings.agenda_items import AgendaItem, audiences, get_agenda_item
from agenda.meetings.attendance import present_voters, quorum
from agenda.meetings.meetings import Meeting, get_meeting
from agenda.people.members import voting_members
from agenda.policy import Policy
from agenda.text import N_
from agenda.votes.models import (
    CHOICES,
    SecretTally,
    Vote,
    VoteCreate,
    VoteEligible,
    _lock,
    open_votes,
)
from agenda.votes.tally import count, decide


def create(*, session: Session, agenda_item_id: int, data: VoteCreate, actor_id: int | None) -> Vote:
    item = get_agenda_item(session=session, agenda_item_id=agenda_item_id)
    meeting = get_meeting(session=session, meeting_id=item.meeting_id)
    if meeting.state not in ("published", "in_progress"):
        raise WrongState(N_("Phiên họp không ở trạng thái biểu quyết được."), code="not_live")
    assert item.id is not None
    vote = Vote(
        meeting_id=item.meeting_id, agenda_item_id=item.id, question=data.question, secret=data.secret
    )
    session.add(vote)
    session.flush()
    assert vote.id is not None
    events.append(
        session,
        k.VoteCreated(
            meeting_id=vote.meeting_id,
            vote_id=vote.id,
            agenda_item_id=item.id,
            question=vote.question,
            secret=vote.secret,
        ),
        actor_id=actor_id,
    )
    return vote


def _electorate(session: Session, meeting: Meeting, item: AgendaItem) -> list[int]:
    """The voting members present now; for a restricted item, only those in its audience (and the chair)."""
    present = present_voters(session, meeting.id or 0)
    if item.restricted:
        audience = set(audiences(session, [item.id or 0]).get(item.id or 0, []))
        present = {m for m in present if m in audience or m == meeting.chair_member_id}
    return sorted(present)


def open_vote(*, session: Session, vote_id: int, actor_id: int | None, policy: Policy) -> Vote:
    vote = _lock(session, vote_id)
    meeting = get_meeting(session=session, meeting_id=vote.meeting_id)
    if meeting.state != "in_progress":
        raise WrongState(N_("Phiên họp chưa bắt đầu hoặc đã kết thúc."), code="not_in_progress")
    if vote.state != "draft":
        raise WrongState(N_("Biểu quyết này đã mở hoặc đã kết thúc."), code="vote_not_draft")
    if open_votes(session, vote.meeting_id):
        raise WrongState(N_("Đang có một biểu quyết khác mở."), code="another_vote_open")
    if not quorum(session, vote.meeting_id, policy).quorate:
        raise WrongState(N_("Chưa đủ số thành viên tối thiểu để biểu quyết."), code="no_quorum")
    item = session.get(AgendaItem, vote.agenda_item_id)
    assert item is not None and vote.id is not None
    electorate = _electorate(session, meeting, item)
    session.add_all(VoteEligible(vote_id=vote.id, member_id=m) for m in electorate)
    vote.state = "open"
    vote.opened_at = utcnow()
    vote.eligible = len(electorate)
    vote.salt = secrets.token_hex(32) if vote.secret else None
    if vote.secret:  # every counter exists from the start: their order says nothing
        session.add_all(SecretTally(vote_id=vote.id, choice=c, count=0) for c in CHOICES)
    session.add(vote)
    events.append(
        session,
        k.VoteOpened(
            meeting_id=vote.meeting_id,
            vote_id=vote.id,
            agenda_item_id=vote.agenda_item_id,
            eligible=vote.eligible,
            opened_at=iso(vote.opened_at) or "",
            electorate=electorate,
        ),
        actor_id=actor_id,
    )
    return vote


def close(*, session: Session, vote_id: int, actor_id: int | None, policy: Policy) -> Vote:
    """Close and count in one transaction. Closing a closed vote returns it unchanged."""
    vote = _lock(session, vote_id)
    if vote.state == "closed":
        return vote
    if vote.state != "open":
        raise WrongState(N_("Biểu quyết chưa mở."), code="vote_not_open")
    assert vote.id is not None
    found = count(session, vote)
    total = len(voting_members(session=session))
    decision = decide(session, vote, found, policy, total)
    result = {**decision.as_dict(), "eligible": vote.eligible, "cast": vote.cast}
    vote.state = "closed"
    vote.closed_at = utcnow()
    vote.salt = None
    vote.result = json.dumps({"result": result, "ballots": found.ballots}, sort_keys=True)
    session.add(vote)
    events.append(
        session,
        k.VoteClosed(
            meeting_id=vote.meeting_id,
            vote_id=vote.id,
            agenda_item_id=vote.agenda_item_id,
            closed_at=iso(vote.closed_at) or "",
            result=result,
            ballots=found.ballots,
        ),
        actor_id=actor_id,
    )
    return vote
