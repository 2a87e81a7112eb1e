"""In-app notifications (the bell) and the reminders of opinion ballots. See docs/opinion-polls.md.

A notification belongs to one user. Its `title` and `body` are message templates in the source
language (marked with `N_`) and `params` fills them, so each reader sees it in their own
language; the web layer translates. Every notification has a `key`, unique per user, naming
what it is about: `poll:<id>:sent`, `poll:<id>:before:<hours>h`, `poll:<id>:overdue`. A reminder
is therefore sent exactly once, however often `send_due_reminders` runs and however many
processes run it.

Who is told: a ballot's recipients who have not answered yet, through every active account
linked to the member: their own (`member`) and their assistants' (`assistant`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint, func, update
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import to_local, utcnow
from agenda.errors import NotFound
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.people.accounts import User
from agenda.policy import Policy
from agenda.polls.opinion_polls import OpinionPoll, PollRecipient, PollResponse
from agenda.text import N_

KINDS = ("poll_sent", "poll_reminder", "poll_overdue")
LIST_LIMIT = 100
# Overdue notices are not sent for ballots whose deadline is older than this (a server that was
# down for a month does not wake everyone with last month's news).
OVERDUE_WINDOW = timedelta(days=7)

TITLES = {
    "poll_sent": N_("Phiếu lấy ý kiến mới: hạn trả lời {deadline}"),
    "poll_reminder": N_("Nhắc trả lời phiếu lấy ý kiến: còn {hours} giờ (hạn {deadline})"),
    "poll_overdue": N_("Đã quá hạn trả lời phiếu lấy ý kiến (hạn {deadline})"),
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


def _params(session: Session, poll: OpinionPoll, **extra: Any) -> dict[str, Any]:
    from agenda.programme.programme import ProgrammeItem

    item = session.get(ProgrammeItem, poll.programme_item_id)
    return {
        "poll_id": poll.id,
        "question": poll.question[:200],
        "code": item.code if item else "",
        "deadline": to_local(poll.deadline).strftime("%H:%M %d/%m/%Y"),
        **extra,
    }


def _unanswered(session: Session, poll_id: int) -> list[int]:
    answered = select(PollResponse.member_id).where(PollResponse.poll_id == poll_id)
    return list(
        session.exec(
            select(PollRecipient.member_id).where(
                PollRecipient.poll_id == poll_id, col(PollRecipient.member_id).not_in(answered)
            )
        ).all()
    )


def _tell(
    session: Session, poll: OpinionPoll, member_ids: list[int], kind: str, key: str, **extra: Any
) -> list[Notification]:
    made: list[Notification] = []
    params = _params(session, poll, **extra)
    for users in accounts_of(session, member_ids).values():
        for user_id in users:
            found = notify(
                session, user_id=user_id, kind=kind, key=key, params=params, url=f"/opinion-polls/{poll.id}"
            )
            if found is not None:
                made.append(found)
    return made


def announce_poll(*, session: Session, poll: OpinionPoll) -> list[Notification]:
    """Tell every recipient (and their assistants) that a ballot was sent to them."""
    from agenda.polls.opinion_polls import recipients

    return _tell(session, poll, recipients(session, poll.id or 0), "poll_sent", f"poll:{poll.id}:sent")


def due_slot(poll: OpinionPoll, now: datetime, policy: Policy) -> int | None:
    """The reminder due now, in hours before the deadline: the latest slot that has passed, if it
    fell after the ballot was sent (a ballot sent 10 hours ahead gets no "24 hours" reminder: its
    announcement said as much), and only before the deadline."""
    if poll.sent_at is None or now >= poll.deadline:
        return None
    due = [h for h in policy.poll_reminder_hours if poll.sent_at <= poll.deadline - timedelta(hours=h) <= now]
    return min(due) if due else None


def send_due_reminders(
    *, session: Session, now: datetime | None = None, policy: Policy
) -> list[Notification]:
    """Create every reminder due at `now` that does not exist yet; idempotent. Before the deadline:
    the latest slot of `policy.poll_reminder_hours` that has passed; after it: one overdue notice
    (unless the ballot was closed early). Only to recipients who have not answered."""
    now = now or utcnow()
    polls = session.exec(
        select(OpinionPoll)
        .where(col(OpinionPoll.state).in_(("sent", "closed")), OpinionPoll.deadline > now - OVERDUE_WINDOW)
        .order_by(col(OpinionPoll.id))
        .with_for_update()
    ).all()
    made: list[Notification] = []
    for poll in polls:
        if poll.sent_at is None:
            continue
        if now >= poll.deadline:
            closed_early = (
                poll.state == "closed" and poll.closed_at is not None and poll.closed_at < poll.deadline
            )
            if not closed_early:
                made += _tell(
                    session,
                    poll,
                    _unanswered(session, poll.id or 0),
                    "poll_overdue",
                    f"poll:{poll.id}:overdue",
                )
            continue
        if poll.state != "sent":
            continue
        hours = due_slot(poll, now, policy)
        if hours is not None:
            made += _tell(
                session,
                poll,
                _unanswered(session, poll.id or 0),
                "poll_reminder",
                f"poll:{poll.id}:before:{hours}h",
                hours=hours,
            )
    return made
