"""The state of a live session, loaded from the database or advanced event by event.

`load_state()` reads the whole, unfiltered state at one seq of the meeting's stream; `apply()`
advances a state by one event, without the database. The live hub keeps one state per meeting
this way and filters it per viewer (agenda/live/live_view.py); a test checks, for every live action,
that apply(old state, its events) equals a fresh load (the approach of Zulip's event tests).

Kinds `apply()` does not know (an agenda edited during the session, a new paper) return None:
the hub then reloads the state from the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from agenda.clock import iso
from agenda.meetings.agenda_items import load_agenda, present_agenda
from agenda.meetings.attendance import quorum, records
from agenda.meetings.meetings import public_meeting
from agenda.meetings.speakers import Speaker
from agenda.people.accounts import User
from agenda.people.members import Member
from agenda.policy import Policy
from agenda.viewer import Viewer
from agenda.votes.models import meeting_votes, public_vote

State = dict[str, Any]
# The full view, as the secretariat sees it; live_view.py narrows it for everyone else.
STAFF = Viewer(user_id=0, roles=frozenset({"secretariat"}))


@dataclass(frozen=True)
class Loaded:
    seq: int
    state: State


def stream_seq(session: Session, meeting_id: int) -> int:
    row = session.execute(
        text("SELECT last_seq FROM stream_head WHERE stream = :s"), {"s": meeting_id}
    ).first()
    return int(row[0]) if row else 0


def load_state(*, session: Session, meeting_id: int, policy: Policy) -> Loaded:
    """The meeting's live state and the seq it reflects, read in one consistent snapshot."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    seq = stream_seq(session, meeting_id)
    data = load_agenda(session=session, meeting_id=meeting_id)
    meeting = data.meeting
    member_ids = sorted(
        set(data.invitees) | ({meeting.chair_member_id} if meeting.chair_member_id else set())
    )
    members = session.exec(select(Member).where(col(Member.id).in_(member_ids))).all()
    rolls = records(session, meeting_id)
    substitutes = _substitute_names(
        session, [r.substitute_user_id for r in rolls.values() if r.substitute_user_id]
    )
    attendance = [
        {
            "member_id": m.id,
            "full_name": m.full_name,
            "title": m.title,
            "votes": m.votes,
            "precedence": m.precedence,
            "status": rolls[m.id].status if m.id in rolls else None,
            "substitute_user_id": rolls[m.id].substitute_user_id if m.id in rolls else None,
            "substitute_name": substitutes.get(rolls[m.id].substitute_user_id or 0)
            if m.id in rolls
            else None,
        }
        for m in sorted(members, key=lambda m: (m.precedence, m.id or 0))
    ]
    speakers = session.exec(
        select(Speaker).where(Speaker.meeting_id == meeting_id).order_by(col(Speaker.id))
    ).all()

    state: State = {
        "meeting": public_meeting(meeting),
        "agenda": present_agenda(data, STAFF, policy),
        "attendance": attendance,
        "quorum": quorum(session, meeting_id, policy).as_dict(),
        "speakers": [public_speaker(s) for s in speakers],
        "votes": [public_vote(v) for v in meeting_votes(session, meeting_id)],
        "speaker_warning_seconds": policy.speaker_warning_seconds,
    }
    return Loaded(seq=seq, state=state)


