"""The board's figures, kept while nothing changes. See docs/monitoring.md "Speed".

Every change of a task or a programme item appends an event in its transaction (agenda/log),
so the newest event's id says whether the data may have changed: the figures for a period and a
day are kept under that id, and read again from the GROUP BYs only after a new event. After a
change, every reader whose board refreshes (a `task` frame reaches them all at once) then costs
one computation instead of one each. An entry also expires after `ttl` seconds, which bounds
how stale it can be should two concurrent PostgreSQL transactions commit out of id order. The
figures carry no title, so one cache serves every reader.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from agenda.log.events import Event
from agenda.monitoring.figures import compute
from agenda.monitoring.period import Period

Key = tuple[str, str, date, int]


class BoardCache:
    """`figures.compute` memoized on (period, day, newest event id), least recently used out.
    The dictionaries it returns are shared: read them, never change them."""

    def __init__(self, size: int = 32, ttl: float = 30.0) -> None:
        self.size = size
        self.ttl = ttl
        self._entries: OrderedDict[Key, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def figures(self, *, session: Session, period: Period, as_of: date) -> dict[str, Any]:
        newest = session.exec(select(func.max(Event.id))).one() or 0
        key = (period.first, period.last, as_of, int(newest))
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and now - found[0] < self.ttl:
                self._entries.move_to_end(key)
                return found[1]
        made = compute(session=session, period=period, as_of=as_of)
        with self._lock:
            self._entries[key] = (now, made)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return made

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
