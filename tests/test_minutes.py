"""The minutes and the verifiable record (issue 5, parts 3 and 4; docs/minutes.md).

A scripted session (tests/support/live_setup.py, on a frozen clock) is run to adjournment; the draft
minutes must hold exactly its record: attendance with a substitute, items with outcomes and
conclusions, speakers' durations, a named vote per member and a secret vote in totals only, and
the timings. Then the narrative is edited, the minutes finalized and locked; the PDFs carry the
last event's hash; a member outside a restricted item's audience gets the placeholder; the
audit page and the raw event log; `python run.py verify` on a tampered event and a tampered
ballot. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database, is_sqlite
from agenda.log import events
from agenda.log.events import Event, verify_chain
from agenda.people.accounts import User
from agenda.record.minutes import Minutes
from meeting_app.settings import Settings
from tests.support.cli import json_out, run_cli
from tests.support.factories import add_agenda_item, error_of, make_meeting
from tests.support.live_setup import SECRET_TITLE, Live, make_live

# The session's start: now (whole seconds), so that the logins made just before stay fresh.
T0 = datetime.now(UTC).replace(microsecond=0)
CONCLUSION_A = "Giao Bộ Kế hoạch và Đầu tư hoàn thiện báo cáo, trình Thủ tướng trước ngày 15."
CONCLUSION_B = "Hoãn xem xét; cơ quan chủ trì bổ sung hồ sơ mật XK-77."
SECRET_QUESTION = "Thông qua đề án mật XK-77?"
NAMED_QUESTION = "Thông qua báo cáo tình hình kinh tế - xã hội?"


@dataclass
class Script:
    """What the scripted session did, to check the minutes against."""

    live: Live
    named_vote: int
    secret_vote: int
    speakers: dict[str, int]  # who -> speaker id
    sub_id: int

    def member(self, who: str) -> int:
        return self.live.member_ids[0 if who == "chair" else int(who[1:])]


def at(seconds: int) -> None:
    clock.freeze(T0 + timedelta(seconds=seconds))


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def user_id(db: Database, username: str) -> int:
    user = db.read_sync(lambda s: s.exec(select(User).where(User.username == username)).one())
    assert user.id is not None
    return user.id


def run_session(live: Live) -> Script:
    """Set T0 to now, then run the scripted session: roll call with a substitute, the consent
    block, item A (three speakers, a named vote, adopted with changes), item B (restricted: a
    speaker, a secret vote, deferred), adjourned 15 minutes after the start."""
    global T0
    T0 = datetime.now(UTC).replace(microsecond=0)
    sec, chair = live.actors["sec"], live.actors["chair"]
    ids = live.member_ids
    sub_id = user_id(live.db, "sub")
    at(-600)
    roll = {
        ids[0]: {"status": "present"},
        ids[1]: {"status": "present"},
        ids[2]: {"status": "present"},
        ids[3]: {"status": "present"},
        ids[4]: {"status": "remote"},
        ids[5]: {"status": "present"},
        ids[6]: {"status": "excused", "substitute_user_id": sub_id},
        ids[7]: {"status": "absent"},
    }
    for member_id, body in roll.items():
        ok(sec.put(live.url(f"/attendance/{member_id}"), json=body))
    at(0)
    ok(chair.post(live.url("/start")))
    ok(chair.post(live.url("/consent/adopt")))
    ok(chair.post(live.url("/advance"), json={"to": "next"}))  # item A
    item_a, item_b = live.items["A"], live.items["B"]
    speakers = {}
    for who in ("m1", "m2", "sub"):
        speakers[who] = ok(live.actors[who].post(f"/api/v1/agenda-items/{item_a}/speakers"), 201)["id"]
    at(60)
    ok(chair.post(f"/api/v1/speakers/{speakers['m1']}/start"))
    at(185)
    ok(chair.post(f"/api/v1/speakers/{speakers['m2']}/start"))  # m1 spoke 125 s
    at(275)
    ok(chair.post(f"/api/v1/speakers/{speakers['m2']}/stop"))  # m2 spoke 90 s
    at(300)
    ok(chair.post(f"/api/v1/speakers/{speakers['sub']}/start"))
    at(345)
    ok(chair.post(f"/api/v1/speakers/{speakers['sub']}/stop"))  # the substitute spoke 45 s
    at(400)
    named = live.open_vote("A", question=NAMED_QUESTION)
    for who in ("chair", "m1", "m2", "m4", "m5"):  # m3 is present but does not vote
        ok(live.ballot(who, named, "yes"))
    at(460)
    ok(chair.post(f"/api/v1/votes/{named}/close"))
    at(500)
    outcome = {"outcome": "adopted_with_changes", "conclusion": CONCLUSION_A}
    ok(chair.post(f"/api/v1/agenda-items/{item_a}/outcome", json=outcome))
    at(600)
    ok(chair.post(live.url("/advance"), json={"to": item_b}))  # A took 600 s
    speakers["m1-b"] = ok(live.actors["m1"].post(f"/api/v1/agenda-items/{item_b}/speakers"), 201)["id"]
    at(620)
    ok(chair.post(f"/api/v1/speakers/{speakers['m1-b']}/start"))
    at(650)
    ok(chair.post(f"/api/v1/speakers/{speakers['m1-b']}/stop"))  # 30 s
    at(700)
    secret = live.open_vote("B", secret=True, question=SECRET_QUESTION)
    ok(live.ballot("chair", secret, "yes"))
    ok(live.ballot("m1", secret, "no"))
    at(760)
    ok(chair.post(f"/api/v1/votes/{secret}/close"))
    at(800)
    outcome = {"outcome": "deferred", "conclusion": CONCLUSION_B}
    ok(chair.post(f"/api/v1/agenda-items/{item_b}/outcome", json=outcome))
    at(900)
    ok(chair.post(live.url("/adjourn")))  # B took 300 s
    return Script(live=live, named_vote=named, secret_vote=secret, speakers=speakers, sub_id=sub_id)


@pytest.fixture
def script(client: TestClient, db: Database) -> Script:
    return run_session(make_live(client, db))


def iso_at(seconds: int) -> str:
    return clock.iso(T0 + timedelta(seconds=seconds)) or ""


def person(live: Live, n: int) -> dict[str, Any]:
    names = ["Thành viên số 1", *[f"Thành viên số {i}" for i in range(2, 9)]]
    return {"member_id": live.member_ids[n], "full_name": names[n], "title": "Bộ trưởng"}


def minutes_of(script: Script, who: str = "sec") -> dict[str, Any]:
    body: dict[str, Any] = ok(script.live.actors[who].get(script.live.url("/minutes")))
    return body


# --- the record -----------------------------------------------------------------------------------


def test_the_draft_holds_exactly_the_record_of_the_session(script: Script) -> None:
    live = script.live
    found = minutes_of(script)
    assert found["state"] == "draft"
    assert found["narrative"] == {"opening": "", "items": {}, "closing": ""}
    record = found["record"]
    meeting = record["meeting"]
    assert meeting["id"] == live.meeting_id
    assert meeting["chair"] == person(live, 0)

    attendance = record["attendance"]
    assert attendance["present"] == [person(live, n) for n in (0, 1, 2, 3, 5)]
    assert attendance["remote"] == [person(live, 4)]
    assert attendance["excused"] == [person(live, 6)]
    assert attendance["absent"] == [person(live, 7)]
    assert attendance["not_recorded"] == []
    assert attendance["substitutes"] == [
        {
            "user_id": script.sub_id,
            "full_name": "Thứ trưởng dự thay",
            "for_member_id": live.member_ids[6],
            "for_member_name": "Thành viên số 7",
            "for_member_title": "Bộ trưởng",
        }
    ]
    assert [g["full_name"] for g in attendance["guests"]] == ["Khách mời"]

    items = {i["id"]: i for i in record["items"]}
    assert [i["id"] for i in record["items"]] == [live.items[k] for k in "ABCD"]
    a, b = items[live.items["A"]], items[live.items["B"]]
    c, d = items[live.items["C"]], items[live.items["D"]]
    assert (a["outcome"], a["conclusion"], a["consent"]) == ("adopted_with_changes", CONCLUSION_A, False)
    assert (b["outcome"], b["conclusion"], b["restricted"]) == ("deferred", CONCLUSION_B, True)
    assert b["title"] == SECRET_TITLE and b["audience"] == [live.member_ids[1]]
    for consent in (c, d):
        assert (consent["outcome"], consent["conclusion"], consent["consent"]) == ("adopted", "", True)
        assert consent["speakers"] == [] and consent["votes"] == [] and consent["seconds_spent"] == 0

    spoke = [(s["name"], s["seconds"], s["started_at"], s["stopped_at"]) for s in a["speakers"]]
    assert spoke == [
        ("Bộ trưởng 1", 125, iso_at(60), iso_at(185)),
        ("Bộ trưởng 2", 90, iso_at(185), iso_at(275)),
        ("Thứ trưởng dự thay", 45, iso_at(300), iso_at(345)),
    ]
    assert a["speakers"][2]["member_id"] is None
    assert [(s["name"], s["seconds"]) for s in b["speakers"]] == [("Bộ trưởng 1", 30)]

    [named] = a["votes"]
    assert named == {
        "vote_id": script.named_vote,
        "question": NAMED_QUESTION,
        "secret": False,
        "opened_at": iso_at(400),
        "closed_at": iso_at(460),
        "eligible": 6,
        "cast": 5,
        "result": {
            "yes": 5,
            "no": 0,
            "abstain": 0,
            "adopted": True,
            "rule": named["result"]["rule"],
            "tie_broken_by_chair": False,
            "total_membership": 8,
        },
        "ballots": [
            {"member_id": live.member_ids[n], "full_name": f"Thành viên số {n + 1}", "choice": "yes"}
            for n in (0, 1, 2, 4, 5)
        ],
        "not_voted": [{"member_id": live.member_ids[3], "full_name": "Thành viên số 4"}],
    }
    [secret] = b["votes"]
    assert set(secret) == {
        "vote_id",
        "question",
        "secret",
        "opened_at",
        "closed_at",
        "eligible",
        "cast",
        "result",
    }
    assert secret["secret"] is True and (secret["eligible"], secret["cast"]) == (2, 2)
    assert {k: secret["result"][k] for k in ("yes", "no", "abstain", "adopted")} == {
        "yes": 1,
        "no": 1,
        "abstain": 0,
        "adopted": False,
    }

    assert (a["minutes_allotted"], a["seconds_spent"]) == (30, 600)
    assert (b["minutes_allotted"], b["seconds_spent"]) == (30, 300)
    assert record["timings"] == {
        "started_at": iso_at(0),
        "adjourned_at": iso_at(900),
        "seconds": 900,
        "minutes_allotted": 120,
        "seconds_spent": 900,
    }
    assert found["resolution"]["items"] == [
        {
            "id": a["id"],
            "position": 1,
            "title": a["title"],
            "code": None,
            "outcome": "adopted_with_changes",
            "conclusion": CONCLUSION_A,
            "consent": False,
            "tasks": [],
            "restricted_tasks": 0,
        },
        *[
            {
                "id": i["id"],
                "position": i["position"],
                "title": i["title"],
                "code": None,
                "outcome": "adopted",
                "conclusion": "",
                "consent": True,
                "tasks": [],
                "restricted_tasks": 0,
            }
            for i in (c, d)
        ],
    ]


def no_secret_choice(found: Any, secret_vote: int) -> None:
    """Nothing in the minutes JSON ties a member to a choice in the secret vote: the only choices
    are the named vote's ballots, and nobody chose "no" there."""
    choices: list[Any] = []
    stack = [found]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get("vote_id") == secret_vote:
                assert "ballots" not in value and "not_voted" not in value
            if "choice" in value:
                choices.append(value["choice"])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    assert choices and set(choices) == {"yes"}


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def flat(value: str) -> str:
    return " ".join(value.split())


