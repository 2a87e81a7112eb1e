"""The tablet-facing answers are exactly what their models in the OpenAPI document say.

Each test drives the real endpoints the way a member's tablet does (and the staff's views of
the same endpoints) and validates every answer against the model its @operation names. The
models forbid unknown fields: a field added to an answer but not to its model fails here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from httpx2 import Response
from pydantic import BaseModel, ValidationError
from starlette.routing import Route
from starlette.testclient import TestClient

from agenda.clock import utcnow
from agenda.db import Database
from meeting_app.api.live_schemas import BallotCounted, Bell, LiveSnapshot, PollList, PollView, VoteView
from meeting_app.api.schemas import (
    AgendaEntryPublic,
    DocumentPublic,
    Dossier,
    Me,
    MeetingDetail,
    MeetingList,
    NoteList,
    NotePublic,
    Positions,
    PositionStated,
)
from meeting_app.api.spec import operation_of
from tests.support.factories import PASSWORD, add_agenda_item, make_ready_item
from tests.support.live_setup import Live, make_live
from tests.test_opinion_polls import make_cast


def valid(model: type[BaseModel], response: Response, status: int = 200) -> dict[str, Any]:
    """The answer, after checking its status and validating it against `model`."""
    assert response.status_code == status, response.text
    model.model_validate_json(response.text)
    found: dict[str, Any] = response.json()
    return found


def answer_model(client: TestClient, method: str, path: str, status: int = 200) -> type[BaseModel]:
    """The model that the endpoint's @operation names for this answer (not a copy of it)."""
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path_format == path and method in (route.methods or ()):
            found = operation_of(route.endpoint)
            assert found is not None, path
            model = found.responses[status]
            assert isinstance(model, type) and issubclass(model, BaseModel), (method, path, status)
            return model
    raise AssertionError(f"no route {method} {path}")


def with_papers(live: Live) -> tuple[int, int]:
    """A ready programme item on the published agenda: (its item id, one of its documents)."""
    ready = make_ready_item(live.db, title="Nghị định về giao dịch điện tử")
    add_agenda_item(live.db, live.meeting_id, programme_item_id=ready.id, reason="Bổ sung")
    dossier = live.actors["m2"].get(f"/api/v1/programme-items/{ready.id}/documents")
    return ready.id or 0, valid(Dossier, dossier)["items"][0]["id"]


def test_the_models_are_the_ones_the_document_names(client: TestClient) -> None:
    assert answer_model(client, "GET", "/api/v1/votes/{id}") is VoteView
    assert answer_model(client, "GET", "/api/v1/meetings/{id}/live") is LiveSnapshot
    assert answer_model(client, "POST", "/api/v1/votes/{id}/ballots") is BallotCounted


def test_me_meetings_agenda_papers_notes_and_positions(client: TestClient, db: Database) -> None:
    live = make_live(client, db, lazy=True)
    m1, m2, sec = live.actors["m1"], live.actors["m2"], live.actors["sec"]
    item_id, document_id = with_papers(live)

    me = valid(Me, m2.get("/api/v1/me"))
    assert me["user"]["username"] == "m2"
    valid(Me, sec.get("/api/v1/me"))
    valid(Me, m2.patch("/api/v1/me", json={"locale": "en"}))
    valid(Me, client.post("/api/v1/auth/login", json={"username": "m3", "password": PASSWORD}))

    valid(MeetingList, m2.get("/api/v1/meetings"))
    member_view = valid(MeetingDetail, m2.get(live.url("")))
    assert {"id", "position", "restricted", "state"} == set(member_view["agenda"][1])  # B: placeholder
    staff_view = valid(MeetingDetail, sec.get(live.url("")))
    assert "warnings" in staff_view and "restricted_member_ids" in staff_view["agenda"][0]
    valid(MeetingDetail, m1.get(live.url("")))  # m1 sees B in full
    for who in ("m1", "m2", "sec"):
        valid(AgendaEntryPublic, live.actors[who].get(f"/api/v1/agenda-items/{live.items['B']}"))

    valid(Dossier, sec.get(f"/api/v1/programme-items/{item_id}/documents"))
    document = valid(DocumentPublic, m2.get(f"/api/v1/documents/{document_id}"))
    assert document["latest"] == document["versions"][-1]

    notes = f"/api/v1/documents/{document_id}/notes"
    valid(NoteList, m2.get(notes))
    valid(NotePublic, m2.put(f"{notes}/1", json={"text": "Hỏi lại Điều 3"}))
    assert valid(NoteList, m2.get(notes))["items"][0]["page"] == 1
    assert valid(NotePublic, m2.put(f"{notes}/1", json={"text": ""}))["updated_at"] is None

    stated = m2.put(live.url(f"/positions/{live.items['C']}"), json={"position": "object", "comment": "Chưa"})
    assert valid(PositionStated, stated)["consent"] is False
    assert len(valid(Positions, m2.get(live.url("/positions")))["items"]) == 1
    table = valid(Positions, sec.get(live.url("/positions")))
    assert table["members"] and table["items"]


