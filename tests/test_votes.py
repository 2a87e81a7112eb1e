"""Votes (../shared/API.md "Live session", ../shared/DESIGN.md "Rules"): who may vote and when, one ballot per
member, the Idempotency-Key, the decision rule, what is shown while a vote is open, the secrecy
of secret ballots (every row of every table, every frame of the feed), ballots racing a close,
and the recount. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import MetaData, bindparam, text
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.errors import Forbidden, WrongState
from agenda.log.events import Event
from agenda.people.accounts import User
from agenda.policy import DEFAULT_POLICY
from agenda.viewer import Viewer
from agenda.votes import ballots as votes_ballots
from agenda.votes import lifecycle, models
from agenda.votes import tally as votes_tally
from agenda.votes.models import CHOICES, Ballot, BallotReceipt, IdempotencyRecord, SecretTally, Vote
from agenda.votes.tally import RecountProblem
from meeting_app.settings import Settings
from tests.support.cli import json_out, run_cli
from tests.support.factories import error_of
from tests.support.live_setup import Live, make_live
from tests.support.vote_setup import open_vote, seat_meeting

VOTERS = ("chair", "m1", "m2", "m3", "m4", "m5", "m6", "m7")  # VOTERS[n] is live.member_ids[n]
RESULT_KEYS = {"yes", "no", "abstain", "adopted", "rule", "tie_broken_by_chair"}
COUNT_KEYS = {"yes", "no", "abstain", "result", "ballots"}


@pytest.fixture
def live(client: TestClient, db: Database) -> Live:
    return make_live(client, db, lazy=True)


# --- helpers ------------------------------------------------------------------------------------


def member_of(live: Live, who: str) -> int:
    return live.member_ids[VOTERS.index(who)]


def user_id(db: Database, username: str) -> int:
    user = db.read_sync(lambda s: s.exec(select(User).where(User.username == username)).one())
    assert user.id is not None
    return user.id


def stored(db: Database, vote_id: int) -> Vote:
    vote = db.read_sync(lambda s: s.get(Vote, vote_id))
    assert vote is not None
    return vote


def view(live: Live, who: str, vote_id: int) -> dict[str, Any]:
    response = live.actors[who].get(f"/api/v1/votes/{vote_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def create(live: Live, item: str = "A", *, secret: bool = False) -> int:
    """A vote in draft."""
    response = live.actors["chair"].post(
        f"/api/v1/agenda-items/{live.items[item]}/votes", json={"question": "Thông qua?", "secret": secret}
    )
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "draft"
    vote_id: int = response.json()["id"]
    return vote_id


def close(live: Live, vote_id: int) -> dict[str, Any]:
    response = live.actors["chair"].post(f"/api/v1/votes/{vote_id}/close")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["state"] == "closed"
    return body


def counted(live: Live, who: str, vote_id: int, choice: str, key: str | None = None) -> dict[str, Any]:
    response = live.ballot(who, vote_id, choice, key)
    assert response.status_code == 200, (who, response.text)
    body: dict[str, Any] = response.json()
    assert body["counted"] is True
    return body


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code


def ballot_rows(db: Database, vote_id: int) -> dict[int, str]:
    rows = db.read_sync(lambda s: s.exec(select(Ballot).where(Ballot.vote_id == vote_id)).all())
    return {b.member_id: b.choice for b in rows}


def receipts(db: Database, vote_id: int) -> set[int]:
    rows = db.read_sync(lambda s: s.exec(select(BallotReceipt).where(BallotReceipt.vote_id == vote_id)).all())
    return {r.member_id for r in rows}


def tally(db: Database, vote_id: int) -> dict[str, int]:
    rows = db.read_sync(lambda s: s.exec(select(SecretTally).where(SecretTally.vote_id == vote_id)).all())
    return {r.choice: r.count for r in rows if r.count}


def recount(db: Database) -> tuple[int, list[RecountProblem]]:
    return db.read_sync(lambda s: votes_tally.recount_all(s, DEFAULT_POLICY))


def vote_events(db: Database, meeting_id: int, vote_id: int) -> list[Event]:
    rows = db.read_sync(
        lambda s: s.exec(select(Event).where(Event.stream == meeting_id).order_by(col(Event.seq))).all()
    )
    return [e for e in rows if e.payload().get("vote_id") == vote_id]


def close_now(db: Database, vote_id: int) -> Vote:
    return db.write_sync(
        lambda s: lifecycle.close(session=s, vote_id=vote_id, actor_id=None, policy=DEFAULT_POLICY)
    )


def counts(result: dict[str, Any]) -> dict[str, int]:
    return {c: result[c] for c in CHOICES if result[c]}


# --- who may vote -------------------------------------------------------------------------------


def test_only_the_voting_members_present_may_vote(live: Live) -> None:
    sec = live.actors["sec"]
    absent = member_of(live, "m7")
    substitute = user_id(live.db, "sub")
    live.present(7)
    response = sec.put(
        live.url(f"/attendance/{absent}"), json={"status": "absent", "substitute_user_id": substitute}
    )
    assert response.status_code == 200, response.text
    assert response.json()["substitute_user_id"] == substitute
    assert live.actors["chair"].post(live.url("/start")).status_code == 200
    vote_id = live.open_vote("A")
    assert view(live, "sec", vote_id)["eligible"] == 7
    assert view(live, "m7", vote_id)["eligible_me"] is False
    assert view(live, "m1", vote_id)["eligible_me"] is True
    # `vote.opened` names the electorate, for the tablets: the seven present, not m7.
    events = vote_events(live.db, live.meeting_id, vote_id)
    (opened,) = [e.payload() for e in events if e.kind == "vote.opened"]
    assert opened["electorate"] == sorted(member_of(live, w) for w in VOTERS if w != "m7")
    assert opened["eligible"] == len(opened["electorate"])

    for who in ("sub", "guest", "observer", "sec"):  # not members: refused whatever the vote
        response = live.ballot(who, vote_id, "no")
        assert response.status_code == 403, (who, response.text)
        error_of(response)
    for who, role in (("sub", "guest"), ("guest", "guest"), ("observer", "observer"), ("sec", "secretariat")):
        # The domain refuses them too, whatever route calls it.
        viewer = Viewer(user_id(live.db, who), frozenset({role}))

        def cast(s: Session, viewer: Viewer = viewer) -> models.Answer:
            return votes_ballots.cast(session=s, vote_id=vote_id, choice="no", key="direct", viewer=viewer)

        with pytest.raises(Forbidden) as refusal:
            live.db.write_sync(cast)
        assert refusal.value.code == "not_eligible"
    refused(live.ballot("m7", vote_id, "no"), 403, "not_eligible")
    # The electorate was fixed at opening: m7 arriving now does not vote; m6 leaving keeps the right.
    live.present(8)
    response = live.actors["sec"].put(
        live.url(f"/attendance/{member_of(live, 'm6')}"), json={"status": "absent"}
    )
    assert response.status_code == 200, response.text
    refused(live.ballot("m7", vote_id, "no", key="after-arrival"), 403, "not_eligible")
    counted(live, "m6", vote_id, "no")
    # The outsider is not invited: the vote does not exist for them.
    refused(live.ballot("outsider", vote_id, "no"), 404, "not_found")
    counted(live, "m1", vote_id, "yes")
    assert view(live, "chair", vote_id)["cast"] == 2

    result = close(live, vote_id)["result"]
    assert counts(result) == {"yes": 1, "no": 1}
    assert (result["cast"], result["eligible"]) == (2, 7)
    assert ballot_rows(live.db, vote_id) == {member_of(live, "m1"): "yes", member_of(live, "m6"): "no"}
    # A refused ballot stored nothing, not even its answer under the Idempotency-Key.
    keys = live.db.read_sync(lambda s: s.exec(select(IdempotencyRecord)).all())
    assert {r.user_id for r in keys} == {user_id(live.db, "m1"), user_id(live.db, "m6")}


def test_the_electorate_of_a_restricted_item_is_its_audience(live: Live) -> None:
    live.start()
    vote_id = live.open_vote("B")  # restricted to m1 (and the chair)
    assert view(live, "chair", vote_id)["eligible"] == 2
    refused(live.ballot("m2", vote_id, "yes"), 404, "not_found")  # m2 cannot see item B
    counted(live, "m1", vote_id, "yes")
    counted(live, "chair", vote_id, "yes")
    result = close(live, vote_id)["result"]
    assert counts(result) == {"yes": 2}
    assert result["adopted"] is False  # 2 yes of a Government of 8


# --- when ---------------------------------------------------------------------------------------


def test_ballots_count_only_while_the_vote_is_open(live: Live) -> None:
    live.start()
    vote_id = create(live)
    refused(live.ballot("m1", vote_id, "yes", key="early"), 409, "vote_not_open")
    opened = live.actors["chair"].post(f"/api/v1/votes/{vote_id}/open")
    assert opened.status_code == 200, opened.text
    assert opened.json()["state"] == "open"
    # The refusal was not stored under its key: the retry with the same key is a first ballot.
    counted(live, "m1", vote_id, "yes", key="early")
    close(live, vote_id)
    refused(live.ballot("m2", vote_id, "yes"), 409, "vote_closed")
    refused(live.ballot("m1", vote_id, "no", key="late"), 409, "vote_closed")
    vote = stored(live.db, vote_id)
    assert vote.cast == 1
    assert ballot_rows(live.db, vote_id) == {member_of(live, "m1"): "yes"}


def test_a_vote_opens_only_with_quorum_and_one_at_a_time(live: Live) -> None:
    live.start(present=6)  # quorum is ceil(8 * 2/3) = 6
    chair = live.actors["chair"]
    sixth = live.member_ids[5]
    left = live.actors["sec"].put(live.url(f"/attendance/{sixth}"), json={"status": "absent"})
    assert left.status_code == 200, left.text  # 5 present now
    vote_id = create(live)
    refused(chair.post(f"/api/v1/votes/{vote_id}/open"), 409, "no_quorum")
    assert stored(live.db, vote_id).state == "draft"
    assert [e.kind for e in vote_events(live.db, live.meeting_id, vote_id)] == ["vote.created"]

    live.present(6)
    opened = chair.post(f"/api/v1/votes/{vote_id}/open")
    assert opened.status_code == 200, opened.text
    assert opened.json()["eligible"] == 6
    refused(chair.post(f"/api/v1/votes/{vote_id}/open"), 409, "vote_not_draft")
    other = create(live, "C")
    refused(chair.post(f"/api/v1/votes/{other}/open"), 409, "another_vote_open")
    close(live, vote_id)
    reopened = chair.post(f"/api/v1/votes/{other}/open")
    assert reopened.status_code == 200
    assert reopened.json()["state"] == "open" and reopened.json()["eligible"] == 6
    assert stored(live.db, other).state == "open"


def test_close_is_idempotent(live: Live) -> None:
    live.start()
    draft = create(live, "C")
    refused(live.actors["chair"].post(f"/api/v1/votes/{draft}/close"), 409, "vote_not_open")
    vote_id = live.open_vote("A")
    counted(live, "m1", vote_id, "yes")
    counted(live, "m2", vote_id, "no")
    first = close(live, vote_id)
    again = close(live, vote_id)
    by_secretariat = live.actors["sec"].post(f"/api/v1/votes/{vote_id}/close")
    assert by_secretariat.status_code == 200
    assert first["result"] == again["result"] == by_secretariat.json()["result"]
    assert first["closed_at"] == again["closed_at"] == by_secretariat.json()["closed_at"]
    assert counts(first["result"]) == {"yes": 1, "no": 1}
    kinds = [e.kind for e in vote_events(live.db, live.meeting_id, vote_id)]
    assert kinds.count("vote.closed") == 1


# --- one ballot per member ----------------------------------------------------------------------


def test_a_named_ballot_changed_before_close_counts_once(live: Live) -> None:
    live.start()
    vote_id = live.open_vote("A")
    for choice in ("yes", "no", "abstain", "no"):
        counted(live, "m1", vote_id, choice, key=f"m1-{uuid.uuid4()}")
        body = view(live, "m1", vote_id)
        assert body["cast"] == 1
        assert body["my_choice"] == choice
    result = close(live, vote_id)
    assert counts(result["result"]) == {"no": 1}
    assert result["ballots"] == {str(member_of(live, "m1")): "no"}
    assert stored(live.db, vote_id).cast == 1


def test_a_secret_ballot_is_cast_once(live: Live) -> None:
    live.start()
    vote_id = live.open_vote("A", secret=True)
    counted(live, "m1", vote_id, "yes", key="first")
    refused(live.ballot("m1", vote_id, "no", key="second"), 409, "already_voted")
    refused(live.ballot("m1", vote_id, "yes", key="third"), 409, "already_voted")
    body = view(live, "m1", vote_id)
    assert (body["cast"], body["has_voted"], body["my_choice"]) == (1, True, None)
    result = close(live, vote_id)
    assert counts(result["result"]) == {"yes": 1}
    assert "ballots" not in result


def test_the_database_holds_one_ballot_per_member(live: Live) -> None:
    live.start()
    m1 = member_of(live, "m1")
    named = live.open_vote("A")
    counted(live, "m1", named, "yes")
    close(live, named)
    secret = live.open_vote("A", secret=True)
    counted(live, "m1", secret, "yes")

    duplicates: list[Any] = [
        Ballot(vote_id=named, member_id=m1, choice="no"),
        BallotReceipt(vote_id=secret, member_id=m1),
        SecretTally(vote_id=secret, choice="yes", count=1),
    ]
    for row in duplicates:

        def insert(s: Session, row: Any = row) -> None:
            s.add(row)
            s.flush()

        with pytest.raises(IntegrityError):
            live.db.write_sync(insert)
    assert ballot_rows(live.db, named) == {m1: "yes"}
    assert receipts(live.db, secret) == {m1}
    assert tally(live.db, secret) == {"yes": 1}


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_a_ballot_needs_an_idempotency_key(live: Live) -> None:
    live.start()
    vote_id = live.open_vote("A")
    url = f"/api/v1/votes/{vote_id}/ballots"
    m1 = live.actors["m1"]
    refused(m1.post(url, json={"choice": "yes"}), 400, "idempotency_key_required")
    refused(
        m1.post(url, json={"choice": "yes"}, headers={"Idempotency-Key": "  "}),
        400,
        "idempotency_key_required",
    )
    refused(
        m1.post(url, json={"choice": "yes"}, headers={"Idempotency-Key": "k" * 201}),
        400,
        "bad_idempotency_key",
    )
    refused(live.ballot("m1", vote_id, "maybe"), 422, "bad_choice")
    assert stored(live.db, vote_id).cast == 0


def test_the_same_key_gets_the_first_answer(live: Live) -> None:
    live.start()
    previous: int | None = None
    for secret in (False, True):
        vote_id = live.open_vote("A", secret=secret)
        key = f"tablet-{vote_id}"
        first = live.ballot("m1", vote_id, "yes", key)
        assert first.status_code == 200, first.text
        assert first.json() == {
            "vote_id": vote_id,
            "counted": True,
            "secret": secret,
            **({} if secret else {"choice": "yes"}),
        }
        again = live.ballot("m1", vote_id, "yes", key)
        assert (again.status_code, again.json()) == (200, first.json())
        assert stored(live.db, vote_id).cast == 1
        refused(live.ballot("m1", vote_id, "no", key), 422, "idempotency_key_reused")
        if previous is not None:  # a key already used on another vote is another body
            refused(live.ballot("m1", vote_id, "yes", f"tablet-{previous}"), 422, "idempotency_key_reused")
        if not secret:
            counted(live, "m1", vote_id, "no", key=f"change-{vote_id}")
            replay = live.ballot("m1", vote_id, "yes", key)
            assert (replay.status_code, replay.json()) == (200, first.json())
            assert view(live, "m1", vote_id)["my_choice"] == "no"  # the replay changed nothing
        assert stored(live.db, vote_id).cast == 1
        result = close(live, vote_id)["result"]
        after = live.ballot("m1", vote_id, "yes", key)
        assert (after.status_code, after.json()) == (200, first.json())
        assert stored(live.db, vote_id).cast == 1
        assert counts(result) == ({"yes": 1} if secret else {"no": 1})
        previous = vote_id


# --- the result ---------------------------------------------------------------------------------

TIE_CHAIR_YES = {**dict.fromkeys(VOTERS[:4], "yes"), **dict.fromkeys(VOTERS[4:], "no")}
TIE_CHAIR_NO = {**dict.fromkeys(VOTERS[:4], "no"), **dict.fromkeys(VOTERS[4:], "yes")}
# (what, secret, ballots, adopted, tie_broken_by_chair)
SCENARIOS: list[tuple[str, bool, dict[str, str], bool, bool]] = [
    ("5 yes of 8", False, dict.fromkeys(VOTERS[:5], "yes"), True, False),
    ("5 yes of 8, secret", True, dict.fromkeys(VOTERS[3:], "yes"), True, False),
    (
        "4 yes, 3 no, 1 abstain: 4 is not more than 4",
        False,
        {**dict.fromkeys(VOTERS[:4], "yes"), **dict.fromkeys(VOTERS[4:7], "no"), "m7": "abstain"},
        False,
        False,
    ),
    ("4 yes and nobody else", False, dict.fromkeys(VOTERS[:4], "yes"), False, False),
    ("4-4, the chair votes yes", False, TIE_CHAIR_YES, True, True),
    ("4-4, the chair votes no", False, TIE_CHAIR_NO, False, True),
    ("4-4 secret: no known chair side", True, TIE_CHAIR_YES, False, False),
]


def test_the_decision_rule(live: Live) -> None:
    live.start()
    for what, secret, ballots, adopted, tie in SCENARIOS:
        vote_id = live.open_vote("A", secret=secret, question=what)
        for who, choice in ballots.items():
            counted(live, who, vote_id, choice)
        closed = close(live, vote_id)
        result = closed["result"]
        assert counts(result) == dict(Counter(ballots.values())), what
        assert (result["adopted"], result["tie_broken_by_chair"]) == (adopted, tie), what
        assert result["rule"] == "yes_over_half_of_membership"
        assert (result["total_membership"], result["eligible"], result["cast"]) == (8, 8, len(ballots)), what
        assert ("ballots" in closed) is not secret


def test_members_absent_or_silent_count_against(live: Live) -> None:
    live.start(present=6)
    four = live.open_vote("A")
    for who in VOTERS[:4]:
        counted(live, who, four, "yes")
    for who in VOTERS[4:6]:
        counted(live, who, four, "no")
    result = close(live, four)["result"]
    # 4 of the 6 present said yes, but a decision needs more than half of the 8 members (the
    # non-voting outsider is not one of them).
    assert (result["yes"], result["no"], result["total_membership"], result["eligible"]) == (4, 2, 8, 6)
    assert result["adopted"] is False

    five = live.open_vote("A")
    for who in VOTERS[:5]:
        counted(live, who, five, "yes")
    counted(live, "m5", five, "no")
    assert close(live, five)["result"]["adopted"] is True


# --- what is shown while open -------------------------------------------------------------------


def test_no_count_of_choices_is_shown_until_close(live: Live) -> None:
    live.start()
    readers = ("sec", "chair", "m1", "m5", "guest", "observer")
    for secret in (False, True):
        vote_id = live.open_vote("A", secret=secret)
        ballots = {"chair": "yes", "m1": "no", "m2": "abstain"}
        for who, choice in ballots.items():
            counted(live, who, vote_id, choice)
        for who in readers:
            body = view(live, who, vote_id)
            assert (body["state"], body["cast"], body["eligible"]) == ("open", 3, 8)
            assert not COUNT_KEYS & set(body), (who, body)
            snapshot = live.actors[who].get(live.url("/live")).json()
            shown = next(v for v in snapshot["state"]["votes"] if v["id"] == vote_id)
            assert shown["cast"] == 3
            assert not COUNT_KEYS & set(shown), (who, shown)
        assert view(live, "m1", vote_id)["my_choice"] == (None if secret else "no")
        assert view(live, "m5", vote_id)["my_choice"] is None

        close(live, vote_id)
        for who in readers:
            body = view(live, who, vote_id)
            assert RESULT_KEYS <= set(body["result"]), body
            assert counts(body["result"]) == {"yes": 1, "no": 1, "abstain": 1}
            assert body["result"]["adopted"] is False
            if secret:
                assert "ballots" not in body
            else:
                assert body["ballots"] == {str(member_of(live, w)): c for w, c in ballots.items()}


# --- the secrecy of secret votes ----------------------------------------------------------------

IDENTITY_SUFFIXES = ("member_id", "user_id")


def _leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """(name, value) of every scalar in a row, descending into JSON text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _leaves(inner, str(name))
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(inner, key)
    else:
        yield key, value


