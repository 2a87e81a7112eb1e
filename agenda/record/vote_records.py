"""A closed vote's result record (biên bản kết quả biểu quyết), sealed with the organisation's
certificate and attached to the minutes. See docs/signatures.md "Vote records".

- `document`: what the record prints, read from the data the minutes use
  (minutes_record.closed_vote): the meeting, the agenda item, the question, the rule applied
  with its numbers, the electorate, the times, the totals, each member's choice for a named vote
  (totals only for a secret one), the result, and the `vote.closed` event with its hash.
- `unsealed_votes` and `plan_seal`: what the sealing (meeting_app/files/vote_records.py) does.
- `readable_record` and `attached`: what a reader may fetch, and what the minutes list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from agenda.clock import iso
from agenda.errors import Forbidden, NotFound, WrongState
from agenda.log.events import Event
from agenda.meetings.agenda_items import AgendaItem
from agenda.meetings.meetings import Meeting
from agenda.people.members import Member
from agenda.policy import DEFAULT_POLICY, Policy
from agenda.programme.programme import ProgrammeItem
from agenda.record.minutes import READERS
from agenda.record.minutes_record import closed_vote, members_by_id
from agenda.signing import records
from agenda.signing.records import FileSignature, SignedFile, SigningIdentity
from agenda.text import N_
from agenda.viewer import Viewer
from agenda.votes.models import Ballot, Vote, VoteEligible, get_vote

RECORD = "vote_record"
SLOT = "seal"
FIELD_NAME = "vote_record-seal-1"
NOT_SEALED = N_("Biên bản kết quả biểu quyết chưa được ký số; vui lòng thử lại sau ít phút.")


@dataclass(frozen=True)
class SealPlan:
    """One vote record to draw and seal."""

    vote_id: int
    meeting_id: int
    identity: SigningIdentity  # the seal's, detached from the session
    doc: dict[str, Any]


def _person(member: Member | None, member_id: int) -> dict[str, Any]:
    if member is None:
        return {"member_id": member_id, "full_name": f"#{member_id}", "title": ""}
    return {"member_id": member.id, "full_name": member.full_name, "title": member.title}


def _fraction(value: Any) -> list[int]:
    return [int(value.numerator), int(value.denominator)]


def _events(session: Session, meeting_id: int, vote_id: int) -> dict[str, Any]:
    """The vote's `vote.opened` and `vote.closed` events, and the quorum when it opened (the last
    `quorum.changed` before it)."""
    rows = session.exec(
        select(Event)
        .where(
            Event.stream == meeting_id,
            col(Event.kind).in_(("quorum.changed", "vote.opened", "vote.closed")),
        )
        .order_by(col(Event.seq))
    ).all()
    found: dict[str, Any] = {"quorum": None, "closed": None}
    quorum: dict[str, Any] | None = None
    for row in rows:
        data = row.payload()
        if row.kind == "quorum.changed":
            quorum = {key: data.get(key) for key in ("present", "required", "total")}
        elif data.get("vote_id") == vote_id and row.kind == "vote.opened":
            found["quorum"] = quorum
        elif data.get("vote_id") == vote_id and row.kind == "vote.closed":
            found["closed"] = {"seq": row.seq, "hash": row.hash, "at": iso(row.at)}
    return found


def _rule(policy: Policy, total: int, stored: str | None) -> dict[str, Any]:
    """The numbers of ../shared/DESIGN.md's rules for a membership of `total`."""
    return {
        "name": stored,
        "total_membership": total,
        "quorum_fraction": _fraction(policy.quorum_fraction),
        "quorum_required": policy.quorum_required(total),
        "decision_fraction": _fraction(policy.decision_fraction),
        "yes_needed": math.floor(total * policy.decision_fraction) + 1,
        "tie_each": total // 2 if total and total % 2 == 0 else None,
    }