def test_the_live_session_speakers_and_votes(client: TestClient, db: Database) -> None:
    live = make_live(client, db, lazy=True)
    live.start()
    m1, m2, sec = live.actors["m1"], live.actors["m2"], live.actors["sec"]
    for who in ("m1", "m2", "sec", "chair", "guest", "observer"):
        valid(LiveSnapshot, live.actors[who].get(live.url("/live")))

    asked = valid(
        answer_model(client, "POST", "/api/v1/agenda-items/{id}/speakers", 201),
        m2.post(f"/api/v1/agenda-items/{live.items['A']}/speakers"),
        201,
    )
    assert valid(LiveSnapshot, m2.get(live.url("/live")))["state"]["speakers"]
    assert m2.delete(f"/api/v1/speakers/{asked['id']}").status_code == 204

    named = live.open_vote("A")
    open_view = valid(VoteView, m2.get(f"/api/v1/votes/{named}"))
    assert open_view["eligible_me"] is True and "result" not in open_view
    assert valid(BallotCounted, live.ballot("m2", named, "yes"))["choice"] == "yes"
    valid(VoteView, m2.get(f"/api/v1/votes/{named}"))
    valid(VoteView, sec.get(f"/api/v1/votes/{named}"))
    valid(VoteView, live.actors["chair"].post(f"/api/v1/votes/{named}/close"))
    closed = valid(VoteView, m2.get(f"/api/v1/votes/{named}"))
    assert closed["result"] and closed["ballots"] and closed["my_choice"] == "yes"

    secret = live.open_vote("B", secret=True)
    assert "choice" not in valid(BallotCounted, live.ballot("m1", secret, "no"))
    valid(VoteView, m1.get(f"/api/v1/votes/{secret}"))
    for who in ("m1", "m2", "sec"):
        state = valid(LiveSnapshot, live.actors[who].get(live.url("/live")))["state"]
        assert any(v.get("result") for v in state["votes"]), who


def test_opinion_ballots_and_the_bell(client: TestClient, db: Database) -> None:
    cast = make_cast(client, db)
    poll_id = cast.create(utcnow() + timedelta(days=2))
    member = cast.members[0]
    valid(PollView, cast.answer(0, poll_id, "agree", "Đồng ý."))
    mine = valid(PollView, member.get(f"/api/v1/opinion-polls/{poll_id}"))
    assert mine["my_response"]["position"] == "agree" and "board" not in mine
    assert valid(PollView, cast.assistant.get(f"/api/v1/opinion-polls/{poll_id}"))["can_answer"] is False
    assert valid(PollList, member.get("/api/v1/opinion-polls"))["items"][0]["my_position"] == "agree"
    valid(PollList, cast.sec.get("/api/v1/opinion-polls"))
    closed = valid(PollView, cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/close"))
    assert closed["result"] and closed["board"]
    valid(PollView, member.get(f"/api/v1/opinion-polls/{poll_id}"))

    bell = valid(Bell, member.get("/api/v1/notifications"))
    assert bell["items"] and bell["unread"] >= 1
    valid(Bell, member.post(f"/api/v1/notifications/{bell['items'][0]['id']}/read"))
    assert valid(Bell, member.post("/api/v1/notifications/read-all"))["unread"] == 0


@pytest.mark.parametrize("model", [VoteView, MeetingDetail, NotePublic])
def test_an_undocumented_field_fails(model: type[BaseModel]) -> None:
    with pytest.raises(ValidationError, match="extra_forbidden"):
        model.model_validate_json('{"surprise": 1}')
