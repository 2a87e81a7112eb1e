"""Telling a published meeting's invitees that its papers or its agenda changed: the bell now, an
email digest later (agenda/people/notifications.py, docs/notifications.md).

Who is told is who may see the change: for a paper, the invited members who may see its agenda
item (a restricted item: its audience and the chair), through their own and their assistants'
accounts, and the meeting's guests when the item is not restricted; for an agenda change, every
invitee, chair and guest, told only that the agenda changed and why (an added restricted item's
title is not in the notice; `tell_agenda_change` is in agenda/meetings/meetings.py, which
also tells of a change of the session's time or place). A notice has a key per change, so it is
told once.
"""

from __future__ import annotations

from sqlmodel import Session

from agenda.meetings.agenda_items import AgendaItem, audiences
from agenda.meetings.meetings import TOLD_STATES, Meeting, invited_users, invitee_ids
from agenda.people.notifications import Notification, accounts_of, notify


def _audience_users(session: Session, meeting: Meeting, item: AgendaItem) -> list[int]:
    """The accounts that may see `item` of the meeting, in id order."""
    if not item.restricted:
        return invited_users(session, meeting)
    allowed = set(audiences(session, [item.id or 0]).get(item.id or 0, []))
    members = {m for m in invitee_ids(session, meeting.id or 0) if m in allowed}
    if meeting.chair_member_id is not None:
        members.add(meeting.chair_member_id)
    return sorted({u for found in accounts_of(session, members).values() for u in found})


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