def _substitute_names(session: Session, user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return {
        u.id: u.full_name for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all() if u.id
    }


def public_speaker(speaker: Speaker) -> dict[str, Any]:
    return {
        "id": speaker.id,
        "agenda_item_id": speaker.agenda_item_id,
        "user_id": speaker.user_id,
        "member_id": speaker.member_id,
        "name": speaker.name,
        "state": speaker.state,
        "requested_at": iso(speaker.requested_at),
        "started_at": iso(speaker.started_at),
        "stopped_at": iso(speaker.stopped_at),
        "seconds": speaker.seconds,
    }


# --- applying events ----------------------------------------------------------------------------


def _item(state: State, item_id: int | None) -> dict[str, Any] | None:
    return next((i for i in state["agenda"] if i["id"] == item_id), None)


def _speaker(state: State, speaker_id: int) -> dict[str, Any]:
    return next(s for s in state["speakers"] if s["id"] == speaker_id)


def _vote(state: State, vote_id: int) -> dict[str, Any]:
    return next(v for v in state["votes"] if v["id"] == vote_id)


def _started(state: State, data: dict[str, Any]) -> None:
    state["meeting"]["state"] = "in_progress"
    state["meeting"]["started_at"] = data["started_at"]


def _leave(state: State, item_id: int | None, spent: int) -> None:
    left = _item(state, item_id)
    if left is not None:
        left.update(state="done", spent_seconds=spent, current_since=None)


def _adjourned(state: State, data: dict[str, Any]) -> None:
    _leave(state, data.get("left_item_id"), data.get("spent_seconds", 0))
    state["meeting"].update(state="adjourned", adjourned_at=data["adjourned_at"], current_item_id=None)


def _attendance(state: State, data: dict[str, Any]) -> None:
    for row in state["attendance"]:
        if row["member_id"] == data["member_id"]:
            row.update(
                status=data["status"],
                substitute_user_id=data.get("substitute_user_id"),
                substitute_name=data.get("substitute_name"),
            )


def _quorum(state: State, data: dict[str, Any]) -> None:
    state["quorum"] = {key: data[key] for key in ("present", "total", "required", "quorate")}


def _advanced(state: State, data: dict[str, Any]) -> None:
    _leave(state, data.get("from_item_id"), data.get("spent_seconds", 0))
    target = _item(state, data["to_item_id"])
    if target is not None:
        target.update(state="current", current_since=data["at"])
    state["meeting"]["current_item_id"] = data["to_item_id"]


def _outcome(state: State, data: dict[str, Any]) -> None:
    item = _item(state, data["agenda_item_id"])
    if item is not None:
        item.update(outcome=data["outcome"], conclusion=data["conclusion"], state=data["state"])


def _speaker_requested(state: State, data: dict[str, Any]) -> None:
    state["speakers"].append(
        {
            "id": data["speaker_id"],
            "agenda_item_id": data["agenda_item_id"],
            "user_id": data["user_id"],
            "member_id": data.get("member_id"),
            "name": data["name"],
            "state": "requested",
            "requested_at": data["requested_at"],
            "started_at": None,
            "stopped_at": None,
            "seconds": 0,
        }
    )


def _speaker_started(state: State, data: dict[str, Any]) -> None:
    _speaker(state, data["speaker_id"]).update(state="speaking", started_at=data["started_at"])


def _speaker_stopped(state: State, data: dict[str, Any]) -> None:
    _speaker(state, data["speaker_id"]).update(
        state="done", stopped_at=data["stopped_at"], seconds=data["seconds"]
    )


def _speaker_withdrawn(state: State, data: dict[str, Any]) -> None:
    _speaker(state, data["speaker_id"])["state"] = "withdrawn"


def _vote_created(state: State, data: dict[str, Any]) -> None:
    state["votes"].append(
        {
            "id": data["vote_id"],
            "agenda_item_id": data["agenda_item_id"],
            "question": data["question"],
            "secret": data["secret"],
            "state": "draft",
            "eligible": 0,
            "cast": 0,
            "opened_at": None,
            "closed_at": None,
        }
    )


def _vote_opened(state: State, data: dict[str, Any]) -> None:
    _vote(state, data["vote_id"]).update(state="open", eligible=data["eligible"], opened_at=data["opened_at"])


def _vote_progress(state: State, data: dict[str, Any]) -> None:
    _vote(state, data["vote_id"]).update(cast=data["cast"], eligible=data["eligible"])


def _vote_closed(state: State, data: dict[str, Any]) -> None:
    vote = _vote(state, data["vote_id"])
    vote.update(state="closed", closed_at=data["closed_at"], result=data["result"])
    if data.get("ballots") is not None:
        vote["ballots"] = data["ballots"]


def _minutes_finalized(state: State, data: dict[str, Any]) -> None:
    state["meeting"]["state"] = "closed"


def _unchanged(state: State, data: dict[str, Any]) -> None:
    """Events that leave the live state as it is (the minutes' draft and its edits)."""


def _position_stated(state: State, data: dict[str, Any]) -> None:
    """Pre-session positions are not part of the live state (docs/positions.md)."""


def _consent_left(state: State, data: dict[str, Any]) -> None:
    item = _item(state, data["agenda_item_id"])
    if item is not None:
        item["consent"] = False


APPLY: dict[str, Callable[[State, dict[str, Any]], None]] = {
    "meeting.started": _started,
    "meeting.adjourned": _adjourned,
    "attendance.changed": _attendance,
    "quorum.changed": _quorum,
    "agenda.advanced": _advanced,
    "item.outcome": _outcome,
    "speaker.requested": _speaker_requested,
    "speaker.started": _speaker_started,
    "speaker.stopped": _speaker_stopped,
    "speaker.withdrawn": _speaker_withdrawn,
    "vote.created": _vote_created,
    "vote.opened": _vote_opened,
    "vote.progress": _vote_progress,
    "vote.closed": _vote_closed,
    "position.stated": _position_stated,
    "consent.left": _consent_left,
    "minutes.drafted": _unchanged,
    "minutes.edited": _unchanged,
    "minutes.finalized": _minutes_finalized,
}


def apply(state: State, kind: str, data: dict[str, Any]) -> bool:
    """Advance `state` in place by one event. False when this kind needs a reload instead."""
    step = APPLY.get(kind)
    if step is None:
        return False
    step(state, data)
    return True
