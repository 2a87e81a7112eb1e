"""The bell's messages about opinion ballots: sent, reminders before the deadline, overdue. See
docs/opinion-polls.md.

Each message is a notification (agenda/people/notifications.py) with a `key` unique per user:
`poll:<id>:sent`, `poll:<id>:before:<hours>h`, `poll:<id>:overdue`, and the secretariat's own
reminder `poll:<id>:nudge:<YYYYmmddHH>` (at most one an hour). A reminder is therefore sent
exactly once, however often `send_due_reminders` runs and however many processes run it. Who is
told: a ballot's recipients who have not answered yet, through every active account linked to
the member: their own (`member`) and their assistants' (`assistant`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from agenda.clock import to_local, utcnow
from agenda.people.notifications import Notification, accounts_of, notify
from agenda.policy import Policy
from agenda.polls.opinion_polls import OpinionPoll, PollRecipient, PollResponse, recipients
from agenda.programme.programme import ProgrammeItem

# Overdue notices are not sent for ballots whose deadline is older than this (a server that was
# down for a month does not wake everyone with last month's news).
OVERDUE_WINDOW = timedelta(days=7)


def _params(session: Session, poll: OpinionPoll, **extra: Any) -> dict[str, Any]:
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
    return _tell(session, poll, recipients(session, poll.id or 0), "poll_sent", f"poll:{poll.id}:sent")


def nudge(
    *, session: Session, poll: OpinionPoll, now: datetime | None = None
) -> tuple[list[int], list[Notification]]:
    """The secretariat's reminder, now, to the recipients who have not answered (and their
    assistants): (those members, the notifications made). Keyed by the hour (UTC), so a second
    press within it makes none."""
    key = f"poll:{poll.id}:nudge:{(now or utcnow()).strftime('%Y%m%d%H')}"
    members = _unanswered(session, poll.id or 0)
    return members, _tell(session, poll, members, "poll_nudge", key)


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
