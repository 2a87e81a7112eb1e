"""In-app notifications (the bell). See docs/opinion-polls.md.

A notification belongs to one user. Its `title` and `body` are message templates in the source
language (marked with `N_`) and `params` fills them, so each reader sees it in their own
language; the web layer translates. Every notification has a `key`, unique per user, naming
what it is about, so the same news is never told twice. What rings it: the opinion ballots
(agenda/polls/reminders.py), the changes to a published meeting's papers and agenda
(agenda/meetings/change_notices.py, docs/notifications.md), and the follow-through's tasks and
dossiers (agenda/tasks/reminders.py, agenda/programme/dossier_reminders.py). The ballots' and the
follow-through's notices are mailed one by one; the change notices are gathered into one digest
per user per DIGEST_WINDOW (`take_digests`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint, func, update
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import utcnow
from agenda.errors import NotFound
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.people.accounts import User
from agenda.text import N_

KINDS = (
    "poll_sent",
    "poll_reminder",
    "poll_overdue",
    "poll_nudge",
    "paper_added",
    "paper_version",
    "agenda_changed",
    "task_due_soon",
    "task_due_today",
    "task_overdue",
    "tasks_overdue_digest",
    "dossier_reminder",
)
# Told in the bell at once, mailed in a digest: at most one email per user per DIGEST_WINDOW.
DIGEST_KINDS = ("paper_added", "paper_version", "agenda_changed")
DIGEST_WINDOW = timedelta(minutes=15)
LIST_LIMIT = 100
CHUNK = 500  # keys per IN (...) when looking up what was already sent

TITLES = {
    "poll_sent": N_("Phiếu lấy ý kiến mới: hạn trả lời {deadline}"),
    "poll_reminder": N_("Nhắc trả lời phiếu lấy ý kiến: còn {hours} giờ (hạn {deadline})"),
    "poll_overdue": N_("Đã quá hạn trả lời phiếu lấy ý kiến (hạn {deadline})"),
    "poll_nudge": N_("Văn phòng Chính phủ nhắc trả lời phiếu lấy ý kiến (hạn {deadline})"),
    "paper_added": N_("Tài liệu mới: {title}"),
    "paper_version": N_("Tài liệu có bản mới: {title} (bản {version})"),
    "agenda_changed": N_("Chương trình phiên họp đã thay đổi (lần {agenda_version})"),
    "task_due_soon": N_("Nhiệm vụ {code} sắp đến hạn: còn {days} ngày (hạn {due_on})"),
    "task_due_today": N_("Nhiệm vụ {code} đến hạn ngày {due_on}"),
    "task_overdue": N_("Nhiệm vụ {code} đã quá hạn {days} ngày (hạn {due_on})"),
    "tasks_overdue_digest": N_("{count} nhiệm vụ quá hạn trong tuần qua (hạn từ {first} đến {last})"),
    "dossier_reminder": N_("Nhắc nộp hồ sơ đề án {code}: còn {days} ngày (hạn {deadline})"),
}
BODY = N_("{question} ({code})")
BODIES = {
    "paper_added": N_("{meeting}, mục {position}."),
    "paper_version": N_("{meeting}, mục {position}. Thay đổi: {note}"),
    "agenda_changed": N_("{meeting}. Lý do: {reason}"),
    "task_due_soon": N_("{title}. Cơ quan chủ trì: {agency}."),
    "task_due_today": N_("{title}. Cơ quan chủ trì: {agency}."),
    "task_overdue": N_("{title}. Cơ quan chủ trì: {agency}."),
    "tasks_overdue_digest": N_("Các nhiệm vụ: {codes}"),
    "dossier_reminder": N_("{title}. Hồ sơ còn thiếu {missing_count} loại tài liệu."),
}


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
    digested_at: datetime | None = None  # a change notice: when it went out in an email digest

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
        body=BODIES.get(kind, BODY),
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


def agency_accounts(session: Session, agency_ids: Iterable[int]) -> dict[int, list[User]]:
    """agency id -> its active `agency` accounts."""
    wanted = set(agency_ids)
    found: dict[int, list[User]] = {a: [] for a in wanted}
    if not wanted:
        return found
    users = session.exec(
        select(User).where(col(User.agency_id).in_(wanted), col(User.active)).order_by(col(User.id))
    ).all()
    for user in users:
        if user.agency_id is not None and user.has("agency"):
            found[user.agency_id].append(user)
    return found


def already_sent(session: Session, keys: list[str]) -> set[tuple[int, str]]:
    """(user id, key) of the notifications that exist among `keys`."""
    found: set[tuple[int, str]] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        found.update(
            (user_id, key)
            for user_id, key in session.exec(
                select(Notification.user_id, Notification.key).where(col(Notification.key).in_(chunk))
            ).all()
        )
    return found


# --- email digests of change notices ------------------------------------------------------------


@dataclass(frozen=True)
class Digest:
    user_id: int
    notification_ids: list[int]


def take_digests(
    *, session: Session, now: datetime | None = None, window: timedelta = DIGEST_WINDOW
) -> list[Digest]:
    """Gather each user's change notices not yet mailed into one digest, and log
    `notification.digested` for it (the process that commits it mails it). A user's notices wait
    until the oldest is `window` old, so that what happens together goes in one email; and a user
    gets at most one digest per `window`. Idempotent: a notice is taken once."""
    now = now or utcnow()
    pending = session.exec(
        select(Notification)
        .where(col(Notification.kind).in_(DIGEST_KINDS), col(Notification.digested_at).is_(None))
        .order_by(col(Notification.user_id), col(Notification.id))
        .with_for_update()
    ).all()
    by_user: dict[int, list[Notification]] = {}
    for found in pending:
        by_user.setdefault(found.user_id, []).append(found)
    if not by_user:
        return []
    last_sent = dict(
        session.exec(
            select(Notification.user_id, func.max(Notification.digested_at))
            .where(col(Notification.user_id).in_(sorted(by_user)), col(Notification.digested_at).is_not(None))
            .group_by(col(Notification.user_id))
        ).all()
    )
    digests: list[Digest] = []
    for user_id, notices in by_user.items():
        oldest = min(n.created_at for n in notices)
        last = last_sent.get(user_id)
        if oldest > now - window or (last is not None and last > now - window):
            continue
        ids = [n.id for n in notices if n.id is not None]
        session.execute(update(Notification).where(col(Notification.id).in_(ids)).values(digested_at=now))
        events.append(session, k.NotificationsDigested(user_id=user_id, notification_ids=ids), actor_id=None)
        digests.append(Digest(user_id=user_id, notification_ids=ids))
    return digests
