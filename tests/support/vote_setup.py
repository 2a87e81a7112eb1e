"""A live meeting with a large electorate, built through the domain (no logins): for the race
and crash tests of votes. Every voting member has a `member` account; all are marked present,
the meeting is started, and votes are opened through the same domain functions as the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from agenda.db import Database
from agenda.live import presiding
from agenda.meetings import attendance
from agenda.meetings.attendance import AttendanceSet
from agenda.policy import DEFAULT_POLICY
from agenda.viewer import Viewer
from agenda.votes import lifecycle
from agenda.votes.models import VoteCreate
from tests.support.factories import add_agenda_item, make_meeting, make_member, make_user, publish_meeting


@dataclass(frozen=True)
class Seated:
    meeting_id: int
    agenda_item_id: int
    voters: list[Viewer]  # voters[0] is the chair
    usernames: list[str]  # voters[n] logs in as usernames[n]


def seat_meeting(db: Database, size: int, *, prefix: str = "voter") -> Seated:
    """`size` voting members (the whole Government of this database), all present, meeting started."""
    viewers: list[Viewer] = []
    usernames: list[str] = []
    for n in range(size):
        member = make_member(db, full_name=f"Thành viên {prefix} {n}", precedence=n + 1)
        assert member.id is not None
        username = f"{prefix}{n}"
        roles = ["chair", "member"] if n == 0 else ["member"]
        user = make_user(db, username, roles, member_id=member.id)
        assert user.id is not None
        viewers.append(Viewer(user.id, frozenset(roles), member.id))
        usernames.append(username)
    chair_id = viewers[0].member_id
    assert chair_id is not None
    meeting = make_meeting(db, chair_member_id=chair_id)  # invitees: every voting member
    assert meeting.id is not None
    meeting_id = meeting.id
    item = add_agenda_item(db, meeting_id, title="Nghị quyết biểu quyết nhanh")
    assert item.id is not None
    publish_meeting(db, meeting_id)
    for viewer in viewers:
        mark_present(db, meeting_id, viewer.member_id or 0)
    db.write_sync(
        lambda s: presiding.start(session=s, meeting_id=meeting_id, actor_id=None, policy=DEFAULT_POLICY)
    )
    return Seated(meeting_id=meeting_id, agenda_item_id=item.id, voters=viewers, usernames=usernames)


def mark_present(db: Database, meeting_id: int, member_id: int) -> None:
    data = AttendanceSet(status="present")
    db.write_sync(
        lambda s: attendance.set_attendance(
            session=s,
            meeting_id=meeting_id,
            member_id=member_id,
            data=data,
            actor_id=None,
            policy=DEFAULT_POLICY,
        )
    )


def open_vote(db: Database, seated: Seated, *, secret: bool, question: str = "Thông qua?") -> int:
    """Create and open a vote on the meeting's item; returns its id."""
    data = VoteCreate(question=question, secret=secret)
    vote = db.write_sync(
        lambda s: lifecycle.create(session=s, agenda_item_id=seated.agenda_item_id, data=data, actor_id=None)
    )
    assert vote.id is not None
    vote_id = vote.id
    db.write_sync(
        lambda s: lifecycle.open_vote(session=s, vote_id=vote_id, actor_id=None, policy=DEFAULT_POLICY)
    )
    return vote_id
