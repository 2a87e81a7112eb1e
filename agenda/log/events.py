"""The append-only, hash-chained event log: the audit trail and the live feed. See docs/events.md.

Every change appends one typed event in the same transaction, to the stream of its meeting
(stream = meeting id) or to the global stream 0 (accounts, members, the work programme).
Within a stream, `seq` runs 1, 2, 3... with no gap: a row per stream in `stream_head` is
incremented with UPDATE ... RETURNING, which takes the row lock on PostgreSQL and runs under
BEGIN IMMEDIATE on SQLite, so concurrent writers queue instead of colliding.

hash = sha256(prev_hash + canonical JSON of {stream, seq, kind, data, actor_id, at}).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlalchemy.orm import configure_mappers
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import utcnow
from agenda.log.bulk import insert_rows

GLOBAL_STREAM = 0
# Personal reading activity (copies issued and opened, private notes): kept apart from stream 0
# so that reading never invalidates what depends on the programme (agenda_cache.change_token).
ACTIVITY_STREAM = -1
GENESIS_HASH = "0" * 64
EMPTY_LOG = "empty"  # the epoch of a log with no global event yet (log_epoch)
_PENDING_KEY = "ecabinet_events"


class StreamHead(SQLModel, table=True):
    __tablename__ = "stream_head"

    stream: int = Field(primary_key=True)
    last_seq: int = 0
    last_hash: str = GENESIS_HASH


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("stream", "seq", name="uq_event_stream_seq"),
        Index("ix_event_kind", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    stream: int
    seq: int
    kind: str = Field(max_length=64)
    data: str = Field(sa_column=Column(Text, nullable=False))
    actor_id: int | None = None
    at: datetime
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)

    def payload(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.data)
        return result


# ---------------------------------------------------------------------------------------------
# Typed event kinds. Each kind is one dataclass; its fields are the event's data.


@dataclass(frozen=True)
class EventData:
    kind: ClassVar[str]
    activity: ClassVar[bool] = False  # True: goes to ACTIVITY_STREAM

    def stream(self) -> int:
        meeting_id = getattr(self, "meeting_id", None)
        if meeting_id is not None:
            return int(meeting_id)
        return ACTIVITY_STREAM if self.activity else GLOBAL_STREAM

    def as_data(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


REGISTRY: dict[str, type[EventData]] = {}


def event_kind(cls: type[EventData]) -> type[EventData]:
    """Register an event class under its `kind`; every kind must have a docstring."""
    if not cls.__doc__:
        raise TypeError(f"event {cls.__name__} needs a docstring")
    if cls.kind in REGISTRY:
        raise TypeError(f"duplicate event kind {cls.kind}")
    REGISTRY[cls.kind] = cls
    return cls


_DATA = json.JSONEncoder(sort_keys=True, ensure_ascii=False)  # an event's stored `data`
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(body: dict[str, Any]) -> bytes:
    return _CANONICAL.encode(body).encode()


def stamp(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(
    prev_hash: str, *, stream: int, seq: int, kind: str, data: str, actor_id: int | None, at: datetime
) -> str:
    return _chained(prev_hash, stream, seq, kind, json.loads(data), actor_id, stamp(at))


def _chained(
    prev_hash: str, stream: int, seq: int, kind: str, data: Any, actor_id: int | None, at: str
) -> str:
    body = {"stream": stream, "seq": seq, "kind": kind, "data": data, "actor_id": actor_id, "at": at}
    return hashlib.sha256(prev_hash.encode() + canonical(body)).hexdigest()


def append(session: Session, payload: EventData, *, actor_id: int | None) -> Event:
    """Append `payload` to its stream inside the caller's transaction and return the row."""
    return append_many(session, [(payload, actor_id)])[0]