def document(session: Session, vote_id: int, *, policy: Policy = DEFAULT_POLICY) -> dict[str, Any]:
    """The record of a closed vote, as plain data (agenda/record/vote_record_pdf.py draws it)."""
    vote = session.get(Vote, vote_id)
    if vote is None:
        raise NotFound()
    if vote.state != "closed":
        raise WrongState(NOT_SEALED, code="not_sealed")
    meeting = session.get(Meeting, vote.meeting_id)
    item = session.get(AgendaItem, vote.agenda_item_id)
    assert meeting is not None and item is not None
    electorate = list(session.exec(select(VoteEligible.member_id).where(VoteEligible.vote_id == vote_id)))
    voters = set(session.exec(select(Ballot.member_id).where(Ballot.vote_id == vote_id)))
    names = members_by_id(session, set(electorate) | voters | {meeting.chair_member_id or 0})
    entry = closed_vote(session, vote, names)
    result = entry["result"]
    source = session.get(ProgrammeItem, item.programme_item_id) if item.programme_item_id else None
    happened = _events(session, meeting.id or 0, vote_id)
    closed = happened["closed"] or {"seq": 0, "hash": "", "at": None}
    chair = names.get(meeting.chair_member_id or 0)
    people = sorted(
        (_person(names.get(m), m) for m in electorate),
        key=lambda p: (
            names[p["member_id"]].precedence if p["member_id"] in names else 10**6,
            p["member_id"],
        ),
    )
    found: dict[str, Any] = {
        "vote_id": vote_id,
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "kind": meeting.kind,
            "place": meeting.place,
            "starts_at": iso(meeting.starts_at),
            "started_at": iso(meeting.started_at),
            "chair": _person(chair, chair.id or 0) if chair else None,
        },
        "item": {
            "id": item.id,
            "position": item.position,
            "title": item.title,
            "code": source.code if source else None,
            "restricted": item.restricted,
        },
        "question": vote.question,
        "secret": vote.secret,
        "opened_at": entry["opened_at"],
        "closed_at": entry["closed_at"],
        "rule": _rule(policy, int(result.get("total_membership") or 0), result.get("rule")),
        "quorum": happened["quorum"],
        "electorate": people,
        "eligible": entry["eligible"],
        "cast": entry["cast"],
        "result": result,
        "close_event": closed,
        "last_event": {"seq": closed["seq"], "hash": closed["hash"]},
    }
    if not vote.secret:  # each member's choice; a secret vote has totals only
        found["ballots"] = entry["ballots"]
        found["not_voted"] = entry["not_voted"]
    return found


# --- sealing ------------------------------------------------------------------------------------


def unsealed_votes(session: Session, meeting_id: int) -> list[int]:
    """The meeting's closed votes whose record has no signed file yet, oldest first."""
    sealed = select(SignedFile.subject_id).where(
        SignedFile.record == RECORD, SignedFile.meeting_id == meeting_id
    )
    rows = session.exec(
        select(Vote.id)
        .where(Vote.meeting_id == meeting_id, Vote.state == "closed", col(Vote.id).not_in(sealed))
        .order_by(col(Vote.id))
    ).all()
    return [vote_id for vote_id in rows if vote_id is not None]


def meeting_over(session: Session, meeting_id: int) -> bool:
    """Adjourned or closed: no vote of the meeting can close any more (adjourn needs none open)."""
    meeting = session.get(Meeting, meeting_id)
    return meeting is not None and meeting.state in ("adjourned", "closed")


def seal_identity(session: Session) -> SigningIdentity | None:
    return records.identity_of(session, None, kind="seal")


def plan_seal(session: Session, vote_id: int, *, policy: Policy = DEFAULT_POLICY) -> SealPlan | None:
    """The seal's identity and the record to draw; None when no seal is enrolled."""
    identity = seal_identity(session)
    if identity is None:
        return None
    doc = document(session, vote_id, policy=policy)
    doc["sealed_by"] = identity.organisation or identity.common_name
    session.expunge(identity)
    return SealPlan(vote_id=vote_id, meeting_id=doc["meeting"]["id"], identity=identity, doc=doc)


# --- reading ------------------------------------------------------------------------------------


def readable_record(session: Session, vote_id: int, viewer: Viewer) -> tuple[SignedFile, Vote]:
    """The sealed file of a vote's record for `viewer`, its fetch logged: 404 when the meeting or
    the vote's agenda item is not visible to them (a restricted item outside their audience),
    403 for a role that does not read minutes, 409 `not_sealed` before it is sealed."""
    vote = get_vote(session=session, vote_id=vote_id, viewer=viewer)
    if not viewer.has(*READERS):
        raise Forbidden()
    found = records.current_file(session, RECORD, vote_id)
    if found is None or found.sha256 == found.source_sha256:
        raise WrongState(NOT_SEALED, code="not_sealed")
    records.log_fetch(session, found, viewer.user_id)
    return found, vote


def attached(session: Session, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The vote records of the minutes' `record` as its reader sees it (a restricted item outside
    their audience is a placeholder without votes): `{vote_id, agenda_item_id, question, sealed,
    sha256, signed_at}`, in agenda order."""
    listed = [(item["id"], vote) for item in record["items"] for vote in item.get("votes") or []]
    ids = [vote["vote_id"] for _, vote in listed]
    files: dict[int, tuple[SignedFile, FileSignature | None]] = {}
    if ids:
        rows = session.exec(
            select(SignedFile)
            .where(SignedFile.record == RECORD, col(SignedFile.subject_id).in_(ids))
            .order_by(col(SignedFile.version))
        ).all()
        for row in rows:
            assert row.id is not None
            signatures = records.signatures_of(session, row.id)
            files[row.subject_id] = (row, signatures[0] if signatures else None)
    found: list[dict[str, Any]] = []
    for item_id, vote in listed:
        file, signature = files.get(vote["vote_id"], (None, None))
        sealed = file is not None and signature is not None
        found.append(
            {
                "vote_id": vote["vote_id"],
                "agenda_item_id": item_id,
                "question": vote["question"],
                "sealed": sealed,
                "sha256": file.sha256 if file is not None and sealed else None,
                "signed_at": iso(signature.signed_at) if signature is not None else None,
            }
        )
    return found
