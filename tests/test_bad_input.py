"""Bad input always gets a clear 4xx in the error shape of ../shared/API.md, never a 500, and
stores nothing."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from httpx2 import Response
from sqlmodel import func, select
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.log.events import Event
from tests.support.factories import (
    Actor,
    error_of,
    login,
    login_as,
    make_meeting,
    make_member,
    make_programme_item,
    make_user,
)

ITEM = {
    "code": "ND-01",
    "title": "Nghị định về đô thị thông minh",
    "kind": "decree",
    "lead_agency": "Bộ Xây dựng",
    "planned_month": "2026-12",
}


@pytest.fixture
def secretary(client: TestClient, db: Database) -> Actor:
    make_user(db, "thuky", ["secretariat"])
    return login_as(client, "thuky")


def event_count(db: Database) -> int:
    found: int = db.read_sync(lambda s: s.exec(select(func.count()).select_from(Event)).one())
    return found


def post_raw(
    actor: Actor, url: str, content: bytes | Iterator[bytes], content_type: str = "application/json"
) -> Response:
    return actor.post(url, content=content, headers={"Content-Type": content_type})


def assert_clear_4xx(response: Response, status: int | tuple[int, ...]) -> dict[str, Any]:
    allowed = status if isinstance(status, tuple) else (status,)
    assert response.status_code in allowed, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json")
    return error_of(response)


# --- sizes --------------------------------------------------------------------------------------


def test_json_over_1_mb_is_413(secretary: Actor, db: Database) -> None:
    before = event_count(db)
    body = json.dumps({**ITEM, "title": "x" * (1024 * 1024 + 10)}).encode()
    error = assert_clear_4xx(post_raw(secretary, "/api/v1/programme-items", body), 413)
    assert error["code"] == "too_large"
    assert event_count(db) == before


def test_json_over_1_mb_without_content_length_is_413(secretary: Actor, db: Database) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"code": "ND-1", "title": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    before = event_count(db)
    error = assert_clear_4xx(post_raw(secretary, "/api/v1/programme-items", chunks()), 413)
    assert error["code"] == "too_large"
    assert event_count(db) == before


def test_just_under_the_limit_is_read(secretary: Actor) -> None:
    body = json.dumps({**ITEM, "title": "x" * (1000 * 1024)}).encode()
    assert len(body) < 1024 * 1024
    # Read, then refused by the field's own rule: 400, not 413.
    assert_clear_4xx(post_raw(secretary, "/api/v1/programme-items", body), 400)


def test_a_10_mb_form_field_to_a_page_form_is_413(client: TestClient) -> None:
    for path in ("/login", "/programme", "/api/v1/auth/login"):
        response = client.post(path, data={"username": "a", "password": "x" * (10 * 1024 * 1024)})
        error = assert_clear_4xx(response, 413)
        assert error["code"] == "too_large"


def test_page_form_limits(client: TestClient, db: Database) -> None:
    """A page form (here: a new programme item) gets the same limits as the API."""
    make_user(db, "thuky", ["secretariat"])
    csrf = login(client, "thuky")
    many = "&".join([f"csrf_token={csrf}", *(f"f{i}=x" for i in range(1001))]).encode()
    response = client.post(
        "/programme/new", content=many, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400, response.text[:300]

    def chunks() -> Iterator[bytes]:
        yield f"csrf_token={csrf}&title=".encode()
        for _ in range(160):  # 10 MB, without a Content-Length
            yield b"x" * 65536

    response = client.post(
        "/programme/new", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413, response.text[:300]
    oversized_field = f"csrf_token={csrf}&title={'x' * (300 * 1024)}".encode()
    response = client.post(
        "/programme/new",
        content=oversized_field,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413, response.text[:300]
    assert client.get("/api/v1/programme-items").json()["items"] == []


def test_a_bogus_content_length_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": "abc"},
    )
    assert 400 <= response.status_code < 500


# --- shapes and types ---------------------------------------------------------------------------


MALFORMED = {
    "open-brace": b"{",
    "missing-value": b'{"code": }',
    "empty": b"",
    "words": b"not json",
    "trailing": b'{"a": 1}}',
    "bad-utf8": b"\xff\xfe{}",
    "raw-nul": b'{"title": "\x00"}',
    "nan": b"NaN",
    "deep": b"[" * 100_000,
}
NOT_OBJECTS = [b"[]", b'["code"]', b'"ND-1"', b"42", b"null", b"true"]


def test_malformed_json_is_400(secretary: Actor, db: Database) -> None:
    before = event_count(db)
    for name, raw in MALFORMED.items():
        error = assert_clear_4xx(post_raw(secretary, "/api/v1/programme-items", raw), 400)
        assert error["code"] in ("malformed_json", "invalid_fields"), name
    assert event_count(db) == before


def test_json_that_is_not_an_object_is_400(secretary: Actor) -> None:
    for raw in NOT_OBJECTS:
        error = assert_clear_4xx(post_raw(secretary, "/api/v1/programme-items", raw), 400)
        assert error["code"] == "malformed_json", raw


WRONG_FIELDS: list[dict[str, Any]] = [
    {"title": 5},
    {"title": None},
    {"title": ["a"]},
    {"title": {"vi": "a"}},
    {"kind": 1},
    {"planned_month": 202612},
    {"code": True},
    {"extra": "field"},
    {"id": 5},
    {"status": "ready"},
]


def test_wrong_types_and_unknown_fields_are_400(secretary: Actor, db: Database) -> None:
    before = event_count(db)
    for fields in WRONG_FIELDS:
        error = assert_clear_4xx(secretary.post("/api/v1/programme-items", json={**ITEM, **fields}), 400)
        assert error["code"] == "invalid_fields", fields
        assert [f["field"] for f in error["fields"]] == list(fields)
    assert event_count(db) == before


def test_strict_types_minutes_as_a_string(secretary: Actor, db: Database) -> None:
    pm = make_member(db, precedence=1)
    meeting = make_meeting(db, chair_member_id=pm.id or 0)
    response = secretary.post(
        f"/api/v1/meetings/{meeting.id}/agenda-items", json={"title": "Mục", "minutes": "5"}
    )
    error = assert_clear_4xx(response, 400)
    assert error["code"] == "invalid_fields"
    assert error["fields"][0]["field"] == "minutes"


def test_wrong_content_type_is_415(secretary: Actor, db: Database) -> None:
    before = event_count(db)
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "",
    ):
        response = post_raw(secretary, "/api/v1/programme-items", json.dumps(ITEM).encode(), content_type)
        error = assert_clear_4xx(response, 415)
        assert error["code"] == "unsupported_media_type", content_type
    assert event_count(db) == before


def test_json_with_charset_is_fine(secretary: Actor) -> None:
    response = post_raw(
        secretary, "/api/v1/programme-items", json.dumps(ITEM).encode(), "application/json; charset=utf-8"
    )
    assert response.status_code == 201
    created = response.json()
    assert {key: created[key] for key in ITEM} == ITEM  # the Vietnamese title read as UTF-8
    assert secretary.get(f"/api/v1/programme-items/{created['id']}").json()["title"] == ITEM["title"]


def test_1001_urlencoded_fields_are_400(secretary: Actor) -> None:
    body = "&".join(f"f{i}=x" for i in range(1001)).encode()
    response = post_raw(
        secretary, "/api/v1/programme-items/import", body, "application/x-www-form-urlencoded"
    )
    error = assert_clear_4xx(response, 400)
    assert error["code"] == "bad_form"


# --- values -------------------------------------------------------------------------------------


def test_nul_bytes_and_bad_code_points_in_strings_are_400(secretary: Actor, db: Database) -> None:
    before = event_count(db)
    for title in ("Nghị\x00định", "\x00", "a\ud800b"):
        body = json.dumps({**ITEM, "title": title}).encode()  # escaped as \u0000 and \ud800
        error = assert_clear_4xx(post_raw(secretary, "/api/v1/programme-items", body), 400)
        assert error["code"] in ("invalid_fields", "malformed_json", "value_out_of_range")
    nested = {"agenda_item_ids": [1], "reason": "a\x00"}
    pm = make_member(db, precedence=1)
    meeting = make_meeting(db, chair_member_id=pm.id or 0)
    before = event_count(db)
    response = secretary.put(f"/api/v1/meetings/{meeting.id}/agenda-order", json=nested)
    assert assert_clear_4xx(response, 400)["fields"] == [{"field": "reason", "problem": "nul_character"}]
    assert event_count(db) == before
    assert secretary.get("/api/v1/programme-items").json()["items"] == []


def test_nul_bytes_in_query_strings_are_not_500(secretary: Actor, db: Database) -> None:
    make_programme_item(db)
    for query in (
        "q=%00",
        "agency=%00",
        "month=%00",
        "status=%00",
        "kind=%00",
        "q=%ff%fe",
        "postponement=%00",
    ):
        response = secretary.get(f"/api/v1/programme-items?{query}")
        assert response.status_code in (200, 400), (query, response.text)
        if response.status_code == 400:
            error_of(response)
    response = secretary.get("/api/v1/postponements?status=%00")
    assert response.status_code in (200, 400)


HUGE: list[tuple[str, dict[str, Any]]] = [
    ("/api/v1/meetings", {"chair_member_id": 10**20}),
    ("/api/v1/meetings", {"chair_member_id": 2**63}),
    ("/api/v1/meetings", {"invitee_member_ids": [2**63 - 1, 10**30]}),
    ("/api/v1/meetings", {"guest_user_ids": [2**64]}),
    ("/api/v1/meetings", {"duration_minutes": 10**40}),
    ("/api/v1/meetings/{meeting}/agenda-items", {"programme_item_id": 10**20, "minutes": 5}),
    (
        "/api/v1/meetings/{meeting}/agenda-items",
        {"title": "X", "minutes": 5, "restricted_member_ids": [2**63]},
    ),
    ("/api/v1/meetings/{meeting}/agenda-items", {"title": "X", "minutes": 2**63}),
    ("/api/v1/meetings/{meeting}/agenda-order", {"agenda_item_ids": [10**20]}),
    ("/api/v1/members", {"full_name": "A", "title": "B", "precedence": 10**20}),
    (
        "/api/v1/users",
        {"username": "ab", "full_name": "A", "password": "x" * 12, "roles": ["admin"], "member_id": 10**20},
    ),
    (
        "/api/v1/users",
        {"username": "ab", "full_name": "A", "password": "x" * 12, "roles": ["member"], "member_id": 2**63},
    ),
]


def test_huge_integers_in_bodies_are_4xx(client: TestClient, db: Database) -> None:
    pm = make_member(db, precedence=1)
    meeting = make_meeting(db, chair_member_id=pm.id or 0)
    make_user(db, "quantri", ["admin", "secretariat"])
    actor = login_as(client, "quantri")
    new_meeting = {
        "title": "Phiên họp",
        "kind": "regular",
        "starts_at": "2026-12-03T08:30:00+07:00",
        "duration_minutes": 120,
        "chair_member_id": pm.id,
    }
    before = event_count(db)
    for path, body in HUGE:
        base = new_meeting if path == "/api/v1/meetings" else {}
        method = "PUT" if path.endswith("agenda-order") else "POST"
        response = actor.request(method, path.format(meeting=meeting.id), json={**base, **body})
        assert response.status_code in (400, 404, 422), (path, body, response.text)
        error_of(response)
    assert event_count(db) == before


def test_huge_ids_in_paths_are_404(secretary: Actor) -> None:
    for value in ("99999999999999999999", "9223372036854775808", "2147483648", "0"):
        for method, path in (
            ("PATCH", "/api/v1/programme-items/{}"),
            ("POST", "/api/v1/programme-items/{}/postponements"),
            ("POST", "/api/v1/postponements/{}/decision"),
            ("PATCH", "/api/v1/meetings/{}"),
            ("POST", "/api/v1/meetings/{}/publish"),
            ("POST", "/api/v1/meetings/{}/agenda-items"),
            ("PUT", "/api/v1/meetings/{}/agenda-order"),
            ("PATCH", "/api/v1/agenda-items/{}"),
            ("DELETE", "/api/v1/agenda-items/{}"),
            ("PATCH", "/api/v1/members/{}"),
        ):
            response = secretary.request(method, path.format(value), json={"reason": "Lý do"})
            assert response.status_code in (404, 400), (method, path, value, response.text)
            error = error_of(response)
            if response.status_code == 400:
                assert error["code"] == "invalid_fields"  # the body was checked first; still no 500


UNICODE_TITLES = [
    "Nghị định về quản lý, sử dụng tài sản công tại đơn vị sự nghiệp công lập",
    unicodedata.normalize("NFD", "Quyết định phê duyệt Đề án Chuyển đổi số quốc gia"),
    "Luật Thủ đô (sửa đổi) – lần 2 “khẩn”",
    "Tờ trình 𠀧 chữ Nôm 𡨸 và biểu tượng 📄✅",
    "Ứng dụng ẞ ǅ ﬁ Ω Å ǈ",
    "Trái→phải مرحبا עברית",
    "Zero\u200bwidth\u200djoiner\ufeff",
    "ỹ" * 500,
]


def test_unicode_titles_round_trip_exactly(secretary: Actor) -> None:
    for n, title in enumerate(UNICODE_TITLES):
        response = secretary.post("/api/v1/programme-items", json={**ITEM, "code": f"U-{n}", "title": title})
        assert response.status_code == 201, (title, response.text)
        assert response.json()["title"] == title
        again = secretary.get(f"/api/v1/programme-items/{response.json()['id']}")
        assert again.json()["title"] == title
    listed = secretary.get("/api/v1/programme-items").json()["items"]
    assert [i["title"] for i in listed] == UNICODE_TITLES


def test_too_long_multibyte_title_is_400(secretary: Actor) -> None:
    response = secretary.post("/api/v1/programme-items", json={**ITEM, "title": "ỹ" * 501})
    assert_clear_4xx(response, 400)


# --- routing and language -----------------------------------------------------------------------


def test_unknown_api_path_and_wrong_method(secretary: Actor) -> None:
    error = assert_clear_4xx(secretary.get("/api/v1/no-such-thing"), 404)
    assert error["code"] == "not_found"
    error = assert_clear_4xx(secretary.request("PUT", "/api/v1/programme-items"), 405)
    assert error["code"] == "method_not_allowed"


def test_error_messages_follow_accept_language(client: TestClient) -> None:
    vietnamese = error_of(client.get("/api/v1/me", headers={"Accept-Language": "vi"}))
    default = error_of(client.get("/api/v1/me"))
    english = error_of(client.get("/api/v1/me", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    assert vietnamese["message"] == default["message"] == "Bạn cần đăng nhập."
    assert english["code"] == vietnamese["code"] == "unauthorized"
    assert english["message"] != vietnamese["message"]
    assert english["message"].isascii()


def test_a_logged_in_users_language_setting_is_used(secretary: Actor) -> None:
    assert secretary.patch("/api/v1/me", json={"locale": "en"}).status_code == 200
    english = error_of(secretary.get("/api/v1/meetings/4242"))
    assert english["code"] == "not_found"
    assert english["message"] != "Không tìm thấy."
    vietnamese = error_of(secretary.get("/api/v1/meetings/4242", headers={"Accept-Language": "vi"}))
    assert vietnamese["message"] == "Không tìm thấy."
