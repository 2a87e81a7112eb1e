"""Time: stored in UTC (aware datetimes), shown in Asia/Ho_Chi_Minh.

A settable clock lets tests move time without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_frozen: datetime | None = None


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Fix the clock at `at`, or release it with None. For tests."""
    global _frozen
    _frozen = None if at is None else to_utc(at)


@contextmanager
def travel(at: datetime) -> Iterator[None]:
    """Run a block with the clock fixed at `at`, then put it back as it was (frozen or not). The
    demo seed writes its follow-through history this way (agenda/demo/demo_tasks.py)."""
    global _frozen
    before = _frozen
    freeze(at)
    try:
        yield
    finally:
        _frozen = before


def to_utc(value: datetime) -> datetime:
    """Any datetime to aware UTC; a naive input is taken as local Vietnamese time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    """A stored datetime as an aware Asia/Ho_Chi_Minh datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ)


def iso(value: datetime | None) -> str | None:
    """A stored datetime as ISO 8601 with the +07:00 offset, for the API."""
    if value is None:
        return None
    return to_local(value).isoformat(timespec="seconds")


def local_today() -> date:
    """Today's date in Vietnam: due dates and deadlines are calendar days there."""
    return to_local(utcnow()).date()
