"""`/ws/me` frames of the follow-through (docs/api.md "The user feed: tasks and dossiers"): a full
task frame to those who may see the task, a bare one to the other board readers, nothing to
another ministry's focal point; a dossier frame on submission."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from agenda.db import Database
from agenda.programme.programme import ProgrammeItem
from tests.support.factories import Actor, complete_dossier, make_programme_item
from tests.test_agency_api import setup

ORIGIN = "http://testserver"


def socket(client: TestClient, actor: Actor) -> Any:
    headers = {"cookie": f"ecab_session={actor.token}", "origin": ORIGIN}
    return client.websocket_connect("/ws/me", headers=headers)


def next_of(ws: Any, kinds: tuple[str, ...], limit: int = 6) -> dict[str, Any]:
    """The next frame of one of these types (heartbeats, every 15 s, bound a wait for none)."""
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] in kinds:
            return frame
    raise AssertionError(f"no {kinds} frame")


def create(sec: Actor, lead: str, **fields: object) -> int:
    body = {"title": f"Nhiệm vụ mật của {lead}", "lead_agency": lead, "due_on": "2027-03-31", **fields}
    response = sec.post("/api/v1/tasks", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_task_frames_follow_who_may_see_the_task(client: TestClient, db: Database) -> None:
    m = setup(client, db)
    with (
        socket(client, m.sec) as sec,
        socket(client, m.member) as member,
        socket(client, m.own) as own,
        socket(client, m.other) as other,
    ):
        for ws in (sec, member, own, other):
            assert ws.receive_json()["type"] == "notifications"
        secret = create(m.sec, "Bộ Tài chính", restricted_user_ids=[m.chair_user_id])
        btc = next_of(sec, ("task",))["agency_id"]
        full = {"type": "task", "task_id": secret, "kind": "task.created", "agency_id": btc}
        assert next_of(own, ("task",)) == full
        assert next_of(member, ("task",)) == {"type": "task"}  # the board moves, nothing more
        reported = m.own.post(f"/api/v1/tasks/{secret}/reports", json={"text": "Đang làm"})
        assert reported.status_code == 201
        assert next_of(own, ("task",)) == {**full, "kind": "task.reported"}
        assert next_of(sec, ("task",)) == {**full, "kind": "task.reported"}
        assert next_of(member, ("task",)) == {"type": "task"}
        public = create(m.sec, "Bộ Tài chính")
        assert next_of(member, ("task",)) == {**full, "task_id": public}
        # The other ministry heard of none of these: its first task frame is its own task's.
        own_task = create(m.sec, "Bộ Tư pháp")
        frame = next_of(other, ("task",))
        assert (frame["task_id"], frame["kind"]) == (own_task, "task.created")


def test_a_dossier_frame_on_submission(client: TestClient, db: Database) -> None:
    m = setup(client, db)
    item = db.read_sync(lambda s: s.get(ProgrammeItem, m.own_item))
    assert item is not None
    complete_dossier(db, item)
    other_item = make_programme_item(db, lead_agency="Bộ Tư pháp", planned_month="2027-05")
    complete_dossier(db, other_item)
    with socket(client, m.member) as member, socket(client, m.own) as own, socket(client, m.other) as other:
        for ws in (member, own, other):
            assert ws.receive_json()["type"] == "notifications"
        assert m.own.post(f"/api/v1/programme-items/{m.own_item}/submit").status_code == 200
        frame = {"type": "dossier", "programme_item_id": m.own_item}
        assert next_of(own, ("dossier",)) == frame
        assert next_of(member, ("dossier",)) == frame
        assert m.sec.post(f"/api/v1/programme-items/{other_item.id}/submit").status_code == 200
        assert next_of(other, ("dossier",)) == {"type": "dossier", "programme_item_id": other_item.id}
