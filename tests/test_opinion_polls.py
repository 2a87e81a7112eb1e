"""Opinion ballots (docs/opinion-polls.md): the deadline, the tally rule, assistants, reminders on
a frozen clock, email through a local SMTP sink, closing early, the recount of `verify`, hostile
input, and `/ws/me` (the handshake, the bell's count and the live board)."""

from __future__ import annotations

import email
import email.policy
import io
import json
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
from sqlalchemy import text
from sqlmodel import col, select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from agenda import clock
from agenda.db import Database
from agenda.log.events import ACTIVITY_STREAM, GLOBAL_STREAM, Event
from agenda.people import accounts
from agenda.people.accounts import UserUpdate
from agenda.people.notifications import Notification
from agenda.policy import DEFAULT_POLICY, Policy
from agenda.polls import opinion_polls, poll_lifecycle
from agenda.polls import reminders as polls_reminders
from agenda.polls.opinion_polls import OpinionPoll, PollResponse
from meeting_app.app import create_app
from meeting_app.ops import reminders
from tests.conftest import context_of, settings_for
from tests.support.cli import json_out, run_cli
from tests.support.factories import (
    Actor,
    error_of,
    login_as,
    make_member,
    make_programme_item,
    make_stored_document,
    make_user,
)

ORIGIN = "http://testserver"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=clock.LOCAL_TZ)  # when the ballots are sent
QUESTION = "Thông qua dự thảo Nghị định về bảo vệ dữ liệu cá nhân?"


@dataclass
class Cast:
    """A Government of `n` voting members, each with an account; member 0 has an assistant."""

    client: TestClient
    db: Database
    sec: Actor
    members: list[Actor]
    member_ids: list[int]
    user_ids: dict[str, int]
    assistant: Actor
    item_id: int
    document_id: int
    polls: list[int] = field(default_factory=list)

    def create(self, deadline: datetime, *, send: bool = True) -> int:
        body = {"programme_item_id": self.item_id, "question": QUESTION, "deadline": deadline.isoformat()}
        response = self.sec.post("/api/v1/opinion-polls", json=body)
        assert response.status_code == 201, response.text
        poll_id: int = response.json()["id"]
        if send:
            sent = self.sec.post(f"/api/v1/opinion-polls/{poll_id}/send")
            assert sent.status_code == 200, sent.text
        self.polls.append(poll_id)
        return poll_id

    def answer(self, who: int, poll_id: int, position: str, comment: str = "") -> Any:
        return self.members[who].put(
            f"/api/v1/opinion-polls/{poll_id}/response", json={"position": position, "comment": comment}
        )

    def socket(self, actor: Actor, origin: str | None = ORIGIN) -> Any:
        headers = {"cookie": f"ecab_session={actor.token}"}
        if origin is not None:
            headers["origin"] = origin
        return self.client.websocket_connect("/ws/me", headers=headers)


def make_cast(client: TestClient, db: Database, n: int = 4) -> Cast:
    users = [make_user(db, f"tv{i}", ["member"], full_name=f"Bộ trưởng {i}") for i in range(n)]
    member_ids = [u.member_id or 0 for u in users]
    assistant = make_user(
        db, "troly0", ["assistant"], member_id=member_ids[0], full_name="Trợ lý Bộ trưởng 0"
    )
    secretariat = make_user(db, "thuky", ["secretariat"])
    item = make_programme_item(db, title="Nghị định về bảo vệ dữ liệu cá nhân")
    document = make_stored_document(db, context_of(client).settings.data_dir, item.id or 0, "submission")
    user_ids = {u.username: u.id or 0 for u in [*users, assistant, secretariat]}
    return Cast(
        client=client,
        db=db,
        sec=login_as(client, "thuky"),
        members=[login_as(client, u.username) for u in users],
        member_ids=member_ids,
        user_ids=user_ids,
        assistant=login_as(client, "troly0"),
        item_id=item.id or 0,
        document_id=document.id or 0,
    )


def next_frame(ws: Any, kind: str, limit: int = 5) -> dict[str, Any]:
    """The next frame of this type (heartbeats, every 15 s, bound the wait if it never comes)."""
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def set_email(db: Database, user_id: int, address: str) -> None:
    data = UserUpdate(email=address)
    db.write_sync(lambda s: accounts.update_user(session=s, user_id=user_id, data=data, actor_id=None))


def rows(db: Database, model: Any) -> list[Any]:
    return list(db.read_sync(lambda s: s.exec(select(model)).all()))


# --- the deadline and revising ------------------------------------------------------------------


