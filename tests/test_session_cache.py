"""Login sessions remembered in memory (meeting_app/session_cache.py): changes in the log evict
them at once, unknown tokens are never remembered, and "last seen" is written in batches."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta

import pytest
from sqlmodel import delete, select
from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from agenda.people.accounts import AuthSession, SessionPolicy
from meeting_app import session_cache
from meeting_app.auth import SESSION_COOKIE
from tests.conftest import context_of
from tests.support.factories import PASSWORD, login, login_as, make_user

POLICY = SessionPolicy()


def test_switching_language_takes_effect_on_the_next_request(client: TestClient, db: Database) -> None:
    make_user(db, "thanhvien", ["member"])
    member = login_as(client, "thanhvien")
    assert member.get("/api/v1/me").json()["user"]["locale"] == "vi"  # now remembered
    assert member.patch("/api/v1/me", json={"locale": "en"}).status_code == 200
    refused = member.post("/api/v1/votes/999999/ballots", json={"choice": "yes"})
    assert refused.status_code == 400
    assert "Idempotency-Key" in refused.json()["error"]["message"]
    assert refused.json()["error"]["message"].startswith("The ")  # English, not the cached Vietnamese


def test_a_session_replaced_at_login_is_forgotten(client: TestClient, db: Database) -> None:
    make_user(db, "thanhvien", ["member"])
    login(client, "thanhvien")
    old = client.cookies.get(SESSION_COOKIE)
    assert old and client.get("/api/v1/me").status_code == 200  # remembered
    response = client.post("/api/v1/auth/login", json={"username": "thanhvien", "password": PASSWORD})
    assert response.status_code == 200
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, old)
    assert client.get("/api/v1/me").status_code == 401


def test_unknown_tokens_are_never_remembered(client: TestClient, db: Database) -> None:
    cache = context_of(client).sessions
    before = len(cache._entries)
    for _ in range(200):
        client.cookies.set(SESSION_COOKIE, secrets.token_urlsafe(32))
        assert client.get("/api/v1/me").status_code == 401
    client.cookies.set(SESSION_COOKIE, "x" * 5000)  # oversized: not even hashed
    assert client.get("/api/v1/me").status_code == 401
    assert len(cache._entries) == before


def test_a_session_deleted_outside_the_log_ends_within_the_ttl(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every change the application makes evicts at once through the log; a row deleted by hand
    (no event) is noticed when its entry ages out."""
    make_user(db, "thanhvien", ["member"])
    login(client, "thanhvien")
    assert client.get("/api/v1/me").status_code == 200
    db.write_sync(lambda s: s.execute(delete(AuthSession)))
    monkeypatch.setattr(session_cache, "TTL", 0.0)
    assert client.get("/api/v1/me").status_code == 401


def test_last_seen_is_written_for_many_sessions_in_one_batch(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_cache, "TOUCH_EVERY", 0.05)
    start = clock.utcnow()
    clock.freeze(start)
    actors = []
    for n in range(3):
        make_user(db, f"tv{n}", ["member"])
        actors.append(login_as(client, f"tv{n}"))
    later = start + POLICY.touch_every + timedelta(seconds=5)
    clock.freeze(later)
    for actor in actors:
        assert actor.get("/api/v1/me").status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        seen = db.read_sync(lambda s: [row.last_seen_at for row in s.exec(select(AuthSession)).all()])
        if len(seen) == 3 and all(_naive(at) >= _naive(later) for at in seen):
            break
        client.get("/healthz")  # lets the server's event loop run its background task
        time.sleep(0.05)
    else:
        pytest.fail(f"last seen was not written: {seen}")
    # activity keeps the session alive past the original idle limit
    clock.freeze(start + POLICY.idle + timedelta(minutes=1))
    me = actors[0].get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "tv0"


def _naive(at: datetime) -> datetime:
    return at.replace(tzinfo=None)
