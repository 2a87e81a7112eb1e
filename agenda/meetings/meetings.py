"""Meetings: creation, invitees and guests, visibility, publishing. See docs/agenda.md.

States: draft -> published -> in_progress -> adjourned -> closed. Invitees and guests see a
meeting once it is published; the secretariat and the chair see drafts too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PField
from sqlalchemy import ColumnElement, delete, or_
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, to_utc, utcnow
from agenda.errors import NotFound, RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.people.accounts import User
from agenda.people.members import Member, voting_members
from agenda.people.notifications import Notification, accounts_of, notify
from agenda.search import index
from agenda.text import N_
from agenda.viewer import Viewer

MEETING_KINDS = ("regular", "thematic", "extraordinary", "conference")
MEETING_STATES = ("draft", "published", "in_progress", "adjourned", "closed")
EDITABLE_STATES = ("draft", "published")
# A published agenda's invitees are told of its changes (docs/notifications.md); a draft is
# nobody's business yet.
TOLD_STATES = ("published", "in_progress")


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    kind: str = Field(max_length=32)
    state: str = Field(default="draft", max_length=16, index=True)
    starts_at: datetime = Field(index=True)
    duration_minutes: int
    place: str = Field(default="", max_length=300)
    chair_member_id: int | None = Field(default=None, foreign_key="member.id")
    agenda_version: int = 0
    published_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # The live session (agenda/live/presiding.py)
    started_at: datetime | None = None
    adjourned_at: datetime | None = None
    current_item_id: int | None = None


class MeetingInvitee(SQLModel, table=True):
    __tablename__ = "meeting_invitee"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True)


class MeetingGuest(SQLModel, table=True):
    __tablename__ = "meeting_guest"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, index=True)


class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    title: str = PField(min_length=1, max_length=300)
    kind: str
    starts_at: datetime
    duration_minutes: int = PField(ge=15, le=24 * 60)
    place: str = PField(default="", max_length=300)
    chair_member_id: int
    invitee_member_ids: list[int] | None = PField(default=None, max_length=500)
    guest_user_ids: list[int] | None = PField(default=None, max_length=500)

    @field_validator("kind")
    @classmethod
    def known_kind(cls, value: str) -> str:
        if value not in MEETING_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MEETING_KINDS)}")
        return value


class MeetingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    title: str | None = PField(default=None, min_length=1, max_length=300)
    kind: str | None = None
    starts_at: datetime | None = None
    duration_minutes: int | None = PField(default=None, ge=15, le=24 * 60)
    place: str | None = PField(default=None, max_length=300)
    chair_member_id: int | None = None
    invitee_member_ids: list[int] | None = PField(default=None, max_length=500)
    guest_user_ids: list[int] | None = PField(default=None, max_length=500)
    reason: str | None = PField(default=None, max_length=2000)

    @field_validator("kind")
    @classmethod
    def known_kind(cls, value: str | None) -> str | None:
        return None if value is None else MeetingCreate.known_kind(value)


# --- reading ------------------------------------------------------------------------------------


def invitee_ids(session: Session, meeting_id: int) -> list[int]:
    return list(
        session.exec(select(MeetingInvitee.member_id).where(MeetingInvitee.meeting_id == meeting_id)).all()
    )


def guest_ids(session: Session, meeting_id: int) -> list[int]:
    return list(session.exec(select(MeetingGuest.user_id).where(MeetingGuest.meeting_id == meeting_id)).all())


def can_see(viewer: Viewer, meeting: Meeting, invitees: list[int], guests: list[int]) -> bool:
    if viewer.is_staff:
        return True
    if meeting.state == "draft":
        return False
    if viewer.has("observer"):
        return True
    if viewer.has("member", "assistant") and viewer.member_id is not None:
        if viewer.member_id in invitees or viewer.member_id == meeting.chair_member_id:
            return True
    return viewer.has("guest") and viewer.user_id in guests


def get_meeting(*, session: Session, meeting_id: int, viewer: Viewer | None = None) -> Meeting:
    """The meeting, or NotFound when it does not exist or `viewer` may not see it."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    if viewer is not None and not viewer.is_staff:
        # Only the viewer's own rows matter: one indexed lookup each, not the whole invitation list.
        invited = session.exec(
            select(MeetingInvitee.member_id).where(
                MeetingInvitee.meeting_id == meeting_id, MeetingInvitee.member_id == (viewer.member_id or -1)
            )
        ).all()
        guested = session.exec(
            select(MeetingGuest.user_id).where(
                MeetingGuest.meeting_id == meeting_id, MeetingGuest.user_id == viewer.user_id
            )
        ).all()
        if not can_see(viewer, meeting, list(invited), list(guested)):
            raise NotFound()
    return meeting