def links_voter_to_choice(row: dict[str, Any], members: set[int], users: set[int]) -> bool:
    """Whether one row (or frame) names a voter and holds a choice: a voter's id in an identity
    field (`*member_id`, `*user_id`, `actor_id`) beside a choice value, or a map keyed by voter."""
    voter = chosen = False
    keyed = {str(m) for m in members}
    for name, value in _leaves(row):
        if isinstance(value, str) and value in CHOICES:
            chosen = True
            if name in keyed:
                return True
        if isinstance(value, int) and not isinstance(value, bool):
            if name.endswith("member_id") and value in members:
                voter = True
            if (name.endswith("user_id") or name == "actor_id") and value in users:
                voter = True
    return voter and chosen


def every_row(engine: Engine) -> Iterator[tuple[str, dict[str, Any]]]:
    metadata = MetaData()
    metadata.reflect(bind=engine)
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa_select(table)).mappings():
                yield table.name, dict(row)


def assert_secret(live: Live, vote_id: int, voters: dict[str, str], *, closed: bool) -> None:
    """No row of any table links a voter of the secret vote to a choice."""
    members = {member_of(live, w) for w in voters}
    users = {user_id(live.db, w) for w in voters}
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, row in every_row(live.db.engine):
        tables.setdefault(name, []).append(row)
        assert not links_voter_to_choice(row, members, users), (name, row)
    # (a) no named ballot
    assert not [r for r in tables.get("ballot", []) if r["vote_id"] == vote_id]
    # (b) who voted, and nothing else
    mine = [r for r in tables["ballot_receipt"] if r["vote_id"] == vote_id]
    assert all(set(r) == {"vote_id", "member_id"} for r in mine)
    assert {r["member_id"] for r in mine} == members
    # (c) counters only
    counters = [r for r in tables["secret_tally"] if r["vote_id"] == vote_id]
    assert all(set(r) == {"vote_id", "choice", "count"} for r in counters)
    assert {r["choice"]: r["count"] for r in counters if r["count"]} == dict(Counter(voters.values()))
    # (d) the events
    for event in tables["event"]:
        data = json.loads(event["data"])
        if data.get("vote_id") != vote_id:
            continue
        if event["kind"] == "vote.progress":
            assert set(data) == {"vote_id", "cast", "eligible"}
            assert event["actor_id"] is None
        if event["kind"] == "vote.closed":
            assert data["ballots"] is None
    # (e) the stored answers: no choice, and no fingerprint that a plain hash of the choice matches
    plain = {hashlib.sha256(f"{vote_id}:{c}".encode()).hexdigest() for c in CHOICES}
    answers = [r for r in tables["idempotency_record"] if json.loads(r["body"]).get("vote_id") == vote_id]
    assert {r["user_id"] for r in answers} == users
    for answer in answers:
        assert "choice" not in json.loads(answer["body"])
        assert answer["fingerprint"] not in plain
    (vote,) = [r for r in tables["vote"] if r["id"] == vote_id]
    assert (vote["salt"] is None) is closed


