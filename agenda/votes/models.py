"""Votes on an agenda item: open (named) or secret. See docs/live.md and docs/rules.md.

- States: draft -> open -> closed. A vote opens only with quorum; the voting members present
  at that moment are its electorate (`vote_eligible`), and only they may vote.
- One ballot per member, enforced by primary keys. A named ballot (`ballot`) can be changed
  until close. A secret vote keeps who voted (`ballot_receipt`) apart from what was chosen
  (`secret_tally`, one counter per choice): no row, event or frame links the two, and the
  event of a secret ballot has no actor.
- Every ballot is committed before it is acknowledged. Close locks the vote row, as each
  ballot does, so a ballot racing the close is either counted or refused with 409, never lost.
- The result is computed in the closing transaction under the policy, stored on the vote,
  pushed as `vote.closed`, and recounted by `python run.py verify` (`recount_all`).

This module holds the tables and the reads; agenda/votes/lifecycle.py creates, opens and closes
a vote, agenda/votes/ballots.py casts ballots (one or a batch), agenda/votes/tally.py counts,
decides and recounts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, utcnow
from agenda.errors import NotFound
from agenda.meetings.agenda_items import get_agenda_item
from agenda.viewer import Viewer

CHOICES = ("yes", "no", "abstain")


class Vote(SQLModel, table=True):
    __tablename__ = "vote"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int = Field(foreign_key="agenda_item.id", index=True)
    question: str = Field(max_length=1000)
    secret: bool = False
    state: str = Field(default="draft", max_length=16)
    eligible: int = 0
    cast: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    # Keys the idempotency fingerprints of a secret vote's ballots; erased at close (see cast()).
    salt: str | None = Field(default=None, max_length=64)
    result: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

    def result_dict(self) -> dict[str, Any] | None:
        if self.result is None:
            return None
        found: dict[str, Any] = json.loads(self.result)
        return found


class VoteEligible(SQLModel, table=True):
    __tablename__ = "vote_eligible"

    vote_id: int = Field(foreign_key="vote.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class Ballot(SQLModel, table=True):
    """A named ballot: who chose what. Never used for a secret vote."""

    __tablename__ = "ballot"

    vote_id: int = Field(foreign_key="vote.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    choice: str = Field(max_length=8)
    cast_at: datetime = Field(default_factory=utcnow)
    changed_at: datetime = Field(default_factory=utcnow)


class BallotReceipt(SQLModel, table=True):
    """That a member voted in a secret vote: no choice and no time."""

    __tablename__ = "ballot_receipt"

    vote_id: int = Field(foreign_key="vote.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class SecretTally(SQLModel, table=True):
    """How many chose each option in a secret vote: counters, never rows per ballot."""

    __tablename__ = "secret_tally"

    vote_id: int = Field(foreign_key="vote.id", primary_key=True)
    choice: str = Field(max_length=8, primary_key=True)
    count: int = 0


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a ballot sent with an `Idempotency-Key`, stored with the ballot."""

    __tablename__ = "idempotency_record"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    key: str = Field(max_length=200, primary_key=True)
    fingerprint: str | None = Field(default=None, max_length=64)
    status: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class VoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    question: str = PField(min_length=1, max_length=1000)
    secret: bool = False


class BallotCast(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    choice: str


@dataclass(frozen=True)
class Answer:
    """What a ballot request answers, first time or replayed."""

    status: int
    body: dict[str, Any]


# --- reading ------------------------------------------------------------------------------------


def public_vote(vote: Vote) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": vote.id,
        "agenda_item_id": vote.agenda_item_id,
        "question": vote.question,
        "secret": vote.secret,
        "state": vote.state,
        "eligible": vote.eligible,
        "cast": vote.cast,
        "opened_at": iso(vote.opened_at),
        "closed_at": iso(vote.closed_at),
    }
    result = vote.result_dict()
    if result is not None:
        found["result"] = result["result"]
        if result.get("ballots") is not None:
            found["ballots"] = result["ballots"]
    return found


def _lock(session: Session, vote_id: int) -> Vote:
    """The vote row, locked until commit (PostgreSQL); SQLite's BEGIN IMMEDIATE already serializes."""
    query = select(Vote).where(Vote.id == vote_id).with_for_update()
    # populate_existing: a Vote already read in this session (cast() reads it first) must take
    # the locked row's values, not keep the stale ones from before the lock was granted.
    vote = session.exec(query.execution_options(populate_existing=True)).first()
    if vote is None:
        raise NotFound()
    return vote


def get_vote(*, session: Session, vote_id: int, viewer: Viewer | None = None) -> Vote:
    vote = session.get(Vote, vote_id)
    if vote is None:
        raise NotFound()
    if viewer is not None:
        get_agenda_item(session=session, agenda_item_id=vote.agenda_item_id, viewer=viewer)
    return vote


def my_ballot(session: Session, vote: Vote, member_id: int | None) -> dict[str, Any]:
    """`my_choice` (named votes) and `has_voted` for a member; a secret choice is never known."""
    if member_id is None:
        return {}
    if vote.secret:
        voted = session.get(BallotReceipt, (vote.id, member_id)) is not None
        return {"has_voted": voted, "my_choice": None}
    ballot = session.get(Ballot, (vote.id, member_id))
    return {"has_voted": ballot is not None, "my_choice": ballot.choice if ballot else None}


def vote_view(session: Session, vote: Vote, viewer: Viewer) -> dict[str, Any]:
    found = public_vote(vote)
    if viewer.has("member"):
        found.update(my_ballot(session, vote, viewer.member_id))
        found["eligible_me"] = session.get(VoteEligible, (vote.id, viewer.member_id or 0)) is not None
    return found


def open_votes(session: Session, meeting_id: int) -> list[Vote]:
    return list(session.exec(select(Vote).where(Vote.meeting_id == meeting_id, Vote.state == "open")).all())


def meeting_votes(session: Session, meeting_id: int) -> list[Vote]:
    return list(session.exec(select(Vote).where(Vote.meeting_id == meeting_id).order_by(col(Vote.id))).all())