def test_answer_revise_until_the_deadline_then_409(client: TestClient, db: Database) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db)
    poll_id = cast.create(T0 + timedelta(minutes=30))

    first = cast.answer(1, poll_id, "agree", "Đồng ý với dự thảo.")
    assert first.status_code == 200, first.text
    assert first.json()["my_response"]["position"] == "agree"
    assert first.json()["my_response"]["revised_at"] is None
    assert (first.json()["responded"], first.json()["total"]) == (1, 4)
    assert "result" not in first.json()  # no result before the deadline

    clock.freeze(T0 + timedelta(minutes=20))
    revised = cast.answer(1, poll_id, "disagree", "Đề nghị chỉnh sửa Điều 5.")
    assert revised.status_code == 200, revised.text
    mine = revised.json()["my_response"]
    assert (mine["position"], mine["comment"]) == ("disagree", "Đề nghị chỉnh sửa Điều 5.")
    assert mine["revised_at"] == clock.iso(T0 + timedelta(minutes=20))
    assert revised.json()["responded"] == 1  # a revision is not a second answer

    clock.freeze(T0 + timedelta(minutes=30))  # the deadline itself is too late
    late = cast.answer(2, poll_id, "agree")
    assert late.status_code == 409
    assert error_of(late)["code"] == "deadline_passed"
    too_late_to_revise = cast.answer(1, poll_id, "agree")
    assert error_of(too_late_to_revise)["code"] == "deadline_passed"

    # Past the deadline the result shows even before the loop closes the ballot.
    seen = cast.members[1].get(f"/api/v1/opinion-polls/{poll_id}").json()
    assert seen["state"] == "sent" and seen["overdue"] is True and seen["can_answer"] is False
    assert seen["result"]["disagree"] == 1 and seen["result"]["adopted"] is False

    closed = db.write_sync(lambda s: poll_lifecycle.close_due_polls(session=s, policy=DEFAULT_POLICY))
    assert [p.id for p in closed] == [poll_id]
    again = db.write_sync(lambda s: poll_lifecycle.close_due_polls(session=s, policy=DEFAULT_POLICY))
    assert again == []
    event = db.read_sync(lambda s: s.exec(select(Event).where(Event.kind == "poll.closed")).one())
    assert event.stream == GLOBAL_STREAM and event.actor_id is None
    data = event.payload()
    assert data["reason"] == "deadline"
    assert data["positions"] == {str(m): None for m in cast.member_ids} | {
        str(cast.member_ids[1]): "disagree"
    }
    after = cast.members[1].get(f"/api/v1/opinion-polls/{poll_id}").json()
    assert after["state"] == "closed" and after["result"] == data["result"]
    assert error_of(cast.answer(2, poll_id, "agree"))["code"] == "poll_closed"


def test_every_change_is_one_event_on_stream_0(client: TestClient, db: Database) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db, n=2)
    poll_id = cast.create(T0 + timedelta(days=1))
    cast.answer(0, poll_id, "other", "Ý kiến khác: cần bổ sung đánh giá tác động.")
    cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/close")
    logged = db.read_sync(
        lambda s: [
            (e.kind, e.stream, e.payload())
            for e in s.exec(
                select(Event).where(col(Event.kind).startswith("poll.")).order_by(col(Event.id))
            ).all()
        ]
    )
    assert [k for k, _, _ in logged] == ["poll.created", "poll.sent", "poll.answered", "poll.closed"]
    assert {stream for _, stream, _ in logged} == {GLOBAL_STREAM}
    assert all("meeting_id" not in data for _, _, data in logged)
    answered = logged[2][2]
    assert answered == {
        "poll_id": poll_id,
        "member_id": cast.member_ids[0],
        "position": "other",
        "comment": "Ý kiến khác: cần bổ sung đánh giá tác động.",
        "revised": False,
        "responded": 1,
        "total": 2,
    }
    assert logged[1][2]["recipients"] == sorted(cast.member_ids)


# --- the tally ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "agree", "adopted"),
    [
        (27, 14, True),
        (27, 13, False),
        (26, 13, False),
        (26, 14, True),
        (4, 3, True),
        (4, 2, False),
        (1, 1, True),
    ],
)
def test_adopted_when_agree_exceeds_half_of_the_membership(total: int, agree: int, adopted: bool) -> None:
    assert Policy().adopted_by_opinion(agree, total) is adopted
    assert Policy().adopted_by_opinion(0, 0) is False


@pytest.mark.parametrize(
    ("answers", "adopted"),
    [
        # 2 of 4 agree: exactly half is not adopted, whatever the others did.
        (["agree", "agree", "disagree", "disagree"], False),
        (["agree", "agree", None, None], False),
        # 3 of 4 agree: adopted, the non-responder counts against but not enough.
        (["agree", "agree", "agree", None], True),
        # Only responders would make 2 of 3: non-responders count against.
        (["agree", "agree", "other", None], False),
    ],
)
def test_tally_counts_the_total_membership(
    client: TestClient, db: Database, answers: list[str | None], adopted: bool
) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db)
    poll_id = cast.create(T0 + timedelta(days=2))
    for who, position in enumerate(answers):
        if position is not None:
            assert cast.answer(who, poll_id, position).status_code == 200
    closed = cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/close")
    assert closed.status_code == 200, closed.text
    result = closed.json()["result"]
    assert result == {
        "agree": answers.count("agree"),
        "disagree": answers.count("disagree"),
        "other": answers.count("other"),
        "responded": 4 - answers.count(None),
        "not_responded": answers.count(None),
        "total_membership": 4,
        "adopted": adopted,
        "rule": "agree_over_half_of_membership",
    }


