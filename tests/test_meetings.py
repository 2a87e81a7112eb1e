"""Meetings over the API: creation, invitees, times in +07:00, edits, publishing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.people import members
from agenda.people.members import MemberUpdate
from tests.support.factories import Actor, add_agenda_item, error_of, login_as, make_member, make_user


@dataclass
class Government:
    secretary: Actor
    pm: int
    voting: list[int]  # active voting members, the PM first
    non_voting: int
    inactive: int


@pytest.fixture
def gov(client: TestClient, db: Database) -> Government:
    pm = make_member(db, full_name="Thủ tướng", title="Thủ tướng Chính phủ", precedence=1)
    others = [make_member(db, precedence=10 + i) for i in range(3)]
    non_voting = make_member(db, title="Phó Chủ nhiệm Văn phòng Chính phủ", votes=False)
    inactive = make_member(db, title="Bộ trưởng (đã thôi)")
    db.write_sync(
        lambda s: members.update_member(
            session=s, member_id=inactive.id or 0, data=MemberUpdate(active=False), actor_id=None
        )
    )
    make_user(db, "thuky", ["secretariat"])
    ids = [m.id for m in (pm, *others)]
    assert all(ids) and pm.id and non_voting.id and inactive.id
    return Government(
        secretary=login_as(client, "thuky"),
        pm=pm.id,
        voting=[i for i in ids if i],
        non_voting=non_voting.id,
        inactive=inactive.id,
    )


def body(gov: Government, **fields: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "title": "Phiên họp Chính phủ thường kỳ tháng 12 năm 2026",
        "kind": "regular",
        "starts_at": "2026-12-03T08:30:00+07:00",
        "duration_minutes": 240,
        "place": "Trụ sở Chính phủ, Hà Nội",
        "chair_member_id": gov.pm,
    }
    found.update(fields)
    return found


def create(gov: Government, **fields: Any) -> dict[str, Any]:
    response = gov.secretary.post("/api/v1/meetings", json=body(gov, **fields))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_a_meeting(gov: Government) -> None:
    meeting = create(gov)
    assert isinstance(meeting["id"], int)
    assert meeting["title"] == "Phiên họp Chính phủ thường kỳ tháng 12 năm 2026"
    assert meeting["kind"] == "regular"
    assert meeting["state"] == "draft"
    assert meeting["starts_at"] == "2026-12-03T08:30:00+07:00"
    assert meeting["ends_at"] == "2026-12-03T12:30:00+07:00"
    assert meeting["duration_minutes"] == 240
    assert meeting["place"] == "Trụ sở Chính phủ, Hà Nội"
    assert meeting["chair_member_id"] == gov.pm
    assert meeting["agenda_version"] == 0
    assert meeting["agenda"] == []
    assert meeting["published_at"] is None
    again = gov.secretary.get(f"/api/v1/meetings/{meeting['id']}").json()
    assert again["starts_at"] == meeting["starts_at"]


TIMES = [
    ("2026-12-03T01:30:00Z", "2026-12-03T08:30:00+07:00"),
    ("2026-12-03T01:30:00+00:00", "2026-12-03T08:30:00+07:00"),
    ("2026-12-02T20:30:00-05:00", "2026-12-03T08:30:00+07:00"),
    ("2026-12-03T08:30:00+07:00", "2026-12-03T08:30:00+07:00"),
    ("2026-12-31T23:30:00+00:00", "2027-01-01T06:30:00+07:00"),
]


def test_times_are_stored_in_utc_and_shown_in_plus_seven(gov: Government) -> None:
    for given, shown in TIMES:
        meeting = create(gov, starts_at=given)
        assert meeting["starts_at"] == shown, given
        again = gov.secretary.get(f"/api/v1/meetings/{meeting['id']}").json()
        assert again["starts_at"] == shown, given
    listed = gov.secretary.get("/api/v1/meetings").json()["items"]
    assert {m["starts_at"] for m in listed} == {shown for _, shown in TIMES}


def test_invitees_default_to_all_active_voting_members_and_the_chair(gov: Government) -> None:
    meeting = create(gov)
    assert meeting["invitee_member_ids"] == sorted(gov.voting)
    assert gov.non_voting not in meeting["invitee_member_ids"]
    assert gov.inactive not in meeting["invitee_member_ids"]


def test_a_non_voting_chair_is_still_invited(gov: Government) -> None:
    meeting = create(gov, chair_member_id=gov.non_voting)
    assert meeting["invitee_member_ids"] == sorted([*gov.voting, gov.non_voting])


def test_explicit_invitees_and_the_chair(gov: Government) -> None:
    meeting = create(gov, invitee_member_ids=[gov.voting[1], gov.voting[1]])
    assert meeting["invitee_member_ids"] == sorted([gov.pm, gov.voting[1]])


def test_guests_must_be_guest_accounts(gov: Government, db: Database) -> None:
    guest = make_user(db, "khach", ["guest"])
    observer = make_user(db, "quansat", ["observer"])
    meeting = create(gov, guest_user_ids=[guest.id])
    assert meeting["guest_user_ids"] == [guest.id]
    response = gov.secretary.post("/api/v1/meetings", json=body(gov, guest_user_ids=[observer.id]))
    assert response.status_code == 422
    assert error_of(response)["code"] == "unknown_guest"
    response = gov.secretary.post("/api/v1/meetings", json=body(gov, guest_user_ids=[987654]))
    assert response.status_code == 422


def test_unknown_people_are_422_and_nothing_is_created(gov: Government) -> None:
    for fields in ({"chair_member_id": 987654}, {"invitee_member_ids": [gov.pm, 987654]}):
        response = gov.secretary.post("/api/v1/meetings", json=body(gov, **fields))
        assert response.status_code == 422, fields
        assert error_of(response)["code"] == "unknown_member"
    assert gov.secretary.get("/api/v1/meetings").json()["items"] == []


BAD_BODIES: list[dict[str, Any]] = [
    {"kind": "weekly"},
    {"starts_at": "2026-12-03T08:30:00"},  # no offset: ../shared/API.md wants one
    {"starts_at": "2026-12-03"},
    {"starts_at": "mai lúc 8 giờ"},
    {"starts_at": "2026-02-30T08:00:00+07:00"},
    {"starts_at": 1764725400},
    {"duration_minutes": 5},
    {"duration_minutes": -60},
    {"duration_minutes": 100_000},
    {"duration_minutes": "240"},
    {"duration_minutes": 240.5},
    {"chair_member_id": "1"},
    {"title": ""},
    {"invitee_member_ids": "all"},
    {"unknown": True},
]


def test_bad_meeting_bodies_are_400(gov: Government) -> None:
    for fields in BAD_BODIES:
        response = gov.secretary.post("/api/v1/meetings", json=body(gov, **fields))
        assert response.status_code == 400, (fields, response.text)
        assert error_of(response)["code"] == "invalid_fields"
    assert gov.secretary.get("/api/v1/meetings").json()["items"] == []


def test_a_time_without_offset_is_refused_on_edit_too(gov: Government) -> None:
    meeting = create(gov)
    response = gov.secretary.patch(
        f"/api/v1/meetings/{meeting['id']}", json={"starts_at": "2026-12-04T08:00:00"}
    )
    assert response.status_code == 400
    assert error_of(response)["fields"] == [{"field": "starts_at", "problem": "timezone_aware"}]


def test_edit_a_draft_without_reason(gov: Government) -> None:
    meeting = create(gov)
    response = gov.secretary.patch(
        f"/api/v1/meetings/{meeting['id']}",
        json={"place": "Phòng họp trực tuyến", "starts_at": "2026-12-04T14:00:00+07:00"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["place"] == "Phòng họp trực tuyến"
    assert response.json()["starts_at"] == "2026-12-04T14:00:00+07:00"
    assert response.json()["agenda_version"] == 0


def test_edit_after_publishing_needs_a_reason_and_bumps_the_version(gov: Government, db: Database) -> None:
    meeting = create(gov)
    add_agenda_item(db, meeting["id"])
    published = gov.secretary.post(f"/api/v1/meetings/{meeting['id']}/publish")
    assert published.status_code == 200
    url = f"/api/v1/meetings/{meeting['id']}"
    response = gov.secretary.patch(url, json={"place": "Nhà Quốc hội"})
    assert response.status_code == 422
    assert error_of(response)["code"] == "reason_required"
    assert gov.secretary.get(url).json()["place"] == "Trụ sở Chính phủ, Hà Nội"
    response = gov.secretary.patch(url, json={"place": "Nhà Quốc hội", "reason": "Đổi địa điểm"})
    assert response.status_code == 200
    assert response.json()["place"] == "Nhà Quốc hội"
    assert response.json()["agenda_version"] == 2
    # A patch that changes nothing needs no reason and bumps nothing.
    same = gov.secretary.patch(url, json={"place": "Nhà Quốc hội"})
    assert same.status_code == 200 and same.json()["agenda_version"] == 2


def test_changing_invitees(gov: Government) -> None:
    meeting = create(gov)
    url = f"/api/v1/meetings/{meeting['id']}"
    response = gov.secretary.patch(url, json={"invitee_member_ids": [gov.voting[2]]})
    assert response.status_code == 200
    assert response.json()["invitee_member_ids"] == sorted([gov.pm, gov.voting[2]])


def test_unknown_meeting_is_404(gov: Government) -> None:
    assert gov.secretary.get("/api/v1/meetings/4242").status_code == 404
    assert gov.secretary.patch("/api/v1/meetings/4242", json={"place": "X"}).status_code == 404
    assert gov.secretary.post("/api/v1/meetings/4242/publish").status_code == 404


def test_publish(gov: Government, db: Database) -> None:
    meeting = create(gov)
    url = f"/api/v1/meetings/{meeting['id']}/publish"
    empty = gov.secretary.post(url)
    assert empty.status_code == 422
    assert error_of(empty)["code"] == "empty_agenda"
    add_agenda_item(db, meeting["id"])
    response = gov.secretary.post(url)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "published"
    assert response.json()["agenda_version"] == 1
    assert response.json()["published_at"].endswith("+07:00")
    twice = gov.secretary.post(url)
    assert twice.status_code == 409
    assert error_of(twice)["code"] == "already_published"