def list_meetings(*, session: Session, viewer: Viewer, upcoming_only: bool = False) -> list[Meeting]:
    query = select(Meeting).order_by(col(Meeting.starts_at).desc())
    if upcoming_only:
        query = query.where(Meeting.starts_at >= utcnow() - timedelta(hours=12))
    if not viewer.is_staff:
        query = query.where(Meeting.state != "draft")
        if not viewer.has("observer"):
            invited = select(MeetingInvitee.meeting_id).where(
                MeetingInvitee.member_id == (viewer.member_id or -1)
            )
            guested = select(MeetingGuest.meeting_id).where(MeetingGuest.user_id == viewer.user_id)
            clauses: list[ColumnElement[bool]] = []
            if viewer.has("member", "assistant") and viewer.member_id is not None:
                clauses += [col(Meeting.id).in_(invited), col(Meeting.chair_member_id) == viewer.member_id]
            if viewer.has("guest"):
                clauses.append(col(Meeting.id).in_(guested))
            if not clauses:
                return []
            query = query.where(or_(*clauses))
    return list(session.exec(query).all())


def public_meeting(meeting: Meeting) -> dict[str, Any]:
    ends = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    return {
        "id": meeting.id,
        "title": meeting.title,
        "kind": meeting.kind,
        "state": meeting.state,
        "starts_at": iso(meeting.starts_at),
        "ends_at": iso(ends),
        "duration_minutes": meeting.duration_minutes,
        "place": meeting.place,
        "chair_member_id": meeting.chair_member_id,
        "agenda_version": meeting.agenda_version,
        "published_at": iso(meeting.published_at),
        "started_at": iso(meeting.started_at),
        "adjourned_at": iso(meeting.adjourned_at),
        "current_item_id": meeting.current_item_id,
    }


# --- changing -----------------------------------------------------------------------------------


def _check_people(
    session: Session, chair_id: int | None, invitees: list[int] | None, guests: list[int] | None
) -> None:
    member_ids = set(invitees or [])
    if chair_id is not None:
        member_ids.add(chair_id)
    if member_ids:
        known = set(session.exec(select(Member.id).where(col(Member.id).in_(member_ids))).all())
        if member_ids - known:
            raise RuleBroken(
                N_("Không có thành viên Chính phủ này."),
                code="unknown_member",
                ids=sorted(member_ids - known),
            )
    if guests:
        users = session.exec(select(User).where(col(User.id).in_(set(guests)))).all()
        if len(users) != len(set(guests)) or not all("guest" in u.roles for u in users):
            raise RuleBroken(N_("Khách mời phải là tài khoản có vai trò khách mời."), code="unknown_guest")


def _set_people(
    session: Session, meeting_id: int, invitees: list[int] | None, guests: list[int] | None
) -> None:
    if invitees is not None:
        session.execute(delete(MeetingInvitee).where(col(MeetingInvitee.meeting_id) == meeting_id))
        session.add_all(MeetingInvitee(meeting_id=meeting_id, member_id=m) for m in sorted(set(invitees)))
    if guests is not None:
        session.execute(delete(MeetingGuest).where(col(MeetingGuest.meeting_id) == meeting_id))
        session.add_all(MeetingGuest(meeting_id=meeting_id, user_id=u) for u in sorted(set(guests)))


def create_meeting(*, session: Session, data: MeetingCreate, actor_id: int | None) -> Meeting:
    _check_people(session, data.chair_member_id, data.invitee_member_ids, data.guest_user_ids)
    invitees = data.invitee_member_ids
    if invitees is None:
        invitees = [m.id for m in voting_members(session=session) if m.id is not None]
    invitees = sorted(set(invitees) | {data.chair_member_id})
    meeting = Meeting(
        title=data.title,
        kind=data.kind,
        starts_at=to_utc(data.starts_at),
        duration_minutes=data.duration_minutes,
        place=data.place,
        chair_member_id=data.chair_member_id,
    )
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    _set_people(session, meeting.id, invitees, data.guest_user_ids or [])
    index_meeting(session, meeting)
    events.append(
        session,
        k.MeetingCreated(
            meeting_id=meeting.id,
            title=meeting.title,
            meeting_kind=meeting.kind,
            starts_at=iso(meeting.starts_at) or "",
        ),
        actor_id=actor_id,
    )
    return meeting