def test_recipients_are_fixed_when_sent(client: TestClient, db: Database) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db, n=2)
    make_member(db, votes=False, full_name="Thành viên không biểu quyết")
    poll_id = cast.create(T0 + timedelta(days=2))
    latecomer = make_user(db, "tv_moi", ["member"])  # joins after the send
    newcomer = login_as(client, "tv_moi")
    assert newcomer.get(f"/api/v1/opinion-polls/{poll_id}").status_code == 404
    answer = newcomer.put(f"/api/v1/opinion-polls/{poll_id}/response", json={"position": "agree"})
    assert answer.status_code == 404  # a ballot not sent to you
    assert newcomer.get("/api/v1/opinion-polls").json() == {"items": []}
    assert latecomer.member_id not in db.read_sync(lambda s: opinion_polls.recipients(s, poll_id))
    closed = cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/close").json()
    assert closed["result"]["total_membership"] == 2


# --- assistants ---------------------------------------------------------------------------------


def test_assistant_reads_the_members_ballots_and_papers_but_cannot_answer(
    client: TestClient, db: Database
) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db)
    paper = f"/api/v1/documents/{cast.document_id}"
    assert cast.assistant.get(paper).status_code == 404  # the papers open with the ballot
    poll_id = cast.create(T0 + timedelta(days=2))
    assert cast.answer(0, poll_id, "agree", "Đồng ý.").status_code == 200

    inbox = cast.assistant.get("/api/v1/opinion-polls").json()["items"]
    assert [(p["id"], p["my_position"]) for p in inbox] == [(poll_id, "agree")]
    seen = cast.assistant.get(f"/api/v1/opinion-polls/{poll_id}").json()
    assert seen["my_response"]["comment"] == "Đồng ý." and seen["can_answer"] is False
    assert "board" not in seen
    assert cast.assistant.get(paper).status_code == 200
    assert cast.assistant.get(f"/documents/{cast.document_id}/read").status_code == 200
    assert cast.members[2].get(paper).status_code == 200  # every recipient reads the papers

    for body in ({"position": "agree"}, {"position": "disagree", "comment": "Thay mặt Bộ trưởng"}):
        refused = cast.assistant.put(f"/api/v1/opinion-polls/{poll_id}/response", json=body)
        assert refused.status_code == 403
    form = cast.assistant.post(
        f"/opinion-polls/{poll_id}/answer", data={"csrf_token": cast.assistant.csrf, "position": "agree"}
    )
    assert form.status_code == 403
    page = cast.assistant.get(f"/opinion-polls/{poll_id}")
    assert page.status_code == 200
    assert 'id="assistant-note"' in page.text and 'id="answer-form"' not in page.text
    kept = db.read_sync(lambda s: opinion_polls.response_of(s, poll_id, cast.member_ids[0]))
    assert kept is not None and kept.position == "agree"


# --- reminders on a frozen clock ----------------------------------------------------------------


def _reminders(db: Database) -> list[tuple[int, str]]:
    return sorted((n.user_id, n.key) for n in rows(db, Notification) if n.kind != "poll_sent")


def _run(db: Database) -> list[Notification]:
    return db.write_sync(lambda s: polls_reminders.send_due_reminders(session=s, policy=DEFAULT_POLICY))


