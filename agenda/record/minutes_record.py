"""The record the minutes are drafted from, read once at adjournment. See docs/minutes.md.

`build_record` gathers, for one adjourned meeting: the attendance (with substitutes and whom
they stood for), every agenda item with its outcome, conclusion, speakers (with their
durations) and closed votes (per member for a named vote, totals only for a secret one), and
the timings. It is plain JSON, stored in the minutes row; `for_viewer` narrows it for a member
outside a restricted item's audience, who gets the agenda's placeholder instead of the item.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from agenda.clock import iso
from agenda.log.events import Event
from agenda.meetings.agenda_items import audiences, list_items
from agenda.meetings.attendance import STATUSES, records
from agenda.meetings.meetings import Meeting, guest_ids, invitee_ids
from agenda.meetings.speakers import Speaker
from agenda.people.accounts import User
from agenda.people.members import Member
from agenda.programme.programme import ProgrammeItem
from agenda.viewer import Viewer
from agenda.votes.models import Ballot, Vote, VoteEligible, meeting_votes

Record = dict[str, Any]
ADOPTED = ("adopted", "adopted_with_changes")
# Keys of a restricted item that only the secretariat and the chair see.
STAFF_ONLY_KEYS = ("audience",)


def _person(member: Member) -> dict[str, Any]:
    return {"member_id": member.id, "full_name": member.full_name, "title": member.title}


def _users(session: Session, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    rows = session.exec(select(User).where(col(User.id).in_(sorted(ids)))).all()
    return {u.id: u for u in rows if u.id is not None}


def members_by_id(session: Session, ids: set[int]) -> dict[int, Member]:
    if not ids:
        return {}
    rows = session.exec(select(Member).where(col(Member.id).in_(sorted(ids)))).all()
    return {m.id: m for m in rows if m.id is not None}


def _attendance(session: Session, meeting: Meeting, members: dict[int, Member]) -> dict[str, Any]:
    """Present, remote, absent, excused (by precedence), the invitees nobody marked, the
    substitutes with the member each stood for, and the invited guests who were no substitute."""
    assert meeting.id is not None
    rolls = records(session, meeting.id)
    invited = sorted(members.values(), key=lambda m: (m.precedence, m.id or 0))
    found: dict[str, Any] = {status: [] for status in STATUSES}
    found["not_recorded"] = []
    substitutes: list[dict[str, Any]] = []
    users = _users(session, {r.substitute_user_id for r in rolls.values() if r.substitute_user_id})
    for member in invited:
        row = rolls.get(member.id or 0)
        if row is None:
            found["not_recorded"].append(_person(member))
            continue
        found[row.status].append(_person(member))
        substitute = users.get(row.substitute_user_id or 0)
        if substitute is not None:
            substitutes.append(
                {
                    "user_id": substitute.id,
                    "full_name": substitute.full_name,
                    "for_member_id": member.id,
                    "for_member_name": member.full_name,
                    "for_member_title": member.title,
                }
            )
    found["substitutes"] = substitutes
    standing_in = {s["user_id"] for s in substitutes}
    guests = _users(session, set(guest_ids(session, meeting.id)) - standing_in)
    found["guests"] = [
        {"user_id": u.id, "full_name": u.full_name}
        for u in sorted(guests.values(), key=lambda u: (u.full_name, u.id or 0))
    ]
    return found


def _speakers(session: Session, meeting_id: int) -> dict[int, list[dict[str, Any]]]:
    """Who spoke on each item, in the order they had the floor, with the seconds they spoke."""
    rows = session.exec(
        select(Speaker)
        .where(Speaker.meeting_id == meeting_id, Speaker.state == "done")
        .order_by(col(Speaker.started_at), col(Speaker.id))
    ).all()
    found: dict[int, list[dict[str, Any]]] = {}
    for s in rows:
        found.setdefault(s.agenda_item_id, []).append(
            {
                "speaker_id": s.id,
                "name": s.name,
                "user_id": s.user_id,
                "member_id": s.member_id,
                "started_at": iso(s.started_at),
                "stopped_at": iso(s.stopped_at),
                "seconds": s.seconds,
            }
        )
    return found


def closed_vote(session: Session, vote: Vote, names: dict[int, Member]) -> dict[str, Any]:
    """A closed vote: the announced totals; for a named vote each member's choice (ballot rows)
    and who could vote but did not. A secret vote carries totals only."""
    stored = vote.result_dict() or {}
    result = dict(stored.get("result", {}))
    found: dict[str, Any] = {
        "vote_id": vote.id,
        "question": vote.question,
        "secret": vote.secret,
        "opened_at": iso(vote.opened_at),
        "closed_at": iso(vote.closed_at),
        "eligible": vote.eligible,
        "cast": vote.cast,
        "result": {
            key: result.get(key)
            for key in ("yes", "no", "abstain", "adopted", "rule", "tie_broken_by_chair", "total_membership")
        },
    }
    if vote.secret:
        return found
    ballots = session.exec(
        select(Ballot).where(Ballot.vote_id == vote.id).order_by(col(Ballot.member_id))
    ).all()
    eligible = session.exec(select(VoteEligible.member_id).where(VoteEligible.vote_id == vote.id)).all()
    voted = {b.member_id for b in ballots}

    def name(member_id: int) -> str:
        member = names.get(member_id)
        return member.full_name if member else f"#{member_id}"

    ordered = sorted(ballots, key=lambda b: names[b.member_id].precedence if b.member_id in names else 10**6)
    found["ballots"] = [
        {"member_id": b.member_id, "full_name": name(b.member_id), "choice": b.choice} for b in ordered
    ]
    found["not_voted"] = [
        {"member_id": m, "full_name": name(m)}
        for m in sorted(
            set(eligible) - voted, key=lambda m: (names[m].precedence if m in names else 10**6, m)
        )
    ]
    return found


def _overrides(session: Session, meeting_id: int) -> dict[int, dict[str, Any]]:
    """Per agenda item, the override of its last recorded outcome, when that outcome contradicted
    the item's last closed vote (agenda/live/outcome_rule.py): `{reason, vote_id}`."""
    rows = session.exec(
        select(Event).where(Event.stream == meeting_id, Event.kind == "item.outcome").order_by(col(Event.seq))
    ).all()
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        data = row.payload()
        item_id = int(data["agenda_item_id"])
        if data.get("override_reason"):
            found[item_id] = {"reason": data["override_reason"], "vote_id": data.get("overrides_vote_id")}
        else:
            found.pop(item_id, None)  # a later outcome that agrees with the vote
    return found