def receive_until(ws: Any, kind: str, frames: list[dict[str, Any]]) -> dict[str, Any]:
    """Read frames into `frames` until an event of `kind` arrives (heartbeats are skipped)."""
    while True:
        frame: dict[str, Any] = ws.receive_json()
        frames.append(frame)
        if frame["type"] == "event" and frame["kind"] == kind:
            return frame


def test_a_secret_vote_links_no_voter_to_a_choice(live: Live) -> None:
    live.start()
    ballots = {"chair": "yes", "m1": "no", "m2": "abstain", "m3": "yes", "m4": "no", "m5": "yes"}
    members = {member_of(live, w) for w in ballots}
    users = {user_id(live.db, w) for w in ballots}
    url = f"/ws/meetings/{live.meeting_id}"
    frames: dict[str, list[dict[str, Any]]] = {"m2": [], "sec": []}
    with (
        live.client.websocket_connect(url, headers=live.socket_headers("m2")) as m2,
        live.client.websocket_connect(url, headers=live.socket_headers("sec")) as sec,
    ):
        sockets = {"m2": m2, "sec": sec}
        for who, ws in sockets.items():
            snapshot = ws.receive_json()
            assert snapshot["type"] == "snapshot"
            frames[who].append(snapshot)
        vote_id = live.open_vote("A", secret=True)
        for who, ws in sockets.items():
            receive_until(ws, "vote.opened", frames[who])
        for n, (who, choice) in enumerate(ballots.items(), start=1):
            counted(live, who, vote_id, choice, key=str(uuid.uuid4()))
            for reader, ws in sockets.items():
                progress = receive_until(ws, "vote.progress", frames[reader])
                assert progress["data"] == {"vote_id": vote_id, "cast": n, "eligible": 8}
        assert_secret(live, vote_id, ballots, closed=False)
        # A socket that joins now gets a snapshot of the open vote: no count, no choice.
        with live.client.websocket_connect(url, headers=live.socket_headers("m1")) as late:
            snapshot = late.receive_json()
            (shown,) = [v for v in snapshot["state"]["votes"] if v["id"] == vote_id]
            assert (shown["cast"], shown["has_voted"], shown["my_choice"]) == (len(ballots), True, None)
            assert not COUNT_KEYS & set(shown)
            frames["m2"].append(snapshot)
        open_frames = {who: list(found) for who, found in frames.items()}
        close(live, vote_id)
        for who, ws in sockets.items():
            closed = receive_until(ws, "vote.closed", frames[who])
            assert closed["data"]["ballots"] is None
            assert counts(closed["data"]["result"]) == dict(Counter(ballots.values()))
    assert_secret(live, vote_id, ballots, closed=True)

    for found in open_frames.values():
        for frame in found:
            text_frame = json.dumps(frame)
            assert '"result"' not in text_frame and '"ballots"' not in text_frame, frame
            if frame["type"] == "snapshot":
                for vote in frame["state"]["votes"]:
                    assert not COUNT_KEYS & set(vote), vote
    for found in frames.values():
        for frame in found:
            assert not links_voter_to_choice(frame, members, users), frame


