"""Login sessions remembered for a few minutes, so a burst of requests does not read the session
table once per request (500 members voting at once are 500 requests in a few milliseconds).

- An entry is what `agenda.people.accounts.authenticate` found, kept for `TTL` seconds at most (a safety
  net for rows changed by hand: every change the application makes goes through the log). The idle
  and absolute limits are applied to it on every request, from its own times.
- Entries are dropped at once when the log says the account or its sessions changed: a logout
  (`auth.logout`) or any change to the account (`user.updated`: roles, active, language, member
  link). The after-commit publisher of this process calls `on_events` (meeting_app/app.py); on
  PostgreSQL the listener brings other processes' events to the same publisher. The logout
  request itself drops its entry before it answers.
- "Last seen" is written at most once a minute per session, as before, but off the request path:
  the sessions due are collected and written together by one background transaction a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field, replace

from agenda.clock import utcnow
from agenda.db import Database
from agenda.log import events as ev
from agenda.people import accounts
from agenda.people.accounts import Authenticated, SessionPolicy

log = logging.getLogger(__name__)

TTL = 300.0  # seconds an entry is trusted without re-reading; the log evicts changes at once
TOUCH_EVERY = 1.0  # seconds between the batched "last seen" writes
MAX_ENTRIES = 50_000  # far above any Government's devices; a flood of tokens cannot grow it further
_EVICTING = frozenset({"auth.logout", "user.updated"})


@dataclass
class _Entry:
    auth: Authenticated
    fetched: float  # time.monotonic() when read from the table


@dataclass
class SessionCache:
    policy: SessionPolicy = field(default_factory=SessionPolicy)
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _due: set[str] = field(default_factory=set)  # sessions whose "last seen" is to be written
    _writer: asyncio.Task[None] | None = None

    def get(self, sid: str) -> Authenticated | None:
        """The session if it is remembered, fresh and still within its limits; else None."""
        entry = self._entries.get(sid)
        if entry is None:
            return None
        if time.monotonic() - entry.fetched > TTL or self._expired(entry.auth):
            self._entries.pop(sid, None)
            return None
        return entry.auth

    def put(self, auth: Authenticated) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[auth.session_id] = _Entry(auth, time.monotonic())

    def drop(self, sid: str) -> None:
        self._entries.pop(sid, None)

    def drop_user(self, user_id: int) -> None:
        for sid in [sid for sid, e in self._entries.items() if e.auth.user.id == user_id]:
            self._entries.pop(sid, None)

    def on_events(self, events: list[ev.Event]) -> None:
        """The after-commit hook: forget every session of an account whose log says it changed."""
        for event in events:
            if event.kind in _EVICTING:
                self.drop_user(int(event.payload()["user_id"]))

    def _expired(self, auth: Authenticated) -> bool:
        now = utcnow()
        return now - auth.last_seen_at > self.policy.idle or now - auth.created_at > self.policy.absolute

    # --- "last seen", written in batches --------------------------------------------------------

    def seen(self, auth: Authenticated, db: Database) -> None:
        """Note activity on `auth`; once a minute per session it is queued for the next batch."""
        if utcnow() - auth.last_seen_at <= self.policy.touch_every:
            return
        entry = self._entries.get(auth.session_id)
        if entry is not None:  # not due again until the next minute
            entry.auth = replace(entry.auth, last_seen_at=utcnow(), needs_touch=False)
        self._due.add(auth.session_id)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_due(db))

    async def _write_due(self, db: Database) -> None:
        await asyncio.sleep(TOUCH_EVERY)  # let the burst's other sessions join this batch
        due, self._due = sorted(self._due), set()
        try:
            await db.write(lambda s: accounts.touch_many(session=s, sids=due))
        except Exception:  # activity is best-effort; the next request notes it again
            log.exception("writing the last-seen time of %d sessions failed", len(due))

    async def stop(self, db: Database) -> None:
        """At shutdown: write what is due now instead of after the pause."""
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._due:
            due, self._due = sorted(self._due), set()
            await db.write(lambda s: accounts.touch_many(session=s, sids=due))
