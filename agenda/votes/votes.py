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
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import Column, Text, func, text, tuple_
from sqlalchemy import select as core_select  # sqlmodel's takes at most four columns
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, utcnow
from agenda.errors import DomainError, Forbidden, NotFound, RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.log.bulk import insert_rows
from agenda.meetings.agenda_items import AgendaItem, audiences, get_agenda_item
from agenda.meetings.attendance import present_voters, quorum
from agenda.meetings.meetings import Meeting, get_meeting
from agenda.people.members import voting_members
from agenda.policy import Decision, Policy
from agenda.text import N_
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


# --- changing -----------------------------------------------------------------------------------


def create(*, session: Session, agenda_item_id: int, data: VoteCreate, actor_id: int | None) -> Vote:
    item = get_agenda_item(session=session, agenda_item_id=agenda_item_id)
    meeting = get_meeting(session=session, meeting_id=item.meeting_id)
    if meeting.state not in ("published", "in_progress"):
        raise WrongState(N_("Phiên họp không ở trạng thái biểu quyết được."), code="not_live")
    assert item.id is not None
    vote = Vote(
        meeting_id=item.meeting_id, agenda_item_id=item.id, question=data.question, secret=data.secret
    )
    session.add(vote)
    session.flush()
    assert vote.id is not None
    events.append(
        session,
        k.VoteCreated(
            meeting_id=vote.meeting_id,
            vote_id=vote.id,
            agenda_item_id=item.id,
            question=vote.question,
            secret=vote.secret,
        ),
        actor_id=actor_id,
    )
    return vote


def _electorate(session: Session, meeting: Meeting, item: AgendaItem) -> list[int]:
    """The voting members present now; for a restricted item, only those in its audience (and the chair)."""
    present = present_voters(session, meeting.id or 0)
    if item.restricted:
        audience = set(audiences(session, [item.id or 0]).get(item.id or 0, []))
        present = {m for m in present if m in audience or m == meeting.chair_member_id}
    return sorted(present)


def open_vote(*, session: Session, vote_id: int, actor_id: int | None, policy: Policy) -> Vote:
    vote = _lock(session, vote_id)
    meeting = get_meeting(session=session, meeting_id=vote.meeting_id)
    if meeting.state != "in_progress":
        raise WrongState(N_("Phiên họp chưa bắt đầu hoặc đã kết thúc."), code="not_in_progress")
    if vote.state != "draft":
        raise WrongState(N_("Biểu quyết này đã mở hoặc đã kết thúc."), code="vote_not_draft")
    if open_votes(session, vote.meeting_id):
        raise WrongState(N_("Đang có một biểu quyết khác mở."), code="another_vote_open")
    if not quorum(session, vote.meeting_id, policy).quorate:
        raise WrongState(N_("Chưa đủ số thành viên tối thiểu để biểu quyết."), code="no_quorum")
    item = session.get(AgendaItem, vote.agenda_item_id)
    assert item is not None and vote.id is not None
    electorate = _electorate(session, meeting, item)
    session.add_all(VoteEligible(vote_id=vote.id, member_id=m) for m in electorate)
    vote.state = "open"
    vote.opened_at = utcnow()
    vote.eligible = len(electorate)
    vote.salt = secrets.token_hex(32) if vote.secret else None
    if vote.secret:  # every counter exists from the start: their order says nothing
        session.add_all(SecretTally(vote_id=vote.id, choice=c, count=0) for c in CHOICES)
    session.add(vote)
    events.append(
        session,
        k.VoteOpened(
            meeting_id=vote.meeting_id,
            vote_id=vote.id,
            agenda_item_id=vote.agenda_item_id,
            eligible=vote.eligible,
            opened_at=iso(vote.opened_at) or "",
            electorate=electorate,
        ),
        actor_id=actor_id,
    )
    return vote