def test_reminders_fire_at_the_right_times(client: TestClient, db: Database) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db, n=3)
    deadline = T0 + timedelta(days=3)
    poll_id = cast.create(deadline)
    sent = [(n.user_id, n.key) for n in rows(db, Notification)]
    people = sorted(
        [cast.user_ids["tv0"], cast.user_ids["tv1"], cast.user_ids["tv2"], cast.user_ids["troly0"]]
    )
    assert sorted(u for u, _ in sent) == people  # the announcement: members and the assistant
    assert {k for _, k in sent} == {f"poll:{poll_id}:sent"}

    clock.freeze(deadline - timedelta(hours=24, seconds=1))  # before the first slot: nothing
    assert _run(db) == []
    clock.freeze(deadline - timedelta(hours=24))
    made = _run(db)
    slot = f"poll:{poll_id}:before:24h"
    assert sorted((n.user_id, n.key) for n in made) == [(u, slot) for u in people]
    assert {n.kind for n in made} == {"poll_reminder"}
    clock.freeze(deadline - timedelta(hours=20))
    assert _run(db) == []  # exactly once, however often the loop runs

    cast.members[1] = login_as(client, "tv1")  # a session of this (frozen) day
    assert cast.answer(1, poll_id, "agree").status_code == 200  # tv1 has answered: no more reminders
    clock.freeze(deadline - timedelta(hours=2))
    made = _run(db)
    waiting = sorted([cast.user_ids["tv0"], cast.user_ids["tv2"], cast.user_ids["troly0"]])
    assert sorted(n.user_id for n in made) == waiting
    assert {n.key for n in made} == {f"poll:{poll_id}:before:2h"}
    assert _run(db) == []

    clock.freeze(deadline - timedelta(seconds=1))
    assert _run(db) == []
    clock.freeze(deadline)  # overdue: once, to those who did not answer
    made = _run(db)
    assert sorted(n.user_id for n in made) == waiting
    assert {(n.kind, n.key) for n in made} == {("poll_overdue", f"poll:{poll_id}:overdue")}
    clock.freeze(deadline + timedelta(hours=5))
    assert _run(db) == []
    assert len(_reminders(db)) == 4 + 3 + 3

    # Each notification is one event on the activity stream, never on stream 0.
    created = db.read_sync(lambda s: s.exec(select(Event).where(Event.kind == "notification.created")).all())
    assert len(created) == 4 + 4 + 3 + 3 and {e.stream for e in created} == {ACTIVITY_STREAM}


def test_a_ballot_sent_late_skips_the_passed_slot(client: TestClient, db: Database) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db, n=1)
    deadline = T0 + timedelta(hours=10)  # sent 10 hours ahead: no "24 hours" reminder
    poll_id = cast.create(deadline)
    assert _run(db) == []
    clock.freeze(deadline - timedelta(hours=1))
    made = _run(db)
    assert {n.key for n in made} == {f"poll:{poll_id}:before:2h"}


def test_the_loop_closes_due_ballots_and_reminds(client: TestClient, db: Database) -> None:
    context = context_of(client)
    clock.freeze(T0)
    cast = make_cast(client, db, n=2)
    poll_id = cast.create(T0 + timedelta(hours=30))
    clock.freeze(T0 + timedelta(hours=7))
    assert client.portal.call(reminders.tick, context) == (0, 3)  # type: ignore[union-attr]
    clock.freeze(T0 + timedelta(hours=30))
    assert client.portal.call(reminders.tick, context) == (1, 3)  # type: ignore[union-attr]
    assert client.portal.call(reminders.tick, context) == (0, 0)  # type: ignore[union-attr]
    assert db.read_sync(lambda s: s.get(OpinionPoll, poll_id)).state == "closed"  # type: ignore[union-attr]


# --- closing early ------------------------------------------------------------------------------


def test_closing_early(client: TestClient, db: Database) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db)
    poll_id = cast.create(T0 + timedelta(days=2))
    for who in (0, 1, 2):
        assert cast.answer(who, poll_id, "agree").status_code == 200
    closed = cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/close")
    assert closed.status_code == 200
    assert closed.json()["state"] == "closed" and closed.json()["result"]["adopted"] is True
    assert closed.json()["closed_at"] == clock.iso(T0)
    event = db.read_sync(lambda s: s.exec(select(Event).where(Event.kind == "poll.closed")).one())
    assert event.payload()["reason"] == "early" and event.actor_id == cast.user_ids["thuky"]
    assert cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/close").status_code == 200  # idempotent
    assert error_of(cast.answer(3, poll_id, "agree"))["code"] == "poll_closed"
    assert error_of(cast.answer(0, poll_id, "disagree"))["code"] == "poll_closed"
    assert cast.members[3].get(f"/api/v1/opinion-polls/{poll_id}").json()["result"]["agree"] == 3
    assert cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/send").status_code == 409
    # Closed early, nobody is overdue: no reminder and no overdue notice.
    for hours in (24, 47, 49):
        clock.freeze(T0 + timedelta(hours=hours))
        assert _run(db) == []


# --- verify -------------------------------------------------------------------------------------


