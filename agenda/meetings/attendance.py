"""The roll call of a live session and its quorum. See docs/live.md and docs/rules.md.

Each invited member is present, remote, absent or excused. A substitute (a `guest` account)
may stand in for a member: the substitute may speak but never votes and never counts for
quorum. Quorum counts the voting members present in the room or remote against the total
membership (every active voting member), under the policy's fraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import Field, Session, SQLModel, select

from agenda.clock import utcnow
from agenda.errors import NotFound, RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.meetings.meetings import Meeting, MeetingGuest, get_meeting, invitee_ids
from agenda.people.accounts import User
from agenda.people.members import Member, voting_members
from agenda.policy import Policy
from agenda.text import N_

STATUSES = ("present", "remote", "absent", "excused")
PRESENT = ("present", "remote")
LIVE_STATES = ("published", "in_progress")


class Attendance(SQLModel, table=True):
    __tablename__ = "attendance"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    status: str = Field(max_length=16)
    substitute_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = Field(default_factory=utcnow)


class AttendanceSet(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    status: str
    substitute_user_id: int | None = None


@dataclass(frozen=True)
class Quorum:
    present: int
    total: int
    required: int

    @property
    def quorate(self) -> bool:
        return self.total > 0 and self.present >= self.required

    def as_dict(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "total": self.total,
            "required": self.required,
            "quorate": self.quorate,
        }


def records(session: Session, meeting_id: int) -> dict[int, Attendance]:
    rows = session.exec(select(Attendance).where(Attendance.meeting_id == meeting_id)).all()
    return {r.member_id: r for r in rows}


def present_voters(session: Session, meeting_id: int) -> set[int]:
    """The voting members present (in the room or remote): who counts for quorum and may vote."""
    voters = {m.id for m in voting_members(session=session)}
    return {
        member_id
        for member_id, row in records(session, meeting_id).items()
        if row.status in PRESENT and member_id in voters
    }


def quorum(session: Session, meeting_id: int, policy: Policy) -> Quorum:
    total = len(voting_members(session=session))
    required = policy.quorum_required(total)
    return Quorum(present=len(present_voters(session, meeting_id)), total=total, required=required)


def set_attendance(
    *,
    session: Session,
    meeting_id: int,
    member_id: int,
    data: AttendanceSet,
    actor_id: int | None,
    policy: Policy,
) -> Attendance:
    """Record one member's attendance; appends `attendance.changed`, and `quorum.changed` when the
    count of voting members present moves."""
    if data.status not in STATUSES:
        raise RuleBroken(N_("Trạng thái dự họp không hợp lệ."), code="bad_status")
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    if meeting.state not in LIVE_STATES:
        raise WrongState(N_("Phiên họp không ở trạng thái điểm danh được."), code="not_live")
    if member_id not in invitee_ids(session, meeting_id) and member_id != meeting.chair_member_id:
        raise NotFound()
    if session.get(Member, member_id) is None:
        raise NotFound()
    substitute = _substitute(session, meeting, member_id, data)
    before = quorum(session, meeting_id, policy)
    row = session.get(Attendance, (meeting_id, member_id))
    if row is None:
        row = Attendance(meeting_id=meeting_id, member_id=member_id, status=data.status)
    row.status = data.status
    row.substitute_user_id = substitute.id if substitute else None
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    events.append(
        session,
        k.AttendanceChanged(
            meeting_id=meeting_id,
            member_id=member_id,
            status=data.status,
            substitute_user_id=row.substitute_user_id,
            substitute_name=substitute.full_name if substitute else None,
        ),
        actor_id=actor_id,
    )
    after = quorum(session, meeting_id, policy)
    if after != before:
        events.append(session, k.QuorumChanged(meeting_id=meeting_id, **after.as_dict()), actor_id=actor_id)
    return row


def _substitute(session: Session, meeting: Meeting, member_id: int, data: AttendanceSet) -> User | None:
    """The guest account standing in for the member; it joins the meeting's guests so that it can
    follow the session. A substitute stands in for one member at a time."""
    if data.substitute_user_id is None:
        return None
    if data.status in PRESENT:
        raise RuleBroken(
            N_("Thành viên có mặt thì không cần người dự họp thay."), code="substitute_for_present"
        )
    user = session.get(User, data.substitute_user_id)
    if user is None or "guest" not in user.roles or not user.active:
        raise RuleBroken(N_("Người dự họp thay phải là tài khoản khách mời."), code="bad_substitute")
    taken = session.exec(
        select(Attendance).where(
            Attendance.meeting_id == meeting.id,
            Attendance.substitute_user_id == user.id,
            Attendance.member_id != member_id,
        )
    ).first()
    if taken is not None:
        raise RuleBroken(N_("Người này đã dự họp thay một thành viên khác."), code="substitute_taken")
    assert meeting.id is not None and user.id is not None
    if session.get(MeetingGuest, (meeting.id, user.id)) is None:
        session.add(MeetingGuest(meeting_id=meeting.id, user_id=user.id))
    return user