def test_progress_frames_of_a_named_vote_carry_no_choice(live: Live) -> None:
    live.start()
    url = f"/ws/meetings/{live.meeting_id}"
    with live.client.websocket_connect(url, headers=live.socket_headers("observer")) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        frames: list[dict[str, Any]] = []
        vote_id = live.open_vote("A")
        for n, who in enumerate(("m1", "m2", "m3"), start=1):
            counted(live, who, vote_id, "no")
            progress = receive_until(ws, "vote.progress", frames)
            assert progress["data"] == {"vote_id": vote_id, "cast": n, "eligible": 8}
        counted(live, "m1", vote_id, "yes")  # a change: the count of ballots stays
        assert receive_until(ws, "vote.progress", frames)["data"]["cast"] == 3
        for frame in frames:
            assert '"yes"' not in json.dumps(frame) and '"no"' not in json.dumps(frame), frame
        close(live, vote_id)
        closed = receive_until(ws, "vote.closed", frames)
        assert counts(closed["data"]["result"]) == {"yes": 1, "no": 2}
        assert closed["data"]["ballots"] == {
            str(member_of(live, "m1")): "yes",
            str(member_of(live, "m2")): "no",
            str(member_of(live, "m3")): "no",
        }
    # One event per committed batch of ballots (here one each); the ballot rows name the voter.
    progress_events = [e for e in vote_events(live.db, live.meeting_id, vote_id) if e.kind == "vote.progress"]
    assert [(e.payload()["cast"], e.actor_id) for e in progress_events] == [
        (1, None),
        (2, None),
        (3, None),
        (3, None),
    ]