def require_editable(meeting: Meeting) -> None:
    if meeting.state not in EDITABLE_STATES:
        raise WrongState(N_("Phiên họp đã bắt đầu; không thể sửa chương trình."), code="meeting_started")


def bump_version(meeting: Meeting, reason: str | None) -> str | None:
    """After publishing, every agenda change bumps the version and must give a reason."""
    if meeting.state == "draft":
        return reason.strip() if reason else None
    if not reason or not reason.strip():
        raise RuleBroken(N_("Chương trình đã công bố; cần nêu lý do thay đổi."), code="reason_required")
    meeting.agenda_version += 1
    return reason.strip()


def update_meeting(
    *, session: Session, meeting_id: int, data: MeetingUpdate, actor_id: int | None
) -> Meeting:
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    require_editable(meeting)
    fields = data.model_dump(exclude_unset=True, exclude={"reason", "invitee_member_ids", "guest_user_ids"})
    if "starts_at" in fields and fields["starts_at"] is not None:
        fields["starts_at"] = to_utc(fields["starts_at"])
    changes: dict[str, Any] = {n: v for n, v in fields.items() if v is not None and getattr(meeting, n) != v}
    _check_people(session, changes.get("chair_member_id"), data.invitee_member_ids, data.guest_user_ids)
    invitees = data.invitee_member_ids
    chair = changes.get("chair_member_id", meeting.chair_member_id)
    if invitees is not None or "chair_member_id" in changes:
        current = invitee_ids(session, meeting_id)
        invitees = sorted(set(invitees if invitees is not None else current) | ({chair} if chair else set()))
        if invitees != sorted(current):
            changes["invitee_member_ids"] = invitees
        else:
            invitees = None
    if data.guest_user_ids is not None and sorted(set(data.guest_user_ids)) != sorted(
        guest_ids(session, meeting_id)
    ):
        changes["guest_user_ids"] = sorted(set(data.guest_user_ids))
    if not changes:
        return meeting
    reason = bump_version(meeting, data.reason)
    for name, value in changes.items():
        if hasattr(meeting, name):
            setattr(meeting, name, value)
    _set_people(session, meeting_id, invitees, changes.get("guest_user_ids"))
    if "title" in changes or "place" in changes:
        index_meeting(session, meeting)
    loggable = {n: (iso(v) if isinstance(v, datetime) else v) for n, v in changes.items()}
    events.append(
        session,
        k.MeetingUpdated(
            meeting_id=meeting_id, changes=loggable, agenda_version=meeting.agenda_version, reason=reason
        ),
        actor_id=actor_id,
    )
    tell_agenda_change(session, meeting=meeting, reason=reason, actor_id=actor_id)
    return meeting


# --- telling the invitees of a change (docs/notifications.md) -----------------------------------


def invited_users(session: Session, meeting: Meeting) -> list[int]:
    """Every account invited to the meeting: its invited members' and chair's own and their
    assistants', and its guests; in id order."""
    members = set(invitee_ids(session, meeting.id or 0))
    if meeting.chair_member_id is not None:
        members.add(meeting.chair_member_id)
    users = {u for found in accounts_of(session, members).values() for u in found}
    return sorted(users | set(guest_ids(session, meeting.id or 0)))


def tell_agenda_change(
    session: Session, *, meeting: Meeting, reason: str | None, actor_id: int | None
) -> list[Notification]:
    """A published agenda changed, or the session's time or place (its version was bumped):
    every invitee hears of it, with the reason, never an item's title."""
    if meeting.state not in TOLD_STATES:
        return []
    params = {
        "meeting": meeting.title[:200],
        "agenda_version": meeting.agenda_version,
        "reason": (reason or "–")[:300],
        "meeting_id": meeting.id,
    }
    made: list[Notification] = []
    for user_id in invited_users(session, meeting):
        if user_id == actor_id:
            continue
        found = notify(
            session,
            user_id=user_id,
            kind="agenda_changed",
            key=f"agenda:{meeting.id}:v{meeting.agenda_version}",
            params=params,
            url=f"/meetings/{meeting.id}",
        )
        if found is not None:
            made.append(found)
    return made


def index_meeting(session: Session, meeting: Meeting) -> None:
    assert meeting.id is not None
    index.put(session, "meeting", meeting.id, meeting.title, meeting.place)
