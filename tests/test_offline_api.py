"""Offline reading, the server's half (docs/offline.md): devices and their keys, the check that
tells a device to wipe (deactivation, a wipe order, an unknown key), what a member's device keeps
(built with the meeting page's and the papers' visibility: a restricted item's papers are never
listed for someone outside its audience), the purge window, the agenda etag, no read receipt for
an offline download, Clear-Site-Data on logout, and notes written offline that meet a newer one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda.clock import utcnow
from agenda.db import Database
from agenda.log.events import Event
from agenda.meetings.meetings import Meeting
from agenda.papers.copies import ReadReceipt
from agenda.people.devices import OfflineDevice, key_hash
from meeting_app.api.offline import LIMITER
from meeting_app.api.offline_schemas import DeviceChecked, DeviceRegistered, KeptList, KeptMeetingPublic
from meeting_app.context import AppContext
from meeting_app.settings import Settings
from tests.support.factories import (
    Actor,
    add_agenda_item,
    add_stored_version,
    error_of,
    login_as,
    make_meeting,
    make_member,
    make_programme_item,
    make_stored_document,
    make_user,
    publish_meeting,
)

DEVICES = "/api/v1/offline/devices"
CHECK = "/api/v1/offline/devices/check"
KEPT = "/api/v1/offline/meetings"


@dataclass
class World:
    a: Actor  # invited, and in the restricted item's audience
    b: Actor  # invited, outside the restricted item's audience
    outsider: Actor  # a member not invited
    secretariat: Actor
    admin: Actor
    a_id: int
    meeting_id: int
    open_document_id: int
    restricted_document_id: int


@pytest.fixture
def world(client: TestClient, db: Database, settings: Settings) -> World:
    LIMITER._seen.clear()
    chair = make_member(db, full_name="Thủ tướng", precedence=1)
    a = make_user(db, "thanhvien_a", ["member"])
    b = make_user(db, "thanhvien_b", ["member"])
    make_user(db, "ngoai", ["member"])
    make_user(db, "thuky", ["secretariat"])
    make_user(db, "quantri", ["admin"])
    assert chair.id and a.id and a.member_id and b.member_id
    open_item = make_programme_item(db, kind="other")
    secret_item = make_programme_item(db, kind="other")
    assert open_item.id and secret_item.id
    data_dir = settings.data_dir
    opened = make_stored_document(
        db, data_dir, open_item.id, "submission", title="Tờ trình công khai", pages=2
    )
    secret = make_stored_document(db, data_dir, secret_item.id, "submission", title="Tờ trình MẬT-7731")
    meeting = make_meeting(
        db, chair_member_id=chair.id, invitee_member_ids=[chair.id, a.member_id, b.member_id]
    )
    assert meeting.id and opened.id and secret.id
    add_agenda_item(db, meeting.id, programme_item_id=open_item.id)
    add_agenda_item(db, meeting.id, programme_item_id=secret_item.id, restricted_member_ids=[a.member_id])
    publish_meeting(db, meeting.id)
    return World(
        a=login_as(client, "thanhvien_a"),
        b=login_as(client, "thanhvien_b"),
        outsider=login_as(client, "ngoai"),
        secretariat=login_as(client, "thuky"),
        admin=login_as(client, "quantri"),
        a_id=a.id,
        meeting_id=meeting.id,
        open_document_id=opened.id,
        restricted_document_id=secret.id,
    )


def register(actor: Actor, label: str = "iPad của Bộ trưởng") -> dict[str, Any]:
    response = actor.post(DEVICES, json={"label": label})
    assert response.status_code == 201, response.text
    return DeviceRegistered.model_validate(response.json()).model_dump()


def check(client: TestClient, key: str, **headers: str) -> dict[str, Any]:
    client.cookies.clear()
    response = client.post(CHECK, json={"key": key}, headers=headers)
    assert response.status_code == 200, response.text
    return DeviceChecked.model_validate(response.json()).model_dump()


def kinds(db: Database, kind: str) -> list[dict[str, Any]]:
    rows = db.read_sync(
        lambda s: s.exec(select(Event).where(Event.kind == kind).order_by(col(Event.id))).all()
    )
    return [json.loads(r.data) for r in rows]


# --- devices ------------------------------------------------------------------------------------


def test_a_device_registers_and_checks_and_only_the_keys_hash_is_kept(
    world: World, client: TestClient, db: Database
) -> None:
    made = register(world.a)
    assert len(made["key"]) >= 43 and made["expiry_hours"] == 72 and made["purge_days"] == 7
    stored = db.read_sync(lambda s: s.get(OfflineDevice, made["device_id"]))
    assert stored is not None and stored.user_id == world.a_id and stored.label == "iPad của Bộ trưởng"
    assert stored.key_hash == key_hash(made["key"]) and made["key"] not in stored.key_hash
    answer = check(client, made["key"])
    assert answer["wipe"] is False and answer["reason"] is None and answer["expiry_hours"] == 72
    assert answer["server_time"].endswith("+07:00")
    logged = kinds(db, "offline.device_registered")
    assert logged == [{"device_id": made["device_id"], "user_id": world.a_id}]
    assert made["key"] not in str(kinds(db, "offline.device_registered"))


def test_registering_needs_a_session_and_the_csrf_token(world: World, client: TestClient) -> None:
    client.cookies.clear()
    assert client.post(DEVICES, json={}).status_code == 401
    forged = world.a.post(DEVICES, json={}, headers={"X-CSRF-Token": "nope"})
    assert forged.status_code == 403 and error_of(forged)["code"] == "csrf_failed"
    assert world.a.post(DEVICES, json={"label": "x" * 81}).status_code == 400
    assert world.a.post(DEVICES, json={"label": 5}).status_code == 400
    assert world.a.post(DEVICES, json={}).status_code == 201


def test_an_unknown_key_wipes(world: World, client: TestClient, db: Database) -> None:
    answer = check(client, "A" * 43)
    assert answer == {**answer, "wipe": True, "reason": "unknown"}
    assert kinds(db, "offline.device_wiped") == []


BAD_CHECKS = [
    b"",
    b"[]",
    b"{",
    b'{"key": 5}',
    b'{"key": "short"}',
    b'{"key": "' + b"a" * 40 + b'!"}',
    b'{"k": "x"}',
]


def test_a_bad_check_is_refused_in_the_users_language(client: TestClient) -> None:
    # One app for every body (an app and its database cost a second or more each).
    client.cookies.clear()
    headers = {"Content-Type": "application/json"}
    for body in BAD_CHECKS:
        LIMITER._seen.clear()
        response = client.post(CHECK, content=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        vietnamese = error_of(response)["message"]
        english = client.post(CHECK, content=body, headers={**headers, "Accept-Language": "en"})
        assert english.status_code == 400 and error_of(english)["message"] != vietnamese, body


def test_a_check_from_a_foreign_origin_is_refused(world: World, client: TestClient) -> None:
    made = register(world.a)
    client.cookies.clear()
    foreign = client.post(CHECK, json={"key": made["key"]}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and error_of(foreign)["code"] == "csrf_failed"
    own = check(client, made["key"], Origin="http://testserver")
    assert own["wipe"] is False


def test_checks_are_limited_per_address(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = register(world.a)
    monkeypatch.setattr(LIMITER, "limit", 3)
    for _ in range(3):
        check(client, made["key"])
    client.cookies.clear()
    refused = client.post(CHECK, json={"key": made["key"]})
    assert refused.status_code == 429 and error_of(refused)["code"] == "rate_limited"


def test_deactivating_the_account_wipes_its_devices_at_their_next_contact(
    world: World, client: TestClient, db: Database
) -> None:
    first, second = register(world.a), register(world.a, "Máy tính bảng dự phòng")
    other = register(world.b)
    changed = world.admin.patch(f"/api/v1/users/{world.a_id}", json={"active": False})
    assert changed.status_code == 200, changed.text
    assert kinds(db, "offline.wipe_ordered") == [{"user_id": world.a_id, "devices": 2, "deactivated": True}]
    for made in (first, second):
        answer = check(client, made["key"])
        assert answer["wipe"] is True and answer["reason"] == "deactivated"
    assert check(client, first["key"])["wipe"] is True  # told again, logged once
    wiped = kinds(db, "offline.device_wiped")
    assert sorted(w["device_id"] for w in wiped) == sorted([first["device_id"], second["device_id"]])
    assert all(w["deactivated"] is True and w["user_id"] == world.a_id for w in wiped)
    assert check(client, other["key"])["wipe"] is False
    device = db.read_sync(lambda s: s.get(OfflineDevice, first["device_id"]))
    assert device is not None and device.wiped_at is not None


def test_a_wipe_order_wipes_the_devices_registered_before_it(
    world: World, client: TestClient, db: Database
) -> None:
    before = register(world.a)
    response = world.secretariat.post(
        f"/admin/users/{world.a_id}/wipe",
        data={"csrf_token": world.secretariat.csrf, "confirm": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    after = register(world.a)
    answer = check(client, before["key"])
    assert answer["wipe"] is True and answer["reason"] == "ordered"
    assert check(client, after["key"])["wipe"] is False
    assert kinds(db, "offline.wipe_ordered") == [{"user_id": world.a_id, "devices": 1, "deactivated": False}]
    assert kinds(db, "offline.device_wiped") == [
        {"device_id": before["device_id"], "user_id": world.a_id, "deactivated": False, "logout": False}
    ]


def test_a_device_leaving_at_logout_is_recorded_as_wiped(
    world: World, client: TestClient, db: Database
) -> None:
    leaving, staying = register(world.a), register(world.a)
    client.cookies.clear()
    response = client.post(CHECK, json={"key": leaving["key"], "leaving": True})
    assert response.status_code == 200, response.text
    assert response.json()["wipe"] is True and response.json()["reason"] == "logout"
    assert check(client, staying["key"])["wipe"] is False
    assert check(client, leaving["key"])["reason"] == "logout"  # a spent key stays spent
    assert kinds(db, "offline.device_wiped") == [
        {"device_id": leaving["device_id"], "user_id": world.a_id, "deactivated": False, "logout": True}
    ]
    # The administrator's list: the device that may still hold papers first, the other wiped.
    page = world.secretariat.get(f"/admin/users/{world.a_id}/devices")
    assert page.status_code == 200
    rows = page.text.split('id="device-list"')[1].split("<tr>")[2:]
    assert "Đã xóa lúc" not in rows[0] and "Đã xóa lúc" in rows[1]
    assert client.post(CHECK, json={"key": leaving["key"], "leaving": "yes"}).status_code == 400


# --- what is kept -------------------------------------------------------------------------------


def kept(actor: Actor) -> dict[str, Any]:
    response = actor.get(KEPT)
    assert response.status_code == 200, response.text
    return KeptList.model_validate(response.json()).model_dump()


def urls(meeting: dict[str, Any]) -> list[str]:
    return [f["url"] for f in meeting["files"]]


def test_a_member_keeps_the_papers_they_may_read_and_never_a_restricted_one(world: World) -> None:
    for actor in (world.a, world.b):
        found = kept(actor)
        assert found["expiry_hours"] == 72 and found["purge_days"] == 7
        assert (
            "/vendor/pdfjs/pdf.min.mjs" in found["shell"]
            and "/vendor/pdfjs/pdf.worker.min.mjs" in found["shell"]
        )
        assert any(u.startswith("/static/css/app.css?v=") for u in found["shell"])
        assert "/static/js/csrf.js" in found["shell"]
        assert [m["id"] for m in found["meetings"]] == [world.meeting_id]
    mine = kept(world.a)["meetings"][0]
    theirs = kept(world.b)["meetings"][0]
    secret = world.restricted_document_id
    assert f"/api/v1/documents/{secret}/versions/1/file" in urls(mine)
    assert f"/documents/{secret}/read" in urls(mine)
    for listed in (urls(theirs), theirs["title"]):
        assert str(listed).count(f"/documents/{secret}/") == 0
    assert "MẬT-7731" not in str(kept(world.b))
    opened = world.open_document_id
    assert [(f["kind"], f["url"]) for f in theirs["files"]] == [
        ("page", f"/meetings/{world.meeting_id}"),
        ("book", f"/api/v1/meetings/{world.meeting_id}/book.pdf"),
        ("reader", f"/documents/{opened}/read"),
        ("paper", f"/api/v1/documents/{opened}/versions/1/file"),
        ("notes", f"/api/v1/documents/{opened}/notes"),
        ("notes", f"/api/v1/documents/{opened}/annotations?version=1"),
    ]
    assert theirs["bytes"] > 0 and theirs["keep_until"] is None and theirs["closed_at"] is None
    assert theirs["agenda_etag"] != mine["agenda_etag"]  # they see different agendas
    one = world.b.get(f"{KEPT}/{world.meeting_id}")
    assert one.status_code == 200
    assert KeptMeetingPublic.model_validate(one.json()).model_dump()["files"] == theirs["files"]


def test_an_outsider_keeps_nothing_of_the_meeting(world: World) -> None:
    assert kept(world.outsider)["meetings"] == []
    refused = world.outsider.get(f"{KEPT}/{world.meeting_id}")
    assert refused.status_code == 404 and error_of(refused)["code"] == "not_found"
    assert world.outsider.get(f"{KEPT}/999999").status_code == 404


def test_the_secretariat_keeps_every_paper(world: World) -> None:
    found = kept(world.secretariat)["meetings"][0]
    assert f"/api/v1/documents/{world.restricted_document_id}/versions/1/file" in urls(found)


def test_the_paper_size_is_known_once_the_copy_is_made(world: World) -> None:
    url = f"/api/v1/documents/{world.open_document_id}/versions/1/file"
    before = next(f for f in kept(world.b)["meetings"][0]["files"] if f["url"] == url)
    assert before["bytes"] is None
    made = world.b.get(url, headers={"X-Offline-Download": "1"})
    assert made.status_code == 200
    after = next(f for f in kept(world.b)["meetings"][0]["files"] if f["url"] == url)
    assert after["bytes"] == len(made.content)


def set_ended(app_context: AppContext, meeting_id: int, ago: timedelta) -> None:
    """Adjourned `ago`, written directly: the agenda cache, which real changes invalidate with
    their events, is emptied by hand."""

    def run(s: Any) -> None:
        meeting = s.get(Meeting, meeting_id)
        meeting.state = "adjourned"
        meeting.adjourned_at = utcnow() - ago
        s.add(meeting)

    app_context.db.write_sync(run)
    app_context.agenda_cache._entries.clear()


def test_a_meeting_is_kept_for_the_purge_window_after_it_adjourns(
    world: World, app_context: AppContext
) -> None:
    set_ended(app_context, world.meeting_id, timedelta(days=3))
    found = kept(world.b)["meetings"][0]
    assert found["state"] == "adjourned" and found["closed_at"] and found["keep_until"]
    assert found["keep_until"] > found["closed_at"]
    set_ended(app_context, world.meeting_id, timedelta(days=7, minutes=1))
    assert kept(world.b)["meetings"] == []
    assert world.b.get(f"{KEPT}/{world.meeting_id}").status_code == 404


def test_the_agenda_etag_changes_with_a_new_version(world: World, db: Database, settings: Settings) -> None:
    before = kept(world.b)["meetings"][0]
    assert kept(world.b)["meetings"][0]["agenda_etag"] == before["agenda_etag"]  # stable
    add_stored_version(db, settings.data_dir, world.open_document_id)
    after = kept(world.b)["meetings"][0]
    assert after["agenda_etag"] != before["agenda_etag"]
    assert f"/api/v1/documents/{world.open_document_id}/versions/2/file" in urls(after)
    # A's agenda holds the same paper: its etag changes too.
    assert kept(world.a)["meetings"][0]["agenda_etag"] != before["agenda_etag"]


def test_a_draft_meeting_is_never_kept(client: TestClient, db: Database) -> None:
    chair = make_member(db, full_name="Chủ tọa")
    make_user(db, "thuky2", ["secretariat"])
    assert chair.id
    meeting = make_meeting(db, chair_member_id=chair.id)
    staff = login_as(client, "thuky2")
    assert kept(staff)["meetings"] == []
    assert staff.get(f"{KEPT}/{meeting.id}").status_code == 404


# --- downloading is not reading -----------------------------------------------------------------


def receipts(db: Database) -> int:
    return len(db.read_sync(lambda s: s.exec(select(ReadReceipt)).all()))


def test_an_offline_download_records_no_read_receipt(world: World, db: Database) -> None:
    url = f"/api/v1/documents/{world.open_document_id}/versions/1/file"
    downloaded = world.b.get(url, headers={"X-Offline-Download": "1"})
    assert downloaded.status_code == 200 and downloaded.content.startswith(b"%PDF")
    assert receipts(db) == 0
    assert world.b.get(url).status_code == 200
    assert receipts(db) == 1


def test_logout_clears_the_site_data(world: World, client: TestClient) -> None:
    api = world.a.post("/api/v1/auth/logout")
    assert api.status_code == 204
    assert api.headers["Clear-Site-Data"] == '"cache", "storage"'
    page = world.b.post("/logout", data={"csrf_token": world.b.csrf}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_the_shell_names_files_that_exist(world: World) -> None:
    for url in kept(world.a)["shell"]:
        path = url.split("?")[0]
        assert world.a.get(path).status_code == 200, url


def test_the_shell_urls_match_the_templates(world: World) -> None:
    page = world.a.get(f"/meetings/{world.meeting_id}").text
    shell = kept(world.a)["shell"]
    for url in ("/static/css/app.css", "/static/favicon.svg"):
        shown = page.split(f'"{url}?v=')[1].split('"')[0]
        assert f"{url}?v={shown}" in shell


# --- notes written offline ----------------------------------------------------------------------


def test_an_offline_note_that_met_a_newer_one_keeps_both(world: World) -> None:
    url = f"/api/v1/documents/{world.open_document_id}/notes/1"
    first = world.b.put(url, json={"text": "Bản đầu"}).json()
    # Online, on another device, the note changes; the tablet's queued edit started from `first`.
    with_time = world.b.put(url, json={"text": "Sửa trên máy tính"}).json()
    assert with_time["updated_at"] is not None and "conflict" not in with_time
    clash = world.b.put(
        url, json={"text": "Ghi trên máy bay", "base_updated_at": "2020-01-01T00:00:00+07:00"}
    )
    assert clash.status_code == 200, clash.text
    body = clash.json()
    assert body["conflict"] is True
    lines = body["text"].split("\n")
    assert lines[0] == "Sửa trên máy tính" and lines[-1] == "Ghi trên máy bay"
    assert lines[-2].startswith("— Bản ghi khi ngoại tuyến (") and lines[-2].endswith(") —")
    assert first["updated_at"]


def test_an_offline_note_from_the_stored_one_replaces_it(world: World) -> None:
    url = f"/api/v1/documents/{world.open_document_id}/notes/1"
    stored = world.b.put(url, json={"text": "Bản đầu"}).json()
    answer = world.b.put(url, json={"text": "Sửa khi ngoại tuyến", "base_updated_at": stored["updated_at"]})
    assert answer.status_code == 200
    assert answer.json()["text"] == "Sửa khi ngoại tuyến" and not answer.json().get("conflict")
    # No note when the edit started, none now: written as it is.
    fresh = world.b.put(
        f"/api/v1/documents/{world.open_document_id}/notes/2", json={"text": "Mới", "base_updated_at": None}
    )
    assert fresh.json()["text"] == "Mới" and not fresh.json().get("conflict")


def test_an_offline_note_on_a_page_that_got_a_note_meanwhile_keeps_both_in_english(world: World) -> None:
    url = f"/api/v1/documents/{world.open_document_id}/notes/2"
    world.b.put(url, json={"text": "Online meanwhile"})
    clash = world.b.put(
        url, json={"text": "Offline", "base_updated_at": None}, headers={"Accept-Language": "en"}
    )
    body = clash.json()
    assert body["conflict"] is True and body["text"].startswith("Online meanwhile\n\n")
    assert body["text"].endswith("\nOffline")
    # An offline deletion of a note that changed since keeps the stored note.
    kept_note = world.b.put(url, json={"text": "", "base_updated_at": None}).json()
    assert kept_note["conflict"] is True and kept_note["text"] == body["text"]


def test_a_bad_base_time_is_refused(world: World) -> None:
    url = f"/api/v1/documents/{world.open_document_id}/notes/1"
    for base in ("hôm qua", 5):
        response = world.b.put(url, json={"text": "x", "base_updated_at": base})
        assert response.status_code == 400, response.text


# --- the wipe order, server-rendered ------------------------------------------------------------


def test_the_admin_sees_the_devices_and_orders_the_wipe_with_a_plain_form(
    world: World, client: TestClient, db: Database
) -> None:
    made = register(world.a, "iPad phòng họp")
    page = world.admin.get(f"/admin/users/{world.a_id}")
    assert page.status_code == 200
    html = page.text
    assert "iPad phòng họp" in html and f'action="/admin/users/{world.a_id}/wipe"' in html
    assert "Xóa dữ liệu trên các thiết bị của người này" in html and 'name="csrf_token"' in html
    assert made["key"] not in html
    # Without the confirmation box (JavaScript off, box left empty): refused, nothing ordered.
    refused = world.admin.post(f"/admin/users/{world.a_id}/wipe", data={"csrf_token": world.admin.csrf})
    assert refused.status_code == 422 and "ô xác nhận" in refused.text
    assert kinds(db, "offline.wipe_ordered") == []
    sent = world.admin.post(
        f"/admin/users/{world.a_id}/wipe",
        data={"csrf_token": world.admin.csrf, "confirm": "1"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    after = world.admin.get(sent.headers["location"])
    assert "Đã ra lệnh xóa dữ liệu ngoại tuyến trên 1 thiết bị" in after.text
    assert "Chờ thiết bị kết nối" in after.text
    check(client, made["key"])
    english = world.admin.get(f"/admin/users/{world.a_id}/devices", headers={"Accept-Language": "en"})
    assert "Wiped at" in english.text or "Đã xóa lúc" in english.text


def test_the_wipe_order_needs_the_role_and_the_token(world: World) -> None:
    url = f"/admin/users/{world.a_id}/wipe"
    for actor in (world.a, world.b):
        assert actor.get(f"/admin/users/{world.a_id}/devices").status_code == 403
        assert actor.post(url, data={"csrf_token": actor.csrf, "confirm": "1"}).status_code == 403
    forged = world.secretariat.post(url, data={"csrf_token": "sai", "confirm": "1"})
    assert forged.status_code == 403
    assert world.secretariat.get("/admin/users/999999/devices").status_code == 404
    assert world.secretariat.get(f"/admin/users/{world.a_id}").status_code == 403  # accounts stay the admin's
