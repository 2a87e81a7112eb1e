"""Annotations anchored to the text (issue 17, part 3; docs/annotations.md): the API's CRUD and
its refusals, who reads a shared annotation (the API, search and the /ws/me feed), re-anchoring
through a real upload of a new version, and the PDF export of one's own annotations."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.log.events import Event
from agenda.meetings import dossier
from agenda.storage import store_original
from meeting_app.settings import Settings
from tests.support.annotation_pdfs import CLOSING, FILLER, INSERTED, INTRO, OTHER, PASSAGE, pdf
from tests.support.factories import (
    Actor,
    add_agenda_item,
    error_of,
    login_as,
    make_meeting,
    make_member,
    make_programme_item,
    make_user,
    publish_meeting,
)
from tests.support.pdf_files import files

NOTE = "Ý kiến riêng: đề nghị làm rõ khoản 2 — ZEBRA-7731"


@dataclass
class World:
    author: Actor
    chosen: Actor  # an invitee the author shares with
    other: Actor  # an invitee the author does not share with
    outsider: Actor  # a member not invited
    secretariat: Actor
    chosen_id: int
    other_id: int
    author_id: int
    document_id: int
    restricted_document_id: int  # on a restricted item: `other` is not in its audience
    meeting_id: int


def stored_document(db: Database, settings: Settings, item_id: int, pages: list[list[str]]) -> int:
    data = pdf(pages)
    sha = store_original(settings.data_dir, data)

    def add(s: Any) -> int:
        document, _version = dossier.add_document(
            session=s,
            programme_item_id=item_id,
            kind="submission",
            title="Tờ trình dự thảo Nghị định về quản lý thuế",
            sha256=sha,
            pages=len(pages),
            size=len(data),
            note="",
            actor_id=None,
        )
        assert document.id is not None
        return document.id

    return db.write_sync(add)


V1 = [[INTRO, PASSAGE, FILLER], [OTHER, CLOSING]]


@pytest.fixture
def world(client: TestClient, db: Database, settings: Settings) -> World:
    chair = make_member(db, full_name="Thủ tướng", precedence=1)
    author = make_user(db, "tacgia", ["member"], full_name="Bộ trưởng Tác Giả")
    chosen = make_user(db, "duocchon", ["member"], full_name="Bộ trưởng Được Chọn")
    other = make_user(db, "khac", ["member"], full_name="Bộ trưởng Khác")
    make_user(db, "ngoai", ["member"])
    make_user(db, "thuky", ["secretariat"], full_name="Thư ký")
    assert chair.id and author.id and chosen.id and other.id
    assert author.member_id and chosen.member_id and other.member_id
    item = make_programme_item(db, kind="other")
    secret_item = make_programme_item(db, kind="other")
    assert item.id and secret_item.id
    document_id = stored_document(db, settings, item.id, V1)
    restricted_id = stored_document(db, settings, secret_item.id, V1)
    invited = [chair.id, author.member_id, chosen.member_id, other.member_id]
    meeting = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=invited)
    assert meeting.id
    add_agenda_item(db, meeting.id, programme_item_id=item.id)
    add_agenda_item(
        db,
        meeting.id,
        programme_item_id=secret_item.id,
        restricted_member_ids=[author.member_id, chosen.member_id],
    )
    publish_meeting(db, meeting.id)
    return World(
        author=login_as(client, "tacgia"),
        chosen=login_as(client, "duocchon"),
        other=login_as(client, "khac"),
        outsider=login_as(client, "ngoai"),
        secretariat=login_as(client, "thuky"),
        chosen_id=chosen.id,
        other_id=other.id,
        author_id=author.id,
        document_id=document_id,
        restricted_document_id=restricted_id,
        meeting_id=meeting.id,
    )


def url(document_id: int) -> str:
    return f"/api/v1/documents/{document_id}/annotations"


def body(**fields: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "version": 1,
        "kind": "note",
        "page": 1,
        "exact": "quy định chi tiết về quản lý thuế",
        "prefix": "Nghị định này ",
        "suffix": " đối với hộ kinh doanh.",
        "text": NOTE,
    }
    found.update(fields)
    return found


def items(actor: Actor, document_id: int) -> list[dict[str, Any]]:
    found = actor.get(url(document_id))
    assert found.status_code == 200, found.text
    result: list[dict[str, Any]] = found.json()["items"]
    return result


def test_create_list_change_delete(world: World, db: Database) -> None:
    made = world.author.post(url(world.document_id), json=body())
    assert made.status_code == 201, made.text
    annotation = made.json()
    assert annotation["mine"] is True and annotation["state"] == "anchored" and annotation["page"] == 1
    assert annotation["share"] == {"secretariat": False, "user_ids": []}  # private by default
    assert annotation["author"] == {"user_id": world.author_id, "name": "Bộ trưởng Tác Giả"}
    highlight = world.author.post(
        url(world.document_id),
        json=body(kind="highlight", page=2, exact="người nộp thuế", prefix="", suffix="", text="ignored"),
    )
    assert highlight.status_code == 201, highlight.text
    assert highlight.json()["text"] == ""
    listed = items(world.author, world.document_id)
    assert [a["id"] for a in listed] == [annotation["id"], highlight.json()["id"]]
    assert world.author.get(url(world.document_id)).json()["carried"] is None

    changed = world.author.patch(f"/api/v1/annotations/{annotation['id']}", json={"text": "Sửa ý kiến"})
    assert changed.status_code == 200 and changed.json()["text"] == "Sửa ý kiến"
    gone = world.author.delete(f"/api/v1/annotations/{annotation['id']}")
    assert gone.status_code == 204
    assert [a["id"] for a in items(world.author, world.document_id)] == [highlight.json()["id"]]
    assert world.author.delete(f"/api/v1/annotations/{annotation['id']}").status_code == 404

    logged = db.read_sync(
        lambda s: list(
            s.exec(select(Event).where(col(Event.kind).like("annotation.%")).order_by(col(Event.id)))
        )
    )
    assert [e.kind for e in logged] == [
        "annotation.created",
        "annotation.created",
        "annotation.changed",
        "annotation.deleted",
    ]
    for event in logged:  # never the note, never the quote
        assert (
            "ZEBRA" not in event.data and "Sửa ý kiến" not in event.data and "quản lý thuế" not in event.data
        )


def test_quote_must_be_on_that_page(world: World) -> None:
    author = world.author
    wrong_page = author.post(url(world.document_id), json=body(page=2))
    assert wrong_page.status_code == 422 and error_of(wrong_page)["code"] == "quote_not_on_page"
    invented = author.post(url(world.document_id), json=body(exact="đoạn văn không hề có trong tài liệu"))
    assert invented.status_code == 422 and error_of(invented)["code"] == "quote_not_on_page"
    beyond = author.post(url(world.document_id), json=body(page=9))
    assert beyond.status_code == 422 and error_of(beyond)["code"] == "page_out_of_range"
    old = author.post(url(world.document_id), json=body(version=2))
    assert old.status_code == 409 and error_of(old)["code"] == "not_latest_version"
    # Whitespace and line breaks as pdf.js's text layer may give them still match.
    spaced = author.post(url(world.document_id), json=body(exact="quy  định\nchi tiết về quản lý\tthuế"))
    assert spaced.status_code == 201, spaced.text


HOSTILE: list[dict[str, Any]] = [
    {"kind": "drawing"},
    {"exact": "x" * 2001},
    {"prefix": "x" * 65},
    {"text": "x" * 10_001},
    {"page": "1"},
    {"page": 2**40},
    {"exact": ""},
    {"exact": "   "},
    {"share": {"user_ids": ["1"]}},
    {"share": {"user_ids": [1], "everyone": True}},
    {"extra": 1},
    {"exact": "a\x00b"},
]


def test_hostile_bodies_are_refused_with_a_4xx(world: World) -> None:
    # One world for every body: its setup (a paper drawn, stored and read) costs seconds.
    for hostile in HOSTILE:
        found = world.author.post(url(world.document_id), json=body(**hostile))
        assert 400 <= found.status_code < 500, (hostile, found.text)
        assert error_of(found)["code"], hostile


def test_hostile_raw_bodies(world: World) -> None:
    for raw in (b"[]", b"{", b'{"version": 1e999}', b"[" * 5000):
        found = world.author.post(
            url(world.document_id), content=raw, headers={"Content-Type": "application/json"}
        )
        assert 400 <= found.status_code < 500, (raw[:10], found.text)
    patched = world.author.patch("/api/v1/annotations/99999999999", json={"text": "x"})
    assert patched.status_code == 404


def test_who_reads_a_shared_annotation(world: World) -> None:
    audience = world.author.get(f"/api/v1/documents/{world.document_id}/annotation-audience")
    assert audience.status_code == 200
    names = {row["user_id"]: row["name"] for row in audience.json()["items"]}
    assert world.chosen_id in names and world.other_id in names and world.author_id not in names
    outsiders = world.author.post(url(world.document_id), json=body(share={"user_ids": [999999]}))
    assert outsiders.status_code == 422 and error_of(outsiders)["code"] == "bad_share"

    shared = world.author.post(
        url(world.document_id), json=body(share={"secretariat": True, "user_ids": [world.chosen_id]})
    )
    assert shared.status_code == 201, shared.text
    private = world.author.post(url(world.document_id), json=body(kind="highlight", text=""))
    assert private.status_code == 201
    annotation_id = shared.json()["id"]

    seen = items(world.chosen, world.document_id)
    assert [a["id"] for a in seen] == [annotation_id]
    assert seen[0]["mine"] is False and "share" not in seen[0] and seen[0]["text"] == NOTE
    assert [a["id"] for a in items(world.secretariat, world.document_id)] == [annotation_id]
    assert items(world.other, world.document_id) == []
    assert world.outsider.get(url(world.document_id)).status_code == 404
    # Nobody but the author changes or deletes it.
    for actor in (world.chosen, world.secretariat, world.other):
        assert actor.patch(f"/api/v1/annotations/{annotation_id}", json={"text": "x"}).status_code == 404
        assert actor.delete(f"/api/v1/annotations/{annotation_id}").status_code == 404

    # Unshared: gone for the chosen invitee.
    unshared = world.author.patch(
        f"/api/v1/annotations/{annotation_id}", json={"share": {"secretariat": False, "user_ids": []}}
    )
    assert unshared.status_code == 200 and unshared.json()["share"] == {"secretariat": False, "user_ids": []}
    assert items(world.chosen, world.document_id) == []
    assert items(world.secretariat, world.document_id) == []


def test_a_restricted_item_is_not_found_for_those_outside_it(world: World) -> None:
    restricted = world.restricted_document_id
    assert world.other.get(url(restricted)).status_code == 404
    assert world.other.post(url(restricted), json=body()).status_code == 404
    assert world.other.get(f"/api/v1/documents/{restricted}/annotation-audience").status_code == 404
    audience = world.author.get(f"/api/v1/documents/{restricted}/annotation-audience").json()["items"]
    assert [row["user_id"] for row in audience] == [world.chosen_id]  # not `other`, outside the item
    refused = world.author.post(url(restricted), json=body(share={"user_ids": [world.other_id]}))
    assert refused.status_code == 422 and error_of(refused)["code"] == "bad_share"


def test_reanchoring_through_a_real_upload(world: World, client: TestClient) -> None:
    kept = world.author.post(url(world.document_id), json=body())
    moved = world.author.post(
        url(world.document_id),
        json=body(kind="highlight", page=2, exact=CLOSING, prefix="", suffix="", text=""),
    )
    lost = world.author.post(
        url(world.document_id),
        json=body(kind="highlight", page=1, exact=FILLER, prefix="", suffix="", text=""),
    )
    theirs = world.chosen.post(
        url(world.document_id), json=body(kind="highlight", exact=INTRO, prefix="", suffix="", text="")
    )
    assert all(r.status_code == 201 for r in (kept, moved, lost, theirs)), [
        kept.text,
        moved.text,
        lost.text,
        theirs.text,
    ]
    # Version 2: a paragraph inserted before the passage, the closing moved to page 1, the filler deleted.
    v2 = pdf([[INTRO, INSERTED, PASSAGE, CLOSING], [OTHER]])
    uploaded = world.secretariat.post(
        f"/api/v1/documents/{world.document_id}/versions",
        files=files(v2),
        data={"note": "Sửa theo ý kiến thẩm định"},
    )
    assert uploaded.status_code == 201, uploaded.text
    answer = world.author.get(url(world.document_id))
    assert answer.status_code == 200
    found = {a["id"]: a for a in answer.json()["items"]}
    assert answer.json()["carried"] == {
        "from_version": 1,
        "to_version": 2,
        "carried": 2,
        "orphaned": 1,
        "at": answer.json()["carried"]["at"],
    }
    assert found[kept.json()["id"]]["state"] == "anchored" and found[kept.json()["id"]]["version"] == 2
    assert found[moved.json()["id"]]["page"] == 1 and found[moved.json()["id"]]["state"] == "anchored"
    orphan = found[lost.json()["id"]]
    assert orphan["state"] == "orphaned" and orphan["exact"] == FILLER and orphan["version"] == 2
    assert world.chosen.get(url(world.document_id)).json()["carried"]["carried"] == 1
    assert world.author.get(url(world.document_id) + "?version=1").json()["carried"] is None
    assert world.author.get(url(world.document_id) + "?version=abc").status_code == 400


def test_the_pdf_export_holds_only_ones_own_annotations(world: World) -> None:
    mine = world.author.post(url(world.document_id), json=body())
    theirs = world.chosen.post(
        url(world.document_id),
        json=body(text="Ý kiến của người khác — OTTER-5512", share={"user_ids": [world.author_id]}),
    )
    assert mine.status_code == 201 and theirs.status_code == 201, theirs.text
    found = world.author.get(f"/api/v1/meetings/{world.meeting_id}/annotations.pdf")
    assert found.status_code == 200 and found.headers["content-type"] == "application/pdf"
    assert "no-store" in found.headers["cache-control"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(found.content)).pages)
    assert "ZEBRA-7731" in text and "quy định chi tiết về quản lý thuế" in text and "trang 1" in text
    assert "OTTER-5512" not in text  # shared with the author, but not the author's
    assert "Tờ trình dự thảo Nghị định" in text
    assert world.outsider.get(f"/api/v1/meetings/{world.meeting_id}/annotations.pdf").status_code == 404
    empty = world.other.get(f"/api/v1/meetings/{world.meeting_id}/annotations.pdf")
    assert empty.status_code == 200
    assert "Chưa có ghi chú" in PdfReader(io.BytesIO(empty.content)).pages[0].extract_text()


def test_search_finds_ones_own_and_shared_annotations_only(world: World) -> None:
    shared = world.author.post(url(world.document_id), json=body(share={"user_ids": [world.chosen_id]}))
    assert shared.status_code == 201

    def hits(actor: Actor, q: str) -> list[dict[str, Any]]:
        found = actor.get("/api/v1/search", params={"q": q})
        assert found.status_code == 200, found.text
        return [h for h in found.json()["results"] if h["type"] == "annotation"]

    own = hits(world.author, "ZEBRA-7731")
    assert [h["id"] for h in own] == [shared.json()["id"]]
    assert own[0]["url"] == f"/documents/{world.document_id}/read#annotation-{shared.json()['id']}"
    assert [h["id"] for h in hits(world.chosen, "zebra")] == [shared.json()["id"]]
    assert hits(world.author, "quan ly thue")  # the quote too, without diacritics
    for actor in (world.other, world.secretariat, world.outsider):
        assert hits(actor, "ZEBRA-7731") == []
    world.author.patch(
        f"/api/v1/annotations/{shared.json()['id']}", json={"share": {"secretariat": True, "user_ids": []}}
    )
    assert hits(world.chosen, "zebra") == []
    assert [h["id"] for h in hits(world.secretariat, "zebra")] == [shared.json()["id"]]
    world.author.delete(f"/api/v1/annotations/{shared.json()['id']}")
    assert hits(world.author, "zebra") == [] and hits(world.secretariat, "zebra") == []


def socket(client: TestClient, actor: Actor) -> Any:
    headers = {"cookie": f"ecab_session={actor.token}", "origin": "http://testserver"}
    return client.websocket_connect("/ws/me", headers=headers)


def next_annotation(ws: Any, limit: int = 8) -> dict[str, Any]:
    """The next annotation frame (heartbeats and bell counts skipped)."""
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == "annotation":
            return frame
    raise AssertionError("no annotation frame")


def test_feed_frames_go_to_the_recipients_only(world: World, client: TestClient) -> None:
    with (
        socket(client, world.author) as author,
        socket(client, world.chosen) as chosen,
        socket(client, world.other) as other,
        socket(client, world.secretariat) as secretariat,
        socket(client, world.outsider) as outsider,
    ):
        x = world.author.post(url(world.document_id), json=body(share={"user_ids": [world.chosen_id]})).json()
        doc = world.document_id

        def frame(annotation: dict[str, Any], action: str) -> dict[str, Any]:
            return {
                "type": "annotation",
                "document_id": doc,
                "annotation_id": annotation["id"],
                "action": action,
            }

        assert next_annotation(chosen) == frame(x, "shared")
        y = world.author.post(
            url(doc), json=body(kind="highlight", share={"secretariat": True, "user_ids": [world.other_id]})
        ).json()
        # The first frame `other` and the secretariat get is Y's: they were told nothing of X.
        assert next_annotation(other) == frame(y, "shared")
        assert next_annotation(secretariat) == frame(y, "shared")
        world.author.patch(f"/api/v1/annotations/{x['id']}", json={"text": "Nội dung mới"})
        assert next_annotation(chosen) == frame(x, "changed")
        world.author.patch(f"/api/v1/annotations/{x['id']}", json={"share": {"user_ids": [world.other_id]}})
        assert next_annotation(chosen) == frame(x, "deleted")
        assert next_annotation(other) == frame(x, "shared")
        world.author.delete(f"/api/v1/annotations/{y['id']}")
        assert next_annotation(other) == frame(y, "deleted")
        assert next_annotation(secretariat) == frame(y, "deleted")
        # The author and the outsider: the first annotation frame they get is one shared with them later.
        z = world.chosen.post(url(doc), json=body(share={"user_ids": [world.author_id]})).json()
        assert next_annotation(author) == frame(z, "shared")
        for ws in (outsider,):
            ws.close()