def test_verify_recounts_ballots_and_names_a_tampered_one(
    client: TestClient, db: Database, database_url: str, tmp_path: Path
) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db, n=3)
    kept = cast.create(T0 + timedelta(days=1))
    tampered = cast.create(T0 + timedelta(days=1))
    for poll_id in (kept, tampered):
        cast.answer(0, poll_id, "agree")
        cast.answer(1, poll_id, "disagree")
        assert cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/close").status_code == 200
    clock.freeze(None)
    good = run_cli(["verify"], data_dir=tmp_path, database_url=database_url)
    assert good.returncode == 0, good.stdout + good.stderr
    assert json_out(good)["polls_recounted"] == 2 and json_out(good)["polls_ok"] is True

    with db.engine.begin() as conn:  # someone with the database changes an answer
        conn.execute(
            text("UPDATE poll_response SET position = 'agree' WHERE poll_id = :p AND member_id = :m"),
            {"p": tampered, "m": cast.member_ids[1]},
        )
    bad = run_cli(["verify"], data_dir=tmp_path, database_url=database_url)
    assert bad.returncode == 1
    summary = json_out(bad)
    assert summary["intact"] is True and summary["polls_ok"] is False
    assert summary["bad_polls"] == [{"poll_id": tampered, "reason": "tally_differs_from_responses"}]

    # Changing the stored result too still disagrees with the hash-chained poll.closed event.
    counted = db.read_sync(lambda s: poll_lifecycle.tally(s, s.get(OpinionPoll, tampered), DEFAULT_POLICY))  # type: ignore[arg-type]
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE opinion_poll SET result = :r WHERE id = :p"),
            {"r": json.dumps({"result": counted.result, "positions": counted.positions}), "p": tampered},
        )
    worse = run_cli(["verify"], data_dir=tmp_path, database_url=database_url)
    assert worse.returncode == 1
    assert json_out(worse)["bad_polls"] == [{"poll_id": tampered, "reason": "tally_differs_from_log"}]


# --- hostile input ------------------------------------------------------------------------------


def test_hostile_input_gets_clear_4xx(client: TestClient, db: Database) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db, n=2)
    url = "/api/v1/opinion-polls"
    later = (T0 + timedelta(days=1)).isoformat()

    def create(**body: Any) -> Any:
        return cast.sec.post(
            url, json={"programme_item_id": cast.item_id, "question": "Q?", "deadline": later, **body}
        )

    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"deadline": "not-a-date"}, 400, "invalid_fields"),
        ({"deadline": "2026-13-45T25:61"}, 400, "invalid_fields"),
        ({"deadline": 1234567890}, 400, "invalid_fields"),
        ({"deadline": (T0 - timedelta(hours=1)).isoformat()}, 422, "deadline_in_past"),
        ({"deadline": "0001-01-01T00:00:00"}, 422, "bad_deadline"),
        ({"deadline": (T0 + timedelta(days=400)).isoformat()}, 422, "deadline_too_far"),
        ({"programme_item_id": 999_999}, 422, "unknown_programme_item"),
        ({"programme_item_id": 2**40}, 400, "invalid_fields"),
        ({"programme_item_id": "1"}, 400, "invalid_fields"),
        ({"question": ""}, 400, "invalid_fields"),
        ({"question": "x" * 2001}, 400, "invalid_fields"),
        ({"question": "nul\x00byte"}, 400, "invalid_fields"),
        ({"extra": True}, 400, "invalid_fields"),
    ]
    for body, status, code in cases:
        response = create(**body)
        assert response.status_code == status, (body, response.text)
        assert error_of(response)["code"] == code, body
    assert (
        cast.sec.post(url, content=b"{nope", headers={"Content-Type": "application/json"}).status_code == 400
    )
    assert cast.sec.post(url, content=b"x", headers={"Content-Type": "text/plain"}).status_code == 415

    poll_id = cast.create(T0 + timedelta(days=1))
    answer = f"{url}/{poll_id}/response"
    answers: list[tuple[dict[str, Any], int, str]] = [
        ({"position": "yes"}, 422, "bad_position"),
        ({"position": "AGREE"}, 422, "bad_position"),
        ({"position": "agree", "comment": "x" * 5001}, 400, "invalid_fields"),
        ({"position": ["agree"]}, 400, "invalid_fields"),
        ({"comment": "no position"}, 400, "invalid_fields"),
        ({"position": "agree", "member_id": cast.member_ids[1]}, 400, "invalid_fields"),
    ]
    for body, status, code in answers:
        response = cast.members[0].put(answer, json=body)
        assert response.status_code == status, (body, response.text)
        assert error_of(response)["code"] == code, body
    assert cast.members[0].put(answer, json={"position": "agree", "comment": "x" * 5000}).status_code == 200
    assert cast.sec.put(answer, json={"position": "agree"}).status_code == 403  # no member, no answer
    assert cast.members[0].put(f"{url}/999999/response", json={"position": "agree"}).status_code == 404
    assert cast.members[0].put(f"{url}/{2**40}/response", json={"position": "agree"}).status_code == 404

    draft = cast.create(T0 + timedelta(days=1), send=False)
    assert cast.members[0].get(f"{url}/{draft}").status_code == 404  # drafts are the staff's
    assert cast.members[0].put(f"{url}/{draft}/response", json={"position": "agree"}).status_code == 404
    assert cast.sec.put(f"{url}/{draft}/response", json={"position": "agree"}).status_code == 403
    assert cast.members[0].post(f"{url}/{draft}/send").status_code == 403
    assert error_of(cast.sec.post(f"{url}/{draft}/close"))["code"] == "poll_not_sent"
    assert error_of(cast.sec.post(f"{url}/{poll_id}/send"))["code"] == "poll_not_draft"
    soon = cast.create(T0 + timedelta(minutes=30), send=False)
    clock.freeze(T0 + timedelta(minutes=27))  # a send needs the deadline 5 minutes ahead, at least
    assert error_of(cast.sec.post(f"{url}/{soon}/send"))["code"] == "deadline_passed"


