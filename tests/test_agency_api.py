"""The agency role over the API (docs/api.md "The agency role"): a focal point of the item's
ministry against one of another ministry: the programme, the dossier and its uploads, the
submission flagged late, postponement requests, tasks (restricted ones too), and the routes it
may not use at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from starlette.testclient import TestClient

from agenda import clock
from agenda.agencies.registry import ensure_agency
from agenda.db import Database
from agenda.programme.programme import ProgrammeItem
from tests.support.factories import (
    Actor,
    add_agenda_item,
    complete_dossier,
    error_of,
    login_as,
    make_meeting,
    make_member,
    make_programme_item,
    make_user,
)
from tests.support.pdf_files import files, html_as_pdf, valid_pdf


@dataclass
class Ministries:
    sec: Actor
    member: Actor
    own: Actor  # a focal point of Bộ Tài chính
    other: Actor  # a focal point of Bộ Tư pháp
    own_item: int
    other_item: int
    chair_user_id: int


def setup(client: TestClient, db: Database) -> Ministries:
    clock.freeze(datetime(2027, 3, 1, 9, 0))
    btc = db.write_sync(lambda s: ensure_agency(s, "Bộ Tài chính", actor_id=None).id) or 0
    btp = db.write_sync(lambda s: ensure_agency(s, "Bộ Tư pháp", actor_id=None).id) or 0
    own_item = make_programme_item(db, lead_agency="Bộ Tài chính", planned_month="2027-04")
    other_item = make_programme_item(db, lead_agency="Bộ Tư pháp", planned_month="2027-04")
    make_user(db, "thuky", ["secretariat"])
    make_user(db, "thanhvien", ["member"])
    chair = make_user(db, "chutoa", ["chair"])
    make_user(db, "dm_btc", ["agency"], agency_id=btc)
    make_user(db, "dm_btp", ["agency"], agency_id=btp)
    return Ministries(
        sec=login_as(client, "thuky"),
        member=login_as(client, "thanhvien"),
        own=login_as(client, "dm_btc"),
        other=login_as(client, "dm_btp"),
        own_item=own_item.id or 0,
        other_item=other_item.id or 0,
        chair_user_id=chair.id or 0,
    )


@pytest.fixture
def m(client: TestClient, db: Database) -> Ministries:
    return setup(client, db)


def test_the_programme_shows_only_the_agencys_own_items(m: Ministries) -> None:
    listed = m.own.get("/api/v1/programme-items").json()["items"]
    assert [i["id"] for i in listed] == [m.own_item]
    assert [i["id"] for i in m.other.get("/api/v1/programme-items").json()["items"]] == [m.other_item]
    assert len(m.member.get("/api/v1/programme-items").json()["items"]) == 2
    # Filters cannot widen it.
    assert m.own.get("/api/v1/programme-items?agency=B%E1%BB%99%20T%C6%B0%20ph%C3%A1p").json()["items"] == []
    assert m.own.get(f"/api/v1/programme-items/{m.own_item}").status_code == 200
    assert m.own.get(f"/api/v1/programme-items/{m.other_item}").status_code == 404
    assert m.own.get(f"/api/v1/programme-items/{m.other_item}/documents").status_code == 404
    assert m.own.get(f"/api/v1/programme-items/{m.own_item}/documents").json()["items"] == []


def test_uploads_to_its_own_items_only_with_the_same_checks(m: Ministries) -> None:
    url = f"/api/v1/programme-items/{m.own_item}/documents"
    fields = {"kind": "submission", "title": "Tờ trình"}
    sent = m.own.post(url, data=fields, files=files(valid_pdf(2)))
    assert sent.status_code == 201, sent.text
    document_id = sent.json()["document_id"]
    assert m.own.get(f"/api/v1/documents/{document_id}").status_code == 200
    assert m.own.get(f"/api/v1/documents/{document_id}/versions/1/file").status_code == 200
    assert m.other.get(f"/api/v1/documents/{document_id}").status_code == 404
    hostile = m.own.post(url, data=fields, files=files(html_as_pdf()))
    assert hostile.status_code == 422
    assert m.own.post(url, data=fields, files=files(b"<html>", "a.html", "text/html")).status_code == 415
    other = m.other.post(url, data=fields, files=files(valid_pdf(1)))
    assert other.status_code == 404
    version = m.own.post(
        f"/api/v1/documents/{document_id}/versions", data={"note": "Sửa lỗi"}, files=files(valid_pdf(3))
    )
    assert version.status_code == 201 and version.json()["version"] == 2
    assert (
        m.other.post(
            f"/api/v1/documents/{document_id}/versions", data={"note": "Sửa"}, files=files(valid_pdf(1))
        ).status_code
        == 404
    )


def test_submission_on_time_then_late(client: TestClient, db: Database, m: Ministries) -> None:
    url = f"/api/v1/programme-items/{m.own_item}/submit"
    incomplete = m.own.post(url)
    assert incomplete.status_code == 422
    assert error_of(incomplete)["code"] == "dossier_incomplete"
    assert incomplete.json()["error"]["missing_documents"]
    assert m.other.post(url).status_code == 404
    assert m.member.post(url).status_code == 403
    item = db.read_sync(lambda s: s.get(ProgrammeItem, m.own_item))
    assert item is not None
    complete_dossier(db, item)
    clock.freeze(datetime(2027, 3, 28, 9, 0))  # the deadline was 25 March
    m.own = login_as(client, "dm_btc")  # the old session timed out meanwhile
    late = m.own.post(url)
    assert late.status_code == 200, late.text
    body = late.json()
    assert body["submitted_late"] is True and body["days_late"] == 3 and body["submitted_at"]
    assert body["status"] == "submitted"
    again = m.own.post(url)
    assert again.status_code == 409 and error_of(again)["code"] == "already_submitted"


def test_secretariat_submits_on_time(db: Database, m: Ministries) -> None:
    item = db.read_sync(lambda s: s.get(ProgrammeItem, m.other_item))
    assert item is not None
    complete_dossier(db, item)
    done = m.sec.post(f"/api/v1/programme-items/{m.other_item}/submit")
    assert done.status_code == 200
    assert (done.json()["submitted_late"], done.json()["days_late"]) == (False, 0)


def test_postponement_requests_for_its_own_items(m: Ministries) -> None:
    body = {"reason": "Cần thêm thời gian lấy ý kiến"}
    asked = m.own.post(f"/api/v1/programme-items/{m.own_item}/postponements", json=body)
    assert asked.status_code == 201, asked.text
    assert m.other.post(f"/api/v1/programme-items/{m.own_item}/postponements", json=body).status_code == 404
    assert m.own.get("/api/v1/postponements").status_code == 403
    assert (
        m.own.post(f"/api/v1/postponements/{asked.json()['id']}/decision", json={"approve": True}).status_code
        == 403
    )


def test_an_item_on_a_restricted_agenda_item_is_hidden(db: Database, m: Ministries) -> None:
    chair = make_member(db, full_name="Thủ tướng")
    meeting = make_meeting(db, chair_member_id=chair.id or 0)
    item = db.read_sync(lambda s: s.get(ProgrammeItem, m.own_item))
    assert item is not None
    complete_dossier(db, item)
    add_agenda_item(db, meeting.id or 0, programme_item_id=m.own_item, restricted_member_ids=[chair.id or 0])
    assert m.own.get(f"/api/v1/programme-items/{m.own_item}").status_code == 404
    assert m.own.get("/api/v1/programme-items").json()["items"] == []


def test_tasks_own_and_others_restricted_too(m: Ministries) -> None:
    def create(lead: str, **fields: object) -> int:
        body = {"title": f"Nhiệm vụ của {lead}", "lead_agency": lead, "due_on": "2027-03-31", **fields}
        response = m.sec.post("/api/v1/tasks", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    own_secret = create("Bộ Tài chính", restricted_user_ids=[m.chair_user_id])
    other_secret = create("Bộ Tư pháp", restricted_user_ids=[m.chair_user_id])
    other_open = create("Bộ Tư pháp")
    assert [t["id"] for t in m.own.get("/api/v1/tasks").json()["items"]] == [own_secret]
    assert m.own.get(f"/api/v1/tasks/{own_secret}").status_code == 200  # it must report on it
    for hidden in (other_secret, other_open):
        assert m.own.get(f"/api/v1/tasks/{hidden}").status_code == 404
        assert m.own.post(f"/api/v1/tasks/{hidden}/reports", json={"text": "x"}).status_code == 404
    # Another agency asking by id or name filters within what it may see: nothing.
    assert m.own.get("/api/v1/tasks?agency=B%E1%BB%99%20T%C6%B0%20ph%C3%A1p").json()["items"] == []
    assert m.member.get(f"/api/v1/tasks/{own_secret}").status_code == 404
    report = m.own.post(f"/api/v1/tasks/{own_secret}/reports", json={"text": "Đã xong", "done": True})
    assert report.status_code == 201
    extension = m.other.post(
        f"/api/v1/tasks/{other_open}/extensions", json={"reason": "Xin thêm", "due_on": "2027-05-01"}
    )
    assert extension.status_code == 201
    assert (
        m.own.post(
            f"/api/v1/extensions/{extension.json()['id']}/decision", json={"approve": True}
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/meetings"),
        ("POST", "/api/v1/meetings"),
        ("GET", "/api/v1/opinion-polls"),
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/programme-items"),
        ("POST", "/api/v1/tasks"),
        ("POST", "/api/v1/agencies"),
        ("GET", "/api/v1/postponements"),
    ],
)
def test_nothing_else(m: Ministries, method: str, path: str) -> None:
    response = m.own.request(method, path, json={} if method != "GET" else None)
    if path == "/api/v1/meetings" and method == "GET":
        assert response.status_code == 200 and response.json()["items"] == []
    else:
        assert response.status_code == 403
