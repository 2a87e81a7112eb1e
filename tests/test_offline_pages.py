"""Offline reading, the pages' side (docs/offline.md "The browser's half"): the service worker's
route and headers, the /offline page, the meeting page's download control and the hooks every
page carries, all without inline script or style. The behaviour itself is proven in Chromium
(tests/browser/test_offline.py)."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from agenda.db import Database
from meeting_app.security import CSP
from tests.support.factories import (
    add_agenda_item,
    login_as,
    make_document,
    make_meeting,
    make_member,
    make_programme_item,
    make_user,
    publish_meeting,
)


def assert_no_inline_code(html: str) -> None:
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert "<style" not in html and " style=" not in html


def test_the_service_worker_is_served_from_the_root_for_the_whole_app(client: TestClient) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert 'addEventListener("fetch"' in response.text
    assert client.head("/sw.js").status_code == 200
    # The app's CSP lets a same-origin worker run, and the worker's own pages carry it.
    assert "worker-src 'self'" in CSP
    assert CSP in response.text.replace('" +\n  "', "")


def test_the_offline_page_is_for_signed_in_users(client: TestClient, db: Database) -> None:
    anonymous = client.get("/offline", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    make_user(db, "thanhvien", ["member"])
    member = login_as(client, "thanhvien")
    response = member.get("/offline")
    assert response.status_code == 200
    html = response.text
    assert 'id="offline-panel"' in html and 'id="offline-list"' in html
    assert "/static/js/offline-panel.js" in html
    assert_no_inline_code(html)


def test_every_page_carries_the_offline_hooks(client: TestClient, db: Database) -> None:
    login = client.get("/login").text
    assert "/static/js/offline.js" in login  # the device check runs for a dead session too
    assert 'id="offline-live"' in login and 'role="status"' in login
    assert 'name="ecabinet-user"' not in login
    user = make_user(db, "thanhvien", ["member"])
    home = login_as(client, "thanhvien").get("/").text
    assert f'<meta name="ecabinet-user" content="{user.id}">' in home
    assert 'action="/logout"' in home and "/static/js/offline.js" in home


def test_the_meeting_page_offers_the_download(client: TestClient, db: Database) -> None:
    chair = make_member(db, full_name="Thủ tướng", precedence=1)
    member = make_user(db, "thanhvien", ["member"])
    assert chair.id and member.member_id
    item = make_programme_item(db, kind="other")
    assert item.id
    make_document(db, item.id, "submission", pages=2)
    meeting = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=[chair.id, member.member_id])
    assert meeting.id
    add_agenda_item(db, meeting.id, programme_item_id=item.id)
    publish_meeting(db, meeting.id)
    html = login_as(client, "thanhvien").get(f"/meetings/{meeting.id}").text
    assert f'data-offline-download="{meeting.id}"' in html
    assert 'data-offline-state=""' in html and 'role="status"' in html
    assert 'href="/offline"' in html
    for name in ("progress", "ready", "failed", "not-eligible", "unsupported"):
        assert f"data-msg-{name}=" in html, name
    assert_no_inline_code(html)