def build_record(session: Session, meeting: Meeting) -> Record:
    """The whole record of an adjourned meeting, unfiltered (what the secretariat sees)."""
    assert meeting.id is not None
    meeting_id = meeting.id
    items = list_items(session, meeting_id)
    audience = audiences(session, [i.id for i in items if i.id is not None])
    member_ids = set(invitee_ids(session, meeting_id))
    if meeting.chair_member_id:
        member_ids.add(meeting.chair_member_id)
    votes = [v for v in meeting_votes(session, meeting_id) if v.state == "closed"]
    voters = {b for v in votes for b in session.exec(select(Ballot.member_id).where(Ballot.vote_id == v.id))}
    members = members_by_id(session, member_ids | voters)
    invited = {m: members[m] for m in member_ids if m in members}
    programme_ids = [i.programme_item_id for i in items if i.programme_item_id is not None]
    programme = {
        p.id: p
        for p in session.exec(select(ProgrammeItem).where(col(ProgrammeItem.id).in_(programme_ids))).all()
    }
    speakers = _speakers(session, meeting_id)
    overrides = _overrides(session, meeting_id)
    by_item: dict[int, list[dict[str, Any]]] = {}
    for vote in votes:
        by_item.setdefault(vote.agenda_item_id, []).append(closed_vote(session, vote, members))
    record_items: list[dict[str, Any]] = []
    for item in items:
        assert item.id is not None
        source = programme.get(item.programme_item_id) if item.programme_item_id else None
        record_items.append(
            {
                "id": item.id,
                "position": item.position,
                "title": item.title,
                "code": source.code if source else None,
                "lead_agency": source.lead_agency if source else None,
                "presenter": item.presenter,
                "restricted": item.restricted,
                "audience": sorted(audience.get(item.id, [])),
                "consent": item.consent,
                "outcome": item.outcome,
                "conclusion": item.conclusion or "",
                "override": overrides.get(item.id),
                "minutes_allotted": item.minutes,
                "seconds_spent": item.spent_seconds,
                "speakers": speakers.get(item.id, []),
                "votes": by_item.get(item.id, []),
            }
        )
    chair = members.get(meeting.chair_member_id or 0)
    started, adjourned = meeting.started_at, meeting.adjourned_at
    return {
        "meeting": {
            "id": meeting_id,
            "title": meeting.title,
            "kind": meeting.kind,
            "place": meeting.place,
            "starts_at": iso(meeting.starts_at),
            "duration_minutes": meeting.duration_minutes,
            "chair": _person(chair) if chair else None,
        },
        "attendance": _attendance(session, meeting, invited),
        "items": record_items,
        "timings": {
            "started_at": iso(started),
            "adjourned_at": iso(adjourned),
            "seconds": max(0, int((adjourned - started).total_seconds())) if started and adjourned else 0,
            "minutes_allotted": sum(i.minutes for i in items),
            "seconds_spent": sum(i.spent_seconds for i in items),
        },
    }


