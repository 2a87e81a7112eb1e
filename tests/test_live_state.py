"""Old state + the events of an action == the state loaded afresh, for every live action.

This is the approach of Zulip's event tests: the hub never reloads after a live action, it
applies the events to the state it holds, so apply() must agree exactly with load_state().
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.live.live_state import State, apply, load_state
from agenda.live.live_view import EVERYTHING, audience_key, event_visible, present_state
from agenda.log import events as ev
from agenda.policy import DEFAULT_POLICY
from agenda.viewer import Viewer
from tests.support.live_setup import Live, make_live

Action = Callable[[Live], Any]


def _loaded(db: Database, meeting_id: int) -> tuple[int, State]:
    found = db.read_sync(lambda s: load_state(session=s, meeting_id=meeting_id, policy=DEFAULT_POLICY))
    return found.seq, found.state


def _events_after(db: Database, meeting_id: int, seq: int) -> list[ev.Event]:
    return list(
        db.read_sync(
            lambda s: s.exec(
                select(ev.Event)
                .where(ev.Event.stream == meeting_id, ev.Event.seq > seq)
                .order_by(col(ev.Event.seq))
            ).all()
        )
    )


def check(live: Live, action: Action, *kinds: str) -> State:
    """Run `action`; the state before it plus its events must equal the state after it."""
    seq, before = _loaded(live.db, live.meeting_id)
    action(live)
    new_events = _events_after(live.db, live.meeting_id, seq)
    assert [e.kind for e in new_events] == list(kinds)
    state = copy.deepcopy(before)
    for event in new_events:
        assert apply(state, event.kind, event.payload()), event.kind
    after_seq, after = _loaded(live.db, live.meeting_id)
    assert after_seq == new_events[-1].seq
    assert state == after
    return after


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def posting(actor: Any, url: str, status: int = 200, body: Any = None) -> Action:
    return lambda lv: _ok(actor.post(url, json=body), status)


def putting(actor: Any, url: str, body: Any) -> Action:
    return lambda lv: _ok(actor.put(url, json=body))


def balloting(who: str, vote_id: int, choice: str) -> Action:
    return lambda lv: _ok(lv.ballot(who, vote_id, choice))


def test_every_live_action_applies_like_a_fresh_load(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    sec, chair = live.actors["sec"], live.actors["chair"]
    ids = live.member_ids
    sub_id = live.actors["sub"]

    check(live, lambda lv: _ok(sec.put(lv.url(f"/attendance/{ids[0]}"), json={"status": "present"})),
          "attendance.changed", "quorum.changed")  # fmt: skip
    for member_id in ids[1:6]:
        check(
            live,
            putting(sec, live.url(f"/attendance/{member_id}"), {"status": "remote"}),
            "attendance.changed",
            "quorum.changed",
        )
    # A status that does not move the count of members present: no quorum.changed.
    check(live, lambda lv: _ok(sec.put(lv.url(f"/attendance/{ids[6]}"), json={"status": "excused"})),
          "attendance.changed")  # fmt: skip
    sub_user = _ok(sub_id.get("/api/v1/me"))["user"]["id"]
    state = check(
        live,
        lambda lv: _ok(
            sec.put(
                lv.url(f"/attendance/{ids[7]}"), json={"status": "absent", "substitute_user_id": sub_user}
            )
        ),
        "attendance.changed",
    )
    row = next(a for a in state["attendance"] if a["member_id"] == ids[7])
    assert row["substitute_name"] == "Thứ trưởng dự thay"
    assert state["quorum"] == {"present": 6, "total": 8, "required": 6, "quorate": True}

    check(live, lambda lv: _ok(chair.post(lv.url("/start"))), "meeting.started")
    check(live, lambda lv: _ok(chair.post(lv.url("/consent/adopt"))), "item.outcome", "item.outcome")
    check(live, lambda lv: _ok(chair.post(lv.url("/advance"), json={"to": "next"})), "agenda.advanced")
    check(live, lambda lv: _ok(chair.post(lv.url("/advance"), json={"to": "next"})), "agenda.advanced")
    check(live, lambda lv: _ok(chair.post(lv.url("/advance"), json={"to": "previous"})), "agenda.advanced")
    item_a, item_d = live.items["A"], live.items["D"]
    check(live, lambda lv: _ok(chair.post(lv.url("/advance"), json={"to": item_d})), "agenda.advanced")
    check(live, lambda lv: _ok(chair.post(lv.url("/advance"), json={"to": item_a})), "agenda.advanced")

    m1, m2 = live.actors["m1"], live.actors["m2"]
    first = check(
        live, lambda lv: _ok(m1.post(f"/api/v1/agenda-items/{item_a}/speakers"), 201), "speaker.requested"
    )
    speaker_1 = first["speakers"][-1]["id"]
    second = check(
        live, lambda lv: _ok(m2.post(f"/api/v1/agenda-items/{item_a}/speakers"), 201), "speaker.requested"
    )
    speaker_2 = second["speakers"][-1]["id"]
    check(live, lambda lv: _ok(live.actors["sub"].post(f"/api/v1/agenda-items/{item_a}/speakers"), 201),
          "speaker.requested")  # fmt: skip
    check(live, lambda lv: _ok(chair.post(f"/api/v1/speakers/{speaker_1}/start")), "speaker.started")
    # Giving the floor to the next speaker ends the previous one's time.
    check(
        live,
        lambda lv: _ok(chair.post(f"/api/v1/speakers/{speaker_2}/start")),
        "speaker.stopped",
        "speaker.started",
    )
    check(live, lambda lv: _ok(chair.post(f"/api/v1/speakers/{speaker_2}/stop")), "speaker.stopped")
    third = _loaded(live.db, live.meeting_id)[1]["speakers"][-1]["id"]
    check(
        live, lambda lv: _ok(live.actors["sub"].delete(f"/api/v1/speakers/{third}"), 204), "speaker.withdrawn"
    )

    for secret in (False, True):
        body = {"question": "Thông qua báo cáo?", "secret": secret}
        after_create = check(
            live, posting(chair, f"/api/v1/agenda-items/{item_a}/votes", 201, body), "vote.created"
        )
        vote_id = after_create["votes"][-1]["id"]
        check(live, posting(chair, f"/api/v1/votes/{vote_id}/open"), "vote.opened")
        for who, choice in (("chair", "yes"), ("m1", "no"), ("m2", "yes")):
            check(live, balloting(who, vote_id, choice), "vote.progress")
        after = check(live, posting(chair, f"/api/v1/votes/{vote_id}/close"), "vote.closed")
        vote = next(v for v in after["votes"] if v["id"] == vote_id)
        assert vote["result"]["yes"] == 2 and vote["result"]["no"] == 1
        assert ("ballots" in vote) is not secret

    noted = {"outcome": "noted", "conclusion": "Chính phủ ghi nhận."}
    check(live, posting(chair, f"/api/v1/agenda-items/{item_a}/outcome", 200, noted), "item.outcome")
    check(live, lambda lv: _ok(m1.post(f"/api/v1/agenda-items/{item_a}/speakers"), 201), "speaker.requested")
    fourth = _loaded(live.db, live.meeting_id)[1]["speakers"][-1]["id"]
    check(live, lambda lv: _ok(chair.post(f"/api/v1/speakers/{fourth}/start")), "speaker.started")
    final = check(
        live,
        lambda lv: _ok(chair.post(lv.url("/adjourn"))),
        "speaker.stopped",
        "meeting.adjourned",
        "minutes.drafted",
    )
    assert final["meeting"]["state"] == "adjourned"
    assert all(i["state"] != "current" for i in final["agenda"])


def test_reload_kinds_are_not_applied(client: TestClient, db: Database) -> None:
    """Kinds the reducer does not know make the hub reload instead of guessing."""
    live = make_live(client, db)
    _, state = _loaded(db, live.meeting_id)
    assert not apply(state, "agenda.changed", {"meeting_id": live.meeting_id, "action": "added"})
    assert not apply(state, "document.updated", {"meeting_id": live.meeting_id, "agenda_item_id": 1})


def test_restricted_item_is_filtered_per_viewer(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    live.start()
    _, state = _loaded(db, live.meeting_id)
    restricted = live.items["B"]
    insider = Viewer(user_id=99, roles=frozenset({"member"}), member_id=live.member_ids[1])
    outsider = Viewer(user_id=98, roles=frozenset({"member"}), member_id=live.member_ids[2])
    observer = Viewer(user_id=97, roles=frozenset({"observer"}))
    staff = Viewer(user_id=96, roles=frozenset({"secretariat"}))
    assert audience_key(state, staff) == EVERYTHING
    assert audience_key(state, insider) == frozenset({restricted})
    assert audience_key(state, outsider) == frozenset()
    for viewer in (outsider, observer):
        shown = present_state(state, viewer)
        placeholder = next(i for i in shown["agenda"] if i["id"] == restricted)
        assert placeholder == {"id": restricted, "position": 2, "restricted": True, "state": "pending"}
        assert "restricted_member_ids" not in str(shown["agenda"])
        assert not event_visible(
            state, audience_key(state, viewer), "item.outcome", {"agenda_item_id": restricted}
        )
    assert "Đề án mật" in str(present_state(state, insider)["agenda"])
    # An event about an item the state does not know yet is hidden from all but the staff.
    unknown = {"agenda_item_id": 10**6}
    assert not event_visible(state, frozenset(), "agenda.changed", unknown)
    assert event_visible(state, EVERYTHING, "agenda.changed", unknown)
    assert not event_visible(
        state, frozenset(), "vote.progress", {"vote_id": 10**6, "cast": 1, "eligible": 2}
    )
