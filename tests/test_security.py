"""CSRF, Origin, trusted hosts, security headers and cookie flags."""

from __future__ import annotations

from pathlib import Path

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from agenda.db import Database
from meeting_app.auth import SESSION_COOKIE
from tests.support.factories import PASSWORD, Actor, error_of, login_as, make_user

NEW_ITEM = {
    "code": "ND-01/2026",
    "title": "Nghị định về quản lý văn bản điện tử",
    "kind": "decree",
    "lead_agency": "Văn phòng Chính phủ",
    "planned_month": "2026-12",
}


@pytest.fixture
def secretary(client: TestClient, db: Database) -> Actor:
    make_user(db, "thuky", ["secretariat"])
    return login_as(client, "thuky")


def items(actor: Actor) -> list[dict[str, object]]:
    found: list[dict[str, object]] = actor.get("/api/v1/programme-items").json()["items"]
    return found


def send(actor: Actor, headers: dict[str, str], code: str = "ND-01/2026") -> Response:
    """POST a new item as `actor`, with the given headers instead of the usual ones."""
    actor.client.cookies.clear()
    base = {"Cookie": f"{SESSION_COOKIE}={actor.token}"}
    return actor.client.post(
        "/api/v1/programme-items", json={**NEW_ITEM, "code": code}, headers={**base, **headers}
    )


def test_state_change_without_csrf_token_is_403(secretary: Actor) -> None:
    response = send(secretary, {})
    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"
    assert items(secretary) == []


def test_state_change_with_a_wrong_csrf_token_is_403(secretary: Actor) -> None:
    for token in (
        "wrong",
        "",
        "x" * 43,
        "%00",
        secretary.csrf[:-1],
        secretary.csrf + "x",
        secretary.csrf.upper(),
    ):
        response = send(secretary, {"X-CSRF-Token": token})
        assert response.status_code == 403, token
        assert error_of(response)["code"] == "csrf_failed"
    assert items(secretary) == []


def test_another_users_csrf_token_does_not_work(client: TestClient, db: Database, secretary: Actor) -> None:
    make_user(db, "thuky2", ["secretariat"])
    other = login_as(client, "thuky2")
    response = send(secretary, {"X-CSRF-Token": other.csrf})
    assert response.status_code == 403
    assert items(secretary) == []


FOREIGN = [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://testserver.evil.example"},
    {"Origin": "http://testserver:8080"},
    {"Referer": "https://evil.example/page"},
]


def test_a_foreign_origin_is_403_even_with_the_right_token(secretary: Actor) -> None:
    for header in FOREIGN:
        response = send(secretary, {"X-CSRF-Token": secretary.csrf, **header})
        assert response.status_code == 403, header
        assert error_of(response)["code"] == "csrf_failed"
    assert items(secretary) == []


def test_own_origin_with_the_token_passes(secretary: Actor) -> None:
    for n, header in enumerate(
        [{}, {"Origin": "http://testserver"}, {"Referer": "http://testserver/programme"}]
    ):
        response = send(secretary, {"X-CSRF-Token": secretary.csrf, **header}, code=f"ND-{n}")
        assert response.status_code == 201, (header, response.text)
        assert response.json()["code"] == f"ND-{n}"


def test_allowed_origins_setting_is_honoured(tmp_path: Path, database_url: str) -> None:
    from meeting_app.app import create_app
    from tests.conftest import context_of, settings_for

    settings = settings_for(
        tmp_path, {"ALLOWED_ORIGINS": "https://ecabinet.gov.vn"}, database_url=database_url
    )
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        make_user(context_of(client).db, "thuky", ["secretariat"])
        secretary = login_as(client, "thuky")
        ok = send(secretary, {"X-CSRF-Token": secretary.csrf, "Origin": "https://ecabinet.gov.vn"})
        assert ok.status_code == 201
        refused = send(secretary, {"X-CSRF-Token": secretary.csrf, "Origin": "https://ecabinet.gov.vn.evil"})
        assert refused.status_code == 403


