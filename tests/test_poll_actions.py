"""The secretariat's buttons on a ballot page (issue 14, defects 1 and 10): each form posts to the
action it names and that action runs; the report PDF and the deadline rule say what they mean.

The buttons, the routes and the handlers all come from one table,
meeting_app/pages/poll_actions.py; a test here walks every row of it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from agenda.polls.opinion_polls import OpinionPoll
from tests.support.factories import Actor, error_of, login_as, make_programme_item, make_user

QUESTION = "Thông qua dự thảo Nghị định về bảo vệ dữ liệu cá nhân?"


def setup(client: TestClient, db: Database) -> tuple[Actor, int]:
    for i in range(3):
        make_user(db, f"pa-tv{i}", ["member"], full_name=f"Bộ trưởng {i}")
    make_user(db, "pa-thuky", ["secretariat"])
    item = make_programme_item(db, title="Nghị định về bảo vệ dữ liệu cá nhân")
    return login_as(client, "pa-thuky"), item.id or 0


def create_poll(sec: Actor, item_id: int, *, send: bool = False) -> int:
    deadline = (clock.utcnow() + timedelta(days=2)).isoformat()
    response = sec.post(
        "/api/v1/opinion-polls",
        json={"programme_item_id": item_id, "question": QUESTION, "deadline": deadline},
    )
    assert response.status_code == 201, response.text
    poll_id: int = response.json()["id"]
    if send:
        assert sec.post(f"/api/v1/opinion-polls/{poll_id}/send").status_code == 200
    return poll_id


def state_of(db: Database, poll_id: int) -> str:
    def load(s: Session) -> str:
        poll = s.get(OpinionPoll, poll_id)
        assert poll is not None
        return poll.state

    return db.read_sync(load)


def forms_on(html: str) -> list[str]:
    return re.findall(r'<form method="post" action="(/opinion-polls/\d+/[a-z-]+)"', html)


def test_the_send_button_sends_a_draft(client: TestClient, db: Database) -> None:
    sec, item_id = setup(client, db)
    poll_id = create_poll(sec, item_id)
    page = sec.get(f"/opinion-polls/{poll_id}")
    assert f"/opinion-polls/{poll_id}/send" in forms_on(page.text)
    sent = sec.post(f"/opinion-polls/{poll_id}/send", data={"csrf_token": sec.csrf}, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/opinion-polls/{poll_id}?ok=poll_sent"
    assert state_of(db, poll_id) == "sent"
    flashed = sec.get(sent.headers["location"])
    assert "Đã gửi phiếu lấy ý kiến đến các thành viên Chính phủ." in flashed.text


def test_every_action_of_the_table_is_offered_routed_and_runs(client: TestClient, db: Database) -> None:
    from meeting_app.pages.poll_actions import ACTIONS

    sec, item_id = setup(client, db)
    assert {a.name for a in ACTIONS} >= {"send", "remind", "close"}
    for action in ACTIONS:
        for state in ("draft", "sent", "closed"):
            poll_id = create_poll(sec, item_id, send=state != "draft")
            if state == "closed":
                assert sec.post(f"/api/v1/opinion-polls/{poll_id}/close").status_code == 200
            url = f"/opinion-polls/{poll_id}/{action.name}"
            offered = url in forms_on(sec.get(f"/opinion-polls/{poll_id}").text)
            assert offered == (state in action.states), (action.name, state)
            if not offered:
                continue
            done = sec.post(url, data={"csrf_token": sec.csrf}, follow_redirects=False)
            assert done.status_code == 303, (action.name, done.text)
            assert done.headers["location"].startswith(f"/opinion-polls/{poll_id}?ok={action.flash}")
            assert state_of(db, poll_id) == action.leads_to, action.name


def test_a_draft_offers_no_report_and_the_route_says_why(client: TestClient, db: Database) -> None:
    sec, item_id = setup(client, db)
    poll_id = create_poll(sec, item_id)
    assert 'id="poll-report"' not in sec.get(f"/opinion-polls/{poll_id}").text
    refused = sec.get(f"/api/v1/opinion-polls/{poll_id}/report.pdf")
    assert refused.status_code == 409 and error_of(refused)["code"] == "poll_not_sent"
    assert sec.post(f"/api/v1/opinion-polls/{poll_id}/send").status_code == 200
    assert 'id="poll-report"' in sec.get(f"/opinion-polls/{poll_id}").text


@pytest.mark.parametrize("lead", [timedelta(seconds=20), timedelta(minutes=4)])
def test_a_deadline_too_soon_names_the_five_minute_rule(
    client: TestClient, db: Database, lead: timedelta
) -> None:
    sec, item_id = setup(client, db)
    deadline = (clock.utcnow() + lead).isoformat()
    body = {"programme_item_id": item_id, "question": QUESTION, "deadline": deadline}
    api = sec.post("/api/v1/opinion-polls", json=body)
    assert api.status_code == 422, api.text
    error = error_of(api)
    assert error["code"] == "deadline_in_past"
    assert "Hạn trả lời phải sau thời điểm hiện tại ít nhất 5 phút" in error["message"]
    english = sec.post("/api/v1/opinion-polls", json=body, headers={"Accept-Language": "en"})
    assert "at least 5 minutes" in error_of(english)["message"]
    form = sec.post("/opinion-polls/new", data={"csrf_token": sec.csrf, **body})
    assert form.status_code == 422 and "Hạn trả lời phải sau thời điểm hiện tại ít nhất 5 phút" in form.text


def test_the_secretariat_reminds_those_who_have_not_answered(client: TestClient, db: Database) -> None:
    """The "remind" button: a bell (and mail) to each recipient without an answer and their
    assistants, once an hour at most; 409 on a draft, a closed or an overdue ballot."""
    from sqlmodel import select

    from agenda.people.notifications import Notification

    sec, item_id = setup(client, db)
    draft = create_poll(sec, item_id)
    refused = sec.post(f"/api/v1/opinion-polls/{draft}/remind")
    assert refused.status_code == 409 and error_of(refused)["code"] == "poll_not_sent"
    poll_id = create_poll(sec, item_id, send=True)
    answered = login_as(client, "pa-tv0").put(
        f"/api/v1/opinion-polls/{poll_id}/response", json={"position": "agree", "comment": ""}
    )
    assert answered.status_code == 200, answered.text

    def nudges() -> list[Notification]:
        return db.read_sync(
            lambda s: list(s.exec(select(Notification).where(Notification.kind == "poll_nudge")).all())
        )

    reminded = sec.post(f"/api/v1/opinion-polls/{poll_id}/remind")
    assert reminded.status_code == 200, reminded.text
    assert reminded.json()["reminded"] == 2
    assert len(nudges()) == 2  # pa-tv1 and pa-tv2; pa-tv0 answered
    again = sec.post(f"/api/v1/opinion-polls/{poll_id}/remind")
    assert again.status_code == 409 and error_of(again)["code"] == "reminded_recently"
    assert len(nudges()) == 2
    bell = login_as(client, "pa-tv1").get("/api/v1/notifications").json()
    assert any("nhắc trả lời phiếu lấy ý kiến" in n["title"] for n in bell["items"]), bell

    page = sec.post(f"/opinion-polls/{poll_id}/remind", data={"csrf_token": sec.csrf})
    assert page.status_code == 409 and "đã được nhắc trong giờ này" in page.text
    assert sec.post(f"/api/v1/opinion-polls/{poll_id}/close").status_code == 200
    closed = sec.post(f"/api/v1/opinion-polls/{poll_id}/remind")
    assert closed.status_code == 409 and error_of(closed)["code"] == "poll_closed"