def test_retries_racing_each_other_get_the_first_answer(db: Database) -> None:
    """A tablet that times out and retries while its first request is still being served: every
    copy of the request, whichever commits first, gets the same answer and the ballot counts once."""
    seated = seat_meeting(db, 3, prefix="retry")
    voter = seated.voters[1]
    copies = 8
    for secret in (False, True):
        vote_id = open_vote(db, seated, secret=secret)
        go = threading.Barrier(copies)

        def send(_: int, vote_id: int = vote_id, go: threading.Barrier = go) -> models.Answer | str:
            go.wait()
            try:
                return db.write_sync(
                    lambda s: votes_ballots.cast(
                        session=s, vote_id=vote_id, choice="yes", key=f"retried-{vote_id}", viewer=voter
                    )
                )
            except Exception as exc:
                return repr(exc)

        with ThreadPoolExecutor(max_workers=copies) as pool:
            answers = list(pool.map(send, range(copies)))
        first = models.Answer(200, {"vote_id": vote_id, "counted": True, "secret": secret})
        if not secret:
            first.body["choice"] = "yes"
        assert answers == [first] * copies
        assert stored(db, vote_id).cast == 1
        close_now(db, vote_id)
    assert recount(db) == (2, [])


# --- ballots racing a close ---------------------------------------------------------------------

