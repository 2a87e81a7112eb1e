"""Pre-session positions: each member's no objection, objection or wish to speak, per agenda item.
See docs/positions.md.

Once an agenda is published and until the session starts, an invited member (or the chair)
marks each item they can see. An objection takes a consent-block item out of the block at once
(`consent.left`); withdrawing the objection later does not put it back (the secretariat may, by
editing the item before the session). At the start, every "wish to speak" becomes a request on
that item's speakers list (`queue_wishes`, called by presiding.start).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, utcnow
from agenda.errors import Forbidden, NotFound, RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.meetings.agenda_items import AgendaItem, audiences, list_items
from agenda.meetings.meetings import Meeting, get_meeting, invitee_ids
from agenda.meetings.speakers import enqueue, waiting
from agenda.people.accounts import User
from agenda.people.members import Member
from agenda.text import N_
from agenda.viewer import Viewer

POSITIONS = ("no_objection", "object", "wish_to_speak")
COMMENT_MAX = 2000


class Position(SQLModel, table=True):
    __tablename__ = "agenda_position"
    __table_args__ = (UniqueConstraint("agenda_item_id", "member_id", name="uq_agenda_position_member"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int = Field(foreign_key="agenda_item.id")
    member_id: int = Field(foreign_key="member.id")
    user_id: int = Field(foreign_key="user_account.id")  # the account that stated it
    position: str = Field(max_length=16)
    comment: str = Field(default="", max_length=COMMENT_MAX)
    # When the current position was chosen (a new comment alone does not move it): the order of
    # the wishes to speak.
    stated_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PositionSet(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    position: str = PField(max_length=32)
    comment: str | None = PField(default=None, max_length=COMMENT_MAX)


def public_position(position: Position) -> dict[str, Any]:
    return {
        "meeting_id": position.meeting_id,
        "agenda_item_id": position.agenda_item_id,
        "member_id": position.member_id,
        "position": position.position,
        "comment": position.comment,
        "stated_at": iso(position.stated_at),
        "updated_at": iso(position.updated_at),
    }


def _member_sees(meeting: Meeting, item: AgendaItem, audience: list[int], member_id: int) -> bool:
    """A restricted item is for its audience and the meeting's chair only."""
    return not item.restricted or member_id in audience or member_id == meeting.chair_member_id


def _is_invited(session: Session, meeting: Meeting, member_id: int) -> bool:
    return member_id == meeting.chair_member_id or member_id in invitee_ids(session, meeting.id or 0)


# --- stating a position -------------------------------------------------------------------------