# --- what one viewer may see --------------------------------------------------------------------


def sees_item(viewer: Viewer, chair_member_id: int | None, item: dict[str, Any]) -> bool:
    """agenda_items.can_see_item, on a record's item."""
    if not item.get("restricted") or viewer.is_staff:
        return True
    if viewer.member_id is None or not viewer.has("member", "assistant"):
        return False
    return viewer.member_id in item.get("audience", []) or viewer.member_id == chair_member_id


def placeholder(item: dict[str, Any]) -> dict[str, Any]:
    """The agenda's placeholder for a restricted item (../shared/API.md): no title, outcome,
    speakers or votes."""
    return {"id": item["id"], "position": item["position"], "restricted": True}


def for_viewer(record: Record, viewer: Viewer) -> Record:
    """The record as `viewer` may see it: restricted items outside their audience become
    placeholders, and only the secretariat and the chair see the audiences."""
    chair = (record["meeting"].get("chair") or {}).get("member_id")
    items: list[dict[str, Any]] = []
    for item in record["items"]:
        if not sees_item(viewer, chair, item):
            items.append(placeholder(item))
        elif viewer.is_staff:
            items.append(item)
        else:
            items.append({k: v for k, v in item.items() if k not in STAFF_ONLY_KEYS})
    return {**record, "items": items}


def resolution(record: Record) -> list[dict[str, Any]]:
    """The draft session resolution: the adopted items and their conclusions, in agenda order.
    A placeholder (an item the viewer may not see) stays a placeholder."""
    found: list[dict[str, Any]] = []
    for item in record["items"]:
        if "title" not in item:
            found.append(dict(item))
        elif item.get("outcome") in ADOPTED:
            found.append(
                {
                    "id": item["id"],
                    "position": item["position"],
                    "title": item["title"],
                    "code": item.get("code"),
                    "outcome": item["outcome"],
                    "conclusion": item.get("conclusion", ""),
                    "consent": item.get("consent", False),
                    "tasks": item.get("tasks", []),
                    "restricted_tasks": item.get("restricted_tasks", 0),
                }
            )
    return found