def _fingerprint(vote: Vote, choice: str, pepper: str) -> str | None:
    """What identifies a ballot request's body for its Idempotency-Key. For a secret vote it is
    keyed by the vote's salt, which close() erases, and by the server's secret key (`pepper`),
    which is not in the database: while the vote is open the database alone cannot tell which
    choice a fingerprint stands for, and after close nobody can. A replay after close returns
    the first answer without comparing bodies."""
    body = f"{vote.id}:{choice}".encode()
    if not vote.secret:
        return hashlib.sha256(body).hexdigest()
    if vote.salt is None:
        return None
    return hmac.new((pepper + vote.salt).encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class BallotRequest:
    """One ballot as a voter sent it: the vote, the choice, the Idempotency-Key, who."""

    vote_id: int
    choice: str
    key: str
    viewer: Viewer


def cast_many(
    *, session: Session, requests: list[BallotRequest], pepper: str = ""
) -> list[Answer | DomainError]:
    """Cast ballots that arrived together, in ONE transaction (group commit). Returns, in order,
    each ballot's answer or the error that refuses it; a refused ballot changes nothing. `pepper`
    is the server's secret key (see _fingerprint).

    Each vote's row is locked first; then everything the checks need is read in a few queries,
    each ballot is decided in order (a later ballot of the same batch sees the earlier ones),
    and the accepted ones are written with one multi-row insert per table."""
    found: list[Answer | DomainError | None] = [None] * len(requests)
    by_vote: dict[int, list[int]] = {}
    for index, request in enumerate(requests):
        if request.choice not in CHOICES:
            found[index] = RuleBroken(N_("Lựa chọn biểu quyết không hợp lệ."), code="bad_choice")
        else:
            by_vote.setdefault(request.vote_id, []).append(index)
    for vote_id, indices in by_vote.items():
        try:
            # Lock first, then look the keys up: retries of one key racing each other (from
            # another process on PostgreSQL) queue on the lock and all get the first answer.
            batch = _Batch(session, _lock(session, vote_id), [requests[i] for i in indices], pepper)
        except DomainError as refused:
            for index in indices:
                found[index] = refused
            continue
        for index, answer in zip(indices, batch.decide_all(), strict=True):
            found[index] = answer
        batch.write()
    return [answer for answer in found if answer is not None]


def cast(
    *, session: Session, vote_id: int, choice: str, key: str, viewer: Viewer, pepper: str = ""
) -> Answer:
    """Cast or change one ballot; raises the error that refuses it."""
    answer = cast_many(
        session=session, requests=[BallotRequest(vote_id, choice, key, viewer)], pepper=pepper
    )[0]
    if isinstance(answer, DomainError):
        raise answer
    return answer


@dataclass(frozen=True)
class _Stored:
    fingerprint: str | None
    status: int
    body: str


class _Batch:
    """The ballots of one batch for one locked vote: read what the checks need, decide each
    ballot in order, then write the accepted ones together."""

    def __init__(self, session: Session, vote: Vote, requests: list[BallotRequest], pepper: str) -> None:
        assert vote.id is not None
        self.session, self.vote, self.requests, self.pepper = session, vote, requests, pepper
        # The whole electorate and every stored ballot of the vote (a few hundred rows at most)
        # cost less to read than the same rows picked out by a list of members.
        self.eligible: set[int] = set(
            session.exec(select(VoteEligible.member_id).where(VoteEligible.vote_id == vote.id)).all()
        )
        pairs = sorted({(r.viewer.user_id, r.key) for r in requests})
        self.stored: dict[tuple[int, str], _Stored] = {
            (user_id, key): _Stored(fingerprint, status, body)
            for user_id, key, fingerprint, status, body in session.execute(
                core_select(
                    col(IdempotencyRecord.user_id),
                    col(IdempotencyRecord.key),
                    col(IdempotencyRecord.fingerprint),
                    col(IdempotencyRecord.status),
                    col(IdempotencyRecord.body),
                ).where(tuple_(col(IdempotencyRecord.user_id), col(IdempotencyRecord.key)).in_(pairs))
            ).all()
        }
        stored_ballots = (
            select(BallotReceipt.member_id).where(BallotReceipt.vote_id == vote.id)
            if vote.secret
            else select(Ballot.member_id).where(Ballot.vote_id == vote.id)
        )
        self.voted: set[int] = set(session.exec(stored_ballots).all())
        self.existing = set(self.voted)  # ballots stored before this batch
        self.changed: dict[int, str] = {}  # member -> latest choice, for the ballot rows
        self.tally = dict.fromkeys(CHOICES, 0)  # secret votes: added to the counters
        self.records: list[tuple[int, str, str | None, int, str]] = []  # the answers to store
        self.created_at = vote.opened_at or utcnow()  # no time that could order secret ballots
        # read once: the vote's mapped attributes cost a lookup each, 500 times over
        self.vote_id, self.secret, self.state, self.cast = vote.id, vote.secret, vote.state, vote.cast
        self.fingerprints = {choice: _fingerprint(vote, choice, pepper) for choice in CHOICES}

    def decide_all(self) -> list[Answer | DomainError]:
        answers: list[Answer | DomainError] = []
        for request in self.requests:
            try:
                answers.append(self._decide(request))
            except DomainError as refused:
                answers.append(refused)
        return answers

    def _decide(self, request: BallotRequest) -> Answer:
        viewer, choice = request.viewer, request.choice
        member_id = _member_of(viewer)
        # A member of the electorate may see the vote (it was made from the invitees present,
        # within the item's audience); anyone else goes through the full visibility rule: 404.
        eligible = member_id is not None and member_id in self.eligible
        if not eligible:
            get_vote(session=self.session, vote_id=self.vote_id, viewer=viewer)
        fingerprint = self.fingerprints[choice]
        stored = self.stored.get((viewer.user_id, request.key))
        if stored is not None:
            if (
                stored.fingerprint is not None
                and fingerprint is not None
                and stored.fingerprint != fingerprint
            ):
                raise RuleBroken(
                    N_("Khóa Idempotency-Key này đã dùng cho một yêu cầu khác."),
                    code="idempotency_key_reused",
                )
            return Answer(stored.status, json.loads(stored.body))
        if member_id is None:
            raise Forbidden(N_("Chỉ thành viên Chính phủ có mặt mới được biểu quyết."), code="not_eligible")
        if self.state == "draft":
            raise WrongState(N_("Biểu quyết chưa mở."), code="vote_not_open")
        if self.state == "closed":
            raise WrongState(N_("Biểu quyết đã kết thúc; lá phiếu không được tính."), code="vote_closed")
        if not eligible:
            raise Forbidden(N_("Chỉ thành viên Chính phủ có mặt mới được biểu quyết."), code="not_eligible")
        if self.secret:
            if member_id in self.voted:
                raise WrongState(
                    N_("Bạn đã bỏ phiếu kín; lá phiếu kín không sửa được."), code="already_voted"
                )
            self.tally[choice] += 1
        else:
            self.changed[member_id] = choice
        if member_id not in self.voted:
            self.voted.add(member_id)
            self.cast += 1
        body: dict[str, Any] = {"vote_id": self.vote_id, "counted": True, "secret": self.secret}
        if not self.secret:
            body["choice"] = choice
        answer = json.dumps(body)
        self.stored[(viewer.user_id, request.key)] = _Stored(fingerprint, 200, answer)
        self.records.append((viewer.user_id, request.key, fingerprint, 200, answer))
        return Answer(200, body)

    def write(self) -> None:
        """One insert per table for the accepted ballots, the counters, the answers, and one
        `vote.progress` event for the batch: the tablets need the count, not each ballot."""
        session, vote = self.session, self.vote
        if not self.records:
            return
        if vote.secret:
            new = sorted(self.voted - self.existing)  # sorted: the row order says nothing
            insert_rows(session, BallotReceipt, ("vote_id", "member_id"), [(vote.id, m) for m in new])
            # Every counter is rewritten, not just the chosen ones, so that no storage detail
            # (PostgreSQL's row versions, SQLite's pages) tells which counters changed.
            session.execute(
                text(
                    "UPDATE secret_tally SET count = count + CASE choice"
                    " WHEN 'yes' THEN :yes WHEN 'no' THEN :no WHEN 'abstain' THEN :abstain ELSE 0 END"
                    " WHERE vote_id = :v"
                ),
                {**self.tally, "v": vote.id},
            )
        else:
            now = utcnow()
            insert_rows(
                session,
                Ballot,
                ("vote_id", "member_id", "choice", "cast_at", "changed_at"),
                [(vote.id, m, c, now, now) for m, c in self.changed.items() if m not in self.existing],
            )
            changed = [{"m": m, "c": c, "t": now} for m, c in self.changed.items() if m in self.existing]
            if changed:
                session.execute(
                    text(
                        "UPDATE ballot SET choice = :c, changed_at = :t WHERE vote_id = :v AND member_id = :m"
                    ),
                    [{**row, "v": vote.id} for row in changed],
                )
        insert_rows(
            session,
            IdempotencyRecord,
            ("user_id", "key", "fingerprint", "status", "body", "created_at"),
            [(*record, self.created_at) for record in self.records],
        )
        vote.cast = self.cast
        session.add(vote)
        progress = k.VoteProgress(
            meeting_id=vote.meeting_id, vote_id=self.vote_id, cast=self.cast, eligible=vote.eligible
        )
        events.append(session, progress, actor_id=None)  # the ballot rows say who voted, when
        session.flush()


def _member_of(viewer: Viewer) -> int | None:
    return viewer.member_id if viewer.has("member") else None


@dataclass(frozen=True)
class Count:
    yes: int
    no: int
    abstain: int
    ballots: dict[str, str] | None  # member id -> choice, for a named vote
    receipts: int


def count(session: Session, vote: Vote) -> Count:
    """Count the stored ballots of a vote (the close and the recount use this one function)."""
    if vote.secret:
        totals = {
            row.choice: row.count
            for row in session.exec(select(SecretTally).where(SecretTally.vote_id == vote.id)).all()
        }
        receipts = session.exec(
            select(func.count()).select_from(BallotReceipt).where(BallotReceipt.vote_id == vote.id)
        ).one()
        return Count(totals.get("yes", 0), totals.get("no", 0), totals.get("abstain", 0), None, int(receipts))
    rows = session.exec(select(Ballot).where(Ballot.vote_id == vote.id).order_by(col(Ballot.member_id))).all()
    ballots = {str(b.member_id): b.choice for b in rows}
    choices = list(ballots.values())
    return Count(choices.count("yes"), choices.count("no"), choices.count("abstain"), ballots, len(rows))


def decide(session: Session, vote: Vote, found: Count, policy: Policy, total: int) -> Decision:
    meeting = session.get(Meeting, vote.meeting_id)
    chair = meeting.chair_member_id if meeting else None
    chair_choice = found.ballots.get(str(chair)) if found.ballots is not None and chair else None
    return policy.decide(
        yes=found.yes, no=found.no, abstain=found.abstain, total=total, chair_choice=chair_choice
    )


def close(*, session: Session, vote_id: int, actor_id: int | None, policy: Policy) -> Vote:
    """Close and count in one transaction. Closing a closed vote returns it unchanged."""
    vote = _lock(session, vote_id)
    if vote.state == "closed":
        return vote
    if vote.state != "open":
        raise WrongState(N_("Biểu quyết chưa mở."), code="vote_not_open")
    assert vote.id is not None
    found = count(session, vote)
    total = len(voting_members(session=session))
    decision = decide(session, vote, found, policy, total)
    result = {**decision.as_dict(), "eligible": vote.eligible, "cast": vote.cast}
    vote.state = "closed"
    vote.closed_at = utcnow()
    vote.salt = None
    vote.result = json.dumps({"result": result, "ballots": found.ballots}, sort_keys=True)
    session.add(vote)
    events.append(
        session,
        k.VoteClosed(
            meeting_id=vote.meeting_id,
            vote_id=vote.id,
            agenda_item_id=vote.agenda_item_id,
            closed_at=iso(vote.closed_at) or "",
            result=result,
            ballots=found.ballots,
        ),
        actor_id=actor_id,
    )
    return vote


# --- the recount (python run.py verify) ---------------------------------------------------------


@dataclass(frozen=True)
class RecountProblem:
    vote_id: int
    reason: str


def recount_all(session: Session, policy: Policy) -> tuple[int, list[RecountProblem]]:
    """Recount every closed vote from its stored ballots and compare with the stored result and the
    `vote.closed` event in the hash-chained log. Returns (votes checked, problems)."""
    problems: list[RecountProblem] = []
    closed = session.exec(select(Vote).where(Vote.state == "closed").order_by(col(Vote.id))).all()
    logged = {
        int(e.payload()["vote_id"]): e.payload()
        for e in session.exec(select(events.Event).where(events.Event.kind == "vote.closed")).all()
    }
    for vote in closed:
        assert vote.id is not None
        stored = vote.result_dict() or {}
        result = stored.get("result", {})
        found = count(session, vote)
        if found.yes + found.no + found.abstain != found.receipts or found.receipts != vote.cast:
            problems.append(RecountProblem(vote.id, "ballots_do_not_add_up"))
            continue
        decision = decide(session, vote, found, policy, int(result.get("total_membership", 0)))
        recounted = {**decision.as_dict(), "eligible": vote.eligible, "cast": vote.cast}
        if recounted != result or found.ballots != stored.get("ballots"):
            problems.append(RecountProblem(vote.id, "tally_differs_from_ballots"))
        elif (
            vote.id not in logged
            or logged[vote.id].get("result") != result
            or (logged[vote.id].get("ballots") != found.ballots)
        ):
            problems.append(RecountProblem(vote.id, "tally_differs_from_log"))
    return len(closed), problems