def test_the_minutes_pdf_holds_the_record_and_no_secret_choice(script: Script) -> None:
    sec = script.live.actors["sec"]
    found = minutes_of(script)
    no_secret_choice(found, script.secret_vote)
    response = sec.get(script.live.url("/minutes.pdf"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    text_ = flat(pdf_text(response.content))
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BIÊN BẢN PHIÊN HỌP",
        "BẢN DỰ THẢO",
        "Thứ trưởng dự thay dự thay Thành viên số 7",
        SECRET_TITLE,
        CONCLUSION_A,
        "2 phút 05 giây",  # m1 on item A
        "1 phút 30 giây",
        "45 giây",
        "Biểu quyết kín: chỉ công bố tổng số phiếu.",
        "Tán thành 1, không tán thành 1, không biểu quyết 0",
    ):
        assert flat(expected) in text_, expected
    assert "Không tán thành" not in text_  # no member's choice is "no" but the secret vote's one
    last = found["last_event"]
    assert f"Bản ghi đến sự kiện số {last['seq']}, mã băm {last['hash']}" in text_


# --- who reads what -------------------------------------------------------------------------------


def test_a_member_outside_a_restricted_item_gets_the_placeholder(script: Script) -> None:
    live = script.live
    item_b = live.items["B"]
    summaries = {"items": {str(item_b): "Thảo luận mật về XK-77.", str(live.items["A"]): "Đồng ý chung."}}
    ok(live.actors["sec"].put(live.url("/minutes"), json=summaries))

    outsider_view = minutes_of(script, "m2")
    [b] = [i for i in outsider_view["record"]["items"] if i["id"] == item_b]
    assert b == {"id": item_b, "position": 2, "restricted": True}
    assert outsider_view["narrative"]["items"] == {str(live.items["A"]): "Đồng ý chung."}
    assert {"id": item_b, "position": 2, "restricted": True} in outsider_view["resolution"]["items"]
    dumped = json.dumps(outsider_view, ensure_ascii=False)
    for secret in (SECRET_TITLE, CONCLUSION_B, SECRET_QUESTION, "Thảo luận mật", "audience"):
        assert secret not in dumped, secret
    for path in ("/minutes.pdf", "/resolution.pdf"):
        response = live.actors["m2"].get(live.url(path))
        assert response.status_code == 200, response.text
        shown = flat(pdf_text(response.content))
        assert "Nội dung hạn chế" in shown
        for secret in (SECRET_TITLE, CONCLUSION_B, SECRET_QUESTION, "Thảo luận mật"):
            assert secret not in shown, (path, secret)

    insider_view = minutes_of(script, "m1")  # m1 is the item's audience
    [b] = [i for i in insider_view["record"]["items"] if i["id"] == item_b]
    assert (b["title"], b["conclusion"], "audience" in b) == (SECRET_TITLE, CONCLUSION_B, False)
    assert insider_view["narrative"]["items"][str(item_b)] == "Thảo luận mật về XK-77."
    assert SECRET_TITLE in flat(pdf_text(live.actors["m1"].get(live.url("/minutes.pdf")).content))
    chair_view = minutes_of(script, "chair")
    assert chair_view["record"] == minutes_of(script)["record"]  # the chair sees everything

    for who, status in (("outsider", 404), ("guest", 403), ("observer", 403), ("sub", 403)):
        for path in ("/minutes", "/minutes.pdf", "/resolution.pdf"):
            response = live.actors[who].get(live.url(path))
            assert response.status_code == status, (who, path, response.text)


def test_no_minutes_before_adjournment(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    for path in ("/minutes", "/minutes.pdf", "/resolution.pdf"):
        assert error_of(live.actors["sec"].get(live.url(path)))["code"] == "not_adjourned"
        assert live.actors["m2"].get(live.url(path)).status_code == 409
    refused = live.actors["sec"].put(live.url("/minutes"), json={"opening": "Sớm quá"})
    assert (refused.status_code, error_of(refused)["code"]) == (409, "not_adjourned")
    live.start()
    assert live.actors["sec"].post(live.url("/minutes/finalize")).status_code == 409
    assert db.read_sync(lambda s: s.get(Minutes, live.meeting_id)) is None


# --- editing and finalizing -----------------------------------------------------------------------


def meeting_events(db: Database, meeting_id: int) -> list[Event]:
    return list(
        db.read_sync(
            lambda s: s.exec(select(Event).where(Event.stream == meeting_id).order_by(col(Event.seq))).all()
        )
    )


def test_edit_then_finalize_locks_the_minutes(script: Script) -> None:
    live = script.live
    sec = live.actors["sec"]
    item_a = str(live.items["A"])
    body = {
        "opening": "  Thủ tướng khai mạc phiên họp.\r\nThư ký báo cáo thành phần.  ",
        "items": {item_a: "Ý kiến tán thành."},
    }
    edited = ok(sec.put(live.url("/minutes"), json=body))
    assert edited["narrative"] == {
        "opening": "Thủ tướng khai mạc phiên họp.\nThư ký báo cáo thành phần.",
        "items": {item_a: "Ý kiến tán thành."},
        "closing": "",
    }
    last = meeting_events(live.db, live.meeting_id)[-1]
    assert (last.kind, last.payload()["fields"]) == ("minutes.edited", ["opening", "items"])
    assert "Thủ tướng" not in last.data  # the event names the parts, never the text
    ok(sec.put(live.url("/minutes"), json={"closing": "Bế mạc lúc 12 giờ.", "items": {item_a: ""}}))
    again = minutes_of(script)
    assert again["narrative"]["items"] == {} and again["narrative"]["closing"] == "Bế mạc lúc 12 giờ."
    unchanged = len(meeting_events(live.db, live.meeting_id))
    ok(sec.put(live.url("/minutes"), json={"closing": "Bế mạc lúc 12 giờ."}))  # no change: no event
    assert len(meeting_events(live.db, live.meeting_id)) == unchanged

    for who in ("chair", "m1"):  # only the secretariat writes the minutes
        assert live.actors[who].put(live.url("/minutes"), json={"closing": "x"}).status_code == 403
        assert live.actors[who].post(live.url("/minutes/finalize")).status_code == 403

    final = ok(sec.post(live.url("/minutes/finalize")))
    stream = meeting_events(live.db, live.meeting_id)
    finalized = stream[-1]
    assert finalized.kind == "minutes.finalized"
    before = stream[-2]
    assert final["state"] == "final"
    assert final["last_event"] == {"seq": before.seq, "hash": before.hash}
    assert (finalized.seq, finalized.prev_hash) == (before.seq + 1, before.hash)
    assert finalized.payload()["last_event_seq"] == before.seq
    assert finalized.payload()["last_event_hash"] == before.hash
    assert final["finalized_by"]["full_name"] == "Người dùng sec"
    meeting = ok(sec.get(live.url("")))
    assert meeting["state"] == "closed"

    for attempt in (
        sec.put(live.url("/minutes"), json={"closing": "Sửa sau khi chốt"}),
        sec.post(live.url("/minutes/finalize")),
    ):
        assert (attempt.status_code, error_of(attempt)["code"]) == (409, "minutes_final")
    assert minutes_of(script)["narrative"]["closing"] == "Bế mạc lúc 12 giờ."
    assert len(meeting_events(live.db, live.meeting_id)) == len(stream)

    response = sec.get(live.url("/minutes.pdf"))
    assert response.status_code == 200
    pages = [flat(p.extract_text() or "") for p in PdfReader(io.BytesIO(response.content)).pages]
    seal = f"Bản ghi đến sự kiện số {before.seq}, mã băm {before.hash}"
    assert len(pages) >= 2 and all(seal in p for p in pages)  # the footer of every page
    assert "BẢN DỰ THẢO" not in " ".join(pages) and "Bế mạc lúc 12 giờ." in " ".join(pages)
    member_view = minutes_of(script, "m3")
    assert member_view["state"] == "final" and member_view["last_event"] == final["last_event"]
    resolution = flat(pdf_text(live.actors["m3"].get(live.url("/resolution.pdf")).content))
    assert "NGHỊ QUYẾT PHIÊN HỌP" in resolution and seal in resolution and CONCLUSION_A in resolution


def test_bad_narrative_gets_a_clear_4xx_and_changes_nothing(script: Script) -> None:
    live = script.live
    sec = live.actors["sec"]
    url = live.url("/minutes")
    other = make_live_item_elsewhere(live)
    cases: list[tuple[Any, int, str]] = [
        ({"opening": 5}, 400, "invalid_fields"),
        ({"items": [1, 2]}, 400, "invalid_fields"),
        ({"items": {str(live.items["A"]): 7}}, 400, "invalid_fields"),
        ({"narrative": "x"}, 400, "invalid_fields"),
        ({"opening": "a" * 20_001}, 400, "invalid_fields"),
        ({"closing": "nul\x00byte"}, 400, "invalid_fields"),
        ({"items": {"abc": "x"}}, 422, "unknown_agenda_item"),
        ({"items": {"-1": "x"}}, 422, "unknown_agenda_item"),
        ({"items": {str(other): "x"}}, 422, "unknown_agenda_item"),
        ({"items": {str(live.items["A"]): "a" * 20_001}}, 422, "text_too_long"),
    ]
    for body, status, code in cases:
        response = sec.put(url, json=body)
        assert (response.status_code, error_of(response)["code"]) == (status, code), body
    for raw, content_type, status in (
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 400),
        (b"opening=x", "application/x-www-form-urlencoded", 415),
    ):
        response = sec.put(url, content=raw, headers={"Content-Type": content_type})
        assert response.status_code == status, raw
    no_token = live.client.put(url, json={"opening": "x"}, headers={"Cookie": f"ecab_session={sec.token}"})
    assert no_token.status_code == 403
    assert minutes_of(script)["narrative"] == {"opening": "", "items": {}, "closing": ""}

    hostile = "<script>alert(1)</script> \u202eRTL 😀 漢字 \u0007 ** __ --"
    stored = ok(sec.put(url, json={"opening": hostile, "items": {str(live.items["B"]): hostile}}))
    assert stored["narrative"]["opening"] == "<script>alert(1)</script> RTL 😀 漢字  ** __ --"
    page_html = sec.get(f"/meetings/{live.meeting_id}/minutes").text
    assert "<script>alert(1)</script>" not in page_html and "&lt;script&gt;" in page_html
    for path in ("/minutes.pdf", "/resolution.pdf"):
        response = sec.get(live.url(path))
        assert response.status_code == 200
        assert "alert(1)" in flat(pdf_text(response.content)) or path == "/resolution.pdf"


def make_live_item_elsewhere(live: Live) -> int:
    """An agenda item of another meeting."""
    meeting = make_meeting(live.db, chair_member_id=live.member_ids[0])
    item = add_agenda_item(live.db, meeting.id or 0, title="Mục của phiên khác")
    assert item.id is not None
    return item.id


# --- the raw event log and the audit page ---------------------------------------------------------


def test_the_event_log_pages_with_hashes_anyone_can_recheck(script: Script) -> None:
    live = script.live
    sec = live.actors["sec"]
    seen: list[dict[str, Any]] = []
    since = 0
    pages = 0
    while True:
        body = ok(sec.get(live.url(f"/events?since={since}&limit=20")))
        assert set(body) == {"items", "next_since"}
        seen += body["items"]
        pages += 1
        if body["next_since"] is None:
            break
        assert body["next_since"] == body["items"][-1]["seq"] and len(body["items"]) == 20
        since = body["next_since"]
    stored = meeting_events(live.db, live.meeting_id)
    assert [e["seq"] for e in seen] == list(range(1, len(stored) + 1))
    assert pages == -(-len(stored) // 20)
    previous = events.GENESIS_HASH
    for item in seen:  # everything needed to recompute the chain is in the answer
        assert set(item) == {"seq", "kind", "at", "actor_id", "data", "prev_hash", "hash"}
        assert item["prev_hash"] == previous
        at_ = datetime.strptime(item["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        digest = events.compute_hash(
            previous,
            stream=live.meeting_id,
            seq=item["seq"],
            kind=item["kind"],
            data=json.dumps(item["data"]),
            actor_id=item["actor_id"],
            at=at_,
        )
        assert digest == item["hash"]
        previous = item["hash"]
    whole = ok(sec.get(live.url("/events")))
    assert len(whole["items"]) == len(stored) and whole["next_since"] is None
    assert ok(sec.get(live.url(f"/events?since={len(stored)}"))) == {"items": [], "next_since": None}

    for query in (
        "since=-1",
        "since=abc",
        "since=1e3",
        "limit=0",
        "limit=501",
        "since=٣",
        "since=" + "9" * 30,
    ):
        response = sec.get(live.url(f"/events?{query}"))
        assert (response.status_code, error_of(response)["code"]) == (400, "bad_query"), query
    for who in ("chair", "m1", "observer", "guest"):
        assert live.actors[who].get(live.url("/events")).status_code == 403
    assert sec.get("/api/v1/meetings/999999/events").status_code == 404


def drop_append_only(db: Database) -> None:
    """What someone with raw database access would do before rewriting the log."""
    with db.engine.begin() as conn:
        if is_sqlite(db.engine):
            conn.execute(text("DROP TRIGGER event_no_update"))
        else:
            conn.execute(text("ALTER TABLE event DISABLE TRIGGER USER"))


def raw(db: Database, sql: str, **params: Any) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_the_audit_page_and_verify_find_a_tampered_event(script: Script, settings: Settings) -> None:
    live = script.live
    sec = live.actors["sec"]
    audit_url = f"/meetings/{live.meeting_id}/audit"
    page_html = sec.get(audit_url).text
    assert 'id="chain-status" data-intact="true"' in page_html
    assert "Chuỗi sự kiện nguyên vẹn" in page_html
    assert page_html.count('data-ok="true"') == 2  # both votes recount
    assert re.search(r'rel="next" href="\?page=2"', page_html)  # over 50 events: two pages
    second = sec.get(f"{audit_url}?page=2").text
    assert 'data-seq="51"' in second and 'data-seq="1"' not in second
    for who in ("chair", "m1", "observer"):
        assert live.actors[who].get(audit_url).status_code == 403
    assert sec.get(f"{audit_url}?page=abc").status_code == 200
    clean_run = run_cli(["verify"], data_dir=settings.data_dir, database_url=settings.database_url)
    assert clean_run.returncode == 0, clean_run.stdout + clean_run.stderr

    target = next(
        e
        for e in meeting_events(live.db, live.meeting_id)
        if e.kind == "item.outcome" and e.payload()["conclusion"] == CONCLUSION_A
    )
    drop_append_only(live.db)
    forged = target.data.replace("hoàn thiện", "hủy bỏ")
    raw(live.db, "UPDATE event SET data = :d WHERE id = :i", d=forged, i=target.id)
    assert db_first_bad(live.db, live.meeting_id) == {
        "stream": live.meeting_id,
        "seq": target.seq,
        "reason": "hash_mismatch",
    }

    page_html = sec.get(f"{audit_url}?page={(target.seq - 1) // 50 + 1}").text
    assert 'data-intact="false"' in page_html
    assert f"Chuỗi bị phá vỡ tại sự kiện số {target.seq} (nội dung không khớp mã băm)" in page_html
    assert f'data-seq="{target.seq}" class="is-bad"' in page_html

    result = run_cli(["verify"], data_dir=settings.data_dir, database_url=settings.database_url)
    assert result.returncode == 1, result.stdout + result.stderr
    summary = json_out(result)
    assert summary["intact"] is False and summary["first_bad_seq"] == target.seq
    assert summary["first_bad"]["stream"] == live.meeting_id


def db_first_bad(db: Database, stream: int) -> Any:
    return db.read_sync(lambda s: verify_chain(s, stream=stream)).first_bad


def test_verify_and_the_audit_page_name_a_tampered_ballot(script: Script, settings: Settings) -> None:
    live = script.live
    member = script.member("m1")
    raw(
        live.db,
        "UPDATE ballot SET choice = 'no' WHERE vote_id = :v AND member_id = :m",
        v=script.named_vote,
        m=member,
    )
    result = run_cli(["verify"], data_dir=settings.data_dir, database_url=settings.database_url)
    assert result.returncode == 1, result.stdout + result.stderr
    summary = json_out(result)
    assert summary["intact"] is True  # the log is untouched: the ballot row is what changed
    assert summary["bad_votes"] == [{"vote_id": script.named_vote, "reason": "tally_differs_from_ballots"}]
    page_html = live.actors["sec"].get(f"/meetings/{live.meeting_id}/audit").text
    assert f'data-vote="{script.named_vote}" data-ok="false"' in page_html
    assert f'data-vote="{script.secret_vote}" data-ok="true"' in page_html


def test_finalized_minutes_altered_in_the_database_show_on_the_audit_page(script: Script) -> None:
    live = script.live
    sec = live.actors["sec"]
    ok(sec.post(live.url("/minutes/finalize")))
    assert (
        "Biên bản đã chốt khớp với mã băm ghi trong nhật ký."
        in sec.get(f"/meetings/{live.meeting_id}/audit").text
    )
    raw(live.db, "UPDATE minutes SET closing = 'Viết lại' WHERE meeting_id = :m", m=live.meeting_id)
    page_html = sec.get(f"/meetings/{live.meeting_id}/audit").text
    assert "không còn khớp với mã băm ghi trong nhật ký" in page_html


# --- the pages ------------------------------------------------------------------------------------


def form_post(actor: Any, url: str, fields: dict[str, str]) -> Any:
    return actor.post(url, data={"csrf_token": actor.csrf, **fields}, follow_redirects=False)


def test_the_minutes_pages(script: Script) -> None:
    live = script.live
    sec, m2 = live.actors["sec"], live.actors["m2"]
    base = f"/meetings/{live.meeting_id}"
    meeting_page = sec.get(base).text
    assert 'id="minutes-link"' in meeting_page and 'id="audit-link"' in meeting_page
    assert 'id="minutes-link"' in m2.get(base).text
    assert 'id="audit-link"' not in m2.get(base).text

    editor = sec.get(f"{base}/minutes").text
    for marker in (
        'id="narrative-form"',
        'id="finalize-form"',
        'id="minutes-pdf"',
        'id="resolution-pdf"',
        SECRET_TITLE,
    ):
        assert marker in editor, marker
    assert 'name="csrf_token"' in editor
    reader = m2.get(f"{base}/minutes").text
    assert 'id="narrative-form"' not in reader and 'id="finalize-form"' not in reader
    assert SECRET_TITLE not in reader and CONCLUSION_B not in reader and 'id="minutes-pdf"' in reader

    item_a = live.items["A"]
    saved = form_post(
        sec, f"{base}/minutes", {"opening": "Khai mạc.", f"item-{item_a}": "Tóm tắt A.", "closing": ""}
    )
    assert (saved.status_code, saved.headers["location"]) == (303, f"{base}/minutes?ok=saved")
    assert minutes_of(script)["narrative"] == {
        "opening": "Khai mạc.",
        "items": {str(item_a): "Tóm tắt A."},
        "closing": "",
    }
    bad = form_post(sec, f"{base}/minutes", {"item-999999": "x", "opening": "Giữ lại"})
    assert bad.status_code == 422 and "Giữ lại" in bad.text
    forged = sec.post(f"{base}/minutes", data={"csrf_token": "sai", "opening": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    assert form_post(m2, f"{base}/minutes", {"opening": "x"}).status_code == 403

    unconfirmed = form_post(sec, f"{base}/minutes/finalize", {})
    assert unconfirmed.status_code == 422 and "xác nhận" in unconfirmed.text
    finalized = form_post(sec, f"{base}/minutes/finalize", {"confirm": "1"})
    assert (finalized.status_code, finalized.headers["location"]) == (303, f"{base}/minutes?ok=finalized")
    after = sec.get(f"{base}/minutes?ok=finalized").text
    assert 'id="narrative-form"' not in after and "Khai mạc." in after and 'id="minutes-state"' in after
    late = form_post(sec, f"{base}/minutes", {"opening": "Muộn"})
    assert late.status_code == 409
    assert minutes_of(script)["narrative"]["opening"] == "Khai mạc."
