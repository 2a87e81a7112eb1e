"""A read cache of agenda views, invalidated by the event log itself. See docs/architecture.md.

Every change that can alter an agenda view appends an event: to the meeting's stream (the
meeting, its people, its agenda) or to the global stream 0 (programme items, documents,
members). The pair of stream heads is therefore a complete change token: a cached AgendaData
is used only while both heads are unchanged. Checking costs one indexed query instead of the
seven a fresh load takes, and it stays correct with several processes on one database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import text
from sqlmodel import Session

from agenda.log.events import GLOBAL_STREAM
from agenda.meetings.agenda_items import AgendaData, load_agenda

Token = tuple[int, int]


def change_token(*, session: Session, meeting_id: int) -> Token:
    rows = dict(
        session.execute(
            text("SELECT stream, last_seq FROM stream_head WHERE stream IN (:g, :m)"),
            {"g": GLOBAL_STREAM, "m": meeting_id},
        ).all()
    )
    return int(rows.get(GLOBAL_STREAM, 0)), int(rows.get(meeting_id, 0))


class AgendaCache:
    """At most `size` meetings' AgendaData, each valid for one change token."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[int, tuple[Token, AgendaData]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, *, session: Session, meeting_id: int) -> AgendaData:
        # Read the token first: data loaded after it can only be newer than the token says,
        # so a later request with a newer token reloads; stale data is never kept.
        token = change_token(session=session, meeting_id=meeting_id)
        with self._lock:
            found = self._entries.get(meeting_id)
            if found is not None and found[0] == token:
                self._entries.move_to_end(meeting_id)
                return found[1]
        data = load_agenda(session=session, meeting_id=meeting_id)
        with self._lock:
            self._entries[meeting_id] = (token, data)
            self._entries.move_to_end(meeting_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return data