RACERS = 50


def race(db: Database, vote_id: int, voters: list[Viewer]) -> tuple[dict[int, str], set[int]]:
    """Fire one ballot per voter from threads while another thread closes the vote once ten ballots
    are in. Returns (member id -> choice of every ballot acknowledged, member ids refused)."""
    acknowledged: dict[int, str] = {}
    closed_out: set[int] = set()
    unexpected: list[BaseException | str] = []
    guard = threading.Lock()
    go = threading.Barrier(len(voters) + 1)
    some_in = threading.Event()

    def ballot(n: int, voter: Viewer) -> None:
        choice = CHOICES[n % len(CHOICES)]
        member = voter.member_id or 0
        go.wait()
        try:
            answer = db.write_sync(
                lambda s: votes_ballots.cast(
                    session=s, vote_id=vote_id, choice=choice, key=f"race-{vote_id}-{n}", viewer=voter
                )
            )
        except WrongState as exc:
            with guard:
                if exc.code == "vote_closed":
                    closed_out.add(member)
                else:
                    unexpected.append(exc)
            return
        except BaseException as exc:
            with guard:
                unexpected.append(exc)
            return
        with guard:
            if answer.status == 200 and answer.body.get("counted") is True:
                acknowledged[member] = choice
            else:
                unexpected.append(f"{answer}")
            if len(acknowledged) >= 10:
                some_in.set()

    def closer() -> None:
        go.wait()
        some_in.wait(timeout=60)
        db.write_sync(
            lambda s: lifecycle.close(session=s, vote_id=vote_id, actor_id=None, policy=DEFAULT_POLICY)
        )

    with ThreadPoolExecutor(max_workers=len(voters) + 1) as pool:
        futures = [pool.submit(ballot, n, v) for n, v in enumerate(voters)]
        futures.append(pool.submit(closer))
        for future in futures:
            future.result(timeout=120)
    assert not unexpected, unexpected
    return acknowledged, closed_out


