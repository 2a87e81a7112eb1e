"""The verifiable record of one meeting: its events with their hashes, the chain check and the
vote recount, for the secretariat's audit page and GET /api/v1/meetings/{id}/events.
See docs/minutes.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from agenda.log import events
from agenda.log.events import Event, verify_chain
from agenda.meetings.agenda_items import AgendaItem
from agenda.people.accounts import User
from agenda.people.members import Member
from agenda.policy import Policy
from agenda.programme.programme import ProgrammeItem
from agenda.record.minutes import Minutes, content_hash
from agenda.votes.models import Vote
from agenda.votes.tally import recount_all

PAGE_LIMIT = 500


def raw_event(event: Event) -> dict[str, Any]:
    """An event as the log holds it: `at` is the exact string its hash covers (UTC, microseconds)."""
    return {
        "seq": event.seq,
        "kind": event.kind,
        "at": events.stamp(event.at),
        "actor_id": event.actor_id,
        "data": event.payload(),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def events_since(
    session: Session, meeting_id: int, since: int, limit: int = PAGE_LIMIT, *, offset: int = 0
) -> tuple[list[Event], int | None]:
    """Up to `limit` events of the meeting's stream after seq `since` (skipping `offset` of them),
    and the `since` of the next page (None when this page reaches the end)."""
    rows = session.exec(
        select(Event)
        .where(Event.stream == meeting_id, Event.seq > since)
        .order_by(col(Event.seq))
        .offset(offset)
        .limit(limit + 1)
    ).all()
    page = list(rows[:limit])
    return page, (page[-1].seq if len(rows) > limit else None)


def count_events(session: Session, meeting_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(Event).where(Event.stream == meeting_id)).one())


def payload_names(
    session: Session, meeting_id: int, payloads: list[dict[str, Any]]
) -> dict[str, dict[int, str]]:
    """What the ids in these payloads stand for, for the audit page's sentences: the meeting's
    agenda items ("2. Title"), votes (their question), and the members, users and programme
    items (their code) the payloads name."""

    def ids(name: str) -> list[int]:
        return sorted({p[name] for p in payloads if isinstance(p.get(name), int)})

    items = session.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)).all()
    votes = session.exec(select(Vote).where(Vote.meeting_id == meeting_id)).all()
    members = session.exec(select(Member).where(col(Member.id).in_(ids("member_id")))).all()
    programme = session.exec(
        select(ProgrammeItem).where(col(ProgrammeItem.id).in_(ids("programme_item_id")))
    ).all()
    return {
        "items": {i.id: f"{i.position}. {_short(i.title)}" for i in items if i.id is not None},
        "votes": {v.id: _short(v.question) for v in votes if v.id is not None},
        "members": {m.id: m.full_name for m in members if m.id is not None},
        "users": actor_names(session, set(ids("user_id"))),
        "programme_items": {p.id: p.code for p in programme if p.id is not None},
    }


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def actor_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        u.id: u.full_name
        for u in session.exec(select(User).where(col(User.id).in_(sorted(ids)))).all()
        if u.id is not None
    }


@dataclass(frozen=True)
class VoteCheck:
    vote_id: int
    question: str
    secret: bool
    problem: str | None  # None: the recount agrees


@dataclass(frozen=True)
class MinutesCheck:
    finalized: bool
    intact: bool | None  # None: not finalized, nothing to compare


@dataclass(frozen=True)
class Audit:
    intact: bool
    events: int
    first_bad: dict[str, Any] | None
    votes: list[VoteCheck]
    minutes: MinutesCheck


def _minutes_check(session: Session, meeting_id: int) -> MinutesCheck:
    """A finalized minutes row still matches the fingerprint its `minutes.finalized` event logged."""
    minutes = session.get(Minutes, meeting_id)
    if minutes is None or minutes.state != "final":
        return MinutesCheck(finalized=False, intact=None)
    logged = session.exec(
        select(Event).where(Event.stream == meeting_id, Event.kind == "minutes.finalized")
    ).first()
    if logged is None:
        return MinutesCheck(finalized=True, intact=False)
    data = logged.payload()
    intact = (
        data.get("content_sha256") == content_hash(minutes)
        and data.get("last_event_seq") == minutes.last_event_seq
        and data.get("last_event_hash") == minutes.last_event_hash
    )
    return MinutesCheck(finalized=True, intact=intact)


def audit(session: Session, meeting_id: int, policy: Policy) -> Audit:
    """The chain check of the meeting's stream, the recount of its closed votes, and whether its
    finalized minutes still match the log."""
    report = verify_chain(session, stream=meeting_id)
    _counted, problems = recount_all(session, policy)
    found = {p.vote_id: p.reason for p in problems}
    votes = session.exec(
        select(Vote).where(Vote.meeting_id == meeting_id, Vote.state == "closed").order_by(col(Vote.id))
    ).all()
    checks = [
        VoteCheck(vote_id=v.id or 0, question=v.question, secret=v.secret, problem=found.get(v.id or 0))
        for v in votes
    ]
    return Audit(
        intact=report.intact,
        events=report.events,
        first_bad=report.first_bad,
        votes=checks,
        minutes=_minutes_check(session, meeting_id),
    )
