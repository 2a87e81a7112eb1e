"""Casting ballots: one, or a batch from the ballot lane, each committed before it is acknowledged.
See docs/live.md.

A named ballot (`ballot`) can be changed until close; a secret one keeps who voted
(`ballot_receipt`) apart from what was chosen (`secret_tally`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as core_select  # sqlmodel's takes at most four columns
from sqlalchemy import text, tuple_
from sqlmodel import Session, col, select

from agenda.clock import utcnow
from agenda.errors import DomainError, Forbidden, RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.log.bulk import insert_rows
from agenda.text import N_
from agenda.viewer import Viewer
from agenda.votes.models import (
    CHOICES,
    Answer,
    Ballot,
    BallotReceipt,
    IdempotencyRecord,
    Vote,
    VoteEligible,
    _lock,
    get_vote,
)


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
