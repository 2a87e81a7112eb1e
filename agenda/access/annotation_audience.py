"""Who a reader may share an annotation with (docs/annotations.md "Sharing").

The invitees of the meetings whose agenda holds the document (their members' user accounts),
each only if they may themselves read the document (agenda/access/papers.py), never the author.
The secretariat is shared with by a flag, not listed here.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from agenda.access.papers import can_view_programme_papers
from agenda.meetings.agenda_items import AgendaItem
from agenda.meetings.meetings import Meeting, MeetingInvitee
from agenda.papers.documents import Document
from agenda.people.accounts import User, viewer_of
from agenda.people.members import Member
from agenda.viewer import Viewer


def audience(*, session: Session, document: Document, viewer: Viewer) -> list[dict[str, Any]]:
    """[{user_id, name, title}] by the members' precedence, then name."""
    meetings = select(AgendaItem.meeting_id).where(AgendaItem.programme_item_id == document.programme_item_id)
    invited = select(MeetingInvitee.member_id).where(
        col(MeetingInvitee.meeting_id).in_(meetings),
        col(MeetingInvitee.meeting_id).in_(select(Meeting.id).where(Meeting.state != "draft")),
    )
    rows = session.exec(
        select(User, Member)
        .join(Member, col(Member.id) == User.member_id)
        .where(col(User.member_id).in_(invited), col(User.active).is_(True), User.id != viewer.user_id)
        .order_by(col(Member.precedence), col(User.full_name), col(User.id))
    ).all()
    found: list[dict[str, Any]] = []
    for user, member in rows:
        if not user.has("member", "assistant", "chair", "secretariat"):
            continue
        if can_view_programme_papers(
            session=session, viewer=viewer_of(user), programme_item_id=document.programme_item_id
        ):
            found.append({"user_id": user.id, "name": user.full_name, "title": member.title})
    return found


def audience_ids(*, session: Session, document: Document, viewer: Viewer) -> set[int]:
    return {int(row["user_id"]) for row in audience(session=session, document=document, viewer=viewer)}
