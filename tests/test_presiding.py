"""The presiding officer's rules (issue 14, defects 2 and 3): a session starts only with quorum and
says when it starts far off its time; an outcome that contradicts the item's last closed vote
needs an override with a reason, kept in the log and in the minutes. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from agenda.live import presiding
from agenda.log.events import Event
from agenda.meetings.meetings import Meeting
from agenda.people.accounts import User
from agenda.policy import DEFAULT_POLICY, Policy, PolicyError
from tests.support.factories import error_of
from tests.support.live_setup import Live, make_live

VOTERS = ("chair", "m1", "m2", "m3", "m4", "m5", "m6", "m7")


@pytest.fixture
def live(client: TestClient, db: Database) -> Live:
    return make_live(client, db, lazy=True)


def _state(live: Live) -> str:
    meeting = live.db.read_sync(lambda s: s.get(Meeting, live.meeting_id))
    assert meeting is not None
    return meeting.state


def _kinds(live: Live) -> list[str]:
    rows = live.db.read_sync(
        lambda s: s.exec(select(Event).where(Event.stream == live.meeting_id).order_by(col(Event.seq))).all()
    )
    return [e.kind for e in rows]


# --- defect 2: quorum at the start ----------------------------------------------------------------


@pytest.mark.parametrize("present", [0, 3, 5])
def test_a_session_without_quorum_does_not_start(live: Live, present: int) -> None:
    live.present(present)  # 8 members: quorum is ceil(8 * 2/3) = 6
    before = _kinds(live)
    response = live.actors["chair"].post(live.url("/start"))
    assert response.status_code == 409, response.text
    error = error_of(response)
    assert error["code"] == "no_quorum"
    assert (error["present"], error["required"], error["total"]) == (present, 6, 8)
    assert f"có mặt {present}, cần 6" in error["message"]
    assert _state(live) == "published" and _kinds(live) == before


def test_the_quorum_refusal_speaks_english(live: Live) -> None:
    live.present(2)
    response = live.actors["chair"].post(live.url("/start"), headers={"Accept-Language": "en"})
    assert response.status_code == 409
    assert "2 present, 6 required" in error_of(response)["message"]


def test_a_substitute_or_a_remote_member_counts_as_the_vote_counts(live: Live) -> None:
    sec = live.actors["sec"]
    live.present(5)
    ids = live.member_ids
    # A substitute never counts; a member online does.
    sub = sec.put(
        live.url(f"/attendance/{ids[5]}"), json={"status": "absent", "substitute_user_id": _sub(live)}
    )
    assert sub.status_code == 200, sub.text
    assert live.actors["chair"].post(live.url("/start")).status_code == 409
    assert sec.put(live.url(f"/attendance/{ids[6]}"), json={"status": "remote"}).status_code == 200
    started = live.actors["chair"].post(live.url("/start"))
    assert started.status_code == 200, started.text
    assert _state(live) == "in_progress"


def _sub(live: Live) -> int:
    user = live.db.read_sync(lambda s: s.exec(select(User).where(User.username == "sub")).one())
    assert user.id is not None
    return user.id


def _scheduled(live: Live) -> datetime:
    meeting = live.db.read_sync(lambda s: s.get(Meeting, live.meeting_id))
    assert meeting is not None
    starts = meeting.starts_at
    return starts if starts.tzinfo else starts.replace(tzinfo=UTC)  # stored as UTC


def test_the_start_says_how_far_off_its_time_it_is(live: Live) -> None:
    clock.freeze(_scheduled(live) + timedelta(days=3, hours=2, minutes=5))
    live.present(8)
    started = live.actors["chair"].post(live.url("/start"))
    assert started.status_code == 200, started.text
    assert started.json()["off_schedule_minutes"] == 3 * 24 * 60 + 2 * 60 + 5


def test_a_start_on_time_carries_no_warning(live: Live) -> None:
    clock.freeze(_scheduled(live) - timedelta(minutes=20))
    live.present(6)
    started = live.actors["chair"].post(live.url("/start"))
    assert started.status_code == 200, started.text
    assert started.json()["off_schedule_minutes"] is None


# --- defect 3: the outcome follows the vote ---------------------------------------------------


def _failed_vote(live: Live, yes: int = 3) -> int:
    """A named vote on item A that fails: `yes` of 8 in favour, the rest against."""
    live.start(8)
    chair = live.actors["chair"]
    assert chair.post(live.url("/advance"), json={"to": live.items["A"]}).status_code == 200
    vote_id = live.open_vote("A")
    for n, who in enumerate(VOTERS):
        assert live.ballot(who, vote_id, "yes" if n < yes else "no").status_code in (200, 201)
    closed = chair.post(f"/api/v1/votes/{vote_id}/close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["result"]["adopted"] is False
    return vote_id


def _outcome(live: Live, body: dict[str, Any], **headers: str) -> Any:
    return live.actors["chair"].post(
        f"/api/v1/agenda-items/{live.items['A']}/outcome", json=body, headers=headers
    )


def test_adopted_after_a_failed_vote_needs_an_override(live: Live) -> None:
    _failed_vote(live)
    for outcome in ("adopted", "adopted_with_changes"):
        refused = _outcome(live, {"outcome": outcome, "conclusion": "Thông qua"})
        assert refused.status_code == 409, refused.text
        error = error_of(refused)
        assert error["code"] == "outcome_contradicts_vote"
        assert "3/8" in error["message"] and "lý do" in error["message"]
        blank = _outcome(live, {"outcome": outcome, "conclusion": "", "override_reason": "   "})
        assert error_of(blank)["code"] == "outcome_contradicts_vote"
    english = _outcome(live, {"outcome": "adopted"}, **{"Accept-Language": "en"})
    assert "reason" in error_of(english)["message"]
    # What agrees with the failed vote needs nothing.
    assert _outcome(live, {"outcome": "returned", "conclusion": "Trả lại"}).status_code == 200
    assert "item.outcome" in _kinds(live)


def test_an_override_with_a_reason_is_logged_and_in_the_minutes(live: Live) -> None:
    vote_id = _failed_vote(live)
    reason = "Biểu quyết lại bằng phiếu giấy sau khi hệ thống trục trặc: 20/27 tán thành."
    saved = _outcome(
        live, {"outcome": "adopted_with_changes", "conclusion": "Đồng ý", "override_reason": reason}
    )
    assert saved.status_code == 200, saved.text
    event = live.db.read_sync(
        lambda s: s.exec(
            select(Event).where(Event.kind == "item.outcome").order_by(col(Event.seq).desc())
        ).first()
    )
    assert event is not None
    data = event.payload()
    assert data["override_reason"] == reason and data["overrides_vote_id"] == vote_id
    assert live.actors["chair"].post(live.url("/adjourn")).status_code == 200
    minutes = live.actors["sec"].get(f"/meetings/{live.meeting_id}/minutes")
    assert minutes.status_code == 200
    assert reason in minutes.text
    assert "Ghi đè kết quả biểu quyết" in minutes.text
    pdf = live.actors["sec"].get(f"/api/v1/meetings/{live.meeting_id}/minutes.pdf")
    assert pdf.status_code == 200


def test_an_outcome_without_a_vote_or_agreeing_with_it_needs_no_reason(live: Live) -> None:
    live.start(8)
    chair = live.actors["chair"]
    assert chair.post(live.url("/advance"), json={"to": live.items["A"]}).status_code == 200
    assert _outcome(live, {"outcome": "adopted"}).status_code == 200
    vote_id = live.open_vote("A")
    for who in VOTERS:
        assert live.ballot(who, vote_id, "yes").status_code in (200, 201)
    assert chair.post(f"/api/v1/votes/{vote_id}/close").status_code == 200
    assert _outcome(live, {"outcome": "adopted", "override_reason": "không cần"}).status_code == 200
    deferred = _outcome(live, {"outcome": "deferred"})
    assert deferred.status_code == 409 and error_of(deferred)["code"] == "outcome_contradicts_vote"
    assert "đã thông qua" in error_of(deferred)["message"]
    event = live.db.read_sync(
        lambda s: s.exec(
            select(Event).where(Event.kind == "item.outcome").order_by(col(Event.seq).desc())
        ).first()
    )
    assert event is not None and event.payload()["override_reason"] is None


# --- the start's tolerance, from the policy file -------------------------------------------------


def test_the_start_tolerance_comes_from_the_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    assert Policy.load(path).start_tolerance_minutes == 30
    path.write_text(json.dumps({"start_tolerance_minutes": 90}))
    policy = Policy.load(path)
    assert policy.start_tolerance_minutes == 90
    meeting = Meeting(
        title="Phiên họp",
        kind="regular",
        starts_at=datetime(2026, 12, 7, 1, 0, tzinfo=UTC),
        duration_minutes=60,
        place="Hà Nội",
    )
    at = meeting.starts_at
    assert presiding.off_schedule_minutes(meeting, at + timedelta(minutes=90), policy) is None
    assert presiding.off_schedule_minutes(meeting, at + timedelta(minutes=91), policy) == 91
    assert presiding.off_schedule_minutes(meeting, at - timedelta(minutes=31), DEFAULT_POLICY) == -31
    assert presiding.off_schedule_minutes(meeting, at - timedelta(minutes=30), DEFAULT_POLICY) is None
    for bad in (0, 1441, "30", True, 2.5):
        path.write_text(json.dumps({"start_tolerance_minutes": bad}))
        with pytest.raises(PolicyError, match="start_tolerance_minutes"):
            Policy.load(path)
