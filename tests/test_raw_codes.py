"""No raw code on a page a person reads (issue 14, defect 7): outcomes, statuses and roles show
their labels, in Vietnamese and in English."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from agenda.db import Database
from tests.support.live_setup import make_live

CODES = re.compile(r"\b(adopted_with_changes|adopted|deferred|returned|noted|in_progress|no_objection)\b")


def visible_text(html: str) -> str:
    """The text between tags, without attributes, scripts or class names."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def test_members_and_guests_see_outcome_labels_not_codes(client: TestClient, db: Database) -> None:
    live = make_live(client, db, lazy=True)
    live.start()
    chair = live.actors["chair"]
    url = f"/api/v1/agenda-items/{live.items['A']}/outcome"
    response = chair.post(url, json={"outcome": "adopted_with_changes", "conclusion": "Tiếp thu ý kiến"})
    assert response.status_code == 200, response.text
    for who in ("m1", "guest", "sec"):
        page = live.actors[who].get(f"/meetings/{live.meeting_id}")
        assert page.status_code == 200
        text = visible_text(page.text)
        if who != "sec":  # the secretariat's page is the agenda builder, without outcomes
            assert "Thông qua có chỉnh sửa" in text, who
        assert not CODES.search(text), (who, CODES.findall(text))
    member = live.actors["m1"]
    switched = member.post(
        "/language", data={"locale": "en", "csrf_token": member.csrf}, follow_redirects=False
    )
    assert switched.status_code == 303, switched.text
    text = visible_text(member.get(f"/meetings/{live.meeting_id}").text)
    assert "Adopted with changes" in text
    assert not CODES.search(text), CODES.findall(text)
