"""Pre-session positions (docs/positions.md): stating and changing them, who may and when, the
consent block losing an item on an objection (state, event, live feed), the consent block then
adopted without it, the wishes to speak queued at the start, hostile input, and the pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from agenda.log import events as ev
from agenda.meetings.agenda_items import AgendaItem
from agenda.meetings.speakers import Speaker
from tests.support.factories import (
    add_agenda_item,
    error_of,
    local_time,
    login_as,
    make_meeting,
    make_member,
    make_user,
    publish_meeting,
)
from tests.support.live_setup import Live, make_live
from tests.test_live_state import check

Frames = list[dict[str, Any]]


def _url(live: Live, item: str | int) -> str:
    item_id = live.items[item] if isinstance(item, str) else item
    return live.url(f"/positions/{item_id}")


def _put(live: Live, who: str, item: str | int, position: Any, **extra: Any) -> Any:
    return live.actors[who].put(_url(live, item), json={"position": position, **extra})


def _kinds(db: Database, meeting_id: int, after: int = 0) -> list[str]:
    rows = db.read_sync(
        lambda s: s.exec(
            select(ev.Event)
            .where(ev.Event.stream == meeting_id, ev.Event.seq > after)
            .order_by(col(ev.Event.seq))
        ).all()
    )
    return [r.kind for r in rows]


def _head(db: Database, meeting_id: int) -> int:
    return len(_kinds(db, meeting_id))


def _item(db: Database, item_id: int) -> AgendaItem:
    found = db.read_sync(lambda s: s.get(AgendaItem, item_id))
    assert found is not None
    return found


# --- stating a position -------------------------------------------------------------------------


def test_set_and_change_a_position(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    before = _head(db, live.meeting_id)
    first = _put(live, "m2", "A", "no_objection")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["position"] == "no_objection" and body["comment"] == ""
    assert body["member_id"] == live.member_ids[2] and body["agenda_item_id"] == live.items["A"]
    assert body["updated_at"].endswith("+07:00")

    changed = _put(live, "m2", "A", "wish_to_speak", comment="  Về số liệu quý IV.  ")
    assert changed.status_code == 200
    assert changed.json()["position"] == "wish_to_speak"
    assert changed.json()["comment"] == "Về số liệu quý IV."
    # The same position and comment again changes nothing and appends nothing.
    assert _put(live, "m2", "A", "wish_to_speak", comment="Về số liệu quý IV.").status_code == 200
    assert _kinds(db, live.meeting_id, before) == ["position.stated", "position.stated"]
    # A null comment clears it.
    assert _put(live, "m2", "A", "wish_to_speak", comment=None).json()["comment"] == ""

    mine = live.actors["m2"].get(live.url("/positions"))
    assert mine.status_code == 200
    assert [(p["agenda_item_id"], p["position"]) for p in mine.json()["items"]] == [
        (live.items["A"], "wish_to_speak")
    ]
    # A member sees only their own positions.
    assert _put(live, "m3", "A", "object", comment="Chưa đồng ý").status_code == 200
    assert all(p["member_id"] == live.member_ids[2] for p in mine.json()["items"])
    assert live.actors["m3"].get(live.url("/positions")).json()["items"][0]["comment"] == "Chưa đồng ý"

    table = live.actors["sec"].get(live.url("/positions"))
    assert table.status_code == 200
    row = next(i for i in table.json()["items"] if i["agenda_item_id"] == live.items["A"])
    assert row["counts"] == {"no_objection": 0, "object": 1, "wish_to_speak": 1}
    assert {p["full_name"] for p in row["positions"]} == {"Thành viên số 3", "Thành viên số 4"}
    assert [m["id"] for m in table.json()["members"]] == live.member_ids
    # The chair sees the table too, restricted items included.
    chair_table = live.actors["chair"].get(live.url("/positions")).json()
    assert live.items["B"] in [i["agenda_item_id"] for i in chair_table["items"]]
    for who in ("guest", "observer"):
        assert live.actors[who].get(live.url("/positions")).status_code == 403, who
    assert live.actors["outsider"].get(live.url("/positions")).status_code == 404


def test_only_before_the_session_starts(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    assert _put(live, "m2", "A", "object").status_code == 200
    live.start()
    late = _put(live, "m2", "A", "no_objection")
    assert late.status_code == 409
    assert error_of(late)["code"] == "session_started"
    assert live.actors["m2"].get(live.url("/positions")).json()["items"][0]["position"] == "object"
    # A draft agenda takes no positions: members do not see it (404), the chair is told why (409).
    draft = make_meeting(db, chair_member_id=live.member_ids[0], invitee_member_ids=live.member_ids)
    assert draft.id is not None
    item = add_agenda_item(db, draft.id, title="Mục nháp")
    url = f"/api/v1/meetings/{draft.id}/positions/{item.id}"
    assert live.actors["m2"].put(url, json={"position": "object"}).status_code == 404
    early = live.actors["chair"].put(url, json={"position": "object"})
    assert early.status_code == 409
    assert error_of(early)["code"] == "not_published"


def test_only_invited_members_for_themselves(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    for who in ("sec", "guest", "observer", "sub"):
        response = _put(live, who, "A", "no_objection")
        assert response.status_code == 403, (who, response.text)
    # A member not invited does not see the meeting at all.
    assert _put(live, "outsider", "A", "no_objection").status_code == 404
    # A presiding officer of other meetings sees this one, but is not invited to it.
    other_chair = make_member(db, full_name="Phó Thủ tướng", precedence=0)
    make_user(db, "pttg", ["chair", "member"], member_id=other_chair.id)
    refused = login_as(client, "pttg").put(_url(live, "A"), json={"position": "object"})
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "not_invited"
    # The meeting's chair is a member too.
    assert _put(live, "chair", "A", "no_objection").status_code == 200
    assert db.read_sync(lambda s: s.exec(select(ev.Event).where(ev.Event.kind == "position.stated")).all())


def test_a_restricted_item_is_for_its_audience(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    for who in ("m2", "m3"):
        response = _put(live, who, "B", "object")
        assert response.status_code == 404, who
        assert "XK-77" not in response.text
    assert _put(live, "m1", "B", "object").status_code == 200  # its audience
    assert _put(live, "chair", "B", "wish_to_speak").status_code == 200
    mine = live.actors["m2"].get(live.url("/positions")).json()["items"]
    assert mine == []


@pytest.mark.parametrize(
    "body",
    [
        {"position": "maybe"},
        {"position": "OBJECT"},
        {"position": ""},
    ],
)
def test_an_unknown_position_is_refused(client: TestClient, db: Database, body: dict[str, Any]) -> None:
    live = make_live(client, db)
    response = live.actors["m2"].put(_url(live, "A"), json=body)
    assert response.status_code == 422
    assert error_of(response)["code"] == "bad_position"


def test_hostile_input(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    m2 = live.actors["m2"]
    url = _url(live, "A")
    bad: list[Any] = [
        {},
        {"position": 1},
        {"position": ["object"]},
        {"position": "object", "comment": 5},
        {"position": "object", "member_id": live.member_ids[3]},  # someone else's position
        {"position": "object", "comment": "x" * 10_000},
        {"position": "object", "comment": "a\x00b"},
        {"position": "x" * 100_000},
    ]
    for body in bad:
        response = m2.put(url, json=body)
        assert response.status_code == 400, (body if len(str(body)) < 200 else "long", response.text[:200])
        error_of(response)
    assert m2.put(url, content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert m2.put(url, content=b"[]", headers={"Content-Type": "application/json"}).status_code == 400
    assert m2.put(url, content=b"position=object", headers={"Content-Type": "text/plain"}).status_code == 415
    # Exactly 2,000 characters is allowed.
    assert m2.put(url, json={"position": "object", "comment": "y" * 2000}).status_code == 200
    # Wrong pairings: an item of another meeting, an unknown item, an unknown meeting.
    other = make_meeting(db, chair_member_id=live.member_ids[0], invitee_member_ids=live.member_ids)
    assert other.id is not None
    elsewhere = add_agenda_item(db, other.id, title="Nội dung phiên họp khác")
    publish_meeting(db, other.id)
    assert m2.put(_url(live, elsewhere.id or 0), json={"position": "object"}).status_code == 404
    assert m2.put(_url(live, 10**6), json={"position": "object"}).status_code == 404
    assert m2.put(_url(live, 2**40), json={"position": "object"}).status_code == 404
    wrong = f"/api/v1/meetings/{other.id}/positions/{live.items['A']}"
    assert m2.put(wrong, json={"position": "object"}).status_code == 404
    unknown = f"/api/v1/meetings/{10**6}/positions/{live.items['A']}"
    assert m2.put(unknown, json={"position": "object"}).status_code == 404
    # Nothing of the refused requests was stored: one position, the 2,000-character one.
    mine = m2.get(live.url("/positions")).json()["items"]
    assert [len(p["comment"]) for p in mine] == [2000]
    # No CSRF token: refused before anything else.
    no_token = client.put(url, json={"position": "object"}, headers={"Cookie": f"ecab_session={m2.token}"})
    assert no_token.status_code == 403


# --- the consent block --------------------------------------------------------------------------


def test_an_objection_takes_an_item_out_of_the_consent_block(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    item_c, item_d = live.items["C"], live.items["D"]
    # No objection keeps it in; the state is untouched.
    check(live, lambda lv: _put(lv, "m2", "C", "no_objection"), "position.stated")
    after = check(
        live,
        lambda lv: _put(lv, "m3", "C", "object", comment="Cần thảo luận"),
        "position.stated",
        "consent.left",
    )
    assert next(i for i in after["agenda"] if i["id"] == item_c)["consent"] is False
    assert next(i for i in after["agenda"] if i["id"] == item_d)["consent"] is True
    assert _item(db, item_c).consent is False
    left = db.read_sync(lambda s: s.exec(select(ev.Event).where(ev.Event.kind == "consent.left")).all())
    assert left[0].payload() == {
        "meeting_id": live.meeting_id,
        "agenda_item_id": item_c,
        "member_id": live.member_ids[3],
    }
    # Withdrawing the objection does not put it back.
    check(live, lambda lv: _put(lv, "m3", "C", "no_objection"), "position.stated")
    assert _item(db, item_c).consent is False
    # An objection to an item outside the block is just a position.
    check(live, lambda lv: _put(lv, "m3", "A", "object"), "position.stated")

    table = live.actors["sec"].get(live.url("/positions")).json()
    flags = {i["agenda_item_id"]: (i["consent"], i["left_consent"]) for i in table["items"]}
    assert flags[item_c] == (False, True) and flags[item_d] == (True, False)
    assert flags[live.items["A"]] == (False, False)

    # The secretariat may put it back before the session (the agenda edit of docs/agenda.md)...
    back = live.actors["sec"].patch(
        f"/api/v1/agenda-items/{item_c}", json={"consent": True, "reason": "Đã trao đổi với Bộ"}
    )
    assert back.status_code == 200, back.text
    assert live.actors["sec"].get(live.url("/positions")).json()["items"][2]["left_consent"] is False
    # ...and only a new objection takes it out again, not a comment on an old one.
    check(live, lambda lv: _put(lv, "m4", "C", "object"), "position.stated", "consent.left")
    check(live, lambda lv: _put(lv, "m4", "C", "object", comment="Vẫn phản đối"), "position.stated")

    live.start()
    adopted = live.actors["chair"].post(live.url("/consent/adopt"))
    assert adopted.status_code == 200
    assert adopted.json() == {"adopted_item_ids": [item_d]}
    assert _item(db, item_c).outcome is None and _item(db, item_c).state == "pending"
    again = live.actors["chair"].post(live.url("/consent/adopt"))
    assert again.status_code == 409 and error_of(again)["code"] == "empty_consent_block"


def test_the_live_feed_tells_every_tablet_but_keeps_positions_to_the_staff(
    client: TestClient, db: Database
) -> None:
    live = make_live(client, db)
    connect = live.client.websocket_connect
    path = f"/ws/meetings/{live.meeting_id}"
    with (
        connect(path, headers=live.socket_headers("m5")) as member,
        connect(path, headers=live.socket_headers("sec")) as staff,
        connect(path, headers=live.socket_headers("observer")) as room,
    ):
        for ws in (member, staff, room):
            assert ws.receive_json()["type"] == "snapshot"
        assert _put(live, "m3", "C", "object", comment="Bí mật của Bộ").status_code == 200
        seen: dict[str, Frames] = {}
        for name, ws in (("member", member), ("staff", staff), ("room", room)):
            seen[name] = [ws.receive_json(), ws.receive_json()]
        for name in ("member", "room"):
            stated, left = seen[name]
            assert stated["kind"] == "hidden" and "data" not in stated
            assert left["kind"] == "consent.left"
            assert left["data"]["agenda_item_id"] == live.items["C"]
            assert left["seq"] == stated["seq"] + 1
        stated, left = seen["staff"]
        assert stated["kind"] == "position.stated" and stated["data"]["comment"] == "Bí mật của Bộ"
        assert left["kind"] == "consent.left"
    # The hub's state applied both, without reloading.
    snapshot = live.actors["m5"].get(live.url("/live")).json()
    assert next(i for i in snapshot["state"]["agenda"] if i["id"] == live.items["C"])["consent"] is False


# --- wishes to speak at the start ---------------------------------------------------------------


def test_wishes_to_speak_join_the_speakers_lists_at_the_start(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    t0 = local_time(2026, 11, 20, 9, 0)
    steps = [
        ("m4", "C", "wish_to_speak"),  # the earliest, but on a later item
        ("m3", "A", "wish_to_speak"),
        ("m2", "A", "wish_to_speak"),
        ("m1", "B", "wish_to_speak"),  # restricted: m1 is its audience
        ("m5", "A", "wish_to_speak"),
        ("m5", "A", "no_objection"),  # changed their mind: not queued
        ("m3", "A", "wish_to_speak"),  # a new comment keeps m3's place
        ("m6", "D", "wish_to_speak"),
    ]
    for minute, (who, item, position) in enumerate(steps):
        clock.freeze(t0 + timedelta(minutes=minute))
        comment = "Bổ sung" if minute == 6 else ""
        assert _put(live, who, item, position, comment=comment).status_code == 200
    clock.freeze(t0 + timedelta(minutes=30))
    live.present(8)  # a session starts only with quorum
    # m6 already asked to speak on D from the tablet: no second request.
    assert live.actors["m6"].post(f"/api/v1/agenda-items/{live.items['D']}/speakers").status_code == 201

    state = check(
        live,
        lambda lv: lv.actors["chair"].post(lv.url("/start")),
        "meeting.started",
        "speaker.requested",
        "speaker.requested",
        "speaker.requested",
        "speaker.requested",
    )
    queued = [(s["agenda_item_id"], s["name"]) for s in state["speakers"] if s["state"] == "requested"]
    items = live.items
    assert queued == [
        (items["D"], "Bộ trưởng 6"),  # the tablet's request, made before the start
        (items["A"], "Bộ trưởng 3"),
        (items["A"], "Bộ trưởng 2"),
        (items["B"], "Bộ trưởng 1"),
        (items["C"], "Bộ trưởng 4"),
    ]
    speakers = db.read_sync(lambda s: s.exec(select(Speaker).order_by(col(Speaker.id))).all())
    assert [s.member_id for s in speakers[1:]] == [live.member_ids[n] for n in (3, 2, 1, 4)]
    # The events carry the actor who started the session.
    started = db.read_sync(
        lambda s: s.exec(
            select(ev.Event).where(ev.Event.kind == "speaker.requested").order_by(col(ev.Event.seq))
        ).all()
    )
    assert len({e.actor_id for e in started[1:]}) == 1


def test_a_start_without_wishes_appends_only_meeting_started(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    assert _put(live, "m2", "A", "no_objection").status_code == 200
    live.present(8)
    check(live, lambda lv: lv.actors["chair"].post(lv.url("/start")), "meeting.started")


def test_removing_an_item_drops_its_positions(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    assert _put(live, "m2", "A", "object").status_code == 200
    removed = live.actors["sec"].delete(
        f"/api/v1/agenda-items/{live.items['A']}?reason=Rút khỏi chương trình"
    )
    assert removed.status_code == 204, removed.text
    assert live.actors["m2"].get(live.url("/positions")).json()["items"] == []


# --- the pages ----------------------------------------------------------------------------------


def test_the_member_states_positions_on_the_meeting_page(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    m2 = live.actors["m2"]
    page = m2.get(f"/meetings/{live.meeting_id}")
    assert page.status_code == 200
    html = page.text
    assert f'id="position-{live.items["A"]}"' in html
    assert f'id="position-{live.items["B"]}"' not in html  # restricted, not m2's
    assert "js/positions.js" in html
    # The tablet points members to it until the start.
    assert 'id="positions-notice"' in m2.get(f"/meetings/{live.meeting_id}/tablet").text
    assert 'id="positions-notice"' not in live.actors["guest"].get(f"/meetings/{live.meeting_id}/tablet").text
    posted = m2.post(
        f"/meetings/{live.meeting_id}/positions/{live.items['C']}",
        data={"csrf_token": m2.csrf, "position": "object", "comment": "Cần thảo luận thêm"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/meetings/{live.meeting_id}?ok=saved#item-{live.items['C']}"
    assert _item(db, live.items["C"]).consent is False
    shown = m2.get(f"/meetings/{live.meeting_id}").text
    assert 'value="object" class="btn position-btn position-object" aria-pressed="true"' in shown
    assert "Cần thảo luận thêm" in shown
    # A bad value re-renders the page with the message and the status.
    refused = m2.post(
        f"/meetings/{live.meeting_id}/positions/{live.items['A']}",
        data={"csrf_token": m2.csrf, "position": "perhaps"},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "không phản đối, phản đối hoặc đăng ký phát biểu" in refused.text
    long = m2.post(
        f"/meetings/{live.meeting_id}/positions/{live.items['A']}",
        data={"csrf_token": m2.csrf, "position": "object", "comment": "z" * 3000},
        follow_redirects=False,
    )
    assert long.status_code == 400
    no_token = m2.post(
        f"/meetings/{live.meeting_id}/positions/{live.items['A']}",
        data={"position": "object"},
        follow_redirects=False,
    )
    assert no_token.status_code == 403
    # After the start the page shows the position, without the form.
    live.start()
    after = m2.get(f"/meetings/{live.meeting_id}").text
    assert "data-position-form" not in after and "js/positions.js" not in after
    assert "Ý kiến của bạn trước phiên họp: Phản đối" in after
    assert 'id="positions-notice"' not in m2.get(f"/meetings/{live.meeting_id}/tablet").text


def test_the_table_of_positions_page(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    assert _put(live, "m3", "C", "object", comment="Cần thảo luận <b>thêm</b>").status_code == 200
    assert _put(live, "m2", "A", "wish_to_speak").status_code == 200
    assert _put(live, "m1", "B", "no_objection").status_code == 200
    url = f"/meetings/{live.meeting_id}/positions"
    for who in ("sec", "chair"):
        page = live.actors[who].get(url)
        assert page.status_code == 200, who
        html = page.text
        assert "Ý kiến trước phiên họp" in html
        assert "Cần thảo luận &lt;b&gt;thêm&lt;/b&gt;" in html and "<b>thêm</b>" not in html
        assert "Đã rời nhóm thông qua không thảo luận do có ý kiến phản đối" in html
        item_c = live.items["C"]
        assert f'id="positions-item-{item_c}" data-item="{item_c}" data-objections="1"' in html
        assert 'data-position="wish_to_speak"' in html
        assert "Đề án mật về quốc phòng XK-77" in html  # restricted items included for the staff
        assert "<script>" not in html and 'style="' not in html
    for who in ("m2", "guest", "observer"):
        assert live.actors[who].get(url).status_code == 403, who
    assert live.actors["outsider"].get(url).status_code == 404
    # The meeting page links to it for the staff, the console shows the consent block.
    assert 'id="positions-link"' in live.actors["sec"].get(f"/meetings/{live.meeting_id}").text
    console = live.actors["chair"].get(f"/meetings/{live.meeting_id}/console").text
    assert 'id="consent-block"' in console and "data-msg-objections" in console
