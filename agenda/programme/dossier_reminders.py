"""Reminders to submit a programme item's dossier (nộp hồ sơ) before the deadline. See
docs/follow-through.md "Reminders" and docs/notifications.md.

The deadline is the policy's (`submission_day`, by default the 25th of the month before the
planned month: agenda/programme/programme.submission_deadline). For each `d` of
`policy.dossier_reminder_days` (by default 7 and 2), the lead agency's active `agency` accounts
are told once, `d` days before the deadline (or at the first round after, until the deadline),
while the item is planned (or postponed), not submitted and its dossier incomplete. The key
`dossier:<item>:before:<deadline>:<d>d` is unique per user, so each reminder is made exactly once;
a new planned month brings a new deadline, hence a new schedule.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from agenda.clock import local_today
from agenda.papers.documents import present_kinds
from agenda.people.notifications import Notification, agency_accounts, already_sent, notify
from agenda.policy import Policy
from agenda.programme.programme import ProgrammeItem, submission_deadline

WAITING = ("planned", "postponed")


def months_due(today: date, policy: Policy) -> list[str]:
    """The planned months whose deadline falls between today and the earliest reminder's reach."""
    reach = max(policy.dossier_reminder_days, default=0)
    months: set[str] = set()
    for offset in range(reach + 1):
        day = today + timedelta(days=offset)
        year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
        months.add(f"{year:04d}-{month:02d}")
    return sorted(months)


def dossier_slot(deadline: date, today: date, policy: Policy) -> int | None:
    """The reminder due today, in days before the deadline: the latest slot that has passed, and
    only until the deadline."""
    if today > deadline:
        return None
    passed = [d for d in policy.dossier_reminder_days if deadline - timedelta(days=d) <= today]
    return min(passed) if passed else None


def send_dossier_reminders(
    *, session: Session, policy: Policy, today: date | None = None
) -> list[Notification]:
    """Create every dossier reminder due `today` that does not exist yet; idempotent."""
    today = today or local_today()
    if not policy.dossier_reminder_days:
        return []
    items = session.exec(
        select(ProgrammeItem)
        .where(
            col(ProgrammeItem.status).in_(WAITING),
            col(ProgrammeItem.submitted_at).is_(None),
            col(ProgrammeItem.lead_agency_id).is_not(None),
            col(ProgrammeItem.planned_month).in_(months_due(today, policy)),
        )
        .order_by(col(ProgrammeItem.id))
        .with_for_update()
    ).all()
    due: list[tuple[ProgrammeItem, date, int, str]] = []
    for item in items:
        deadline = submission_deadline(item.planned_month, policy.submission_day)
        days = dossier_slot(deadline, today, policy)
        if days is not None:
            due.append((item, deadline, days, f"dossier:{item.id}:before:{deadline.isoformat()}:{days}d"))
    if not due:
        return []
    present = present_kinds(session=session, programme_item_ids=[i.id for i, *_ in due if i.id is not None])
    accounts = agency_accounts(session, {i.lead_agency_id for i, *_ in due if i.lead_agency_id is not None})
    sent = already_sent(session, [key for *_, key in due])
    made: list[Notification] = []
    for item, deadline, _days, key in due:
        missing = policy.missing_documents(item.kind, present.get(item.id or 0, set()))
        if not missing or item.lead_agency_id is None:
            continue
        params = {
            "programme_item_id": item.id,
            "code": item.code,
            "title": item.title[:200],
            "deadline": deadline.strftime("%d/%m/%Y"),
            "days": (deadline - today).days,
            "missing_count": len(missing),
        }
        for user in accounts.get(item.lead_agency_id, []):
            assert user.id is not None
            if (user.id, key) in sent:
                continue
            found = notify(
                session,
                user_id=user.id,
                kind="dossier_reminder",
                key=key,
                params=params,
                url=f"/programme/{item.id}",
            )
            if found is not None:
                made.append(found)
    return made