def test_nobody_else_reads_or_marks_a_notification(client: TestClient, db: Database) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db, n=2)
    cast.create(T0 + timedelta(days=1))
    bell = cast.members[0].get("/api/v1/notifications").json()
    assert bell["unread"] == 1 and len(bell["items"]) == 1
    mine = bell["items"][0]
    assert mine["url"].startswith("/opinion-polls/") and mine["read_at"] is None
    assert "Phiếu lấy ý kiến mới" in mine["title"] and QUESTION in mine["body"]
    english = cast.members[0].get("/api/v1/notifications", headers={"Accept-Language": "en"}).json()
    assert english["items"][0]["title"].startswith("New opinion ballot")
    assert cast.members[1].post(f"/api/v1/notifications/{mine['id']}/read").status_code == 404
    assert cast.members[0].post("/api/v1/notifications/999999/read").status_code == 404
    read = cast.members[0].post(f"/api/v1/notifications/{mine['id']}/read")
    assert read.status_code == 200 and read.json()["unread"] == 0
    assert cast.members[1].post("/api/v1/notifications/read-all").json()["unread"] == 0
    assert cast.members[1].post("/api/v1/notifications/read-all").json()["unread"] == 0  # nothing left


# --- /ws/me -------------------------------------------------------------------------------------


def test_ws_me_handshake_refusals(client: TestClient, db: Database) -> None:
    cast = make_cast(client, db, n=1)
    for origin in (None, "https://evil.example", "null"):
        with pytest.raises(WebSocketDisconnect) as refused, cast.socket(cast.members[0], origin=origin):
            pass
        assert refused.value.code == 4403
    for cookie in ("", "ecab_session=not-a-session"):
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect("/ws/me", headers={"origin": ORIGIN, "cookie": cookie}),
        ):
            pass
        assert refused.value.code == 4403


def test_answers_reach_the_secretariat_socket_and_the_bell_moves(client: TestClient, db: Database) -> None:
    cast = make_cast(client, db, n=3)
    with cast.socket(cast.sec) as staff, cast.socket(cast.members[1]) as member:
        assert next_frame(staff, "notifications") == {"type": "notifications", "unread": 0}
        assert next_frame(member, "notifications") == {"type": "notifications", "unread": 0}
        poll_id = cast.create(clock.utcnow() + timedelta(days=2))
        assert next_frame(staff, "poll") == {
            "type": "poll",
            "poll_id": poll_id,
            "state": "sent",
            "responded": 0,
            "total": 3,
        }
        assert next_frame(member, "notifications") == {"type": "notifications", "unread": 1}
        assert cast.answer(0, poll_id, "agree").status_code == 200
        frame = next_frame(staff, "poll")
        assert (frame["poll_id"], frame["responded"], frame["total"]) == (poll_id, 1, 3)
        assert cast.answer(0, poll_id, "disagree").status_code == 200  # a revision: still 1 of 3
        assert next_frame(staff, "poll")["responded"] == 1
        assert cast.answer(2, poll_id, "other", "Ý kiến khác").status_code == 200
        assert next_frame(staff, "poll")["responded"] == 2
        # Reading the notification in another tab moves this tab's bell.
        notification_id = cast.members[1].get("/api/v1/notifications").json()["items"][0]["id"]
        cast.members[1].post(f"/api/v1/notifications/{notification_id}/read")
        assert next_frame(member, "notifications") == {"type": "notifications", "unread": 0}
        assert cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/close").status_code == 200
        closed = next_frame(staff, "poll")
        assert (closed["state"], closed["responded"], closed["total"]) == ("closed", 2, 3)


def test_a_logged_out_socket_is_closed_by_the_heartbeat(client: TestClient, db: Database) -> None:
    cast = make_cast(client, db, n=1)
    feed = context_of(client).user_feed
    with cast.socket(cast.members[0]) as member:
        next_frame(member, "notifications")
        assert cast.members[0].post("/api/v1/auth/logout").status_code == 204
        client.portal.call(feed.beat)  # type: ignore[union-attr]
        with pytest.raises(WebSocketDisconnect) as closed:
            member.receive_json()
        assert closed.value.code == 4401


# --- email --------------------------------------------------------------------------------------


