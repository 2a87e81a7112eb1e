"""The secretariat's readiness view (docs/papers.md): per item whether the dossier is complete, and
per invited member and document whether the latest version was opened, only an older one, or
nothing; restricted items count only for their audience."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.meetings.reading import LATEST, NOT_IN_AUDIENCE, OLDER, UNREAD, reading_matrix
from agenda.policy import DEFAULT_POLICY
from tests.conftest import context_of
from tests.support.factories import (
    Actor,
    add_agenda_item,
    add_stored_version,
    error_of,
    login_as,
    make_meeting,
    make_member,
    make_programme_item,
    make_stored_document,
    make_user,
    publish_meeting,
)


@dataclass
class Session:
    db: Database
    data_dir: Path
    meeting_id: int
    chair_id: int
    a: Actor
    b: Actor
    c: Actor
    assistant: Actor  # works for member c
    secretariat: Actor
    chair: Actor
    ids: dict[str, int]  # member ids: a, b, c
    submission: int  # decree item: submission only (missing draft and appraisal)
    annex: int  # same item
    secret: int  # restricted item (audience: a), complete dossier

    def url(self, document_id: int, version: int = 1) -> str:
        return f"/api/v1/documents/{document_id}/versions/{version}/file"


@pytest.fixture
def session(client: TestClient, db: Database) -> Session:
    data_dir = context_of(client).settings.data_dir
    chair = make_member(db, full_name="Thủ tướng", title="Thủ tướng Chính phủ", precedence=1)
    a = make_user(db, "thanhvien_a", ["member"])
    b = make_user(db, "thanhvien_b", ["member"])
    c = make_user(db, "thanhvien_c", ["member"])
    make_user(db, "troly_c", ["assistant"], member_id=c.member_id)
    make_user(db, "thuky", ["secretariat"])
    make_user(db, "chutoa", ["chair"], member_id=chair.id)
    assert chair.id and a.member_id and b.member_id and c.member_id
    decree = make_programme_item(db, kind="decree")
    other = make_programme_item(db, kind="other")
    assert decree.id and other.id
    submission = make_stored_document(db, data_dir, decree.id, "submission", pages=2)
    annex = make_stored_document(db, data_dir, decree.id, "annex", pages=1)
    secret = make_stored_document(db, data_dir, other.id, "submission", pages=1)
    invited = [chair.id, a.member_id, b.member_id, c.member_id]
    meeting = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=invited)
    assert meeting.id and submission.id and annex.id and secret.id
    add_agenda_item(db, meeting.id, programme_item_id=decree.id, override_readiness=True)
    add_agenda_item(db, meeting.id, programme_item_id=other.id, restricted_member_ids=[a.member_id])
    add_agenda_item(db, meeting.id, title="Khai mạc")  # procedural: no papers, not in the view
    publish_meeting(db, meeting.id)
    return Session(
        db=db,
        data_dir=data_dir,
        meeting_id=meeting.id,
        chair_id=chair.id,
        a=login_as(client, "thanhvien_a"),
        b=login_as(client, "thanhvien_b"),
        c=login_as(client, "thanhvien_c"),
        assistant=login_as(client, "troly_c"),
        secretariat=login_as(client, "thuky"),
        chair=login_as(client, "chutoa"),
        ids={"a": a.member_id, "b": b.member_id, "c": c.member_id},
        submission=submission.id,
        annex=annex.id,
        secret=secret.id,
    )


def states(session: Session) -> dict[tuple[str, int], str]:
    matrix = session.db.read_sync(
        lambda s: reading_matrix(session=s, meeting_id=session.meeting_id, policy=DEFAULT_POLICY)
    )
    return {
        (who, document.id): matrix.cell(member_id, document.id).state
        for who, member_id in session.ids.items()
        for document in matrix.documents
    }


def test_latest_older_and_unread(session: Session) -> None:
    assert session.a.get(session.url(session.submission)).status_code == 200  # a reads version 1
    add_stored_version(session.db, session.data_dir, session.submission)  # version 2 arrives
    assert session.b.get(session.url(session.submission, 2)).status_code == 200  # b reads version 2
    assert session.assistant.get(session.url(session.annex)).status_code == 200  # c's office reads the annex
    assert session.a.get(session.url(session.secret)).status_code == 200
    found = states(session)
    assert found[("a", session.submission)] == OLDER
    assert found[("b", session.submission)] == LATEST
    assert found[("c", session.submission)] == UNREAD
    assert found[("c", session.annex)] == LATEST
    assert found[("a", session.annex)] == UNREAD
    assert found[("a", session.secret)] == LATEST
    assert found[("b", session.secret)] == NOT_IN_AUDIENCE
    assert found[("c", session.secret)] == NOT_IN_AUDIENCE
    # Reading the new version turns the mark into a check.
    assert session.a.get(session.url(session.submission, 2)).status_code == 200
    assert states(session)[("a", session.submission)] == LATEST


def test_only_opens_count_not_issued_copies_or_ranges(session: Session) -> None:
    head = session.b.request("HEAD", session.url(session.submission))
    assert head.status_code == 200
    middle = session.c.get(session.url(session.submission), headers={"Range": "bytes=200-300"})
    assert middle.status_code == 206
    found = states(session)
    assert found[("b", session.submission)] == UNREAD
    assert found[("c", session.submission)] == UNREAD


def test_the_json_view_with_counts_and_missing_documents(session: Session) -> None:
    session.a.get(session.url(session.submission))
    add_stored_version(session.db, session.data_dir, session.submission)
    session.b.get(session.url(session.submission, 2))
    session.a.get(session.url(session.secret))
    response = session.secretariat.get(f"/api/v1/meetings/{session.meeting_id}/reading")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meeting_id"] == session.meeting_id
    assert body["members"][0]["id"] == session.chair_id  # by precedence
    assert len(body["members"]) == 4
    decree, restricted = body["items"]
    assert decree["ready"] is False
    assert decree["missing_documents"] == ["draft", "appraisal"]
    assert [d["id"] for d in decree["documents"]] == [session.submission, session.annex]
    assert decree["documents"][0]["version"] == 2
    assert decree["documents"][0]["reading"] == {"latest": 1, "older": 1, "unread": 2, "total": 4}
    assert restricted["ready"] is True and restricted["restricted"] is True
    assert restricted["documents"][0]["reading"] == {"latest": 1, "older": 0, "unread": 1, "total": 2}
    rows = {row["member_id"]: row for row in body["rows"]}
    a_row = rows[session.ids["a"]]
    assert a_row["reading"] == {"latest": 1, "older": 1, "unread": 1, "total": 3}
    cells = {cell["document_id"]: cell for cell in a_row["cells"]}
    assert cells[session.submission]["state"] == "older"
    assert cells[session.submission]["opened_version"] == 1
    assert cells[session.submission]["last_opened_at"].endswith("+07:00")
    assert cells[session.annex] == {
        "document_id": session.annex,
        "state": "unread",
        "opened_version": None,
        "last_opened_at": None,
    }
    b_cells = {cell["document_id"]: cell["state"] for cell in rows[session.ids["b"]]["cells"]}
    assert b_cells[session.secret] == "not_in_audience"
    assert body["totals"] == {"latest": 2, "older": 1, "unread": 7, "total": 10}
    chair_view = session.chair.get(f"/api/v1/meetings/{session.meeting_id}/reading")
    assert chair_view.status_code == 200
    assert chair_view.json()["totals"] == body["totals"]


def test_who_may_see_the_json_view(session: Session, client: TestClient) -> None:
    url = f"/api/v1/meetings/{session.meeting_id}/reading"
    for actor in (session.a, session.assistant):
        response = actor.get(url)
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
    assert session.secretariat.get("/api/v1/meetings/999999/reading").status_code == 404
    assert session.secretariat.get(f"/api/v1/meetings/{2**40}/reading").status_code == 404
    client.cookies.clear()
    assert client.get(url).status_code == 401


def test_the_meeting_page_shows_the_view_to_staff_only(session: Session) -> None:
    session.a.get(session.url(session.submission))
    add_stored_version(session.db, session.data_dir, session.submission)
    session.b.get(session.url(session.submission, 2))
    page = session.secretariat.get(f"/meetings/{session.meeting_id}")
    assert page.status_code == 200
    html = page.text
    assert "Tình hình đọc tài liệu" in html
    assert 'id="reading-matrix"' in html
    assert html.count('data-state="latest"') == 1
    assert html.count('data-state="older"') == 1
    assert html.count('data-state="not_in_audience"') == 2  # b and c; the chair sees every item
    assert "Thiếu hồ sơ" in html
    assert session.chair.get(f"/meetings/{session.meeting_id}").text.count('id="reading-matrix"') == 1
    assert "Tình hình đọc tài liệu" not in session.a.get(f"/meetings/{session.meeting_id}").text


def test_an_empty_agenda_has_an_empty_view(client: TestClient, db: Database) -> None:
    chair = make_member(db)
    assert chair.id
    meeting = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=[chair.id])
    assert meeting.id
    matrix = db.read_sync(
        lambda s: reading_matrix(session=s, meeting_id=meeting.id or 0, policy=DEFAULT_POLICY)
    )
    assert matrix.items == [] and matrix.cells == {}
    assert matrix.totals.total == 0
