"""Hostile titles render escaped in the pages: no script, no template evaluation."""

from __future__ import annotations

from starlette.testclient import TestClient

from agenda.db import Database
from tests.support.factories import (
    add_agenda_item,
    login,
    make_meeting,
    make_member,
    make_programme_item,
    make_user,
    publish_meeting,
)

SCRIPT = "<script>alert(1)</script>"
TEMPLATE = "{{7*7}}"
HOSTILE = f"{SCRIPT} {TEMPLATE}"


def assert_escaped(html: str) -> None:
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert TEMPLATE in html  # shown as typed, not evaluated to 49
    assert "<script>alert" not in html.lower()


def test_hostile_titles_are_escaped_in_pages(client: TestClient, db: Database) -> None:
    pm = make_member(db, full_name=f"Thủ tướng {HOSTILE}", precedence=1)
    make_user(db, "thuky", ["secretariat"])
    make_user(db, "botruong", ["member"])
    item = make_programme_item(db, code="XSS-1", title=f"Nghị định {HOSTILE}", lead_agency=f"Bộ {HOSTILE}")
    meeting = make_meeting(db, chair_member_id=pm.id or 0, title=f"Phiên họp {HOSTILE}", place=HOSTILE)
    add_agenda_item(db, meeting.id or 0, title=f"Mục {HOSTILE}")
    add_agenda_item(db, meeting.id or 0, programme_item_id=item.id, override_readiness=True)
    publish_meeting(db, meeting.id or 0)

    login(client, "thuky")
    for path in ("/programme", f"/programme/{item.id}", f"/meetings/{meeting.id}", "/meetings", "/"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html")
        if path != "/":
            assert_escaped(response.text)
        else:
            assert SCRIPT not in response.text

    login(client, "botruong")
    for path in (f"/meetings/{meeting.id}", "/"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert SCRIPT not in response.text
    assert_escaped(client.get(f"/meetings/{meeting.id}").text)


def test_hostile_text_in_query_strings_is_escaped(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    login(client, "thuky")
    response = client.get("/programme", params={"q": HOSTILE, "agency": HOSTILE, "month": HOSTILE})
    assert response.status_code in (200, 400)
    assert SCRIPT not in response.text


def test_pages_have_no_inline_scripts_or_styles(client: TestClient, db: Database) -> None:
    make_user(db, "thuky", ["secretariat"])
    login(client, "thuky")
    for path in ("/", "/programme", "/meetings"):
        html = client.get(path).text.lower()
        assert "<script>" not in html  # only <script src=... type=module>
        assert " style=" not in html and "<style" not in html
        assert " onclick=" not in html and " onload=" not in html
