"""The task API (docs/api.md "Tasks"): every endpoint, happy and hostile: bad JSON, wrong types,
dates that do not exist, huge strings, a wrong CSRF token, a file that is no PDF, state errors,
an extension that keeps the original due date, a restricted task absent for outsiders, the CSV,
the agencies and `agency_id` on accounts."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from pydantic import BaseModel
from starlette.testclient import TestClient

from agenda import clock
from agenda.agencies.registry import AgencyCreate, create_agency
from agenda.db import Database
from tests.support.factories import Actor, error_of, login_as, make_user
from tests.support.pdf_files import html_as_pdf, multipart, valid_pdf
from tests.test_api_schemas import answer_model, valid

TODAY = date(2027, 3, 1)


@dataclass
class Cast:
    sec: Actor
    chair: Actor
    member: Actor
    btc: Actor  # a focal point of Bộ Tài chính
    btp: Actor  # a focal point of Bộ Tư pháp
    admin: Actor
    agencies: dict[str, int]
    user_ids: dict[str, int]


def make_cast(client: TestClient, db: Database) -> Cast:
    clock.freeze(datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0))

    def add(code: str, name: str) -> int:
        data = AgencyCreate(code=code, name=name, kind="ministry")
        return db.write_sync(lambda s: create_agency(session=s, data=data, actor_id=None)).id or 0

    agencies = {"BTC": add("BTC", "Bộ Tài chính"), "BTP": add("BTP", "Bộ Tư pháp")}
    users = {
        "thuky": make_user(db, "thuky", ["secretariat"]),
        "chutoa": make_user(db, "chutoa", ["chair"]),
        "thanhvien": make_user(db, "thanhvien", ["member"]),
        "dm_btc": make_user(db, "dm_btc", ["agency"], agency_id=agencies["BTC"]),
        "dm_btp": make_user(db, "dm_btp", ["agency"], agency_id=agencies["BTP"]),
        "quantri": make_user(db, "quantri", ["admin"]),
    }
    return Cast(
        sec=login_as(client, "thuky"),
        chair=login_as(client, "chutoa"),
        member=login_as(client, "thanhvien"),
        btc=login_as(client, "dm_btc"),
        btp=login_as(client, "dm_btp"),
        admin=login_as(client, "quantri"),
        agencies=agencies,
        user_ids={name: u.id or 0 for name, u in users.items()},
    )


def new_task(actor: Actor, **fields: Any) -> dict[str, Any]:
    body = {"title": "Xây dựng Đề án chuyển đổi số", "lead_agency": "Bộ Tài chính", "due_on": "2027-03-31"}
    response = actor.post("/api/v1/tasks", json={**body, **fields})
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


@pytest.fixture
def cast(client: TestClient, db: Database) -> Cast:
    return make_cast(client, db)


# --- agencies and accounts ----------------------------------------------------------------------


def test_agencies_list_and_create(cast: Cast) -> None:
    listed = cast.member.get("/api/v1/agencies").json()["items"]
    assert {a["code"] for a in listed} == {"BTC", "BTP"}
    assert set(listed[0]) >= {"id", "code", "name", "active"}
    created = cast.sec.post("/api/v1/agencies", json={"code": "BYT", "name": "Bộ Y tế", "kind": "ministry"})
    assert created.status_code == 201 and created.json()["id"] and created.json()["name"] == "Bộ Y tế"
    assert cast.admin.post("/api/v1/agencies", json={"code": "BGD", "name": "Bộ Giáo dục"}).status_code == 201
    again = cast.sec.post("/api/v1/agencies", json={"code": "BYT", "name": "Bộ khác"})
    assert again.status_code == 409 and error_of(again)["code"] == "code_taken"
    assert cast.sec.post("/api/v1/agencies", json={"code": "X", "name": "bộ y tế"}).status_code == 409
    for bad in ({"code": "byt lower", "name": "Bộ"}, {"code": 1, "name": "Bộ Nội vụ"}, {"name": "Bộ Nội vụ"}):
        assert cast.sec.post("/api/v1/agencies", json=bad).status_code == 400
    assert cast.member.post("/api/v1/agencies", json={"code": "A", "name": "Bộ A"}).status_code == 403
    assert cast.btc.post("/api/v1/agencies", json={"code": "A", "name": "Bộ A"}).status_code == 403


def test_users_need_an_agency_for_the_agency_role(cast: Cast) -> None:
    body = {
        "username": "dm_moi",
        "full_name": "Cán bộ đầu mối",
        "password": "mat-khau-dai-1",
        "roles": ["agency"],
    }
    missing = cast.admin.post("/api/v1/users", json=body)
    assert missing.status_code == 422 and error_of(missing)["code"] == "agency_link_required"
    unknown = cast.admin.post("/api/v1/users", json={**body, "agency_id": 999999})
    assert unknown.status_code == 422 and error_of(unknown)["code"] == "unknown_agency"
    wrong_type = cast.admin.post("/api/v1/users", json={**body, "agency_id": "1"})
    assert wrong_type.status_code == 400
    created = cast.admin.post("/api/v1/users", json={**body, "agency_id": cast.agencies["BTC"]})
    assert created.status_code == 201, created.text
    assert created.json()["agency_id"] == cast.agencies["BTC"]
    member = {**body, "username": "tv_moi", "roles": ["observer"], "agency_id": cast.agencies["BTC"]}
    assert cast.admin.post("/api/v1/users", json=member).status_code == 422


# --- create -------------------------------------------------------------------------------------


def test_create_and_read_a_task(cast: Cast) -> None:
    task = new_task(
        cast.sec,
        description="Theo Kết luận phiên họp",
        cooperating_agencies=["Bộ Tư pháp", "Bộ Công an"],
        document_number="123/TB-VPCP",
    )
    assert task["code"].startswith("NV-2027-")
    assert task["lead_agency"] == "Bộ Tài chính" and task["state"] == "in_time"
    assert task["cooperating_agencies"] == ["Bộ Công an", "Bộ Tư pháp"]  # a new agency was added
    assert task["original_due_on"] == task["due_on"] == "2027-03-31"
    assert task["reports"] == [] and task["extensions"] == []
    assert task["source"]["document_number"] == "123/TB-VPCP"
    read = cast.member.get(f"/api/v1/tasks/{task['id']}").json()
    assert read["title"] == task["title"] and read["state"] == "in_time"
    later = cast.member.get(f"/api/v1/tasks/{task['id']}?as_of=2027-04-01").json()
    assert later["state"] == "overdue" and later["as_of"] == "2027-04-01"
    by_chair = cast.chair.post(
        "/api/v1/tasks",
        json={"title": "Nhiệm vụ khác", "lead_agency_id": cast.agencies["BTP"], "due_on": "2027-05-01"},
    )
    assert by_chair.status_code == 201 and by_chair.json()["lead_agency"] == "Bộ Tư pháp"


BAD_TASKS: list[tuple[dict[str, Any], int, str]] = [
    ({"due_on": "2027-02-30"}, 400, "invalid_fields"),
    ({"due_on": "31/03/2027"}, 400, "invalid_fields"),
    ({"due_on": 20270331}, 400, "invalid_fields"),
    ({"title": "x" * 100_000}, 400, "invalid_fields"),
    ({"title": ["list"]}, 400, "invalid_fields"),
    ({"lead_agency": None}, 400, "invalid_fields"),
    ({"lead_agency_id": 5}, 400, "invalid_fields"),  # both names of the lead agency
    ({"unknown_field": 1}, 400, "invalid_fields"),
    ({"title": "Ai\x00"}, 400, "invalid_fields"),
    ({"due_on": "2027-02-01"}, 422, "due_in_past"),
    ({"leader_member_id": 999999}, 422, "unknown_member"),
    ({"restricted_user_ids": [999999]}, 422, "unknown_user"),
    ({"source_agenda_item_id": 999999}, 422, "unknown_agenda_item"),
    ({"source_poll_id": 999999}, 422, "unknown_poll"),
    ({"cooperating_agencies": ["B"] * 41}, 400, "invalid_fields"),
]


def test_create_refuses_bad_input(cast: Cast) -> None:
    # One cast for every body (refused, none stores anything): its setup costs a second or more.
    base = {"title": "Xây dựng Đề án", "lead_agency": "Bộ Tài chính", "due_on": "2027-03-31"}
    for body, status, code in BAD_TASKS:
        response = cast.sec.post("/api/v1/tasks", json={**base, **body})
        assert response.status_code == status, (body, response.text)
        assert error_of(response)["code"] == code, body


def test_create_refuses_malformed_bodies_wrong_csrf_and_roles(cast: Cast, client: TestClient) -> None:
    raw = cast.sec.post("/api/v1/tasks", content=b"{not json", headers={"Content-Type": "application/json"})
    assert raw.status_code == 400 and error_of(raw)["code"] == "malformed_json"
    assert cast.sec.post("/api/v1/tasks", json=[1, 2]).status_code == 400
    form = cast.sec.post("/api/v1/tasks", content=b"title=x", headers={"Content-Type": "text/plain"})
    assert form.status_code == 415
    body = {"title": "Xây dựng Đề án", "lead_agency": "Bộ Tài chính", "due_on": "2027-03-31"}
    forged = cast.sec.post("/api/v1/tasks", json=body, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    assert cast.member.post("/api/v1/tasks", json=body).status_code == 403
    assert cast.btc.post("/api/v1/tasks", json=body).status_code == 403
    client.cookies.clear()
    assert client.post("/api/v1/tasks", json=body).status_code == 401


# --- list and CSV -------------------------------------------------------------------------------


def test_list_filters(cast: Cast) -> None:
    first = new_task(cast.sec)
    second = new_task(cast.sec, lead_agency="Bộ Tư pháp", due_on="2027-06-15")
    new_task(cast.sec, due_on="2027-09-01")

    def ids(query: str) -> list[int]:
        return [t["id"] for t in cast.sec.get(f"/api/v1/tasks{query}").json()["items"]]

    assert len(ids("")) == 3
    assert ids("?agency=B%E1%BB%99%20T%C6%B0%20ph%C3%A1p") == [second["id"]]  # by name
    assert ids(f"?agency={cast.agencies['BTP']}") == [second["id"]]  # by id
    assert ids("?agency=B%E1%BB%99%20kh%C3%B4ng%20c%C3%B3") == []  # an unknown name matches nothing
    assert ids("?due_from=2027-04-01&due_to=2027-06-30") == [second["id"]]
    assert ids("?due_month=2027-03") == [first["id"]]
    assert ids("?state=overdue&as_of=2027-07-01") == [first["id"], second["id"]]
    assert ids("?state=in_time") == ids("")
    page = cast.sec.get("/api/v1/tasks?limit=1&offset=1").json()
    assert page["total"] == 3 and [t["id"] for t in page["items"]] == [second["id"]]
    for query in (
        "state=bogus",
        "due_from=2027-02-30",
        "due_to=tomorrow",
        "as_of=2027-13-01",
        "due_month=2027-3",
        "leader_member_id=abc",
        "meeting_id=-1",
        "meeting_id=99999999999999",
        "limit=0",
        "limit=5000",
    ):
        response = cast.sec.get(f"/api/v1/tasks?{query}")
        assert response.status_code == 400, query
        assert error_of(response)["code"] == "bad_parameter"
    bad_get = cast.sec.get(f"/api/v1/tasks/{first['id']}?as_of=2027-02-30")
    assert bad_get.status_code == 400


def test_csv_has_a_bom_a_vietnamese_header_and_defused_cells(cast: Cast) -> None:
    new_task(cast.sec, title='=HYPERLINK("http://evil")', cooperating_agencies=["Bộ Tư pháp"])
    response = cast.sec.get("/api/v1/tasks?format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Mã nhiệm vụ", "Tên nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp"]
    assert "Tình trạng" in rows[0]
    assert len(rows) == 2
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
    assert rows[1][2] == "Bộ Tài chính" and rows[1][3] == "Bộ Tư pháp"
    assert "Chưa hoàn thành, còn trong hạn" in rows[1]


# --- who sees which task ------------------------------------------------------------------------


def test_a_restricted_task_is_absent_for_outsiders(cast: Cast) -> None:
    restricted = new_task(
        cast.sec,
        title="Nhiệm vụ mật",
        lead_agency="Bộ Tư pháp",
        restricted_user_ids=[cast.user_ids["chutoa"]],
    )
    open_task = new_task(cast.sec)
    assert restricted["restricted"] is True
    for outsider in (cast.member, cast.btc):
        assert outsider.get(f"/api/v1/tasks/{restricted['id']}").status_code == 404
        listed = outsider.get("/api/v1/tasks").json()["items"]
        assert restricted["id"] not in [t["id"] for t in listed]
        assert restricted["title"] not in outsider.get("/api/v1/tasks?format=csv").text
    assert cast.btp.get(f"/api/v1/tasks/{restricted['id']}").status_code == 200  # the lead agency
    assert cast.chair.get(f"/api/v1/tasks/{restricted['id']}").status_code == 200
    assert [t["id"] for t in cast.btp.get("/api/v1/tasks").json()["items"]] == [restricted["id"]]
    assert [t["id"] for t in cast.btc.get("/api/v1/tasks").json()["items"]] == [open_task["id"]]
    assert cast.member.get("/api/v1/tasks/999999").status_code == 404


# --- reports ------------------------------------------------------------------------------------


def test_reports_in_json_and_done_closes_the_task(cast: Cast) -> None:
    task = new_task(cast.sec)
    url = f"/api/v1/tasks/{task['id']}/reports"
    progress = cast.btc.post(url, json={"text": "Đang xây dựng dự thảo"})
    assert progress.status_code == 201 and progress.json()["done"] is False
    assert cast.btp.post(url, json={"text": "Không phải của tôi"}).status_code == 404  # not its task
    assert cast.member.post(url, json={"text": "Không phải của tôi"}).status_code == 403
    future = cast.btc.post(url, json={"text": "Xong", "done": True, "completed_on": "2027-03-05"})
    assert future.status_code == 422 and error_of(future)["code"] == "completed_in_future"
    without = cast.btc.post(url, json={"text": "Xong", "completed_on": "2027-02-27"})
    assert without.status_code == 422
    assert cast.btc.post(url, json={"text": "Xong", "done": "yes"}).status_code == 400
    assert cast.btc.post(url, json={"text": ""}).status_code == 400
    done = cast.btc.post(url, json={"text": "Đã trình Thủ tướng", "done": True})
    assert done.status_code == 201 and done.json()["completed_on"] == TODAY.isoformat()
    read = cast.sec.get(f"/api/v1/tasks/{task['id']}").json()
    assert read["status"] == "done" and read["state"] == "on_time" and len(read["reports"]) == 2
    closed = cast.sec.post(url, json={"text": "Thêm"})
    assert closed.status_code == 409 and error_of(closed)["code"] == "task_closed"


def test_reports_with_a_pdf_and_its_download(cast: Cast) -> None:
    task = new_task(cast.sec)
    url = f"/api/v1/tasks/{task['id']}/reports"
    pdf = valid_pdf(2, title="Báo cáo kết quả")
    sent = cast.btc.post(
        url,
        data={"text": "Báo cáo tiến độ", "done": ""},
        files={"file": ("bao-cao.pdf", pdf, "application/pdf")},
    )
    assert sent.status_code == 201, sent.text
    report = sent.json()
    assert report["file"] == {"name": "Báo cáo kết quả", "size": len(pdf), "pages": 2}
    file_url = f"/api/v1/task-reports/{report['id']}/file"
    for reader in (cast.member, cast.btc, cast.sec):
        got = reader.get(file_url)
        assert got.status_code == 200 and got.content == pdf
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith("inline;")
    body, headers = multipart([("text", "Không có tệp")], None)
    without_file = cast.btc.post(url, content=body, headers=headers)
    assert without_file.status_code == 201 and without_file.json()["file"] is None
    assert cast.sec.get(f"/api/v1/task-reports/{without_file.json()['id']}/file").status_code == 404
    body, headers = multipart(
        [("text", "Hoàn thành"), ("done", "true"), ("completed_on", "2027-02-28")], None
    )
    done = cast.sec.post(url, content=body, headers=headers)
    assert done.status_code == 201 and done.json()["completed_on"] == "2027-02-28"


def test_hostile_report_files_are_refused(cast: Cast) -> None:
    task = new_task(cast.sec)
    url = f"/api/v1/tasks/{task['id']}/reports"
    html = cast.btc.post(url, data={"text": "x"}, files={"file": ("a.pdf", html_as_pdf(), "application/pdf")})
    assert html.status_code == 422
    typed = cast.btc.post(url, data={"text": "x"}, files={"file": ("a.html", b"<html>", "text/html")})
    assert typed.status_code == 415
    no_text = cast.btc.post(url, data={}, files={"file": ("a.pdf", valid_pdf(1), "application/pdf")})
    assert no_text.status_code == 400
    forged = cast.btc.post(
        url,
        data={"text": "x"},
        files={"file": ("a.pdf", valid_pdf(1), "application/pdf")},
        headers={"X-CSRF-Token": "forged"},
    )
    assert forged.status_code == 403
    assert cast.sec.get(f"/api/v1/tasks/{task['id']}").json()["reports"] == []


def test_a_restricted_tasks_report_file_is_hidden(cast: Cast) -> None:
    task = new_task(cast.sec, restricted_user_ids=[cast.user_ids["chutoa"]])
    sent = cast.btc.post(
        f"/api/v1/tasks/{task['id']}/reports",
        data={"text": "Mật"},
        files={"file": ("a.pdf", valid_pdf(1), "application/pdf")},
    )
    assert sent.status_code == 201
    file_url = f"/api/v1/task-reports/{sent.json()['id']}/file"
    assert cast.member.get(file_url).status_code == 404
    assert cast.btp.get(file_url).status_code == 404
    assert cast.chair.get(file_url).status_code == 200


# --- extensions and cancelling ------------------------------------------------------------------


def test_an_extension_keeps_the_original_due_date(cast: Cast) -> None:
    task = new_task(cast.sec)
    url = f"/api/v1/tasks/{task['id']}/extensions"
    assert (
        cast.sec.post(url, json={"reason": "Cần thêm thời gian", "due_on": "2027-04-30"}).status_code == 403
    )
    assert (
        cast.btp.post(url, json={"reason": "Cần thêm thời gian", "due_on": "2027-04-30"}).status_code == 404
    )
    earlier = cast.btc.post(url, json={"reason": "Cần thêm thời gian", "due_on": "2027-03-15"})
    assert earlier.status_code == 422 and error_of(earlier)["code"] == "bad_due_on"
    assert cast.btc.post(url, json={"reason": "Lý do", "due_on": "2027-04-31"}).status_code == 400
    asked = cast.btc.post(url, json={"reason": "Cần thêm thời gian", "due_on": "2027-04-30"})
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    twice = cast.btc.post(url, json={"reason": "Lần nữa", "due_on": "2027-05-30"})
    assert twice.status_code == 409 and error_of(twice)["code"] == "already_pending"
    decision = f"/api/v1/extensions/{asked.json()['id']}/decision"
    assert cast.btc.post(decision, json={"approve": True}).status_code == 403
    assert cast.sec.post(decision, json={"approve": "yes"}).status_code == 400
    decided = cast.sec.post(decision, json={"approve": True, "note": "Đồng ý"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    moved = decided.json()["task"]
    assert (moved["due_on"], moved["original_due_on"]) == ("2027-04-30", "2027-03-31")
    again = cast.sec.post(decision, json={"approve": False})
    assert again.status_code == 409 and error_of(again)["code"] == "already_decided"
    assert cast.sec.post("/api/v1/extensions/999999/decision", json={"approve": True}).status_code == 404
    read = cast.btc.get(f"/api/v1/tasks/{task['id']}?as_of=2027-04-15").json()
    assert read["state"] == "in_time" and len(read["extensions"]) == 1


def test_cancel(cast: Cast) -> None:
    task = new_task(cast.sec)
    url = f"/api/v1/tasks/{task['id']}/cancel"
    assert cast.btc.post(url, json={"reason": "Không còn phù hợp"}).status_code == 403
    assert cast.sec.post(url, json={"reason": ""}).status_code == 400
    assert cast.sec.post(url, json={}).status_code == 400
    cancelled = cast.sec.post(url, json={"reason": "Không còn phù hợp"})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "Không còn phù hợp"
    assert cast.sec.post(url, json={"reason": "Lần nữa"}).status_code == 409
    report = cast.btc.post(f"/api/v1/tasks/{task['id']}/reports", json={"text": "Muộn"})
    assert report.status_code == 409
    extension = cast.btc.post(
        f"/api/v1/tasks/{task['id']}/extensions", json={"reason": "Xin", "due_on": "2027-06-01"}
    )
    assert extension.status_code == 409
    assert cast.sec.post("/api/v1/tasks/999999/cancel", json={"reason": "Không có"}).status_code == 404


# --- the answers are what the OpenAPI document says ---------------------------------------------


def test_answers_match_their_models(client: TestClient, cast: Cast) -> None:
    def model(method: str, path: str, status: int = 200) -> type[BaseModel]:
        return answer_model(client, method, path, status)

    valid(model("GET", "/api/v1/agencies"), cast.btc.get("/api/v1/agencies"))
    created = cast.sec.post("/api/v1/agencies", json={"code": "BCA", "name": "Bộ Công an"})
    valid(model("POST", "/api/v1/agencies", 201), created, 201)
    task = valid(
        model("POST", "/api/v1/tasks", 201),
        cast.sec.post(
            "/api/v1/tasks",
            json={
                "title": "Nhiệm vụ",
                "lead_agency": "Bộ Tài chính",
                "due_on": "2027-03-31",
                "document_number": "1/TB",
            },
        ),
        201,
    )
    report = cast.btc.post(
        f"/api/v1/tasks/{task['id']}/reports",
        data={"text": "Tiến độ"},
        files={"file": ("a.pdf", valid_pdf(1), "application/pdf")},
    )
    valid(model("POST", "/api/v1/tasks/{id}/reports", 201), report, 201)
    asked = cast.btc.post(
        f"/api/v1/tasks/{task['id']}/extensions", json={"reason": "Xin thêm", "due_on": "2027-05-01"}
    )
    valid(model("POST", "/api/v1/tasks/{id}/extensions", 201), asked, 201)
    decided = cast.sec.post(f"/api/v1/extensions/{asked.json()['id']}/decision", json={"approve": False})
    valid(model("POST", "/api/v1/extensions/{id}/decision"), decided)
    valid(model("GET", "/api/v1/tasks"), cast.btc.get("/api/v1/tasks"))
    valid(model("GET", "/api/v1/tasks/{id}"), cast.btc.get(f"/api/v1/tasks/{task['id']}"))
    cancelled = cast.sec.post(f"/api/v1/tasks/{task['id']}/cancel", json={"reason": "Không còn cần"})
    valid(model("POST", "/api/v1/tasks/{id}/cancel"), cancelled)
