"""The ballot lane (meeting_app/api/ballot_lane.py): a plain ballot is served without the generic
stack, with the same answer, headers and refusals as the route; anything else (hostile or
merely unusual) goes down the generic stack with its body and gets the route's 4xx.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.people import accounts
from meeting_app.api.ballot_lane import BallotLane
from meeting_app.context import AppContext
from tests.support.factories import error_of
from tests.support.live_setup import Live, make_live
from tests.test_votes import close

Plain = Any


@pytest.fixture
def live(client: TestClient, db: Database) -> Live:
    return make_live(client, db, lazy=True)


def lane_log(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each ballot request passed the lane's header checks, in order."""
    taken: list[bool] = []
    checks = BallotLane._plain

    def spy(self: BallotLane, scope: Any, vote_id: int) -> Plain:
        found = checks(self, scope, vote_id)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(BallotLane, "_plain", spy)
    return taken


def context(live: Live) -> AppContext:
    found: AppContext = live.client.app_state["ctx"]
    return found


def forget(live: Live, who: str) -> None:
    """This process forgets `who`'s session, as after a restart: the next request reads it."""
    app = context(live)
    app.sessions.drop(accounts.session_id(live.actors[who].token, app.settings.secret_key))


def cast(live: Live, who: str, vote_id: int, choice: str, key: str, **headers: str) -> Any:
    return live.actors[who].post(
        f"/api/v1/votes/{vote_id}/ballots",
        json={"choice": choice},
        headers={"Idempotency-Key": key, **headers},
    )


def same_answer(route: Any, lane: Any) -> None:
    assert route.status_code == lane.status_code
    assert route.headers["content-type"] == lane.headers["content-type"]
    skip = {"content-length"}
    assert {k: v for k, v in route.headers.items() if k not in skip} == {
        k: v for k, v in lane.headers.items() if k not in skip
    }


