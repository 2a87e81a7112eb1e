"""Publishing a meeting's agenda: the draft becomes the agenda every invitee sees. See docs/agenda.md.

Apart from agenda/meetings/meetings.py because it reads the agenda items, which build on the
meetings.
"""

from __future__ import annotations

from sqlmodel import Session

from agenda.clock import utcnow
from agenda.errors import RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.meetings.agenda_items import agenda_ids
from agenda.meetings.meetings import Meeting, get_meeting
from agenda.text import N_


def publish(*, session: Session, meeting_id: int, actor_id: int | None) -> Meeting:
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    if meeting.state != "draft":
        raise WrongState(N_("Chương trình phiên họp đã được công bố."), code="already_published")
    ids = agenda_ids(session, meeting_id)
    if not ids:
        raise RuleBroken(N_("Chương trình phiên họp chưa có nội dung nào."), code="empty_agenda")
    meeting.state = "published"
    meeting.agenda_version = 1
    meeting.published_at = utcnow()
    events.append(
        session,
        k.MeetingPublished(meeting_id=meeting_id, agenda_version=1, agenda_item_ids=ids),
        actor_id=actor_id,
    )
    return meeting