def set_position(
    *, session: Session, meeting_id: int, agenda_item_id: int, viewer: Viewer, data: PositionSet
) -> Position:
    """`viewer` (a member, for themselves) states or changes their position on one item."""
    if not viewer.has("member") or viewer.member_id is None:
        raise Forbidden()
    member_id = viewer.member_id
    # Lock the meeting row (PostgreSQL; SQLite writers are serialized anyway): a position and the
    # start of the session, or two objections to one item, then happen one after the other, so
    # no wish to speak is missed at the start and an item leaves the consent block only once.
    session.exec(select(Meeting).where(Meeting.id == meeting_id).with_for_update()).first()
    meeting = get_meeting(session=session, meeting_id=meeting_id, viewer=viewer)
    item = session.get(AgendaItem, agenda_item_id)
    if item is None or item.meeting_id != meeting_id:
        raise NotFound()
    if not _member_sees(
        meeting, item, audiences(session, [agenda_item_id]).get(agenda_item_id, []), member_id
    ):
        raise NotFound()
    if not _is_invited(session, meeting, member_id):
        raise Forbidden(N_("Bạn không có trong thành phần mời của phiên họp này."), code="not_invited")
    if data.position not in POSITIONS:
        raise RuleBroken(
            N_("Ý kiến phải là: không phản đối, phản đối hoặc đăng ký phát biểu."), code="bad_position"
        )
    if meeting.state == "draft":
        raise WrongState(N_("Chương trình phiên họp chưa được công bố."), code="not_published")
    if meeting.state != "published":
        raise WrongState(
            N_("Phiên họp đã bắt đầu; không ghi ý kiến trước phiên họp được nữa."), code="session_started"
        )
    comment = data.comment or ""
    row = session.exec(
        select(Position).where(Position.agenda_item_id == agenda_item_id, Position.member_id == member_id)
    ).first()
    before = row.position if row is not None else None
    now = utcnow()
    if row is None:
        row = Position(
            meeting_id=meeting_id,
            agenda_item_id=agenda_item_id,
            member_id=member_id,
            user_id=viewer.user_id,
            position=data.position,
            comment=comment,
            stated_at=now,
            updated_at=now,
        )
    elif row.position == data.position and row.comment == comment:
        return row  # nothing changed: no event
    else:
        if row.position != data.position:
            row.stated_at = now
        row.position, row.comment, row.updated_at, row.user_id = data.position, comment, now, viewer.user_id
    session.add(row)
    session.flush()
    events.append(
        session,
        k.PositionStated(
            meeting_id=meeting_id,
            agenda_item_id=agenda_item_id,
            member_id=member_id,
            position=data.position,
            comment=comment,
        ),
        actor_id=viewer.user_id,
    )
    if data.position == "object" and before != "object" and item.consent:
        item.consent = False
        session.add(item)
        events.append(
            session,
            k.ConsentLeft(meeting_id=meeting_id, agenda_item_id=agenda_item_id, member_id=member_id),
            actor_id=viewer.user_id,
        )
    return row


def forget_item(session: Session, agenda_item_id: int) -> None:
    """Drop the positions on an agenda item that is being removed from the agenda."""
    for row in session.exec(select(Position).where(Position.agenda_item_id == agenda_item_id)).all():
        session.delete(row)
    session.flush()


# --- reading ------------------------------------------------------------------------------------


def _meeting_positions(session: Session, meeting_id: int) -> list[Position]:
    return list(
        session.exec(
            select(Position)
            .where(Position.meeting_id == meeting_id)
            .order_by(col(Position.stated_at), col(Position.id))
        ).all()
    )


def own_positions(*, session: Session, meeting_id: int, viewer: Viewer) -> list[dict[str, Any]]:
    """The viewer's own positions in the meeting, on the items they can still see."""
    meeting = get_meeting(session=session, meeting_id=meeting_id, viewer=viewer)
    if viewer.member_id is None:
        return []
    items = {i.id: i for i in list_items(session, meeting_id)}
    audience = audiences(session, [i for i in items if i is not None])
    rows = session.exec(
        select(Position).where(Position.meeting_id == meeting_id, Position.member_id == viewer.member_id)
    ).all()
    found = []
    for row in rows:
        item = items.get(row.agenda_item_id)
        if item is not None and _member_sees(
            meeting, item, audience.get(row.agenda_item_id, []), viewer.member_id
        ):
            found.append((item.position, public_position(row)))
    return [p for _, p in sorted(found, key=lambda pair: pair[0])]


def left_consent_ids(session: Session, meeting_id: int) -> set[int]:
    """The items that left the consent block on an objection (from the event log)."""
    rows = session.exec(
        select(events.Event).where(events.Event.stream == meeting_id, events.Event.kind == "consent.left")
    ).all()
    return {int(e.payload()["agenda_item_id"]) for e in rows}


