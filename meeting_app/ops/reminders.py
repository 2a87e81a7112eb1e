"""The background loop of opinion ballots (docs/opinion-polls.md): every 30 s, close the ballots
whose deadline has passed and create the reminders that are due, in one write transaction; and,
when SMTP is set, gather the change notices due into email digests (docs/notifications.md).
Every FOLLOW_THROUGH_EVERY rounds (and on the first) the same transaction also makes the
follow-through's reminders, which go by the day: tasks, dossiers and the secretariat's weekly
overdue digest (docs/follow-through.md "Reminders").

The domain functions are idempotent (a reminder has a unique key per user, a closed ballot
stays closed), so a missed round, a restart or several processes running the loop at once
cost nothing but a repeated query. What they create reaches the bell and the mailer through
the database's after-commit hook, like every other change.
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import Session

from agenda.people.notifications import take_digests
from agenda.polls.poll_lifecycle import close_due_polls
from agenda.polls.reminders import send_due_reminders
from agenda.programme.dossier_reminders import send_dossier_reminders
from agenda.tasks.reminders import send_overdue_digest, send_task_reminders
from meeting_app.context import AppContext

log = logging.getLogger("ecabinet.reminders")

INTERVAL_SECONDS = 30.0
FOLLOW_THROUGH_EVERY = 20  # rounds: the day-based reminders are looked at every 10 minutes


async def tick(app_context: AppContext, *, follow_through: bool = True) -> tuple[int, int]:
    """One round: (ballots closed, notifications created). Without SMTP no digest is gathered:
    the change notices are in the bell, and nothing waits to be mailed. `follow_through` adds
    the reminders of tasks and dossiers and the weekly overdue digest."""
    policy = app_context.policy
    mailing = bool(app_context.settings.smtp_host)

    def work(session: Session) -> tuple[int, int]:
        closed = close_due_polls(session=session, policy=policy)
        made = send_due_reminders(session=session, policy=policy)
        if follow_through:
            made += send_task_reminders(session=session, policy=policy)
            made += send_dossier_reminders(session=session, policy=policy)
            made += send_overdue_digest(session=session)
        if mailing:
            take_digests(session=session)
        return len(closed), len(made)

    return await app_context.db.write(work)


async def run_reminders(app_context: AppContext, interval: float = INTERVAL_SECONDS) -> None:
    """Run `tick` every `interval` seconds until cancelled; a failed round is logged and retried."""
    rounds = 0
    while True:
        await asyncio.sleep(interval)
        try:
            await tick(app_context, follow_through=rounds % FOLLOW_THROUGH_EVERY == 0)
            rounds += 1
        except Exception:
            log.exception("the reminder round failed; retrying in %s s", interval)
