"""Decisions follow the record: an outcome must agree with the item's last closed vote. See docs/rules.md.

An item whose last closed vote failed cannot be recorded as adopted (with or without changes),
and one whose last vote passed cannot be recorded as deferred or returned, unless the presiding
officer gives an explicit override with a reason. The override travels in the `item.outcome`
event, so the log, and the minutes drafted from it, keep it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from agenda.errors import WrongState
from agenda.text import N_
from agenda.votes.models import Vote

ADOPTING = ("adopted", "adopted_with_changes")
NOT_ADOPTING = ("deferred", "returned")


@dataclass(frozen=True)
class LastVote:
    vote_id: int
    question: str
    yes: int
    total: int
    adopted: bool


def last_closed_vote(session: Session, agenda_item_id: int) -> LastVote | None:
    """The item's most recently closed vote and its verdict, or None when none has closed."""
    rows = session.exec(
        select(Vote)
        .where(Vote.agenda_item_id == agenda_item_id, Vote.state == "closed")
        .order_by(col(Vote.closed_at).desc(), col(Vote.id).desc())
    ).all()
    for vote in rows:
        stored = vote.result_dict()
        result = stored.get("result") if stored else None
        if isinstance(result, dict) and vote.id is not None:
            return LastVote(
                vote_id=vote.id,
                question=vote.question,
                yes=int(result.get("yes", 0)),
                total=int(result.get("total_membership", 0)),
                adopted=bool(result.get("adopted")),
            )
    return None


def contradicts(outcome: str, vote: LastVote | None) -> bool:
    if vote is None:
        return False
    return (outcome in ADOPTING and not vote.adopted) or (outcome in NOT_ADOPTING and vote.adopted)


def check_outcome(
    *, session: Session, agenda_item_id: int, outcome: str, override_reason: str | None
) -> LastVote | None:
    """The last closed vote that this outcome overrides, or None when it agrees with the record.

    409 `outcome_contradicts_vote` when it contradicts the vote and no reason is given."""
    vote = last_closed_vote(session, agenda_item_id)
    if not contradicts(outcome, vote):
        return None
    assert vote is not None
    if not (override_reason or "").strip():
        if vote.adopted:
            message = N_(
                "Biểu quyết gần nhất đã thông qua ({yes}/{total} tán thành); "
                "ghi kết quả khác cần lý do ghi đè."
            )
        else:
            message = N_(
                "Biểu quyết gần nhất không được thông qua (chỉ {yes}/{total} tán thành); "
                "ghi kết quả thông qua cần lý do ghi đè."
            )
        raise WrongState(
            message,
            code="outcome_contradicts_vote",
            yes=vote.yes,
            total=vote.total,
            vote_id=vote.vote_id,
            vote_adopted=vote.adopted,
        )
    return vote
