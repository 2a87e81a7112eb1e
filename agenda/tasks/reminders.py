"""The bell's (and the mail's) reminders of the follow-through: tasks before, on and after their
due date, and the secretariat's weekly digest of what went overdue. See docs/follow-through.md
"Reminders" and docs/notifications.md.

Every reminder is a notification (agenda/people/notifications.py) with a key unique per user,
built from the task and the due date it is about, so it is made exactly once however often
`send_task_reminders` runs and in however many processes, the way the ballots' reminders are
(agenda/polls/reminders.py):

- `task:<id>:before:<due>` (`task_due_soon`): from `policy.task_reminder_days` days before the
  due date (if the task existed then), until the day before it;
- `task:<id>:due:<due>` (`task_due_today`): on the due date (or the first round after it, within
  the week that follows);
- `task:<id>:overdue:<due>:<n>` (`task_overdue`): `n` times `policy.task_overdue_every_days` days
  after the due date, while the task is open;
- `tasks:overdue-digest:<monday>` (`tasks_overdue_digest`): to the secretariat, once a week
  (from Monday), the tasks due in the week before that went overdue (still open, or done late).

Because the due date is part of the key, an approved extension moves the whole schedule to the
new date (the original stays on the task). Only open tasks are reminded. A task's reminders go to
the active `agency` accounts of its lead agency that may see it (agenda/tasks/views.can_see).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from agenda.agencies.registry import Agency
from agenda.clock import local_today, to_local
from agenda.people.accounts import User, viewer_of
from agenda.people.notifications import Notification, agency_accounts, already_sent, notify
from agenda.policy import Policy
from agenda.tasks.models import Task
from agenda.tasks.states import state_expression
from agenda.tasks.views import can_see

DIGEST_CODES = 20  # at most this many task codes named in the weekly digest


@dataclass(frozen=True)
class Slot:
    kind: str
    key: str


def task_slot(task: Task, today: date, policy: Policy) -> Slot | None:
    """The reminder of `task` due on `today`: the latest slot that has passed, or None."""
    if task.status != "open" or task.id is None:
        return None
    due = task.due_on
    if today < due:
        start = due - timedelta(days=policy.task_reminder_days)
        if start <= today and to_local(task.created_at).date() <= start:
            return Slot("task_due_soon", f"task:{task.id}:before:{due.isoformat()}")
        return None
    weeks = (today - due).days // policy.task_overdue_every_days
    if weeks == 0:
        return Slot("task_due_today", f"task:{task.id}:due:{due.isoformat()}")
    return Slot("task_overdue", f"task:{task.id}:overdue:{due.isoformat()}:{weeks}")


def _params(task: Task, agency: str, today: date) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "code": task.code,
        "title": task.title[:200],
        "agency": agency,
        "due_on": task.due_on.strftime("%d/%m/%Y"),
        "days": abs((task.due_on - today).days),
    }


def send_task_reminders(*, session: Session, policy: Policy, today: date | None = None) -> list[Notification]:
    """Create every task reminder due `today` (default: the local today) that does not exist yet;
    idempotent. Locks the open tasks it looks at, so that two processes take turns."""
    today = today or local_today()
    tasks = session.exec(
        select(Task)
        .where(Task.status == "open", col(Task.due_on) <= today + timedelta(days=policy.task_reminder_days))
        .order_by(col(Task.id))
        .with_for_update()
    ).all()
    due = [(task, slot) for task in tasks if (slot := task_slot(task, today, policy)) is not None]
    if not due:
        return []
    accounts = agency_accounts(session, {t.lead_agency_id for t, _ in due})
    names = dict(session.exec(select(Agency.id, Agency.name).where(col(Agency.id).in_(list(accounts)))).all())
    sent = already_sent(session, [slot.key for _, slot in due])
    made: list[Notification] = []
    for task, slot in due:
        for user in accounts.get(task.lead_agency_id, []):
            assert user.id is not None
            if (user.id, slot.key) in sent or not can_see(session, viewer_of(user), task):
                continue
            found = notify(
                session,
                user_id=user.id,
                kind=slot.kind,
                key=slot.key,
                params=_params(task, names.get(task.lead_agency_id, ""), today),
                url=f"/tasks/{task.id}",
            )
            if found is not None:
                made.append(found)
    return made


def digest_week(today: date) -> tuple[date, date, date]:
    """(this week's Monday, the first and the last due date of the tasks its digest covers: the
    seven days before that Monday)."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday - timedelta(days=7), monday - timedelta(days=1)


def _unsent(session: Session, key: str, *, lock: bool) -> list[User]:
    """The active secretariat accounts without the notice `key` (their rows locked with `lock`)."""
    query = select(User).where(col(User.active)).order_by(col(User.id))
    users = session.exec(query.with_for_update() if lock else query).all()
    sent = {user_id for user_id, _ in already_sent(session, [key])}
    return [u for u in users if u.has("secretariat") and u.id is not None and u.id not in sent]


def send_overdue_digest(*, session: Session, today: date | None = None) -> list[Notification]:
    """The secretariat's weekly digest: the tasks due in the week before this Monday that went
    overdue (open, or done late, as of Monday), once a week per user; none when there are none.
    Restricted tasks count too: the secretariat sees every task."""
    monday, first, last = digest_week(today or local_today())
    key = f"tasks:overdue-digest:{monday.isoformat()}"
    staff = _unsent(session, key, lock=False)
    if not staff:
        return []
    codes = list(
        session.exec(
            select(Task.code)
            .where(
                col(Task.due_on) >= first,
                col(Task.due_on) <= last,
                state_expression(monday).in_(("overdue", "late")),
            )
            .order_by(col(Task.due_on), col(Task.id))
        ).all()
    )
    if not codes:
        return []
    staff = _unsent(session, key, lock=True)  # two processes take turns; the second finds none
    if not staff:
        return []
    shown = ", ".join(codes[:DIGEST_CODES]) + (" …" if len(codes) > DIGEST_CODES else "")
    params = {
        "count": len(codes),
        "first": first.strftime("%d/%m/%Y"),
        "last": last.strftime("%d/%m/%Y"),
        "codes": shown,
    }
    made: list[Notification] = []
    for user in staff:
        assert user.id is not None
        found = notify(
            session,
            user_id=user.id,
            kind="tasks_overdue_digest",
            key=key,
            params=params,
            url=f"/tasks?state=overdue&due_from={first.isoformat()}&due_to={last.isoformat()}",
        )
        if found is not None:
            made.append(found)
    return made
