"""Private notes per page (docs/reader.md): only their author reads or changes them, on documents
the author may read; blank text deletes; the page must be in the latest version; and the event
log records that a note changed, never what it says."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.errors import InvalidInput, RuleBroken
from agenda.log.events import ACTIVITY_STREAM, Event
from agenda.meetings import dossier
from agenda.papers import notes
from agenda.papers.notes import MAX_NOTE_CHARS, PageNote
from tests.support.factories import (
    Actor,
    add_agenda_item,
    error_of,
    login_as,
    make_document,
    make_meeting,
    make_member,
    make_programme_item,
    make_user,
    publish_meeting,
)

SECRET = "Ý kiến riêng: phản đối điều 7, đề nghị bỏ khoản 3 — XKCD-4411"


@dataclass
class World:
    a: Actor  # invited member
    b: Actor  # another invited member
    outsider: Actor  # a member not invited
    secretariat: Actor
    a_id: int
    document_id: int  # 3 pages, on the published agenda
    draft_document_id: int  # on a draft agenda only


@pytest.fixture
def world(client: TestClient, db: Database) -> World:
    chair = make_member(db, full_name="Thủ tướng", precedence=1)
    a = make_user(db, "thanhvien_a", ["member"])
    b = make_user(db, "thanhvien_b", ["member"])
    make_user(db, "ngoai", ["member"])
    make_user(db, "thuky", ["secretariat"])
    assert chair.id and a.id and a.member_id and b.member_id
    item = make_programme_item(db, kind="other")
    hidden_item = make_programme_item(db, kind="other")
    assert item.id and hidden_item.id
    document = make_document(db, item.id, "submission", pages=3)
    draft_document = make_document(db, hidden_item.id, "submission", pages=3)
    invited = [chair.id, a.member_id, b.member_id]
    meeting = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=invited)
    draft = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=invited)
    assert meeting.id and draft.id and document.id and draft_document.id
    add_agenda_item(db, meeting.id, programme_item_id=item.id)
    add_agenda_item(db, draft.id, programme_item_id=hidden_item.id)
    publish_meeting(db, meeting.id)
    return World(
        a=login_as(client, "thanhvien_a"),
        b=login_as(client, "thanhvien_b"),
        outsider=login_as(client, "ngoai"),
        secretariat=login_as(client, "thuky"),
        a_id=a.id,
        document_id=document.id,
        draft_document_id=draft_document.id,
    )


def notes_url(document_id: int, page: int | None = None) -> str:
    base = f"/api/v1/documents/{document_id}/notes"
    return base if page is None else f"{base}/{page}"


def items(actor: Actor, document_id: int) -> list[dict[str, object]]:
    response = actor.get(notes_url(document_id))
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()["items"]
    return found


def test_write_read_change_and_delete_a_note(world: World) -> None:
    url = notes_url(world.document_id, 2)
    assert items(world.a, world.document_id) == []
    saved = world.a.put(url, json={"text": SECRET})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["page"] == 2 and body["text"] == SECRET
    assert isinstance(body["updated_at"], str) and body["updated_at"].endswith("+07:00")
    assert world.a.put(notes_url(world.document_id, 1), json={"text": "trang một"}).status_code == 200
    assert [(n["page"], n["text"]) for n in items(world.a, world.document_id)] == [
        (1, "trang một"),
        (2, SECRET),
    ]

    assert world.a.put(url, json={"text": "  đã sửa\nhai dòng  "}).json()["text"] == "  đã sửa\nhai dòng  "
    blank = world.a.put(url, json={"text": "  \n "})
    assert blank.status_code == 200
    assert blank.json() == {"page": 2, "text": "", "updated_at": None}
    assert [n["page"] for n in items(world.a, world.document_id)] == [1]

    assert world.a.delete(notes_url(world.document_id, 1)).status_code == 204
    assert world.a.delete(notes_url(world.document_id, 1)).status_code == 204  # already gone: still 204
    assert items(world.a, world.document_id) == []


def test_notes_are_private_to_their_author(world: World) -> None:
    url = notes_url(world.document_id, 1)
    assert world.a.put(url, json={"text": SECRET}).status_code == 200
    for other in (world.b, world.secretariat):
        assert items(other, world.document_id) == []
        assert SECRET not in other.get(notes_url(world.document_id)).text
    # B's note on the same page is B's own; A's is untouched by B's writes and deletes.
    assert world.b.put(url, json={"text": "của B"}).status_code == 200
    assert world.b.delete(url).status_code == 204
    assert world.secretariat.put(url, json={"text": ""}).status_code == 200
    assert world.secretariat.delete(url).status_code == 204
    assert [n["text"] for n in items(world.a, world.document_id)] == [SECRET]
    assert items(world.b, world.document_id) == []


def test_documents_one_may_not_read_are_not_found(world: World) -> None:
    assert world.a.put(notes_url(world.document_id, 1), json={"text": SECRET}).status_code == 200
    for document_id in (world.draft_document_id, 999_999, 2**40):
        for response in (
            world.a.get(notes_url(document_id)),
            world.a.put(notes_url(document_id, 1), json={"text": "x"}),
            world.a.delete(notes_url(document_id, 1)),
        ):
            assert response.status_code == 404, (document_id, response.text)
            assert error_of(response)["code"] == "not_found"
    for response in (
        world.outsider.get(notes_url(world.document_id)),
        world.outsider.put(notes_url(world.document_id, 1), json={"text": "x"}),
        world.outsider.delete(notes_url(world.document_id, 1)),
        # Not found comes before the body is even read.
        world.outsider.put(
            notes_url(world.document_id, 1), content=b"{bad", headers={"Content-Type": "text/plain"}
        ),
    ):
        assert response.status_code == 404, response.text
    # The secretariat reads every dossier, including the draft agenda's.
    assert world.secretariat.put(notes_url(world.draft_document_id, 1), json={"text": "x"}).status_code == 200
    assert [n["text"] for n in items(world.a, world.document_id)] == [SECRET]


@pytest.mark.parametrize("page", [0, 4, 10**6, 2**31, 10**30])
def test_pages_outside_the_latest_version_are_refused(world: World, page: int) -> None:
    response = world.a.put(notes_url(world.document_id, page), json={"text": "x"})
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "page_out_of_range"
    assert world.a.delete(notes_url(world.document_id, page)).status_code == 204
    assert items(world.a, world.document_id) == []


def test_bad_bodies_get_clear_4xx(world: World) -> None:
    url = notes_url(world.document_id, 1)
    longest = "ắ" * MAX_NOTE_CHARS
    assert world.a.put(url, json={"text": longest}).status_code == 200
    too_long = world.a.put(url, json={"text": longest + "x"})
    assert too_long.status_code == 422
    assert error_of(too_long)["code"] == "note_too_long"
    for body, status in (
        (b"{not json", 400),
        (b"[]", 400),
        (b"{}", 400),
        (b'{"text": 5}', 400),
        (b'{"text": null}', 400),
        (b'{"text": "x", "page": 2}', 400),
        (b'{"text": "a\\u0000b"}', 400),
    ):
        response = world.a.put(url, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == status, (body, response.text)
        error_of(response)
    wrong_type = world.a.put(
        url, content=b"text=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert wrong_type.status_code == 415
    assert world.a.put(notes_url(world.document_id, -1), json={"text": "x"}).status_code == 404
    assert (
        world.a.put(f"/api/v1/documents/{world.document_id}/notes/abc", json={"text": "x"}).status_code == 404
    )
    assert [n["text"] for n in items(world.a, world.document_id)] == [longest]  # nothing stored was lost


def test_writes_need_the_session_and_the_csrf_token(client: TestClient, world: World) -> None:
    url = notes_url(world.document_id, 1)
    no_token = world.a.put(url, json={"text": "x"}, headers={"X-CSRF-Token": "wrong"})
    assert no_token.status_code == 403
    assert error_of(no_token)["code"] == "csrf_failed"
    assert world.a.delete(url, headers={"X-CSRF-Token": ""}).status_code == 403
    foreign = world.a.put(url, json={"text": "x"}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    client.cookies.clear()
    assert client.get(notes_url(world.document_id)).status_code == 401
    assert client.put(url, json={"text": "x"}).status_code == 401
    assert items(world.a, world.document_id) == []


def test_the_log_names_the_note_but_never_its_text(world: World, db: Database) -> None:
    url = notes_url(world.document_id, 3)
    assert world.a.put(url, json={"text": SECRET}).status_code == 200
    assert world.a.put(url, json={"text": SECRET}).status_code == 200  # unchanged: no new event
    assert world.a.put(url, json={"text": SECRET + " (bổ sung)"}).status_code == 200
    assert world.a.put(url, json={"text": ""}).status_code == 200
    assert world.a.put(url, json={"text": "lại"}).status_code == 200
    assert world.a.delete(url).status_code == 204

    rows = db.read_sync(
        lambda s: list(
            s.exec(
                select(Event)
                .where(col(Event.kind).in_(["note.saved", "note.deleted"]))
                .order_by(col(Event.id))
            )
        )
    )
    assert [e.kind for e in rows] == [
        "note.saved",
        "note.saved",
        "note.deleted",
        "note.saved",
        "note.deleted",
    ]
    for event in rows:
        assert event.stream == ACTIVITY_STREAM and event.actor_id == world.a_id
        data = json.loads(event.data)
        assert set(data) == {"note_id", "document_id", "page", "user_id"}
        assert (
            data["document_id"] == world.document_id and data["page"] == 3 and data["user_id"] == world.a_id
        )
    everything = db.read_sync(lambda s: [e.data for e in s.exec(select(Event)).all()])
    assert not [d for d in everything if "XKCD-4411" in d or "lại" in json.loads(d).values()]


def test_the_page_range_follows_the_latest_version(world: World, db: Database) -> None:
    assert world.a.put(notes_url(world.document_id, 5), json={"text": "x"}).status_code == 422
    db.write_sync(
        lambda s: dossier.add_version(
            session=s,
            document_id=world.document_id,
            sha256="b" * 64,
            pages=5,
            size=5000,
            note="Thêm 2 trang",
            actor_id=None,
        )
    )
    assert world.a.put(notes_url(world.document_id, 5), json={"text": "trang năm"}).status_code == 200
    assert world.a.put(notes_url(world.document_id, 6), json={"text": "x"}).status_code == 422


def test_the_domain_functions(world: World, db: Database) -> None:
    def run() -> None:
        with db.writing() as s:
            note = notes.save_note(
                session=s, user_id=world.a_id, document_id=world.document_id, page=1, text="một"
            )
            assert note is not None and note.id is not None
            assert (
                notes.save_note(session=s, user_id=world.a_id, document_id=world.document_id, page=1, text="")
                is None
            )
            with pytest.raises(RuleBroken):
                notes.save_note(
                    session=s, user_id=world.a_id, document_id=world.document_id, page=0, text="x"
                )
            with pytest.raises(InvalidInput):
                notes.save_note(
                    session=s, user_id=world.a_id, document_id=world.document_id, page=1, text="\x00"
                )
            notes.save_note(session=s, user_id=world.a_id, document_id=world.document_id, page=2, text="hai")
            assert (
                notes.delete_note(session=s, user_id=world.a_id, document_id=world.document_id, page=3)
                is False
            )
            found = notes.list_notes(session=s, user_id=world.a_id, document_id=world.document_id)
            assert [(n.page, n.text) for n in found] == [(2, "hai")]
            assert s.exec(select(PageNote)).all() == found

    run()