def test_ballots_racing_the_close_are_counted_or_refused(db: Database) -> None:
    seated = seat_meeting(db, RACERS + 2, prefix="racer")
    racers = seated.voters[:RACERS]
    for secret in (False, True):
        vote_id = open_vote(db, seated, secret=secret)
        acknowledged, closed_out = race(db, vote_id, racers)
        assert len(acknowledged) + len(closed_out) == RACERS
        assert len(acknowledged) >= 10
        vote = stored(db, vote_id)
        assert vote.state == "closed"
        result = (vote.result_dict() or {})["result"]
        assert (
            vote.cast
            == len(acknowledged)
            == result["cast"]
            == result["yes"] + result["no"] + result["abstain"]
        )
        assert counts(result) == dict(Counter(acknowledged.values()))
        if secret:
            assert receipts(db, vote_id) == set(acknowledged)
            assert tally(db, vote_id) == dict(Counter(acknowledged.values()))
            assert not ballot_rows(db, vote_id)
        else:
            assert ballot_rows(db, vote_id) == acknowledged
            assert (vote.result_dict() or {})["ballots"] == {str(m): c for m, c in acknowledged.items()}
        closed_events = [e for e in vote_events(db, seated.meeting_id, vote_id) if e.kind == "vote.closed"]
        assert len(closed_events) == 1
        progress = [e for e in vote_events(db, seated.meeting_id, vote_id) if e.kind == "vote.progress"]
        assert len(progress) == len(acknowledged)
        assert progress[-1].seq < closed_events[0].seq  # no ballot was taken after the close
    assert recount(db) == (2, [])


# --- the recount --------------------------------------------------------------------------------


def tamper(db: Database, sql: str, **params: Any) -> None:
    db.write_sync(lambda s: s.execute(text(sql), params))