def position_table(*, session: Session, meeting_id: int) -> dict[str, Any]:
    """The secretariat's and the chair's table: every member invited, every item, every position."""
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    items = list_items(session, meeting_id)
    positions = _meeting_positions(session, meeting_id)
    member_ids = set(invitee_ids(session, meeting_id)) | {p.member_id for p in positions}
    if meeting.chair_member_id is not None:
        member_ids.add(meeting.chair_member_id)
    members = sorted(
        session.exec(select(Member).where(col(Member.id).in_(member_ids))).all() if member_ids else [],
        key=lambda m: (m.precedence, m.id or 0),
    )
    names = {m.id: m.full_name for m in members}
    left = left_consent_ids(session, meeting_id)
    audience = audiences(session, [i.id for i in items if i.id is not None])
    by_item: dict[int, list[Position]] = {}
    for row in positions:
        by_item.setdefault(row.agenda_item_id, []).append(row)
    table = []
    for item in items:
        assert item.id is not None
        rows = by_item.get(item.id, [])
        counts = Counter(r.position for r in rows)
        table.append(
            {
                "agenda_item_id": item.id,
                "number": item.position,
                "title": item.title,
                "restricted": item.restricted,
                "restricted_member_ids": sorted(audience.get(item.id, [])) if item.restricted else [],
                "consent": item.consent,
                "left_consent": item.id in left and not item.consent,
                "positions": [
                    {
                        "member_id": r.member_id,
                        "full_name": names.get(r.member_id, ""),
                        "position": r.position,
                        "comment": r.comment,
                        "stated_at": iso(r.stated_at),
                        "updated_at": iso(r.updated_at),
                    }
                    for r in rows
                ],
                "counts": {p: counts.get(p, 0) for p in POSITIONS},
            }
        )
    return {
        "meeting_id": meeting_id,
        "state": meeting.state,
        "open": meeting.state == "published",
        "members": [{"id": m.id, "full_name": m.full_name, "title": m.title} for m in members],
        "items": table,
    }


def read_positions(*, session: Session, meeting_id: int, viewer: Viewer) -> dict[str, Any]:
    """GET /meetings/{id}/positions: the table for the secretariat and the chair, a member's own
    positions for a member; anyone else who may see the meeting gets 403."""
    get_meeting(session=session, meeting_id=meeting_id, viewer=viewer)
    if viewer.is_staff:
        return position_table(session=session, meeting_id=meeting_id)
    if viewer.has("member") and viewer.member_id is not None:
        return {"items": own_positions(session=session, meeting_id=meeting_id, viewer=viewer)}
    raise Forbidden()


# --- at the start of the session ----------------------------------------------------------------


def queue_wishes(*, session: Session, meeting: Meeting, actor_id: int | None) -> int:
    """Put every "wish to speak" on its item's speakers list, in agenda order, then in the order
    the wishes were stated; one `speaker.requested` each. Skips a member who no longer sees the
    item or is no longer invited, an account since deactivated, and anyone already waiting."""
    meeting_id = meeting.id or 0
    items = {i.id: i for i in list_items(session, meeting_id)}
    audience = audiences(session, [i for i in items if i is not None])
    invited = set(invitee_ids(session, meeting_id))
    wishes = [
        p
        for p in _meeting_positions(session, meeting_id)
        if p.position == "wish_to_speak" and p.agenda_item_id in items
    ]
    wishes.sort(key=lambda p: (items[p.agenda_item_id].position, p.stated_at, p.id or 0))
    queued = 0
    for wish in wishes:
        item = items[wish.agenda_item_id]
        if wish.member_id not in invited and wish.member_id != meeting.chair_member_id:
            continue
        if not _member_sees(meeting, item, audience.get(wish.agenda_item_id, []), wish.member_id):
            continue
        user = session.get(User, wish.user_id)
        if user is None or not user.active or not user.has("member") or user.member_id != wish.member_id:
            continue
        if waiting(session, agenda_item_id=wish.agenda_item_id, user_id=wish.user_id) is not None:
            continue
        enqueue(
            session,
            item=item,
            user_id=wish.user_id,
            member_id=wish.member_id,
            name=user.full_name,
            actor_id=actor_id,
        )
        queued += 1
    return queued
