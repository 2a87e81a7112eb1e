"""A member's to-do list (agenda/todo.py, docs/home.md): unanswered ballots nearest deadline
first with the overdue marked, the next session, the positions still to give and the papers to
read (never opened, or a new version since the last read), with restricted items left out; the
home page and GET /api/v1/me/todo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from agenda.meetings.positions import PositionSet, set_position
from agenda.papers import copies
from agenda.papers.documents import versions_of
from agenda.people.accounts import User
from agenda.polls import poll_lifecycle
from agenda.polls.opinion_polls import PollAnswer, PollCreate
from agenda.todo import Todo, member_todo
from agenda.viewer import Viewer
from tests.support.factories import (
    add_agenda_item,
    add_stored_version,
    login_as,
    make_document,
    make_meeting,
    make_member,
    make_programme_item,
    make_user,
    publish_meeting,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=clock.LOCAL_TZ)


@dataclass
class Setup:
    db: Database
    member: User
    other: User  # a member outside the restricted item
    meeting_id: int
    open_item: int  # agenda item ids
    restricted_item: int
    procedural_item: int
    open_doc: int  # document ids
    second_doc: int
    restricted_doc: int

    def viewer(self, user: User | None = None) -> Viewer:
        user = user or self.member
        return Viewer(user_id=user.id or 0, roles=frozenset(user.roles), member_id=user.member_id)

    def todo(self, user: User | None = None) -> Todo:
        return self.db.read_sync(lambda s: member_todo(session=s, viewer=self.viewer(user)))

    def read(self, document_id: int, user: User | None = None) -> None:
        """The user opens the latest version of the document (a read receipt)."""
        user_id = (user or self.member).id or 0

        def run(s: object) -> None:
            from sqlmodel import Session

            assert isinstance(s, Session)
            version = versions_of(session=s, document_id=document_id)[-1]
            copy = copies.issue_copy(session=s, user_id=user_id, document_version_id=version.id)
            copies.record_open(session=s, copy=copy)

        self.db.write_sync(run)


def make_setup(db: Database) -> Setup:
    clock.freeze(T0)
    chair = make_member(db, full_name="Thủ tướng", precedence=0)
    member = make_user(db, "todo-tv", ["member"], full_name="Bộ trưởng Việc cần làm")
    other = make_user(db, "todo-tv2", ["member"], full_name="Bộ trưởng Khác")
    first = make_programme_item(db, title="Nghị định về dữ liệu")
    secret = make_programme_item(db, title="Đề án mật về quốc phòng")
    open_doc = make_document(db, first.id or 0, "submission", title="Tờ trình về dữ liệu")
    second_doc = make_document(db, first.id or 0, "draft", title="Dự thảo Nghị định về dữ liệu")
    restricted_doc = make_document(db, secret.id or 0, "submission", title="Tờ trình mật")
    member_ids = [chair.id or 0, member.member_id or 0, other.member_id or 0]
    meeting = make_meeting(
        db,
        chair_member_id=chair.id or 0,
        starts_at=T0 + timedelta(days=3),
        place="Phòng họp số 1",
        invitee_member_ids=member_ids,
    )
    meeting_id = meeting.id or 0
    open_item = add_agenda_item(db, meeting_id, programme_item_id=first.id, override_readiness=True)
    restricted_item = add_agenda_item(
        db,
        meeting_id,
        programme_item_id=secret.id,
        override_readiness=True,
        restricted_member_ids=[member.member_id or 0],
    )
    procedural = add_agenda_item(db, meeting_id, title="Thông qua chương trình phiên họp")
    publish_meeting(db, meeting_id)
    return Setup(
        db=db,
        member=member,
        other=other,
        meeting_id=meeting_id,
        open_item=open_item.id or 0,
        restricted_item=restricted_item.id or 0,
        procedural_item=procedural.id or 0,
        open_doc=open_doc.id or 0,
        second_doc=second_doc.id or 0,
        restricted_doc=restricted_doc.id or 0,
    )


def make_poll(db: Database, *, deadline: datetime, question: str) -> int:
    item = make_programme_item(db)
    data = PollCreate(programme_item_id=item.id or 0, question=question, deadline=deadline)

    def run(s: object) -> int:
        from sqlmodel import Session

        assert isinstance(s, Session)
        poll = poll_lifecycle.create(session=s, data=data, actor_id=None)
        poll_lifecycle.send(session=s, poll_id=poll.id or 0, actor_id=None)
        return poll.id or 0

    return db.write_sync(run)


def test_the_next_session_with_its_time_and_place(db: Database) -> None:
    setup = make_setup(db)
    later = make_meeting(db, chair_member_id=setup.member.member_id or 0, starts_at=T0 + timedelta(days=9))
    add_agenda_item(db, later.id or 0)
    publish_meeting(db, later.id or 0)
    make_meeting(  # a draft, earlier: not seen by members, not "next"
        db, chair_member_id=setup.member.member_id or 0, starts_at=T0 + timedelta(days=1)
    )
    todo = setup.todo()
    assert todo.meeting is not None
    assert todo.meeting.id == setup.meeting_id
    assert todo.meeting.place == "Phòng họp số 1"
    assert todo.meeting.starts_at == T0 + timedelta(days=3)


def test_unanswered_ballots_nearest_deadline_first_and_overdue_marked(db: Database) -> None:
    setup = make_setup(db)
    far = make_poll(db, deadline=T0 + timedelta(days=5), question="Câu hỏi xa")
    near = make_poll(db, deadline=T0 + timedelta(hours=2), question="Câu hỏi gần")
    answered = make_poll(db, deadline=T0 + timedelta(days=1), question="Câu hỏi đã trả lời")
    viewer = setup.viewer()
    db.write_sync(
        lambda s: poll_lifecycle.respond(
            session=s, poll_id=answered, data=PollAnswer(position="agree", comment=""), viewer=viewer
        )
    )
    todo = setup.todo()
    assert [p.poll_id for p in todo.polls] == [near, far]
    assert [p.overdue for p in todo.polls] == [False, False]
    # Past the near deadline, before the loop closes the ballot: still listed, marked overdue.
    clock.freeze(T0 + timedelta(hours=3))
    todo = setup.todo()
    assert [(p.poll_id, p.overdue) for p in todo.polls] == [(near, True), (far, False)]
    # Another member has not answered any: all three, and answering one is per member.
    assert [p.poll_id for p in setup.todo(setup.other).polls] == [near, answered, far]


def test_positions_still_to_give_leave_out_restricted_items(db: Database) -> None:
    setup = make_setup(db)
    todo = setup.todo()
    assert [p.agenda_item_id for p in todo.positions] == [
        setup.open_item,
        setup.restricted_item,
        setup.procedural_item,
    ]
    # The member outside the restricted item is never asked about it.
    assert [p.agenda_item_id for p in setup.todo(setup.other).positions] == [
        setup.open_item,
        setup.procedural_item,
    ]
    viewer = setup.viewer()
    db.write_sync(
        lambda s: set_position(
            session=s,
            meeting_id=setup.meeting_id,
            agenda_item_id=setup.open_item,
            viewer=viewer,
            data=PositionSet(position="no_objection"),
        )
    )
    assert [p.agenda_item_id for p in setup.todo().positions] == [
        setup.restricted_item,
        setup.procedural_item,
    ]


def test_papers_unread_and_new_versions_since_the_last_read(db: Database, client: TestClient) -> None:
    setup = make_setup(db)
    todo = setup.todo()
    assert [p.document_id for p in todo.papers] == [setup.open_doc, setup.second_doc, setup.restricted_doc]
    assert not any(p.is_new_version for p in todo.papers)
    # Outside the restricted item: its paper is not listed at all.
    assert [p.document_id for p in setup.todo(setup.other).papers] == [setup.open_doc, setup.second_doc]

    setup.read(setup.open_doc)
    setup.read(setup.restricted_doc)
    assert [p.document_id for p in setup.todo().papers] == [setup.second_doc]

    # A new version of a paper read before: back on the list, as a new version.
    from tests.conftest import context_of

    add_stored_version(db, context_of(client).settings.data_dir, setup.open_doc)
    todo = setup.todo()
    assert [(p.document_id, p.version, p.opened_version) for p in todo.papers] == [
        (setup.open_doc, 2, 1),
        (setup.second_doc, 1, None),
    ]
    assert todo.papers[0].is_new_version
    setup.read(setup.open_doc)
    assert [p.document_id for p in setup.todo().papers] == [setup.second_doc]


def test_no_positions_once_the_session_started_and_nothing_without_a_session(db: Database) -> None:
    setup = make_setup(db)
    nobody = make_user(db, "todo-none", ["member"])
    viewer = Viewer(user_id=nobody.id or 0, roles=frozenset(nobody.roles), member_id=nobody.member_id)
    empty = db.read_sync(lambda s: member_todo(session=s, viewer=viewer))
    assert empty.meeting is None and empty.count == 0
    assert setup.todo().count == 6  # 3 positions, 3 papers


def test_the_api_lists_the_same_for_the_viewer_only(db: Database, client: TestClient) -> None:
    setup = make_setup(db)
    actor = login_as(client, "todo-tv2")
    response = actor.get("/api/v1/me/todo")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meeting"]["id"] == setup.meeting_id
    assert body["meeting"]["place"] == "Phòng họp số 1"
    assert body["meeting"]["starts_at"] == clock.iso(T0 + timedelta(days=3))
    assert [p["agenda_item_id"] for p in body["positions"]] == [setup.open_item, setup.procedural_item]
    assert [p["document_id"] for p in body["papers"]] == [setup.open_doc, setup.second_doc]
    assert body["papers"][0]["url"] == f"/documents/{setup.open_doc}/read"
    assert "Đề án mật" not in response.text and "Tờ trình mật" not in response.text
    assert body["count"] == 4
    assert client.get("/api/v1/me/todo", headers={"cookie": ""}).status_code in (401, 403)


def test_the_home_page_for_each_role(db: Database, client: TestClient) -> None:
    setup = make_setup(db)
    make_user(db, "todo-troly", ["assistant"], member_id=setup.member.member_id)
    make_user(db, "todo-thuky", ["secretariat"])
    guest = make_user(db, "todo-khach", ["guest"])
    assert guest.id is not None
    other = login_as(client, "todo-tv2")
    page = other.get("/")
    assert page.status_code == 200
    assert 'id="h-todo"' in page.text and "Phòng họp số 1" in page.text
    assert f"/documents/{setup.open_doc}/read" in page.text
    assert "Đề án mật" not in page.text and f"/documents/{setup.restricted_doc}/read" not in page.text
    assistant = login_as(client, "todo-troly").get("/")
    assert assistant.status_code == 200 and 'id="h-todo"' in assistant.text
    assert 'data-todo="positions"' not in assistant.text  # an assistant states no positions
    staff = login_as(client, "todo-thuky").get("/")
    assert staff.status_code == 200 and 'id="h-todo"' not in staff.text
    guest_home = login_as(client, "todo-khach").get("/")
    assert guest_home.status_code == 200  # not invited anywhere: an empty list, no error
    assert "Không có việc nào đang chờ bạn." in guest_home.text
    english = login_as(client, "todo-tv")
    assert english.patch("/api/v1/me", json={"locale": "en"}).status_code == 200
    page = english.get("/")
    assert "To do" in page.text and "Positions still to give" in page.text and "Next session" in page.text
