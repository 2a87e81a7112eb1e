"""The agenda read cache follows the event log: any change that can alter an agenda view
changes the token; personal reading activity does not."""

from __future__ import annotations

from agenda.db import Database
from agenda.meetings.agenda_cache import AgendaCache, change_token
from agenda.papers import notes
from agenda.policy import DEFAULT_POLICY
from agenda.programme.programme import ProgrammeItemUpdate, update_item
from tests.support.factories import add_agenda_item, make_meeting, make_member, make_ready_item, make_user


def test_the_cache_serves_until_a_change_and_ignores_reading(db: Database) -> None:
    chair = make_member(db, full_name="Chủ tọa", title="Thủ tướng Chính phủ", precedence=1)
    reader = make_user(db, "docgia", ["member"])
    assert chair.id is not None and reader.id is not None
    meeting = make_meeting(db, chair_member_id=chair.id, title="Phiên họp thử bộ đệm")
    assert meeting.id is not None
    meeting_id = meeting.id
    source = make_ready_item(db, code="CACHE-1", title="Đề án trước khi sửa")
    assert source.id is not None
    source_id = source.id
    add_agenda_item(db, meeting_id, programme_item_id=source_id)
    cache = AgendaCache()

    first = db.read_sync(lambda s: cache.get(session=s, meeting_id=meeting_id))
    assert db.read_sync(lambda s: cache.get(session=s, meeting_id=meeting_id)) is first

    token = db.read_sync(lambda s: change_token(session=s, meeting_id=meeting_id))
    document_id = db.read_sync(lambda s: first.documents[source_id][0]["id"])
    db.write_sync(
        lambda s: notes.save_note(
            session=s, user_id=reader.id or 0, document_id=document_id, page=1, text="ghi chú"
        )
    )
    assert db.read_sync(lambda s: change_token(session=s, meeting_id=meeting_id)) == token
    assert db.read_sync(lambda s: cache.get(session=s, meeting_id=meeting_id)) is first

    db.write_sync(
        lambda s: update_item(
            session=s,
            item_id=source_id,
            data=ProgrammeItemUpdate(lead_agency="Bộ Xây dựng thử nghiệm"),
            actor_id=None,
            policy=DEFAULT_POLICY,
        )
    )
    fresh = db.read_sync(lambda s: cache.get(session=s, meeting_id=meeting_id))
    assert fresh is not first
    assert fresh.programme[source_id].lead_agency == "Bộ Xây dựng thử nghiệm"
