"""Build 13 (docs/notifications.md): invitees of a published agenda hear of a paper's new version
and of agenda changes in the bell, only those allowed to see the item; by email, one digest per
person per 15 minutes (on a frozen clock, through a local SMTP sink); without SMTP, the bell only.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from agenda.log.events import Event
from agenda.meetings import agenda_edits, dossier, meetings
from agenda.meetings.agenda_items import AgendaItem, AgendaItemUpdate
from agenda.meetings.meetings import MeetingUpdate
from agenda.people.notifications import Notification
from meeting_app.app import create_app
from meeting_app.ops import reminders
from tests.conftest import context_of, settings_for
from tests.support.factories import (
    add_agenda_item,
    login_as,
    make_document,
    make_meeting,
    make_member,
    make_programme_item,
    make_user,
    publish_meeting,
)
from tests.test_opinion_polls import SmtpSink, set_email

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=clock.LOCAL_TZ)


@dataclass
class World:
    db: Database
    users: dict[str, int]  # username -> user id
    meeting_id: int
    open_item: int
    secret_item: int
    open_doc: int
    secret_doc: int

    def notices(self, kind: str | None = None) -> dict[str, list[str]]:
        """username -> the keys of their notifications (of `kind`), for the people of this world."""
        names = {v: k for k, v in self.users.items()}
        rows = self.db.read_sync(lambda s: s.exec(select(Notification).order_by(col(Notification.id))).all())
        found: dict[str, list[str]] = {}
        for row in rows:
            if row.user_id in names and (kind is None or row.kind == kind):
                found.setdefault(names[row.user_id], []).append(row.key)
        return found


def make_world(db: Database, *, publish: bool = True) -> World:
    clock.freeze(T0)
    chair = make_user(db, "cn-chair", ["member"], full_name="Thủ tướng")
    one = make_user(db, "cn-tv1", ["member"], full_name="Bộ trưởng Một")
    two = make_user(db, "cn-tv2", ["member"], full_name="Bộ trưởng Hai")
    assistant = make_user(db, "cn-troly1", ["assistant"], member_id=one.member_id)
    guest = make_user(db, "cn-khach", ["guest"])
    outsider = make_user(db, "cn-ngoai", ["member"])  # not invited
    make_user(db, "cn-thuky", ["secretariat"])
    first = make_programme_item(db, title="Nghị định về dữ liệu")
    secret = make_programme_item(db, title="Đề án mật")
    open_doc = make_document(db, first.id or 0, "submission")
    secret_doc = make_document(db, secret.id or 0, "submission")
    meeting = make_meeting(
        db,
        chair_member_id=chair.member_id or 0,
        starts_at=T0 + timedelta(days=5),
        invitee_member_ids=[chair.member_id or 0, one.member_id or 0, two.member_id or 0],
        guest_user_ids=[guest.id or 0],
    )
    meeting_id = meeting.id or 0
    open_item = add_agenda_item(db, meeting_id, programme_item_id=first.id, override_readiness=True)
    secret_item = add_agenda_item(
        db,
        meeting_id,
        programme_item_id=secret.id,
        override_readiness=True,
        restricted_member_ids=[one.member_id or 0],
    )
    if publish:
        publish_meeting(db, meeting_id)
    make_member(db)  # a member invited nowhere, without an account
    users = {u.username: u.id or 0 for u in (chair, one, two, assistant, guest, outsider)}
    return World(
        db=db,
        users=users,
        meeting_id=meeting_id,
        open_item=open_item.id or 0,
        secret_item=secret_item.id or 0,
        open_doc=open_doc.id or 0,
        secret_doc=secret_doc.id or 0,
    )


def new_version(db: Database, document_id: int, note: str = "Sửa theo ý kiến thẩm định") -> int:
    sha256 = hashlib.sha256(f"{document_id}:{note}:{clock.utcnow()}".encode()).hexdigest()
    version = db.write_sync(
        lambda s: dossier.add_version(
            session=s, document_id=document_id, sha256=sha256, pages=4, size=4000, note=note, actor_id=None
        )
    )
    return version.version


def change_agenda(db: Database, item_id: int, minutes: int) -> None:
    data = AgendaItemUpdate(minutes=minutes, reason="Điều chỉnh thời lượng")
    db.write_sync(
        lambda s: agenda_edits.update_item(session=s, agenda_item_id=item_id, data=data, actor_id=None)
    )


EVERYONE = ["cn-chair", "cn-khach", "cn-troly1", "cn-tv1", "cn-tv2"]


def test_a_new_version_rings_the_bell_of_each_invitee_who_may_see_the_item(
    db: Database, client: TestClient
) -> None:
    world = make_world(db)
    assert world.notices() == {}
    version = new_version(db, world.open_doc)
    key = f"doc:{world.open_doc}:v{version}:m{world.meeting_id}"
    assert world.notices("paper_version") == {name: [key] for name in EVERYONE}

    # The restricted item's paper: its audience (member one and their assistant) and the chair;
    # not member two, not the guest, never anyone uninvited.
    secret = new_version(db, world.secret_doc)
    secret_key = f"doc:{world.secret_doc}:v{secret}:m{world.meeting_id}"
    told = {name for name, keys in world.notices("paper_version").items() if secret_key in keys}
    assert told == {"cn-chair", "cn-tv1", "cn-troly1"}

    # In the bell, in the reader's language, linking to the reader.
    two = login_as(client, "cn-tv2")
    bell = two.get("/api/v1/notifications").json()
    assert bell["unread"] == 1
    entry = bell["items"][0]
    assert entry["kind"] == "paper_version"
    assert entry["title"].startswith("Tài liệu có bản mới:") and f"(bản {version})" in entry["title"]
    assert entry["url"] == f"/documents/{world.open_doc}/read"
    assert "Đề án mật" not in str(bell)


def test_a_new_paper_is_told_as_new(db: Database) -> None:
    world = make_world(db)
    item = db.read_sync(lambda s: s.get(AgendaItem, world.open_item))
    assert item is not None and item.programme_item_id is not None
    added = make_document(db, item.programme_item_id, "appraisal", title="Báo cáo thẩm định")
    told = world.notices("paper_added")
    assert told == {name: [f"doc:{added.id}:v1:m{world.meeting_id}"] for name in EVERYONE}
    rows = db.read_sync(
        lambda s: s.exec(select(Notification).where(Notification.kind == "paper_added")).all()
    )
    assert {row.url for row in rows} == {f"/documents/{added.id}/read"}


def test_an_agenda_change_rings_every_invitee(db: Database) -> None:
    world = make_world(db)
    change_agenda(db, world.open_item, 45)
    told = world.notices("agenda_changed")
    assert set(told) == set(EVERYONE)
    assert all(keys == [f"agenda:{world.meeting_id}:v2"] for keys in told.values())
    # A change to the restricted item is an agenda change too, but says nothing of the item.
    change_agenda(db, world.secret_item, 25)
    assert all(len(keys) == 2 for keys in world.notices("agenda_changed").values())
    rows = db.read_sync(
        lambda s: s.exec(select(Notification).where(Notification.kind == "agenda_changed")).all()
    )
    assert all("Đề án mật" not in row.params for row in rows)


def test_a_session_moved_is_an_agenda_change(db: Database) -> None:
    world = make_world(db)
    data = MeetingUpdate(
        starts_at=T0 + timedelta(days=6), place="Phòng họp số 2", reason="Trùng lịch tiếp khách quốc tế"
    )
    db.write_sync(
        lambda s: meetings.update_meeting(session=s, meeting_id=world.meeting_id, data=data, actor_id=None)
    )
    told = world.notices("agenda_changed")
    assert set(told) == set(EVERYONE)
    rows = db.read_sync(
        lambda s: s.exec(select(Notification).where(Notification.kind == "agenda_changed")).all()
    )
    assert all("Trùng lịch tiếp khách quốc tế" in row.params for row in rows)


def test_a_draft_agenda_tells_nobody(db: Database) -> None:
    world = make_world(db, publish=False)
    new_version(db, world.open_doc)
    change_agenda(db, world.open_item, 45)
    assert world.notices() == {}


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def tick(client: TestClient, at: datetime) -> None:
    clock.freeze(at)
    client.portal.call(reminders.tick, context_of(client))  # type: ignore[union-attr]


def test_one_digest_per_person_per_15_minutes(tmp_path: Path, database_url: str, sink: SmtpSink) -> None:
    settings = settings_for(
        tmp_path,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=sink.server_address[1],
        public_url="https://ecabinet.chinhphu.example",
    )
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        db = context_of(client).db
        world = make_world(db)
        set_email(db, world.users["cn-tv2"], "bt.hai@chinhphu.example")
        mailer = context_of(client).user_feed.mailer
        assert mailer is not None

        new_version(db, world.open_doc, note="Bổ sung Điều 5")  # T0
        tick(client, T0 + timedelta(minutes=1))  # the change is told at once in the bell only
        clock.freeze(T0 + timedelta(minutes=5))
        change_agenda(db, world.open_item, 45)  # a second change within the window
        tick(client, T0 + timedelta(minutes=10))
        mailer.drain()
        assert sink.messages == []
        tick(client, T0 + timedelta(minutes=15))  # the first notice is 15 minutes old: one digest
        mailer.drain()
        first = sink.wait_for(1)
        assert len(first) == 1
        _sender, to, message = first[0]
        assert to == ["bt.hai@chinhphu.example"]
        assert message["Subject"] == "eCabinet: 2 thay đổi về tài liệu và chương trình phiên họp"
        body = message.get_content()
        assert "Bổ sung Điều 5" in body and "Điều chỉnh thời lượng" in body
        assert f"https://ecabinet.chinhphu.example/documents/{world.open_doc}/read" in body

        clock.freeze(T0 + timedelta(minutes=20))
        new_version(db, world.open_doc, note="Sửa Điều 7")  # a third change, after the digest
        for minutes in (21, 25, 30):
            tick(client, T0 + timedelta(minutes=minutes))
        mailer.drain()
        assert len(sink.messages) == 1  # not 15 minutes since the last digest and the notice
        tick(client, T0 + timedelta(minutes=35))
        mailer.drain()
        second = sink.wait_for(2)[1]
        assert second[2]["Subject"] == "eCabinet: 1 thay đổi về tài liệu và chương trình phiên họp"
        assert "Sửa Điều 7" in second[2].get_content()
        tick(client, T0 + timedelta(minutes=60))
        mailer.drain()
        assert len(sink.messages) == 2  # nothing new, nothing sent


def test_without_smtp_the_bell_only(db: Database, client: TestClient) -> None:
    assert context_of(client).user_feed.mailer is None
    world = make_world(db)
    new_version(db, world.open_doc)
    change_agenda(db, world.open_item, 45)
    tick(client, T0 + timedelta(hours=1))
    assert set(world.notices()) == set(EVERYONE)
    rows = db.read_sync(lambda s: s.exec(select(Notification)).all())
    assert all(row.digested_at is None for row in rows)
    digested = db.read_sync(
        lambda s: s.exec(select(Event).where(Event.kind == "notification.digested")).all()
    )
    assert digested == []


def test_the_reader_frame_comes_only_from_a_paper_notice() -> None:
    from meeting_app.live.user_feed import paper_frame

    data = {"notification_kind": "paper_version", "key": "doc:7:v3:m2", "user_id": 1}
    assert json.loads(paper_frame(data) or "") == {
        "type": "paper",
        "document_id": 7,
        "version": 3,
        "meeting_id": 2,
    }
    assert paper_frame({**data, "notification_kind": "paper_added"}) is None  # no reader is open
    assert paper_frame({**data, "notification_kind": "poll_sent"}) is None
    for bad in ("doc:7:v3", "doc:x:v3:m2", "poll:7:sent:x", "doc:7:3:m2", ""):
        assert paper_frame({**data, "key": bad}) is None, bad
