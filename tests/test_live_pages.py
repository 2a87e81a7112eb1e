"""The live session pages: the presiding console, the tablet view and the room display.

Each page is a shell for its script: it renders for the right roles, refuses the others (404
for a meeting the viewer may not see, 403 for a screen their role may not use), carries its
configuration in data-* attributes, and has no inline script or style (the CSP forbids them).
"""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest
from starlette.testclient import TestClient

from agenda.db import Database
from meeting_app.security import CSP
from tests.support.factories import add_agenda_item, login_as, make_meeting, make_user
from tests.support.live_setup import SECRET_TITLE, Live, make_live

SCREENS = {"console": "console.js", "tablet": "tablet.js", "display": "display.js"}
# Who may open which screen of an invited meeting.
ALLOWED = {
    "console": {"sec", "chair"},
    "tablet": {"sec", "chair", "m1", "m2", "guest", "observer"},
    "display": {"sec", "chair", "observer"},
}


@pytest.fixture
def live(client: TestClient, db: Database) -> Live:
    return make_live(client, db)


def root_data(page: str) -> dict[str, str]:
    """The data-* attributes of the page's root element (the first one with data-meeting)."""
    tag = re.search(r"<(?:div|main)[^>]*\bdata-meeting=[^>]*>", page, re.S)
    assert tag, "no element with data-meeting"
    return {
        name: html_lib.unescape(value)
        for name, value in re.findall(r'data-([a-z-]+)="([^"]*)"', tag.group(0))
    }


def assert_no_inline_code(page: str) -> None:
    lower = page.lower()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert "<style" not in lower and " style=" not in lower
    assert " onclick=" not in lower and " onload=" not in lower and "javascript:" not in lower


@pytest.mark.parametrize("screen", sorted(SCREENS))
@pytest.mark.parametrize("who", ["sec", "chair", "m1", "m2", "guest", "observer"])
def test_who_may_open_each_screen(live: Live, screen: str, who: str) -> None:
    response = live.actors[who].get(f"/meetings/{live.meeting_id}/{screen}")
    expected = 200 if who in ALLOWED[screen] else 403
    assert response.status_code == expected, (who, screen, response.status_code)
    if expected == 200:
        assert response.headers["content-security-policy"] == CSP
        assert f"/static/js/{SCREENS[screen]}" in response.text
        assert_no_inline_code(response.text)


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_a_meeting_out_of_sight_is_not_found(live: Live, screen: str) -> None:
    # A member who is not invited does not learn the meeting exists, whatever the screen.
    assert live.actors["outsider"].get(f"/meetings/{live.meeting_id}/{screen}").status_code == 404
    assert live.actors["sec"].get(f"/meetings/{live.meeting_id + 999}/{screen}").status_code == 404


def test_a_draft_meeting_is_not_found_for_readers(client: TestClient, db: Database) -> None:
    chair = make_user(db, "chu-toa", ["chair", "member"])
    make_user(db, "tv", ["member"], member_id=None)
    make_user(db, "qsv", ["observer"])
    assert chair.member_id is not None
    meeting = make_meeting(db, chair_member_id=chair.member_id)
    add_agenda_item(db, meeting.id or 0)
    for who, screen in (("tv", "tablet"), ("qsv", "display"), ("qsv", "tablet")):
        response = login_as(client, who).get(f"/meetings/{meeting.id}/{screen}")
        assert response.status_code == 404, (who, screen)
    console = login_as(client, "chu-toa").get(f"/meetings/{meeting.id}/console")
    assert console.status_code == 200
    assert f'data-meeting="{meeting.id}"' in console.text
    assert "/static/js/console.js" in console.text


def test_without_a_session_the_pages_ask_for_a_login(live: Live) -> None:
    live.client.cookies.clear()
    for screen in SCREENS:
        response = live.client.get(f"/meetings/{live.meeting_id}/{screen}", follow_redirects=False)
        assert response.status_code in (302, 303, 401), response.status_code


def test_the_console_hands_its_configuration_to_the_script(live: Live) -> None:
    response = live.actors["chair"].get(f"/meetings/{live.meeting_id}/console")
    data = root_data(response.text)
    assert data["meeting"] == str(live.meeting_id)
    labels = json.loads(data["labels"])
    assert labels["outcome"]["adopted"] == "Thông qua"
    assert labels["attendance"]["remote"] == "Trực tuyến"
    assert labels["meeting_state"]["in_progress"] == "Đang họp"
    guests = {g["full_name"] for g in json.loads(data["guests"])}
    assert {"Khách mời", "Thứ trưởng dự thay"} <= guests
    assert "{cast}" in data["msg-cast"] and "{eligible}" in data["msg-cast"]
    assert "{required}" in data["msg-quorum"]
    page = response.text
    assert 'name="csrf-token"' in page
    for element in ('id="outcome-form"', 'id="vote-form"', 'id="attendance"', 'id="adjourn-dialog"'):
        assert element in page
    # Every outcome of the domain can be chosen.
    for code in ("adopted", "adopted_with_changes", "deferred", "returned", "noted"):
        assert f'<option value="{code}">' in page
    assert "Đang kết nối lại…" in page and "Máy chủ đang khởi động lại…" in page


def test_the_tablet_page_in_english(live: Live) -> None:
    member = live.actors["m1"]
    assert member.patch("/api/v1/me", json={"locale": "en"}).status_code == 200
    response = member.get(f"/meetings/{live.meeting_id}/tablet")
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    data = root_data(response.text)
    labels = json.loads(data["labels"])
    assert labels["choice"] == {"yes": "Yes", "no": "No", "abstain": "Abstain"}
    assert labels["outcome"]["returned"] == "Returned for revision"
    assert (data["msg-ask"], data["msg-withdraw"]) == ("Ask to speak", "Withdraw my request")
    assert data["msg-voted"] == "You voted: {choice}"


def test_the_pages_never_show_a_restricted_title(live: Live) -> None:
    # The titles come from the feed, filtered per viewer; the page itself holds none of them.
    for who, screen in (("m2", "tablet"), ("observer", "display"), ("guest", "tablet")):
        page = live.actors[who].get(f"/meetings/{live.meeting_id}/{screen}").text
        assert SECRET_TITLE not in page


def test_the_meeting_page_links_to_the_live_screens(live: Live, db: Database) -> None:
    path = f"/meetings/{live.meeting_id}"
    links = {
        "sec": {"console-link", "tablet-link", "display-link"},
        "chair": {"console-link", "tablet-link", "display-link"},
        "m1": {"tablet-link"},
        "guest": {"tablet-link"},
        "observer": {"tablet-link", "display-link"},
    }
    for who, expected in links.items():
        page = live.actors[who].get(path).text
        found = set(re.findall(r'id="((?:console|tablet|display)-link)"', page))
        assert found == expected, (who, found)
    # A draft meeting has no live screens yet.
    chair = live.member_ids[0]
    draft = make_meeting(db, chair_member_id=chair, invitee_member_ids=live.member_ids)
    page = live.actors["sec"].get(f"/meetings/{draft.id}").text
    assert 'id="console-link"' not in page and 'id="tablet-link"' not in page
