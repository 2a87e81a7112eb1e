"""In-app notifications (the bell). See docs/opinion-polls.md.

A notification belongs to one user. Its `title` and `body` are message templates in the source
language (marked with `N_`) and `params` fills them, so each reader sees it in their own
language; the web layer translates. Every notification has a `key`, unique per user, naming
what it is about, so the same news is never told twice. What rings it today is the opinion
ballots (agenda/polls/reminders.py), which build on this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint, func, update
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import utcnow
from agenda.errors import NotFound
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.people.accounts import User
from agenda.text import N_

KINDS = ("poll_sent", "poll_reminder", "poll_overdue", "poll_nudge")
LIST_LIMIT = 100

TITLES = {
    "poll_sent": N_("Phiếu lấy ý kiến mới: hạn trả lời {deadline}"),
    "poll_reminder": N_("Nhắc trả lời phiếu lấy ý kiến: còn {hours} giờ (hạn {deadline})"),
    "poll_overdue": N_("Đã quá hạn trả lời phiếu lấy ý kiến (hạn {deadline})"),
    "poll_nudge": N_("Văn phòng Chính phủ nhắc trả lời phiếu lấy ý kiến (hạn {deadline})"),
}
BODY = N_("{question} ({code})")


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_notification_user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=32)
    key: str = Field(max_length=120)
    title: str = Field(max_length=300)  # a message template (source language)
    body: str = Field(default="", max_length=300)  # a message template (source language)
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    url: str = Field(default="/", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: datetime | None = None

    def param_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.params)
        return found


# --- reading ------------------------------------------------------------------------------------


def unread_count(session: Session, user_id: int) -> int:
    query = select(func.count()).select_from(Notification)
    return int(
        session.exec(query.where(Notification.user_id == user_id, col(Notification.read_at).is_(None))).one()
    )


def list_for(*, session: Session, user_id: int, limit: int = LIST_LIMIT) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
            .limit(limit)
        ).all()
    )


def get_own(*, session: Session, notification_id: int, user_id: int) -> Notification:
    """The user's own notification; anyone else's is not found."""
    found = session.get(Notification, notification_id)
    if found is None or found.user_id != user_id:
        raise NotFound()
    return found


# --- changing -----------------------------------------------------------------------------------


def mark_read(*, session: Session, notification_id: int, user_id: int) -> Notification:
    found = get_own(session=session, notification_id=notification_id, user_id=user_id)
    if found.read_at is None:
        found.read_at = utcnow()
        session.add(found)
        events.append(
            session,
            k.NotificationsRead(user_id=user_id, notification_ids=[notification_id], all=False),
            actor_id=user_id,
        )
    return found


def mark_all_read(*, session: Session, user_id: int) -> int:
    """Mark every unread notification of the user read; returns how many."""
    ids = list(
        session.exec(
            select(Notification.id).where(
                Notification.user_id == user_id, col(Notification.read_at).is_(None)
            )
        ).all()
    )
    if not ids:
        return 0
    session.execute(update(Notification).where(col(Notification.id).in_(ids)).values(read_at=utcnow()))
    events.append(
        session,
        k.NotificationsRead(user_id=user_id, notification_ids=[i for i in ids if i is not None], all=True),
        actor_id=user_id,
    )
    return len(ids)


def notify(
    session: Session, *, user_id: int, kind: str, key: str, params: dict[str, Any], url: str
) -> Notification | None:
    """Create the notification unless this user already has one with this key."""
    existing = session.exec(
        select(Notification.id).where(Notification.user_id == user_id, Notification.key == key)
    ).first()
    if existing is not None:
        return None
    found = Notification(
        user_id=user_id,
        kind=kind,
        key=key,
        title=TITLES[kind],
        body=BODY,
        params=json.dumps(params, ensure_ascii=False, sort_keys=True),
        url=url,
    )
    session.add(found)
    session.flush()
    assert found.id is not None
    events.append(
        session,
        k.NotificationCreated(notification_id=found.id, user_id=user_id, notification_kind=kind, key=key),
        actor_id=None,
    )
    return found


def accounts_of(session: Session, member_ids: Iterable[int]) -> dict[int, list[int]]:
    """member id -> the active accounts that act for them: their own and their assistants'."""
    wanted = set(member_ids)
    found: dict[int, list[int]] = {m: [] for m in wanted}
    if not wanted:
        return found
    users = session.exec(
        select(User).where(col(User.member_id).in_(wanted), col(User.active)).order_by(col(User.id))
    ).all()
    for user in users:
        if user.member_id is not None and user.id is not None and user.has("member", "assistant"):
            found[user.member_id].append(user.id)
    return found