class SmtpSink(socketserver.ThreadingTCPServer):
    """A tiny SMTP server that keeps what it is sent (enough of RFC 5321 for smtplib)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.arrived = threading.Condition()

    def keep(self, sender: str, recipients: list[str], raw: bytes) -> None:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.arrived:
            self.messages.append((sender, recipients, message))
            self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[tuple[str, list[str], Any]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.messages) >= count, timeout), self.messages
            return list(self.messages)


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpSink

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink ESMTP")
        sender, recipients = "", list[str]()
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "MAIL":
                sender, recipients = command.partition(":")[2].strip(" <>"), []
                self.reply("250 ok")
            elif verb == "RCPT":
                recipients.append(command.partition(":")[2].strip(" <>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                raw = io.BytesIO()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    raw.write(chunk[1:] if chunk.startswith(b"..") else chunk)
                self.server.keep(sender, recipients, raw.getvalue())
                self.reply("250 kept")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_notifications_are_mailed_through_smtp(tmp_path: Path, database_url: str, sink: SmtpSink) -> None:
    port = sink.server_address[1]
    settings = settings_for(
        tmp_path,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="ecabinet@chinhphu.example",
        public_url="https://ecabinet.chinhphu.example",
    )
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        db = context_of(client).db
        clock.freeze(T0)
        cast = make_cast(client, db, n=2)
        addresses = {"tv0": "bt.taichinh@chinhphu.example", "troly0": "troly.taichinh@chinhphu.example"}
        for username, address in addresses.items():  # tv1 has no address: the bell only
            set_email(db, cast.user_ids[username], address)
        db.write_sync(lambda s: accounts.set_locale(session=s, user_id=cast.user_ids["troly0"], locale="en"))
        poll_id = cast.create(T0 + timedelta(days=2))
        announced = sink.wait_for(2)
        by_address = {to[0]: message for _, to, message in announced}
        assert set(by_address) == set(addresses.values())
        assert {sender for sender, _, _ in announced} == {"ecabinet@chinhphu.example"}
        vietnamese = by_address["bt.taichinh@chinhphu.example"]
        assert vietnamese["Subject"].startswith("Phiếu lấy ý kiến mới: hạn trả lời")
        assert vietnamese["From"] == "ecabinet@chinhphu.example"
        body = vietnamese.get_content()
        assert QUESTION in body and f"https://ecabinet.chinhphu.example/opinion-polls/{poll_id}" in body
        assert by_address["troly.taichinh@chinhphu.example"]["Subject"].startswith("New opinion ballot")

        clock.freeze(T0 + timedelta(days=1))  # the 24-hour reminder goes by email too
        client.portal.call(reminders.tick, context_of(client))  # type: ignore[union-attr]
        reminded = sink.wait_for(4)[2:]
        assert {to[0] for _, to, _ in reminded} == set(addresses.values())
        assert all("24" in message["Subject"] for _, _, message in reminded)


def test_a_mail_server_that_is_down_is_logged_never_raised(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    closed = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens there any more
    settings = settings_for(tmp_path, database_url=database_url, smtp_host="127.0.0.1", smtp_port=port)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        db = context_of(client).db
        clock.freeze(T0)
        cast = make_cast(client, db, n=1)
        set_email(db, cast.user_ids["tv0"], "a@chinhphu.example")
        poll_id = cast.create(T0 + timedelta(days=2))  # 200: the mail is not part of the request
        mailer = context_of(client).user_feed.mailer
        assert mailer is not None
        mailer.drain()
        assert mailer.sent == 0
        assert any("could not send" in r.getMessage() for r in caplog.records)
        assert cast.members[0].get("/api/v1/notifications").json()["unread"] == 1
        assert cast.answer(0, poll_id, "agree").status_code == 200
        inbox = cast.members[0].get("/api/v1/opinion-polls").json()["items"]
        assert [(p["id"], p["my_position"]) for p in inbox] == [(poll_id, "agree")]


def test_user_emails_are_validated(client: TestClient, db: Database) -> None:
    admin = login_as(client, make_user(db, "quantri", ["admin"]).username)
    target = make_user(db, "nguoidung", ["observer"])
    for bad in (
        "not-an-email",
        "a@b",
        "a b@c.example",
        "x@y.example\r\nBcc: z@evil.example",
        "<a@b.example>",
    ):
        response = admin.patch(f"/api/v1/users/{target.id}", json={"email": bad})
        assert response.status_code == 400, bad
    ok = admin.patch(f"/api/v1/users/{target.id}", json={"email": "nguoi.dung@chinhphu.example"})
    assert ok.status_code == 200 and ok.json()["email"] == "nguoi.dung@chinhphu.example"
    cleared = admin.patch(f"/api/v1/users/{target.id}", json={"email": None})
    assert cleared.json()["email"] is None
    fields = {"csrf_token": admin.csrf, "full_name": "Người dùng", "roles": "observer", "active": "1"}
    form = admin.post(
        f"/admin/users/{target.id}", data={**fields, "email": "khac@chinhphu.example"}, follow_redirects=False
    )
    assert form.status_code == 303
    assert admin.get(f"/api/v1/users/{target.id}").json()["email"] == "khac@chinhphu.example"
    assert 'value="khac@chinhphu.example"' in admin.get(f"/admin/users/{target.id}").text
    refused = admin.post(f"/admin/users/{target.id}", data={**fields, "email": "khong hop le"})
    assert refused.status_code == 400 and "Thư điện tử" in refused.text
    emptied = admin.post(f"/admin/users/{target.id}", data={**fields, "email": ""}, follow_redirects=False)
    assert emptied.status_code == 303
    assert admin.get(f"/api/v1/users/{target.id}").json()["email"] is None


# --- pages and the report -----------------------------------------------------------------------


def test_pages_and_the_synthesis_report(client: TestClient, db: Database) -> None:
    clock.freeze(T0)
    cast = make_cast(client, db)
    poll_id = cast.create(T0 + timedelta(days=2))
    overdue_id = cast.create(T0 + timedelta(minutes=10))
    assert cast.answer(0, poll_id, "agree", "Đồng ý, đề nghị sớm ban hành.").status_code == 200
    assert cast.answer(1, poll_id, "disagree", "Chưa đủ cơ sở <script>alert(1)</script>").status_code == 200
    clock.freeze(T0 + timedelta(minutes=15))

    inbox = cast.members[2].get("/opinion-polls")
    assert inbox.status_code == 200
    assert f'id="poll-{overdue_id}"' in inbox.text and "is-overdue" in inbox.text
    page = cast.members[2].get(f"/opinion-polls/{poll_id}")
    assert 'id="answer-form"' in page.text and f'href="/documents/{cast.document_id}/read"' in page.text
    form = cast.members[2].post(
        f"/opinion-polls/{poll_id}/answer",
        data={"csrf_token": cast.members[2].csrf, "position": "other", "comment": "Ý kiến khác."},
        follow_redirects=False,
    )
    assert form.status_code == 303 and form.headers["location"].startswith(
        f"/opinion-polls/{poll_id}?ok=answered"
    )
    bad = cast.members[2].post(
        f"/opinion-polls/{poll_id}/answer", data={"csrf_token": cast.members[2].csrf, "position": "maybe"}
    )
    assert bad.status_code == 422 and 'class="notice notice-error"' in bad.text
    late = cast.members[2].get(f"/opinion-polls/{overdue_id}")
    assert 'id="answer-form"' not in late.text and 'id="answer-closed"' in late.text

    board = cast.sec.get(f"/opinion-polls/{poll_id}")
    assert (
        'id="poll-board"' in board.text
        and "&lt;script&gt;" in board.text
        and "<script>alert" not in board.text
    )
    assert 'data-status="answered"' in board.text and 'data-status="pending"' in board.text
    assert 'data-status="overdue"' in cast.sec.get(f"/opinion-polls/{overdue_id}").text
    assert cast.members[0].get(f"/api/v1/opinion-polls/{poll_id}/report.pdf").status_code == 403
    assert cast.assistant.get(f"/api/v1/opinion-polls/{poll_id}/report.pdf").status_code == 403

    cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/close")
    report = cast.sec.get(f"/api/v1/opinion-polls/{poll_id}/report.pdf")
    assert report.status_code == 200 and report.headers["content-type"] == "application/pdf"
    text_of = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(report.content)).pages)
    flat = " ".join(text_of.split())
    for expected in (
        "BÁO CÁO TỔNG HỢP Ý KIẾN",
        "KHÔNG ĐƯỢC THÔNG QUA",
        "Bộ trưởng 0",
        "Đồng ý, đề nghị sớm ban hành.",
        "Chưa đủ cơ sở <script>alert(1)</script>",
        "Ý kiến khác.",
        "III. THÀNH VIÊN CHƯA TRẢ LỜI",
        "Bộ trưởng 3",
    ):
        assert expected in flat, expected

    notes = cast.members[3].get("/notifications")
    assert notes.status_code == 200 and "is-unread" in notes.text
    unread = db.read_sync(
        lambda s: s.exec(
            select(Notification).where(
                Notification.user_id == cast.user_ids["tv3"], col(Notification.read_at).is_(None)
            )
        ).first()
    )
    assert unread is not None
    opened = cast.members[3].post(
        f"/notifications/{unread.id}/open", data={"csrf_token": cast.members[3].csrf}, follow_redirects=False
    )
    assert opened.status_code == 303 and opened.headers["location"] == unread.url
    assert db.read_sync(lambda s: s.get(Notification, unread.id)).read_at is not None  # type: ignore[union-attr]
    assert db.read_sync(lambda s: len(s.exec(select(PollResponse)).all())) == 3
