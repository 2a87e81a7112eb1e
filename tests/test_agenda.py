"""The agenda builder over the API: programme items and readiness, procedural items, order,
warnings, and changes after publishing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, col, func, select
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.log.events import Event
from agenda.meetings.agenda_items import AgendaItem
from tests.support.factories import (
    Actor,
    add_agenda_item,
    complete_dossier,
    error_of,
    login_as,
    make_document,
    make_meeting,
    make_member,
    make_programme_item,
    make_ready_item,
    make_user,
)


@dataclass
class Desk:
    secretary: Actor
    member: Actor
    meeting_id: int

    @property
    def url(self) -> str:
        return f"/api/v1/meetings/{self.meeting_id}"

    def detail(self) -> dict[str, Any]:
        response = self.secretary.get(self.url)
        assert response.status_code == 200
        found: dict[str, Any] = response.json()
        return found

    def add(self, **fields: Any) -> Any:
        return self.secretary.post(f"{self.url}/agenda-items", json={"minutes": 30, **fields})


@pytest.fixture
def desk(client: TestClient, db: Database) -> Desk:
    pm = make_member(db, full_name="Thủ tướng", precedence=1)
    assert pm.id
    make_user(db, "thuky", ["secretariat"])
    make_user(db, "botruong", ["member"])
    meeting = make_meeting(db, chair_member_id=pm.id, duration_minutes=120)
    assert meeting.id
    return Desk(login_as(client, "thuky"), login_as(client, "botruong"), meeting.id)


def events_of(db: Database, kind: str) -> list[dict[str, Any]]:
    return db.read_sync(
        lambda s: [
            e.payload() for e in s.exec(select(Event).where(Event.kind == kind).order_by(col(Event.id))).all()
        ]
    )


def state(db: Database) -> tuple[int, int]:
    """(agenda items, events)."""

    def count(s: Session) -> tuple[int, int]:
        return (
            s.exec(select(func.count()).select_from(AgendaItem)).one(),
            s.exec(select(func.count()).select_from(Event)).one(),
        )

    found: tuple[int, int] = db.read_sync(count)
    return found


def test_add_a_ready_programme_item(desk: Desk, db: Database) -> None:
    item = make_ready_item(db, code="ND-7", title="Nghị định về chính phủ số", lead_agency="Bộ Nội vụ")
    response = desk.add(programme_item_id=item.id, minutes=45, presenter="Bộ trưởng Bộ Nội vụ", consent=True)
    assert response.status_code == 201, response.text
    added = response.json()
    assert isinstance(added["id"], int)
    assert added["position"] == 1
    assert added["title"] == "Nghị định về chính phủ số"
    assert added["minutes"] == 45
    assert added["presenter"] == "Bộ trưởng Bộ Nội vụ"
    assert added["consent"] is True
    assert added["restricted"] is False
    assert added["state"] == "pending"
    assert added["outcome"] is None
    assert added["programme_item_id"] == item.id
    assert added["code"] == "ND-7"
    assert {d["kind"] for d in added["documents"]} == {"submission", "draft", "appraisal"}
    assert added["readiness_overridden"] is False
    programme = desk.secretary.get(f"/api/v1/programme-items/{item.id}").json()
    assert programme["status"] == "scheduled"
    changed = events_of(db, "agenda.changed")
    assert changed[-1]["action"] == "added"
    assert changed[-1]["readiness_override"] is False
    assert changed[-1]["agenda_item_id"] == added["id"]


def test_a_not_ready_item_is_422_and_nothing_changes(desk: Desk, db: Database) -> None:
    item = make_programme_item(db, kind="decree")
    assert item.id
    make_document(db, item.id, "submission")
    before = state(db)
    response = desk.add(programme_item_id=item.id)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "not_ready"
    assert error["missing"] == ["draft", "appraisal"]
    assert state(db) == before
    assert desk.secretary.get(f"/api/v1/programme-items/{item.id}").json()["status"] == "planned"
    assert desk.detail()["agenda"] == []


def test_override_readiness_is_allowed_and_logged(desk: Desk, db: Database) -> None:
    item = make_programme_item(db, kind="law")
    response = desk.add(programme_item_id=item.id, override_readiness=True)
    assert response.status_code == 201, response.text
    assert response.json()["readiness_overridden"] is True
    assert response.json()["missing_documents"] == ["submission", "draft", "appraisal", "synthesis"]
    changed = events_of(db, "agenda.changed")
    assert changed[-1]["readiness_override"] is True
    warnings = desk.detail()["warnings"]
    assert [w["code"] for w in warnings] == ["missing_documents"]
    assert warnings[0]["agenda_item_id"] == response.json()["id"]
    assert warnings[0]["message"]


def test_override_on_a_ready_item_is_not_an_override(desk: Desk, db: Database) -> None:
    item = make_ready_item(db)
    response = desk.add(programme_item_id=item.id, override_readiness=True)
    assert response.status_code == 201
    assert response.json()["readiness_overridden"] is False
    assert events_of(db, "agenda.changed")[-1]["readiness_override"] is False


def test_procedural_item(desk: Desk) -> None:
    response = desk.add(title="Thông qua biên bản phiên họp trước", minutes=5)
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Thông qua biên bản phiên họp trước"
    assert response.json()["programme_item_id"] is None
    assert response.json()["documents"] == []
    missing = desk.add(minutes=5)
    assert missing.status_code == 400
    assert error_of(missing)["code"] == "invalid_fields"


def test_the_same_programme_item_twice_is_409(desk: Desk, db: Database) -> None:
    item = make_ready_item(db)
    assert desk.add(programme_item_id=item.id).status_code == 201
    again = desk.add(programme_item_id=item.id)
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_on_agenda"


def test_unschedulable_and_unknown_programme_items(desk: Desk, db: Database) -> None:
    item = make_ready_item(db)
    response = desk.secretary.patch(
        f"/api/v1/programme-items/{item.id}", json={"status": "withdrawn", "reason": "Rút khỏi chương trình"}
    )
    assert response.status_code == 200
    refused = desk.add(programme_item_id=item.id)
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "not_schedulable"
    unknown = desk.add(programme_item_id=987654)
    assert unknown.status_code == 422
    assert error_of(unknown)["code"] == "unknown_programme_item"


def test_restricted_audience_must_be_members(desk: Desk, db: Database) -> None:
    response = desk.add(title="Mục mật", restricted_member_ids=[987654])
    assert response.status_code == 422
    assert error_of(response)["code"] == "unknown_member"
    member = make_member(db)
    ok = desk.add(title="Mục mật", restricted_member_ids=[member.id])
    assert ok.status_code == 201
    assert ok.json()["restricted"] is True
    assert ok.json()["restricted_member_ids"] == [member.id]


BAD_BODIES: list[dict[str, Any]] = [
    {"title": "X", "minutes": 0},
    {"title": "X", "minutes": -5},
    {"title": "X", "minutes": "5"},
    {"title": "X", "minutes": 5.5},
    {"title": "X", "minutes": 10**30},
    {"title": "X", "minutes": True},
    {"title": "X", "consent": "yes"},
    {"title": "X", "programme_item_id": "1"},
    {"title": "X", "restricted_member_ids": [1.5]},
    {"title": "X", "colour": "red"},
]


def test_bad_agenda_item_bodies_are_400(desk: Desk, db: Database) -> None:
    before = state(db)
    for fields in BAD_BODIES:
        response = desk.secretary.post(f"{desk.url}/agenda-items", json={"minutes": 30, **fields})
        assert response.status_code == 400, (fields, response.text)
        assert error_of(response)["code"] == "invalid_fields"
    assert state(db) == before


def test_reorder(desk: Desk, db: Database) -> None:
    ids = [desk.add(title=f"Mục {n}").json()["id"] for n in range(3)]
    wanted = [ids[2], ids[0], ids[1]]
    response = desk.secretary.put(f"{desk.url}/agenda-order", json={"agenda_item_ids": wanted})
    assert response.status_code == 200, response.text
    agenda = response.json()["agenda"]
    assert [i["id"] for i in agenda] == wanted
    assert [i["position"] for i in agenda] == [1, 2, 3]
    assert events_of(db, "agenda.changed")[-1] == {
        **events_of(db, "agenda.changed")[-1],
        "action": "reordered",
        "order": wanted,
    }
    same = desk.secretary.put(f"{desk.url}/agenda-order", json={"agenda_item_ids": wanted})
    assert same.status_code == 200
    assert [i["id"] for i in same.json()["agenda"]] == wanted
    assert [i["position"] for i in same.json()["agenda"]] == [1, 2, 3]


def test_reorder_needs_a_permutation(desk: Desk, db: Database) -> None:
    ids = [desk.add(title=f"Mục {n}").json()["id"] for n in range(3)]
    other = make_meeting(db, chair_member_id=make_member(db).id or 0)
    foreign = add_agenda_item(db, other.id or 0).id
    orders = {
        "missing": ids[:2],
        "duplicate": [ids[0], ids[0], ids[1]],
        "foreign": [ids[0], ids[1], foreign],
        "empty": [],
        "extra": [*ids, foreign],
    }
    before = state(db)
    for name, order in orders.items():
        response = desk.secretary.put(f"{desk.url}/agenda-order", json={"agenda_item_ids": order})
        assert response.status_code == 422, name
        assert error_of(response)["code"] == "not_a_permutation"
    assert state(db) == before
    assert [i["id"] for i in desk.detail()["agenda"]] == ids


def test_warnings_over_time_and_missing_documents_for_staff_only(
    client: TestClient, desk: Desk, db: Database
) -> None:
    ready = make_ready_item(db)
    not_ready = make_programme_item(db, kind="report")
    assert desk.add(programme_item_id=ready.id, minutes=90).status_code == 201
    assert desk.add(programme_item_id=not_ready.id, minutes=45, override_readiness=True).status_code == 201
    detail = desk.detail()
    assert detail["total_minutes"] == 135
    codes = [w["code"] for w in detail["warnings"]]
    assert codes == ["over_time", "missing_documents"]
    assert "135" in detail["warnings"][0]["message"] and "120" in detail["warnings"][0]["message"]
    # Once the dossier is complete the warning goes.
    complete_dossier(db, not_ready)
    assert [w["code"] for w in desk.detail()["warnings"]] == ["over_time"]
    # Members never see builder warnings or staff-only fields.
    assert desk.secretary.post(f"{desk.url}/publish").status_code == 200
    seen = desk.member.get(desk.url)
    assert seen.status_code == 200
    assert "warnings" not in seen.json()
    assert "invitee_member_ids" not in seen.json()
    for item in seen.json()["agenda"]:
        assert "missing_documents" not in item and "restricted_member_ids" not in item


def test_changes_after_publishing_need_a_reason_and_bump_the_version(desk: Desk, db: Database) -> None:
    first = desk.add(title="Mục một").json()["id"]
    assert desk.secretary.post(f"{desk.url}/publish").json()["agenda_version"] == 1
    ready = make_ready_item(db)
    before = state(db)

    no_reason = desk.add(programme_item_id=ready.id)
    assert no_reason.status_code == 422
    assert error_of(no_reason)["code"] == "reason_required"
    assert state(db) == before
    assert desk.detail()["agenda_version"] == 1

    added = desk.add(programme_item_id=ready.id, reason="Bổ sung theo chỉ đạo của Thủ tướng")
    assert added.status_code == 201
    assert desk.detail()["agenda_version"] == 2
    second = added.json()["id"]

    edit = f"/api/v1/agenda-items/{first}"
    assert desk.secretary.patch(edit, json={"minutes": 20}).status_code == 422
    assert desk.secretary.patch(edit, json={"minutes": 20, "reason": "Rút ngắn"}).status_code == 200
    assert desk.detail()["agenda_version"] == 3

    order = f"{desk.url}/agenda-order"
    assert desk.secretary.put(order, json={"agenda_item_ids": [second, first]}).status_code == 422
    assert (
        desk.secretary.put(order, json={"agenda_item_ids": [second, first], "reason": "Ưu tiên"}).status_code
        == 200
    )
    assert desk.detail()["agenda_version"] == 4

    assert desk.secretary.delete(f"/api/v1/agenda-items/{second}").status_code == 422
    assert desk.secretary.delete(f"/api/v1/agenda-items/{second}?reason=Chưa chín").status_code == 204
    detail = desk.detail()
    assert detail["agenda_version"] == 5
    assert [i["id"] for i in detail["agenda"]] == [first]
    assert [i["position"] for i in detail["agenda"]] == [1]
    # The programme item leaves the agenda and is ready again.
    assert desk.secretary.get(f"/api/v1/programme-items/{ready.id}").json()["status"] == "ready"
    versions = [e["agenda_version"] for e in events_of(db, "agenda.changed")]
    assert versions[-4:] == [2, 3, 4, 5]
    reasons = [e["reason"] for e in events_of(db, "agenda.changed")][-4:]
    assert reasons == ["Bổ sung theo chỉ đạo của Thủ tướng", "Rút ngắn", "Ưu tiên", "Chưa chín"]


def test_edit_and_remove_in_a_draft(desk: Desk, db: Database) -> None:
    item = make_ready_item(db)
    added = desk.add(programme_item_id=item.id).json()
    edit = f"/api/v1/agenda-items/{added['id']}"
    response = desk.secretary.patch(edit, json={"title": "Tên mới trên chương trình", "consent": True})
    assert response.status_code == 200
    assert response.json()["title"] == "Tên mới trên chương trình"
    assert response.json()["consent"] is True
    assert desk.secretary.delete(edit).status_code == 204
    assert desk.secretary.get(edit).status_code == 404
    assert desk.secretary.get(f"/api/v1/programme-items/{item.id}").json()["status"] == "ready"
    assert desk.secretary.delete(edit).status_code == 404
    assert desk.secretary.patch("/api/v1/agenda-items/987654", json={"minutes": 5}).status_code == 404