def test_the_lane_answers_as_the_route(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    live.start()
    vote_id = live.open_vote("A")
    taken = lane_log(monkeypatch)
    forget(live, "m1")
    route = cast(live, "m1", vote_id, "yes", "first")  # the session is read: the generic stack
    lane = cast(live, "m1", vote_id, "no", "second")  # now remembered: the lane
    assert taken == [False, True]
    assert route.json() == {"vote_id": vote_id, "counted": True, "secret": False, "choice": "yes"}
    assert lane.json() == {"vote_id": vote_id, "counted": True, "secret": False, "choice": "no"}
    same_answer(route, lane)
    assert lane.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in lane.headers["content-security-policy"]
    replay = cast(live, "m1", vote_id, "no", "second")  # the lane's answer is stored like the route's
    assert replay.json() == lane.json()

    # A refusal from the domain, in the language the tablet asks for.
    close(live, vote_id)
    taken.clear()
    forget(live, "m2")
    route = cast(live, "m2", vote_id, "yes", "late-1", **{"Accept-Language": "en"})
    lane = cast(live, "m2", vote_id, "yes", "late-2", **{"Accept-Language": "en"})
    assert taken == [False, True]
    assert route.status_code == lane.status_code == 409
    assert route.json() == lane.json()
    assert error_of(lane)["code"] == "vote_closed"
    assert "closed" in error_of(lane)["message"]  # the English catalog
    same_answer(route, lane)
    vietnamese = cast(live, "m2", vote_id, "yes", "late-3")
    assert error_of(vietnamese)["message"] != error_of(lane)["message"]


YES = {"json": {"choice": "yes"}}
UNSUPPORTED = "unsupported_media_type"
HOSTILE: list[tuple[str, dict[str, Any], int, str]] = [
    ("no Idempotency-Key", {**YES, "key": None}, 400, "idempotency_key_required"),
    ("a key with a tab", {**YES, "key": "a\tb"}, 400, "bad_idempotency_key"),
    ("malformed JSON", {"content": b'{"choice": '}, 400, "malformed_json"),
    ("a JSON list", {"content": b'["yes"]'}, 400, "malformed_json"),
    ("an extra field", {"json": {"choice": "yes", "member_id": 1}}, 400, "invalid_fields"),
    ("a number for a choice", {"json": {"choice": 1}}, 400, "invalid_fields"),
    ("an unknown choice", {"json": {"choice": "maybe"}}, 422, "bad_choice"),
    ("a NUL in the choice", {"json": {"choice": "yes\x00"}}, 400, "invalid_fields"),
    ("a wrong CSRF token", {**YES, "headers": {"X-CSRF-Token": "x" * 43}}, 403, "csrf_failed"),
    ("no CSRF token", {**YES, "headers": {"X-CSRF-Token": ""}}, 403, "csrf_failed"),
    ("a foreign Origin", {**YES, "headers": {"Origin": "https://evil.example"}}, 403, "csrf_failed"),
    ("a foreign Referer", {**YES, "headers": {"Referer": "https://evil.example/x"}}, 403, "csrf_failed"),
    ("text/plain", {"content": b"{}", "headers": {"Content-Type": "text/plain"}}, 415, UNSUPPORTED),
    ("a body over the limit", {"content": b'{"choice": "yes"}' + b" " * 1_100_000}, 413, "too_large"),
    ("a foreign Host", {**YES, "headers": {"Host": "evil.example"}}, 400, "bad_host"),
    ("an unknown session", {**YES, "headers": {"Cookie": "ecab_session=" + "x" * 43}}, 401, "unauthorized"),
    ("an overlong token", {**YES, "headers": {"Cookie": "ecab_session=" + "x" * 500}}, 401, "unauthorized"),
    ("vote 0", {**YES, "vote": 0}, 404, "not_found"),
    ("a vote id past any row", {**YES, "vote": 2**40}, 404, "not_found"),
]


@pytest.mark.parametrize("name, request_, status, code", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_anything_unusual_gets_the_routes_answer(
    live: Live, monkeypatch: pytest.MonkeyPatch, name: str, request_: dict[str, Any], status: int, code: str
) -> None:
    live.start()
    vote_id = live.open_vote("A")
    cast(live, "m1", vote_id, "yes", "warm")  # the session is remembered: the lane would serve it
    options = dict(request_)
    key = options.pop("key", "k-" + name)
    target = options.pop("vote", vote_id)
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key is not None else {})}
    headers.update(options.pop("headers", {}))
    response = live.actors["m1"].post(f"/api/v1/votes/{target}/ballots", headers=headers, **options)
    assert response.status_code == status, (name, response.text)
    assert error_of(response)["code"] == code, (name, response.text)
    assert response.headers.get("x-content-type-options") == "nosniff"
    view = live.actors["chair"].get(f"/api/v1/votes/{vote_id}").json()
    assert view["cast"] == 1  # only the warm-up ballot


def test_a_logout_closes_the_lane_at_once(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    live.start()
    vote_id = live.open_vote("A")
    assert cast(live, "m3", vote_id, "yes", "before").status_code == 200
    taken = lane_log(monkeypatch)
    assert live.actors["m3"].post("/api/v1/auth/logout").status_code in (200, 204)
    after = cast(live, "m3", vote_id, "no", "after")
    assert taken == [False]
    assert after.status_code == 401
    assert live.actors["chair"].get(f"/api/v1/votes/{vote_id}").json()["cast"] == 1


def test_a_guest_or_substitute_session_is_not_the_lanes(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lane serves only `member` accounts; others get the route's refusal."""
    live.start()
    vote_id = live.open_vote("A")
    live.actors["sec"].get(f"/api/v1/votes/{vote_id}")  # remembered
    taken = lane_log(monkeypatch)
    response = cast(live, "sec", vote_id, "yes", "sec-1")
    assert taken == [False]
    assert response.status_code == 403
