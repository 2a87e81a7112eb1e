"""Counting a vote's ballots and deciding it under the policy; the recount of `python run.py verify`.
See docs/rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from agenda.log import events
from agenda.meetings.meetings import Meeting
from agenda.policy import Decision, Policy
from agenda.votes.models import Ballot, BallotReceipt, SecretTally, Vote


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
