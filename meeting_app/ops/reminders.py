"""The background loop of opinion ballots (docs/opinion-polls.md): every 30 s, close the ballots
whose deadline has passed and create the reminders that are due, in one write transaction; and,
when SMTP is set, gather the change notices due into email digests (docs/notifications.md).

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
from meeting_app.context import AppContext

log = logging.getLogger("ecabinet.reminders")

INTERVAL_SECONDS = 30.0


async def tick(app_context: AppContext) -> tuple[int, int]:
    """One round: (ballots closed, notifications created). Without SMTP no digest is gathered:
    the change notices are in the bell, and nothing waits to be mailed."""
    policy = app_context.policy
    mailing = bool(app_context.settings.smtp_host)

    def work(session: Session) -> tuple[int, int]:
        closed = close_due_polls(session=session, policy=policy)
        made = send_due_reminders(session=session, policy=policy)
        if mailing:
            take_digests(session=session)
        return len(closed), len(made)

    return await app_context.db.write(work)


async def run_reminders(app_context: AppContext, interval: float = INTERVAL_SECONDS) -> None:
    """Run `tick` every `interval` seconds until cancelled; a failed round is logged and retried."""
    while True:
        await asyncio.sleep(interval)
        try:
            await tick(app_context)
        except Exception:
            log.exception("the reminder round failed; retrying in %s s", interval)
