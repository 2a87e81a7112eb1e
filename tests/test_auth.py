"""Login, logout, sessions: rotation at login, revocation at logout, idle and absolute timeouts,
rate limiting, argon2id."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from agenda.log.events import Event
from agenda.people.accounts import AuthSession, LoginFailure, SessionPolicy, User
from meeting_app.auth import SESSION_COOKIE
from tests.support.factories import PASSWORD, error_of, login, login_as, make_member, make_user

POLICY = SessionPolicy()


def test_login_returns_user_and_csrf_and_sets_cookie(client: TestClient, db: Database) -> None:
    user = make_user(db, "thuky", ["secretariat"], full_name="Nguyễn Thị Thư Ký")
    response = client.post("/api/v1/auth/login", json={"username": "thuky", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == user.id
    assert body["user"]["username"] == "thuky"
    assert body["user"]["full_name"] == "Nguyễn Thị Thư Ký"
    assert body["user"]["roles"] == ["secretariat"]
    assert "password_hash" not in response.text
    assert len(body["csrf_token"]) >= 32
    assert client.cookies.get(SESSION_COOKIE)

    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "thuky"
    assert me.json()["csrf_token"] == body["csrf_token"]


def test_username_is_case_insensitive(client: TestClient, db: Database) -> None:
    make_user(db, "ThuKy", ["secretariat"])
    login(client, "thuky")
    assert client.get("/api/v1/me").json()["user"]["username"] == "ThuKy"


def test_me_without_session_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_admin_creates_an_account_hashed_with_argon2id(client: TestClient, db: Database) -> None:
    admin = login_as(client, *_admin(db))
    member = make_member(db, full_name="Trần Thị Bộ Trưởng")
    body = {
        "username": "botruong",
        "full_name": "Trần Thị Bộ Trưởng",
        "password": "mat-khau-rat-dai-2026",
        "roles": ["member"],
        "member_id": member.id,
    }
    response = admin.post("/api/v1/users", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert isinstance(created["id"], int)
    assert created["roles"] == ["member"] and created["member_id"] == member.id
    assert "password" not in response.text and "argon2" not in response.text
    stored = db.read_sync(lambda s: s.exec(select(User).where(User.username == "botruong")).one())
    assert stored.password_hash.startswith("$argon2id$")
    assert "mat-khau-rat-dai-2026" not in stored.password_hash
    login(client, "botruong", "mat-khau-rat-dai-2026")

    again = admin.post(
        "/api/v1/users", json={**body, "username": "BoTruong", "member_id": None, "roles": ["guest"]}
    )
    assert again.status_code == 409
    assert error_of(again)["code"] == "username_taken"
    unlinked = admin.post(
        "/api/v1/users", json={**body, "username": "tl", "roles": ["assistant"], "member_id": None}
    )
    assert unlinked.status_code == 422
    assert error_of(unlinked)["code"] == "member_link_required"
    twice = admin.post("/api/v1/users", json={**body, "username": "bt2"})
    assert twice.status_code == 409
    assert error_of(twice)["code"] == "member_already_linked"
    bad_fields: list[dict[str, object]] = [
        {"roles": ["emperor"]},
        {"password": "short"},
        {"username": "có dấu"},
        {"roles": []},
    ]
    for bad in bad_fields:
        assert admin.post("/api/v1/users", json={**body, "username": "x2", **bad}).status_code == 400, bad


def test_session_token_is_not_stored_in_the_clear(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    login(client, "thuky")
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    rows = db.read_sync(lambda s: s.exec(select(AuthSession)).all())
    assert len(rows) == 1
    assert rows[0].id != token and token not in rows[0].id


def test_bad_password_and_unknown_user_get_the_same_generic_401(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    wrong = client.post("/api/v1/auth/login", json={"username": "thuky", "password": "sai-mat-khau-123"})
    unknown = client.post("/api/v1/auth/login", json={"username": "khongco", "password": "sai-mat-khau-123"})
    assert wrong.status_code == unknown.status_code == 401
    assert error_of(wrong) == error_of(unknown)
    assert "thuky" not in wrong.text and "khongco" not in unknown.text
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")


def test_inactive_user_cannot_log_in(client: TestClient, db: Database) -> None:
    admin = login_as(client, *_admin(db))
    user = make_user(db, "nghiviec", ["member"])
    assert admin.patch(f"/api/v1/users/{user.id}", json={"active": False}).status_code == 200
    response = client.post("/api/v1/auth/login", json={"username": "nghiviec", "password": PASSWORD})
    assert response.status_code == 401


def _admin(db: Database) -> tuple[str]:
    make_user(db, "quantri", ["admin"])
    return ("quantri",)


def test_five_bad_passwords_then_429_even_with_the_right_one(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    for _ in range(POLICY.max_failures_per_user):
        bad = client.post("/api/v1/auth/login", json={"username": "thuky", "password": "doan-sai-mat-khau"})
        assert bad.status_code == 401
    good = client.post("/api/v1/auth/login", json={"username": "thuky", "password": PASSWORD})
    assert good.status_code == 429
    assert error_of(good)["code"] == "rate_limited"
    assert client.get("/api/v1/me").status_code == 401


def test_rate_limit_window_passes(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    for _ in range(POLICY.max_failures_per_user):
        client.post("/api/v1/auth/login", json={"username": "thuky", "password": "doan-sai-mat-khau"})
    assert (
        client.post("/api/v1/auth/login", json={"username": "thuky", "password": PASSWORD}).status_code == 429
    )
    clock.freeze(clock.utcnow() + POLICY.failure_window + timedelta(minutes=1))
    passed = client.post("/api/v1/auth/login", json={"username": "thuky", "password": PASSWORD})
    assert passed.status_code == 200
    assert passed.json()["user"]["username"] == "thuky"
    assert client.get("/api/v1/me").json()["user"]["username"] == "thuky"


def test_failures_older_than_the_window_are_deleted(client: TestClient, db: Database) -> None:
    """A password-spraying attack leaves no more rows than one failure window holds."""
    for n in range(3):
        client.post("/api/v1/auth/login", json={"username": f"doan{n}", "password": "doan-sai-mat-khau"})
    assert len(db.read_sync(lambda s: s.exec(select(LoginFailure)).all())) == 3
    clock.freeze(clock.utcnow() + POLICY.failure_window + timedelta(minutes=1))
    client.post("/api/v1/auth/login", json={"username": "doan9", "password": "doan-sai-mat-khau"})
    rows = db.read_sync(lambda s: s.exec(select(LoginFailure)).all())
    assert [row.username for row in rows] == ["doan9"]


def test_logout_kills_the_session_server_side(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    csrf = login(client, "thuky")
    old = client.cookies.get(SESSION_COOKIE)
    assert old
    response = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    client.cookies.clear()
    replay = client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={old}"})
    assert replay.status_code == 401
    assert db.read_sync(lambda s: s.exec(select(AuthSession)).all()) == []
    kinds = db.read_sync(lambda s: [e.kind for e in s.exec(select(Event)).all()])
    assert "auth.logout" in kinds


def test_logout_needs_csrf(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    login(client, "thuky")
    assert client.post("/api/v1/auth/logout").status_code == 403
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "thuky"
    assert len(db.read_sync(lambda s: s.exec(select(AuthSession)).all())) == 1
    kinds = db.read_sync(lambda s: [e.kind for e in s.exec(select(Event)).all()])
    assert "auth.logout" not in kinds


def test_a_cookie_set_before_login_never_becomes_the_session(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    planted = "attacker-chosen-session-value-0123456789"
    client.cookies.set(SESSION_COOKIE, planted)
    response = client.post("/api/v1/auth/login", json={"username": "thuky", "password": PASSWORD})
    assert response.status_code == 200
    issued = response.cookies.get(SESSION_COOKIE)
    assert issued and issued != planted
    client.cookies.clear()
    assert client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={planted}"}).status_code == 401
    me = client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={issued}"})
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "thuky"


def test_forged_cookies_are_refused(client: TestClient) -> None:
    for value in ("", "x", "A" * 43, "A" * 5000, "%00%ff", "../../etc/passwd"):
        client.cookies.clear()
        response = client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={value}"})
        assert response.status_code == 401, value


def test_logging_in_again_rotates_the_token_and_kills_the_old_one(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    first_csrf = login(client, "thuky")
    first = client.cookies.get(SESSION_COOKIE)
    # Log in again with the old, still valid, cookie in the jar.
    response = client.post("/api/v1/auth/login", json={"username": "thuky", "password": PASSWORD})
    assert response.status_code == 200
    second = response.cookies.get(SESSION_COOKIE)
    assert first and second and second != first
    assert response.json()["csrf_token"] != first_csrf
    client.cookies.clear()
    assert client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={first}"}).status_code == 401
    me = client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={second}"})
    assert me.status_code == 200
    assert me.json()["csrf_token"] == response.json()["csrf_token"]


def test_two_devices_have_two_sessions(client: TestClient, db: Database) -> None:
    make_user(db, "thanhvien", ["member"])
    tablet = login_as(client, "thanhvien")
    laptop = login_as(client, "thanhvien")
    assert tablet.token != laptop.token
    assert tablet.get("/api/v1/me").status_code == 200
    assert laptop.post("/api/v1/auth/logout").status_code == 204
    assert laptop.get("/api/v1/me").status_code == 401
    me = tablet.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "thanhvien"
    assert me.json()["csrf_token"] == tablet.csrf


def test_idle_session_dies(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    start = clock.utcnow()
    clock.freeze(start)
    login(client, "thuky")
    clock.freeze(start + POLICY.idle - timedelta(minutes=5))
    assert client.get("/api/v1/me").status_code == 200  # activity slides the idle window
    clock.freeze(start + POLICY.idle + timedelta(minutes=1))
    assert client.get("/api/v1/me").status_code == 200
    clock.freeze(start + 2 * POLICY.idle + timedelta(minutes=10))
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_session_without_activity_dies_after_idle(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    login(client, "thuky")
    clock.freeze(clock.utcnow() + POLICY.idle + timedelta(seconds=1))
    assert client.get("/api/v1/me").status_code == 401


def test_active_session_still_dies_at_the_absolute_limit(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    start = clock.utcnow()
    clock.freeze(start)
    login(client, "thuky")
    step = POLICY.idle - timedelta(minutes=5)
    at = start
    while at + step < start + POLICY.absolute:
        at += step
        clock.freeze(at)
        assert client.get("/api/v1/me").status_code == 200
    clock.freeze(start + POLICY.absolute + timedelta(minutes=1))
    assert client.get("/api/v1/me").status_code == 401


def test_deactivating_a_user_ends_their_sessions(client: TestClient, db: Database) -> None:
    admin = login_as(client, *_admin(db))
    user = make_user(db, "thanhvien", ["member"])
    member = login_as(client, "thanhvien")
    assert member.get("/api/v1/me").status_code == 200
    assert admin.patch(f"/api/v1/users/{user.id}", json={"active": False}).status_code == 200
    assert member.get("/api/v1/me").status_code == 401


def test_password_change_ends_sessions(client: TestClient, db: Database) -> None:
    admin = login_as(client, *_admin(db))
    user = make_user(db, "thanhvien", ["member"])
    member = login_as(client, "thanhvien")
    response = admin.patch(f"/api/v1/users/{user.id}", json={"password": "mat-khau-moi-rat-dai"})
    assert response.status_code == 200
    assert member.get("/api/v1/me").status_code == 401
    login(client, "thanhvien", "mat-khau-moi-rat-dai")


def test_login_event_is_logged_without_secrets(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    csrf = login(client, "thuky")
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    rows = db.read_sync(lambda s: s.exec(select(Event)).all())
    assert "auth.login" in [e.kind for e in rows]
    for row in rows:
        assert PASSWORD not in row.data and token not in row.data and csrf not in row.data
        assert "$argon2" not in row.data


def test_change_language(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    csrf = login(client, "thuky")
    response = client.patch("/api/v1/me", json={"locale": "en"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert response.json()["user"]["locale"] == "en"
    bad = client.patch("/api/v1/me", json={"locale": "fr"}, headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422