def test_get_requests_need_no_csrf_token(secretary: Actor) -> None:
    secretary.client.cookies.clear()
    response = secretary.client.get(
        "/api/v1/programme-items", headers={"Cookie": f"{SESSION_COOKIE}={secretary.token}"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json()["items"], list)


def test_login_from_a_foreign_origin_still_needs_the_password(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    response = client.post(
        "/api/v1/auth/login",
        json={"username": "thuky", "password": "khong-dung-mat-khau"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code in (401, 403)


# --- hosts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        b"evil.example",
        b"testserver.evil.example",
        b"127.0.0.1.nip.io",
        b"",
        "\u00e9vil.example".encode(),
        b"\xff\xfe",
        b"[::1",
        b"testserver:notaport",
        b"a" * 300,
    ],
)
def test_a_host_not_allowed_is_400(client: TestClient, host: bytes) -> None:
    response = client.get("/api/v1/openapi.json", headers=[(b"Host", host)])
    assert response.status_code == 400


def test_allowed_hosts_answer(client: TestClient) -> None:
    for host in ("testserver", "localhost", "127.0.0.1", "localhost:8000"):
        response = client.get("/healthz", headers={"Host": host})
        assert response.status_code == 200, host
        assert response.text == "ok", host


# --- headers and cookies ------------------------------------------------------------------------


def assert_security_headers(response: Response) -> None:
    csp = response.headers.get("content-security-policy", "")
    assert csp, response.request.url
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    directives = {part.strip().split(" ")[0] for part in csp.split(";")}
    assert {"default-src", "script-src", "object-src", "base-uri"} <= directives
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy")


def test_security_headers_on_every_kind_of_response(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    responses = [
        client.get("/healthz"),
        client.get("/api/v1/openapi.json"),
        client.get("/api/v1/me"),  # 401
        client.get("/api/v1/meetings/999"),  # 401 (anonymous)
        client.get("/no/such/page", headers={"Accept": "application/json"}),  # 404
        client.post("/api/v1/auth/login", content=b"{", headers={"Content-Type": "application/json"}),  # 400
        client.post("/api/v1/auth/login", content=b"x" * 2_000_000),  # 413
        client.post("/api/v1/auth/login", content=b"x", headers={"Content-Type": "text/plain"}),  # 415
        client.delete("/api/v1/me"),  # 405
    ]
    csrf = _login(client)
    responses += [
        client.get("/api/v1/me"),
        client.get("/api/v1/meetings/999"),  # 404
        client.post("/api/v1/programme-items", json=NEW_ITEM),  # 403 without token
        client.post("/api/v1/programme-items", json=NEW_ITEM, headers={"X-CSRF-Token": csrf}),  # 201
        client.post("/api/v1/programme-items", json=NEW_ITEM, headers={"X-CSRF-Token": csrf}),  # 409
    ]
    statuses = sorted({r.status_code for r in responses})
    assert statuses == [200, 201, 400, 401, 403, 404, 405, 409, 413, 415]
    for response in responses:
        assert_security_headers(response)


def test_security_headers_on_a_refused_host(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.headers.get("x-content-type-options") == "nosniff"


def _login(client: TestClient) -> str:
    from tests.support.factories import login

    return login(client, "thuky", PASSWORD)


def test_session_cookie_flags(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    response = client.post("/api/v1/auth/login", json={"username": "thuky", "password": PASSWORD})
    cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith(f"{SESSION_COOKIE}="))
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert flags.get("samesite", "").lower() == "samesite=lax"
    assert flags.get("path") == "Path=/"
    assert "secure" not in flags  # plain http in tests; behind https the flag is set
    assert SESSION_COOKIE not in response.text


def test_session_cookie_is_secure_over_https(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    response = client.post(
        "https://testserver/api/v1/auth/login", json={"username": "thuky", "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith(f"{SESSION_COOKIE}="))
    assert "secure" in cookie.lower()


def test_logout_clears_the_cookie(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    csrf = _login(client)
    response = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    cleared = next(v for v in response.headers.get_list("set-cookie") if v.startswith(f"{SESSION_COOKIE}="))
    assert "max-age=0" in cleared.lower() or "expires=thu, 01 jan 1970" in cleared.lower()


def test_api_answers_are_not_cached(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    _login(client)
    assert "no-store" in client.get("/api/v1/me").headers.get("cache-control", "")


def test_a_refused_host_gets_the_error_shape_in_the_users_language(client: TestClient) -> None:
    vi = client.get("/api/v1/me", headers={"Host": "evil.example"})
    en = client.get("/api/v1/me", headers={"Host": "evil.example", "Accept-Language": "en"})
    assert vi.status_code == en.status_code == 400
    assert vi.json()["error"]["code"] == en.json()["error"]["code"] == "bad_host"
    assert vi.json()["error"]["message"] != en.json()["error"]["message"]
