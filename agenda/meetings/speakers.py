"""The speakers queue of an agenda item. See docs/live.md.

A member or a guest (a substitute included) asks to speak on an item they can see; the
presiding officer gives the floor (which ends the previous speaker's time), stops it, or drops
a request; the speaker may withdraw their own request while it waits.
States: requested -> speaking -> done, or requested -> withdrawn.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, utcnow
from agenda.errors import Conflict, Forbidden, NotFound, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.meetings.agenda_items import AgendaItem, get_agenda_item
from agenda.meetings.meetings import get_meeting
from agenda.people.accounts import User
from agenda.text import N_
from agenda.viewer import Viewer

ACTIVE = ("requested", "speaking")


class Speaker(SQLModel, table=True):
    __tablename__ = "speaker"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int = Field(foreign_key="agenda_item.id", index=True)
    user_id: int = Field(foreign_key="user_account.id")
    member_id: int | None = Field(default=None, foreign_key="member.id")
    name: str = Field(max_length=200)
    state: str = Field(default="requested", max_length=16)
    requested_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    seconds: int = 0


def _get(session: Session, speaker_id: int) -> Speaker:
    speaker = session.get(Speaker, speaker_id)
    if speaker is None:
        raise NotFound()
    return speaker


def request(*, session: Session, agenda_item_id: int, viewer: Viewer) -> Speaker:
    """`viewer` asks to speak on the item (members and guests, for themselves)."""
    if not viewer.has("member", "guest") or (viewer.has("member") and viewer.member_id is None):
        raise Forbidden()
    item = get_agenda_item(session=session, agenda_item_id=agenda_item_id, viewer=viewer)
    meeting = get_meeting(session=session, meeting_id=item.meeting_id)
    if meeting.state not in ("published", "in_progress"):
        raise WrongState(N_("Phiên họp không nhận đăng ký phát biểu."), code="not_live")
    if item.state == "done":
        raise WrongState(N_("Nội dung này đã kết thúc."), code="item_done")
    if waiting(session, agenda_item_id=agenda_item_id, user_id=viewer.user_id) is not None:
        raise Conflict(N_("Bạn đã đăng ký phát biểu ở nội dung này."), code="already_requested")
    user = session.get(User, viewer.user_id)
    assert user is not None
    return enqueue(
        session,
        item=item,
        user_id=viewer.user_id,
        member_id=viewer.member_id if viewer.has("member") else None,
        name=user.full_name,
        actor_id=viewer.user_id,
    )


def waiting(session: Session, *, agenda_item_id: int, user_id: int) -> Speaker | None:
    """The user's request on the item that is still waiting or speaking, if any."""
    return session.exec(
        select(Speaker).where(
            Speaker.agenda_item_id == agenda_item_id,
            Speaker.user_id == user_id,
            col(Speaker.state).in_(ACTIVE),
        )
    ).first()


def enqueue(
    session: Session,
    *,
    item: AgendaItem,
    user_id: int,
    member_id: int | None,
    name: str,
    actor_id: int | None,
) -> Speaker:
    """Add a request to the item's queue and append `speaker.requested`; the callers check who
    may (`request`, and the wishes to speak stated before the session, agenda/meetings/positions.py)."""
    assert item.id is not None
    speaker = Speaker(
        meeting_id=item.meeting_id, agenda_item_id=item.id, user_id=user_id, member_id=member_id, name=name
    )
    session.add(speaker)
    session.flush()
    assert speaker.id is not None
    events.append(
        session,
        k.SpeakerRequested(
            meeting_id=item.meeting_id,
            speaker_id=speaker.id,
            agenda_item_id=item.id,
            user_id=speaker.user_id,
            member_id=speaker.member_id,
            name=speaker.name,
            requested_at=iso(speaker.requested_at) or "",
        ),
        actor_id=actor_id,
    )
    return speaker


def _stop(session: Session, speaker: Speaker, now: datetime, actor_id: int | None) -> None:
    assert speaker.id is not None and speaker.started_at is not None
    started = speaker.started_at
    if started.tzinfo is None and now.tzinfo is not None:
        now = now.replace(tzinfo=None)
    speaker.seconds = max(0, int((now - started).total_seconds()))
    speaker.stopped_at = now
    speaker.state = "done"
    session.add(speaker)
    events.append(
        session,
        k.SpeakerStopped(
            meeting_id=speaker.meeting_id,
            speaker_id=speaker.id,
            agenda_item_id=speaker.agenda_item_id,
            stopped_at=iso(now) or "",
            seconds=speaker.seconds,
        ),
        actor_id=actor_id,
    )


def stop_speaking(*, session: Session, meeting_id: int, actor_id: int | None) -> None:
    """End whoever has the floor in the meeting (when another speaker starts, or at adjournment)."""
    now = utcnow()
    for speaker in session.exec(
        select(Speaker).where(Speaker.meeting_id == meeting_id, Speaker.state == "speaking")
    ).all():
        _stop(session, speaker, now, actor_id)


def start(*, session: Session, speaker_id: int, actor_id: int | None) -> Speaker:
    """Give the floor: the speaker's timer starts, and whoever spoke before stops."""
    speaker = _get(session, speaker_id)
    meeting = get_meeting(session=session, meeting_id=speaker.meeting_id)
    if meeting.state != "in_progress":
        raise WrongState(N_("Phiên họp chưa bắt đầu hoặc đã kết thúc."), code="not_in_progress")
    if speaker.state != "requested":
        raise WrongState(N_("Người này không còn chờ phát biểu."), code="not_waiting")
    stop_speaking(session=session, meeting_id=speaker.meeting_id, actor_id=actor_id)
    speaker.state = "speaking"
    speaker.started_at = utcnow()
    session.add(speaker)
    assert speaker.id is not None
    events.append(
        session,
        k.SpeakerStarted(
            meeting_id=speaker.meeting_id,
            speaker_id=speaker.id,
            agenda_item_id=speaker.agenda_item_id,
            started_at=iso(speaker.started_at) or "",
        ),
        actor_id=actor_id,
    )
    return speaker


def stop(*, session: Session, speaker_id: int, actor_id: int | None) -> Speaker:
    speaker = _get(session, speaker_id)
    if speaker.state != "speaking":
        raise WrongState(N_("Người này không đang phát biểu."), code="not_speaking")
    _stop(session, speaker, utcnow(), actor_id)
    return speaker


def withdraw(*, session: Session, speaker_id: int, viewer: Viewer) -> Speaker:
    """Drop a waiting request: the speaker's own, or any by the presiding officer."""
    speaker = _get(session, speaker_id)
    if speaker.user_id != viewer.user_id:
        # Others' requests: the presiding side may drop them; anyone else does not learn they exist.
        get_meeting(session=session, meeting_id=speaker.meeting_id, viewer=viewer)
        if not viewer.is_staff:
            raise NotFound()
    if speaker.state != "requested":
        raise WrongState(N_("Người này không còn chờ phát biểu."), code="not_waiting")
    speaker.state = "withdrawn"
    session.add(speaker)
    assert speaker.id is not None
    events.append(
        session,
        k.SpeakerWithdrawn(
            meeting_id=speaker.meeting_id, speaker_id=speaker.id, agenda_item_id=speaker.agenda_item_id
        ),
        actor_id=viewer.user_id,
    )
    return speaker
