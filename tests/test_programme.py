"""The work programme over the API: create, list and filter, edit, the status workflow,
readiness per kind, and postponement requests ("xin lùi")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.log.events import Event
from agenda.policy import DEFAULT_READINESS, DOCUMENT_KINDS, PROGRAMME_KINDS
from agenda.programme.programme import ProgrammeItem
from tests.support.factories import Actor, error_of, login_as, make_document, make_programme_item, make_user


@pytest.fixture
def secretary(client: TestClient, db: Database) -> Actor:
    make_user(db, "thuky", ["secretariat"])
    return login_as(client, "thuky")


def new_item(**fields: Any) -> dict[str, Any]:
    item = {
        "code": "ND-15/2026",
        "title": "Nghị định quy định chi tiết Luật Giao dịch điện tử",
        "kind": "decree",
        "lead_agency": "Bộ Thông tin và Truyền thông",
        "planned_month": "2026-12",
    }
    item.update(fields)
    return item


def kinds_logged(db: Database) -> list[str]:
    return db.read_sync(lambda s: [e.kind for e in s.exec(select(Event).order_by(col(Event.id))).all()])


def test_create_returns_the_item_with_readiness(secretary: Actor, db: Database) -> None:
    response = secretary.post("/api/v1/programme-items", json=new_item())
    assert response.status_code == 201, response.text
    item = response.json()
    assert isinstance(item["id"], int)
    assert item["code"] == "ND-15/2026"
    assert item["title"] == "Nghị định quy định chi tiết Luật Giao dịch điện tử"
    assert item["kind"] == "decree"
    assert item["lead_agency"] == "Bộ Thông tin và Truyền thông"
    assert item["planned_month"] == "2026-12"
    assert item["status"] == "planned"
    assert item["ready"] is False
    assert item["missing_documents"] == ["submission", "draft", "appraisal"]
    assert item["submission_deadline"] == "2026-11-25"
    assert secretary.get(f"/api/v1/programme-items/{item['id']}").json()["code"] == "ND-15/2026"
    assert "programme.item_created" in kinds_logged(db)


def test_january_deadline_is_in_december_of_the_year_before(secretary: Actor) -> None:
    item = secretary.post("/api/v1/programme-items", json=new_item(planned_month="2027-01")).json()
    assert item["submission_deadline"] == "2026-12-25"


def test_duplicate_code_is_409_and_changes_nothing(secretary: Actor, db: Database) -> None:
    assert secretary.post("/api/v1/programme-items", json=new_item()).status_code == 201
    before = kinds_logged(db)
    response = secretary.post("/api/v1/programme-items", json=new_item(title="Khác"))
    assert response.status_code == 409
    assert error_of(response)["code"] == "code_taken"
    assert kinds_logged(db) == before
    assert len(db.read_sync(lambda s: s.exec(select(ProgrammeItem)).all())) == 1


INVALID_FIELDS: list[dict[str, Any]] = [
    {"kind": "edict"},
    {"kind": "Decree"},
    {"planned_month": "2026-13"},
    {"planned_month": "2026-1"},
    {"planned_month": "12/2026"},
    {"planned_month": "2026-00"},
    {"code": ""},
    {"code": "có dấu"},
    {"title": ""},
    {"title": "   "},
    {"title": "x" * 501},
    {"lead_agency": ""},
]


def test_invalid_fields_are_400(secretary: Actor, db: Database) -> None:
    before = kinds_logged(db)
    for fields in INVALID_FIELDS:
        response = secretary.post("/api/v1/programme-items", json=new_item(**fields))
        assert response.status_code == 400, (fields, response.text)
        error = error_of(response)
        assert error["code"] == "invalid_fields"
        assert [f["field"] for f in error["fields"]] == list(fields)
    assert secretary.get("/api/v1/programme-items").json()["items"] == []
    assert kinds_logged(db) == before


def test_list_and_filters(secretary: Actor, db: Database) -> None:
    make_programme_item(db, code="L-1", kind="law", lead_agency="Bộ Tư pháp", planned_month="2026-11")
    make_programme_item(db, code="ND-1", kind="decree", lead_agency="Bộ Tư pháp", planned_month="2026-12")
    make_programme_item(db, code="ND-2", kind="decree", lead_agency="Bộ Tài chính", planned_month="2026-12")
    report = make_programme_item(
        db, code="BC-1", kind="report", lead_agency="Bộ Tài chính", planned_month="2027-01"
    )
    assert report.id
    make_document(db, report.id, "submission")
    assert (
        secretary.patch(f"/api/v1/programme-items/{report.id}", json={"status": "submitted"}).status_code
        == 200
    )

    def codes(query: str) -> list[str]:
        response = secretary.get(f"/api/v1/programme-items{query}")
        assert response.status_code == 200, response.text
        return [i["code"] for i in response.json()["items"]]

    assert codes("") == ["L-1", "ND-1", "ND-2", "BC-1"]  # by planned month, then code
    assert codes("?month=2026-12") == ["ND-1", "ND-2"]
    assert codes("?agency=Bộ Tài chính") == ["ND-2", "BC-1"]
    assert codes("?kind=decree") == ["ND-1", "ND-2"]
    assert codes("?status=submitted") == ["BC-1"]
    assert codes("?status=planned&month=2026-12&agency=Bộ Tài chính") == ["ND-2"]
    assert codes("?month=2030-01") == []
    assert codes("?month=not-a-month") == []
    assert codes("?q=nd-") == ["ND-1", "ND-2"]
    items = {i["code"]: i for i in secretary.get("/api/v1/programme-items").json()["items"]}
    assert items["BC-1"]["ready"] is True and items["BC-1"]["missing_documents"] == []
    assert items["L-1"]["missing_documents"] == list(DEFAULT_READINESS["law"])


def test_patch_edits_fields_and_logs_the_changes(secretary: Actor, db: Database) -> None:
    item = secretary.post("/api/v1/programme-items", json=new_item()).json()
    response = secretary.patch(
        f"/api/v1/programme-items/{item['id']}",
        json={"title": "Nghị định sửa đổi", "planned_month": "2027-02", "lead_agency": "Bộ Công an"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Nghị định sửa đổi"
    assert response.json()["planned_month"] == "2027-02"
    assert response.json()["lead_agency"] == "Bộ Công an"
    event = db.read_sync(lambda s: s.exec(select(Event).where(Event.kind == "programme.item_updated")).one())
    assert event.payload()["changes"] == {
        "title": "Nghị định sửa đổi",
        "planned_month": "2027-02",
        "lead_agency": "Bộ Công an",
    }
    assert secretary.patch(f"/api/v1/programme-items/{item['id']}", json={"code": "X"}).status_code == 400
    assert secretary.patch("/api/v1/programme-items/424242", json={"title": "Không có"}).status_code == 404


def test_changing_the_kind_changes_what_is_missing(secretary: Actor, db: Database) -> None:
    item = make_programme_item(db, kind="decree")
    assert item.id
    make_document(db, item.id, "submission")
    make_document(db, item.id, "draft")
    assert secretary.get(f"/api/v1/programme-items/{item.id}").json()["missing_documents"] == ["appraisal"]
    response = secretary.patch(f"/api/v1/programme-items/{item.id}", json={"kind": "resolution"})
    assert response.json()["ready"] is True
    assert response.json()["missing_documents"] == []


def status(secretary: Actor, item_id: int, new: str, **extra: Any) -> Any:
    return secretary.patch(f"/api/v1/programme-items/{item_id}", json={"status": new, **extra})


def test_status_workflow_allowed_moves(secretary: Actor, db: Database) -> None:
    item = make_programme_item(db, kind="report")
    assert item.id
    assert status(secretary, item.id, "submitted").json()["status"] == "submitted"
    assert status(secretary, item.id, "planned").json()["status"] == "planned"
    assert status(secretary, item.id, "submitted").status_code == 200
    make_document(db, item.id, "submission")
    assert status(secretary, item.id, "ready").json()["status"] == "ready"
    assert status(secretary, item.id, "submitted").json()["status"] == "submitted"
    withdrawn = status(secretary, item.id, "withdrawn", reason="Cơ quan chủ trì đề nghị rút")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    moves = db.read_sync(
        lambda s: [
            (e.payload()["old"], e.payload()["new"])
            for e in s.exec(
                select(Event).where(Event.kind == "programme.status_changed").order_by(col(Event.seq))
            ).all()
        ]
    )
    assert moves == [
        ("planned", "submitted"),
        ("submitted", "planned"),
        ("planned", "submitted"),
        ("submitted", "ready"),
        ("ready", "submitted"),
        ("submitted", "withdrawn"),
    ]


REFUSED_MOVES: list[tuple[list[str], str]] = [
    ([], "ready"),  # planned -> ready skips submitted
    ([], "scheduled"),  # only the agenda builder schedules
    ([], "discussed"),
    ([], "concluded"),
    ([], "postponed"),  # only an approved request postpones
    (["withdrawn"], "planned"),  # withdrawn is final
    (["withdrawn"], "submitted"),
    (["submitted", "ready"], "planned"),
]


def test_status_workflow_refused_moves_are_409(secretary: Actor, db: Database) -> None:
    for start, refused in REFUSED_MOVES:
        item = make_programme_item(db, kind="report")
        assert item.id
        make_document(db, item.id, "submission")
        for step in start:
            assert status(secretary, item.id, step, reason="Lý do rút").status_code == 200
        before = kinds_logged(db)
        response = status(secretary, item.id, refused)
        assert response.status_code == 409, (start, refused, response.text)
        assert error_of(response)["code"] == "bad_transition"
        assert kinds_logged(db) == before


def test_unknown_status_is_400(secretary: Actor, db: Database) -> None:
    item = make_programme_item(db)
    assert status(secretary, item.id or 0, "archived").status_code == 400


def test_withdrawing_needs_a_reason(secretary: Actor, db: Database) -> None:
    item = make_programme_item(db)
    response = status(secretary, item.id or 0, "withdrawn")
    assert response.status_code == 422
    assert error_of(response)["code"] == "reason_required"
    assert secretary.get(f"/api/v1/programme-items/{item.id}").json()["status"] == "planned"


def test_ready_without_a_complete_dossier_is_422_with_the_missing_kinds(
    secretary: Actor, db: Database
) -> None:
    item = make_programme_item(db, kind="decree")
    assert item.id
    assert status(secretary, item.id, "submitted").status_code == 200
    response = status(secretary, item.id, "ready")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "not_ready"
    assert error["missing"] == ["submission", "draft", "appraisal"]
    make_document(db, item.id, "submission")
    make_document(db, item.id, "draft")
    response = status(secretary, item.id, "ready")
    assert response.status_code == 422
    assert error_of(response)["missing"] == ["appraisal"]
    make_document(db, item.id, "appraisal")
    response = status(secretary, item.id, "ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["ready"] is True


def test_readiness_per_kind(secretary: Actor, db: Database) -> None:
    for kind in PROGRAMME_KINDS:
        required = list(DEFAULT_READINESS[kind])
        item = make_programme_item(db, kind=kind)
        assert item.id
        make_document(db, item.id, "annex")  # never required: does not count
        for done, doc_kind in enumerate(required):
            shown = secretary.get(f"/api/v1/programme-items/{item.id}").json()
            assert shown["ready"] is False, kind
            assert shown["missing_documents"] == required[done:], kind
            make_document(db, item.id, doc_kind)
        shown = secretary.get(f"/api/v1/programme-items/{item.id}").json()
        assert shown["ready"] is True and shown["missing_documents"] == [], kind


def test_a_decree_needs_submission_draft_and_appraisal() -> None:
    assert DEFAULT_READINESS["decree"] == ("submission", "draft", "appraisal")
    assert set(DEFAULT_READINESS) == set(PROGRAMME_KINDS)
    assert all(set(kinds) <= set(DOCUMENT_KINDS) for kinds in DEFAULT_READINESS.values())


def test_readiness_rules_come_from_the_policy_file(tmp_path: Path, database_url: str) -> None:
    import json

    from meeting_app.app import create_app
    from tests.conftest import context_of, settings_for

    (tmp_path / "policy.json").write_text(json.dumps({"readiness": {"decree": ["submission"]}}))
    settings = settings_for(tmp_path, database_url=database_url)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        db = context_of(client).db
        make_user(db, "thuky", ["secretariat"])
        item = make_programme_item(db, kind="decree")
        secretary = login_as(client, "thuky")
        assert secretary.get(f"/api/v1/programme-items/{item.id}").json()["missing_documents"] == [
            "submission"
        ]


# --- postponements ------------------------------------------------------------------------------


def test_postponement_request_approve_moves_the_month(
    client: TestClient, secretary: Actor, db: Database
) -> None:
    item = make_programme_item(db, planned_month="2026-12")
    assert item.id
    make_user(db, "botruong", ["member"])
    member = login_as(client, "botruong")
    response = member.post(
        f"/api/v1/programme-items/{item.id}/postponements",
        json={"reason": "Cần thêm thời gian lấy ý kiến", "to_month": "2027-03"},
    )
    assert response.status_code == 201, response.text
    request = response.json()
    assert request["status"] == "pending"
    assert request["reason"] == "Cần thêm thời gian lấy ý kiến"
    assert request["to_month"] == "2027-03"

    duplicate = member.post(f"/api/v1/programme-items/{item.id}/postponements", json={"reason": "Lần nữa"})
    assert duplicate.status_code == 409
    assert error_of(duplicate)["code"] == "already_pending"

    pending = secretary.get("/api/v1/postponements?status=pending").json()["items"]
    assert [p["id"] for p in pending] == [request["id"]]
    shown = secretary.get(f"/api/v1/programme-items/{item.id}").json()
    assert [p["id"] for p in shown["postponements"]] == [request["id"]]

    decided = secretary.post(
        f"/api/v1/postponements/{request['id']}/decision", json={"approve": True, "note": "Đồng ý"}
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    assert decided.json()["decided_at"].endswith("+07:00")
    after = secretary.get(f"/api/v1/programme-items/{item.id}").json()
    assert after["status"] == "postponed"
    assert after["planned_month"] == "2027-03"
    again = secretary.post(f"/api/v1/postponements/{request['id']}/decision", json={"approve": False})
    assert again.status_code == 409
    assert secretary.get("/api/v1/postponements?status=pending").json()["items"] == []
    kinds = kinds_logged(db)
    assert "postponement.requested" in kinds and "postponement.decided" in kinds
    # From postponed, the secretariat brings it back to planning by hand.
    assert status(secretary, item.id, "planned").json()["status"] == "planned"


def test_postponement_refused_leaves_the_item(secretary: Actor, db: Database) -> None:
    item = make_programme_item(db, planned_month="2026-12")
    request = secretary.post(
        f"/api/v1/programme-items/{item.id}/postponements", json={"reason": "Chưa kịp thẩm định"}
    ).json()
    decided = secretary.post(
        f"/api/v1/postponements/{request['id']}/decision", json={"approve": False, "note": "Không đồng ý"}
    )
    assert decided.status_code == 200
    assert decided.json()["status"] == "refused"
    after = secretary.get(f"/api/v1/programme-items/{item.id}").json()
    assert after["status"] == "planned" and after["planned_month"] == "2026-12"
    # Refused: a new request may be made.
    again = secretary.post(
        f"/api/v1/programme-items/{item.id}/postponements", json={"reason": "Xin lùi lần hai"}
    )
    assert again.status_code == 201
    assert again.json()["id"] != request["id"]
    assert again.json()["status"] == "pending"


BAD_REQUESTS: list[tuple[dict[str, Any], int]] = [
    ({}, 400),
    ({"reason": ""}, 400),
    ({"reason": "ab"}, 400),
    ({"reason": "Lý do hợp lệ", "to_month": "2026-13"}, 400),
    ({"reason": "Lý do hợp lệ", "when": "2027-01"}, 400),
    ({"reason": "Lý do hợp lệ", "to_month": "2026-11"}, 422),  # not after the planned month
    ({"reason": "Lý do hợp lệ", "to_month": "2026-12"}, 422),
]


def test_postponement_request_validation(secretary: Actor, db: Database) -> None:
    item = make_programme_item(db, planned_month="2026-12")
    for body, expected in BAD_REQUESTS:
        response = secretary.post(f"/api/v1/programme-items/{item.id}/postponements", json=body)
        assert response.status_code == expected, (body, response.text)
        error_of(response)
    assert secretary.get("/api/v1/postponements").json()["items"] == []


def test_no_postponement_for_a_withdrawn_item(secretary: Actor, db: Database) -> None:
    item = make_programme_item(db)
    assert status(secretary, item.id or 0, "withdrawn", reason="Rút").status_code == 200
    response = secretary.post(f"/api/v1/programme-items/{item.id}/postponements", json={"reason": "Xin lùi"})
    assert response.status_code == 409


def test_postponement_of_unknown_things_is_404(secretary: Actor) -> None:
    assert (
        secretary.post("/api/v1/programme-items/9999/postponements", json={"reason": "Xin lùi"}).status_code
        == 404
    )
    assert secretary.post("/api/v1/postponements/9999/decision", json={"approve": True}).status_code == 404
