"""Telling a published meeting's invitees that its papers or its agenda changed: the bell now, an
email digest later (agenda/people/notifications.py, docs/notifications.md).

Who is told is who may see the change: for a paper, the invited members who may see its agenda
item (a restricted item: its audience and the chair), through their own and their assistants'
accounts, and the meeting's guests when the item is not restricted; for an agenda change, every
invitee, chair and guest, told only that the agenda changed and why (an added restricted item's
title is not in the notice). A notice has a key per change, so it is told once.
"""

from __future__ import annotations

from sqlmodel import Session

from agenda.meetings.agenda_items import AgendaItem, audiences
from agenda.meetings.meetings import Meeting, guest_ids, invitee_ids
from agenda.people.notifications import Notification, accounts_of, notify

# A published agenda is told of its changes; a draft one is nobody's business yet.
TOLD_STATES = ("published", "in_progress")


def _audience_users(session: Session, meeting: Meeting, item: AgendaItem | None) -> list[int]:
    """The accounts that may see `item` (None: the whole agenda) of the meeting, in id order."""
    members = set(invitee_ids(session, meeting.id or 0))
    if meeting.chair_member_id is not None:
        members.add(meeting.chair_member_id)
    restricted = item is not None and item.restricted
    if restricted and item is not None:
        allowed = set(audiences(session, [item.id or 0]).get(item.id or 0, []))
        members = {m for m in members if m in allowed or m == meeting.chair_member_id}
    users = {u for found in accounts_of(session, members).values() for u in found}
    if not restricted:
        users |= set(guest_ids(session, meeting.id or 0))
    return sorted(users)


def tell_new_version(
    session: Session,
    *,
    meeting: Meeting,
    item: AgendaItem,
    document_id: int,
    title: str,
    version: int,
    note: str,
    actor_id: int | None,
) -> list[Notification]:
    """A paper on a published meeting's agenda has a new version (version 1 is a new paper)."""
    if meeting.state not in TOLD_STATES:
        return []
    params = {
        "title": title[:200],
        "version": version,
        "meeting": meeting.title[:200],
        "position": item.position,
        "note": note[:300] or "–",
        "meeting_id": meeting.id,
        "document_id": document_id,
    }
    made: list[Notification] = []
    for user_id in _audience_users(session, meeting, item):
        if user_id == actor_id:
            continue
        found = notify(
            session,
            user_id=user_id,
            kind="paper_version" if version > 1 else "paper_added",
            key=f"doc:{document_id}:v{version}:m{meeting.id}",
            params=params,
            url=f"/documents/{document_id}/read",
        )
        if found is not None:
            made.append(found)
    return made


def tell_agenda_change(
    session: Session, *, meeting: Meeting, reason: str | None, actor_id: int | None
) -> list[Notification]:
    """A published agenda changed (its version was bumped): every invitee hears of it."""
    if meeting.state not in TOLD_STATES:
        return []
    params = {
        "meeting": meeting.title[:200],
        "agenda_version": meeting.agenda_version,
        "reason": (reason or "–")[:300],
        "meeting_id": meeting.id,
    }
    made: list[Notification] = []
    for user_id in _audience_users(session, meeting, None):
        if user_id == actor_id:
            continue
        found = notify(
            session,
            user_id=user_id,
            kind="agenda_changed",
            key=f"agenda:{meeting.id}:v{meeting.agenda_version}",
            params=params,
            url=f"/meetings/{meeting.id}",
        )
        if found is not None:
            made.append(found)
    return made