def test_the_recount_finds_a_tampered_tally(live: Live) -> None:
    live.start()
    named = live.open_vote("A")
    for who, choice in {"m1": "yes", "m2": "yes", "m3": "no"}.items():
        counted(live, who, named, choice)
    close(live, named)
    secret = live.open_vote("A", secret=True)
    for who, choice in {"m1": "yes", "m2": "yes", "m3": "abstain"}.items():
        counted(live, who, secret, choice)
    close(live, secret)
    assert recount(live.db) == (2, [])

    m1 = member_of(live, "m1")
    tamper(live.db, "UPDATE ballot SET choice = 'no' WHERE vote_id = :v AND member_id = :m", v=named, m=m1)
    assert recount(live.db) == (2, [RecountProblem(named, "tally_differs_from_ballots")])
    tamper(live.db, "UPDATE ballot SET choice = 'yes' WHERE vote_id = :v AND member_id = :m", v=named, m=m1)
    tamper(live.db, "DELETE FROM ballot WHERE vote_id = :v AND member_id = :m", v=named, m=m1)
    assert recount(live.db) == (2, [RecountProblem(named, "ballots_do_not_add_up")])
    tamper(
        live.db,
        "INSERT INTO ballot (vote_id, member_id, choice, cast_at, changed_at) "
        "SELECT :v, :m, 'yes', cast_at, changed_at FROM ballot WHERE vote_id = :v LIMIT 1",
        v=named,
        m=m1,
    )
    assert recount(live.db) == (2, [])

    sql = "UPDATE secret_tally SET count = count + :d WHERE vote_id = :v AND choice = :c"
    tamper(live.db, sql, d=1, v=secret, c="yes")
    assert recount(live.db) == (2, [RecountProblem(secret, "ballots_do_not_add_up")])
    tamper(live.db, sql, d=-2, v=secret, c="yes")
    tamper(live.db, sql, d=1, v=secret, c="abstain")
    assert recount(live.db) == (2, [RecountProblem(secret, "tally_differs_from_ballots")])


def test_verify_recounts_the_closed_votes(live: Live, settings: Settings) -> None:
    live.start()
    vote_id = live.open_vote("A")
    for who in ("m1", "m2"):
        counted(live, who, vote_id, "yes")
    close(live, vote_id)
    intact = run_cli(["verify"], data_dir=settings.data_dir, database_url=settings.database_url)
    assert intact.returncode == 0, intact.stderr
    m1 = member_of(live, "m1")
    tamper(live.db, "UPDATE ballot SET choice = 'no' WHERE vote_id = :v AND member_id = :m", v=vote_id, m=m1)
    found = run_cli(["verify"], data_dir=settings.data_dir, database_url=settings.database_url)
    assert found.returncode == 1, (found.stdout, found.stderr)
    summary = json_out(found)
    assert (summary["intact"], summary["votes_ok"]) == (True, False)  # the chain is fine, the tally is not
    assert summary["bad_votes"] == [{"vote_id": vote_id, "reason": "tally_differs_from_ballots"}]


def test_no_storage_order_or_transaction_id_links_a_secret_ballot(live: Live) -> None:
    live.start()
    orders = (("abstain", "no", "yes"), ("yes", "no", "abstain"))
    vote_ids: list[int] = []
    for order in orders:
        vote_id = live.open_vote("A", secret=True)
        for who, choice in zip(VOTERS[:5], (*order, "yes", "no"), strict=True):
            counted(live, who, vote_id, choice, key=str(uuid.uuid4()))
        close(live, vote_id)
        vote_ids.append(vote_id)
    with live.db.engine.connect() as conn:
        if live.db.engine.dialect.name == "sqlite":
            # The order in which the counters were stored must not follow the order of the ballots.
            stored_orders = [
                conn.execute(
                    text("SELECT choice FROM secret_tally WHERE vote_id = :v ORDER BY rowid"), {"v": vote_id}
                )
                .scalars()
                .all()
                for vote_id in vote_ids
            ]
            assert stored_orders[0] == stored_orders[1], stored_orders
        else:
            # A ballot's transaction rewrites every counter of its vote, so a row it wrote may share
            # its transaction id with the counters, but with all of them at once: never with one choice.
            for table, who in (("ballot_receipt", "member_id"), ("idempotency_record", "user_id")):
                linked = conn.execute(
                    text(
                        f"SELECT r.{who}, t.vote_id, t.choice FROM {table} r "
                        "JOIN secret_tally t ON r.xmin = t.xmin WHERE t.vote_id IN :votes"
                    ).bindparams(bindparam("votes", expanding=True)),
                    {"votes": vote_ids},
                ).all()
                singled_out: dict[tuple[int, int], set[str]] = {}
                for person, vote_id, choice in linked:
                    singled_out.setdefault((person, vote_id), set()).add(choice)
                assert all(found == set(models.CHOICES) for found in singled_out.values()), (table, linked)