def append_many(session: Session, entries: list[tuple[EventData, int | None]]) -> list[Event]:
    """Append several events, each with its actor, in order, inside the caller's transaction.

    The same chain as `append` (one seq each, each hash over the one before), written with one
    stream_head update and one multi-row insert per stream: what a batch of ballots needs."""
    streams: dict[int, list[tuple[EventData, int | None]]] = {}
    for payload, actor_id in entries:
        streams.setdefault(payload.stream(), []).append((payload, actor_id))
    appended: list[Event] = []
    configure_mappers()  # model_construct below needs the mappers ready; a no-op once they are
    for stream, group in streams.items():
        session.execute(
            text(
                "INSERT INTO stream_head (stream, last_seq, last_hash) VALUES (:s, 0, :h)"
                " ON CONFLICT DO NOTHING"
            ),
            {"s": stream, "h": GENESIS_HASH},
        )
        row = session.execute(
            text(
                "UPDATE stream_head SET last_seq = last_seq + :n WHERE stream = :s"
                " RETURNING last_seq, last_hash"
            ),
            {"s": stream, "n": len(group)},
        ).one()
        seq, prev_hash = int(row[0]) - len(group), str(row[1])
        at = utcnow()
        at_stamp = stamp(at)
        rows: list[Event] = []
        for payload, actor_id in group:
            seq += 1
            data = _DATA.encode(payload.as_data())
            # hashed as verify_chain will read it back: the stored text, parsed
            digest = _chained(prev_hash, stream, seq, payload.kind, json.loads(data), actor_id, at_stamp)
            rows.append(
                Event.model_construct(  # the fields are made here: no validation to repeat
                    stream=stream,
                    seq=seq,
                    kind=payload.kind,
                    data=data,
                    actor_id=actor_id,
                    at=at,
                    prev_hash=prev_hash,
                    hash=digest,
                )
            )
            prev_hash = digest
        session.execute(
            text("UPDATE stream_head SET last_hash = :h WHERE stream = :s"), {"h": prev_hash, "s": stream}
        )
        insert_rows(
            session,
            Event,
            ("stream", "seq", "kind", "data", "actor_id", "at", "prev_hash", "hash"),
            [(e.stream, e.seq, e.kind, e.data, e.actor_id, at, e.prev_hash, e.hash) for e in rows],
        )
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            session.execute(text("SELECT pg_notify('meeting_events', :p)"), {"p": f"{stream}:{seq}"})
        appended.extend(rows)
    session.info.setdefault(_PENDING_KEY, []).extend(appended)
    return appended


def log_epoch(session: Session) -> str:
    """A name for this event log, the same in every process that shares the database: the hash
    of its latest `system.restored` event, else of its first global event. A feed client that
    resumes with another epoch (a database restored, replaced or reset) gets a snapshot; one
    that moves to another process of the same log resumes by seq."""
    restored = session.exec(
        select(Event.hash).where(Event.kind == "system.restored").order_by(col(Event.id).desc())
    ).first()
    if restored:
        return restored[:16]
    first = session.exec(select(Event.hash).where(Event.stream == GLOBAL_STREAM, Event.seq == 1)).first()
    return first[:16] if first else EMPTY_LOG


def pending(session: Session) -> list[Event]:
    """The events this session appended since the last call, in order; clears the list."""
    events: list[Event] = session.info.pop(_PENDING_KEY, [])
    return events


# ---------------------------------------------------------------------------------------------
# Verification


@dataclass
class ChainReport:
    events: int = 0
    streams: int = 0
    first_bad: dict[str, Any] | None = None

    @property
    def intact(self) -> bool:
        return self.first_bad is None


def verify_chain(session: Session, *, stream: int | None = None, batch: int = 5000) -> ChainReport:
    """Re-check seq continuity and every hash, stream by stream. Stops at the first bad row."""
    report = ChainReport()
    heads = {h.stream: h for h in session.exec(select(StreamHead)).all()}
    streams = sorted(heads) if stream is None else [stream]
    for s in streams:
        report.streams += 1
        expected_prev, expected_seq = GENESIS_HASH, 1
        while True:
            rows = session.exec(
                select(Event)
                .where(Event.stream == s, Event.seq >= expected_seq)
                .order_by(col(Event.seq))
                .limit(batch)
            ).all()
            if not rows:
                break
            for row in rows:
                report.events += 1
                problem = _check_row(row, expected_seq, expected_prev)
                if problem:
                    report.first_bad = {
                        "stream": s,
                        "seq": row.seq if row.seq == expected_seq else expected_seq,
                        "reason": problem,
                    }
                    return report
                expected_prev, expected_seq = row.hash, row.seq + 1
        head = heads.get(s)
        if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
            report.first_bad = {"stream": s, "seq": expected_seq, "reason": "missing_events"}
            return report
    return report


def _check_row(row: Event, expected_seq: int, expected_prev: str) -> str | None:
    if row.seq != expected_seq:
        return "gap"
    if row.prev_hash != expected_prev:
        return "broken_link"
    try:
        recomputed = compute_hash(
            row.prev_hash,
            stream=row.stream,
            seq=row.seq,
            kind=row.kind,
            data=row.data,
            actor_id=row.actor_id,
            at=row.at,
        )
    except (ValueError, TypeError):
        return "unreadable"
    if recomputed != row.hash:
        return "hash_mismatch"
    return None
