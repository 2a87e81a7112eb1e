"""Objects are authorized per viewer: drafts, meetings one is not invited to, restricted items.

Anything a viewer may not see is 404 (never 403, which would confirm it exists), and a
restricted agenda item outside its audience is a bare placeholder with nothing of its title.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from agenda.db import Database
from tests.support.factories import (
    Actor,
    add_agenda_item,
    login_as,
    make_document,
    make_meeting,
    make_member,
    make_ready_item,
    make_user,
    publish_meeting,
)

SECRET = "Phương án tuyệt mật về nhân sự XKCD-7731"
SECRET_CODE = "MAT-7731"
PLACEHOLDER_KEYS = {"id", "position", "restricted", "state"}


@dataclass
class Cast:
    secretariat: Actor
    chair: Actor
    in_audience: Actor  # invited, and in the restricted items' audience
    invited: Actor  # invited, outside the restricted items' audience
    outsider: Actor  # a member not invited
    assistant: Actor  # assistant of `in_audience`
    guest: Actor  # invited guest
    stranger: Actor  # a guest of no meeting
    observer: Actor
    draft_id: int  # a draft meeting with the same people
    meeting_id: int  # the published meeting
    open_item_id: int
    secret_item_id: int
    secret_programme_item_id: int
    draft_item_id: int


@pytest.fixture(scope="module")
def cast(shared_client: TestClient, shared_db: Database) -> Cast:
    client, db = shared_client, shared_db
    pm = make_member(db, full_name="Thủ tướng", title="Thủ tướng Chính phủ", precedence=1)
    make_user(db, "thuky", ["secretariat"])
    make_user(db, "chutoa", ["chair"], member_id=pm.id)
    audience = make_user(db, "trongnhom", ["member"])
    invited = make_user(db, "duocmoi", ["member"])
    make_user(db, "khongmoi", ["member"])
    make_user(db, "troly", ["assistant"], member_id=audience.member_id)
    guest = make_user(db, "khach", ["guest"])
    make_user(db, "nguoila", ["guest"])
    make_user(db, "quansat", ["observer"])
    assert pm.id and audience.member_id and invited.member_id and guest.id
    people = {
        "chair_member_id": pm.id,
        "invitee_member_ids": [audience.member_id, invited.member_id],
        "guest_user_ids": [guest.id],
    }
    draft = make_meeting(db, title="Phiên họp chuyên đề dự thảo", kind="thematic", **people)  # type: ignore[arg-type]
    meeting = make_meeting(db, title="Phiên họp chuyên đề xây dựng pháp luật", kind="thematic", **people)  # type: ignore[arg-type]
    assert meeting.id and draft.id
    draft_item = add_agenda_item(db, draft.id, title="Mục của phiên dự thảo")
    open_item = add_agenda_item(db, meeting.id, title="Báo cáo tình hình kinh tế - xã hội")
    secret = add_agenda_item(db, meeting.id, title=SECRET, restricted_member_ids=[audience.member_id])
    source = make_ready_item(db, code=SECRET_CODE, title=f"Đề án {SECRET}", lead_agency="Bộ Quốc phòng")
    assert source.id
    make_document(db, source.id, "annex", title=f"Phụ lục {SECRET}")
    secret_programme = add_agenda_item(
        db, meeting.id, programme_item_id=source.id, restricted_member_ids=[audience.member_id]
    )
    publish_meeting(db, meeting.id)
    assert open_item.id and secret.id and secret_programme.id and draft_item.id
    return Cast(
        secretariat=login_as(client, "thuky"),
        chair=login_as(client, "chutoa"),
        in_audience=login_as(client, "trongnhom"),
        invited=login_as(client, "duocmoi"),
        outsider=login_as(client, "khongmoi"),
        assistant=login_as(client, "troly"),
        guest=login_as(client, "khach"),
        stranger=login_as(client, "nguoila"),
        observer=login_as(client, "quansat"),
        draft_id=draft.id,
        meeting_id=meeting.id,
        open_item_id=open_item.id,
        secret_item_id=secret.id,
        secret_programme_item_id=secret_programme.id,
        draft_item_id=draft_item.id,
    )


def listed(actor: Actor) -> list[int]:
    response = actor.get("/api/v1/meetings")
    assert response.status_code == 200
    return [m["id"] for m in response.json()["items"]]


def test_a_draft_is_seen_only_by_the_secretariat_and_the_chair(cast: Cast) -> None:
    url = f"/api/v1/meetings/{cast.draft_id}"
    for actor in (cast.secretariat, cast.chair):
        assert actor.get(url).status_code == 200
        assert cast.draft_id in listed(actor)
        assert actor.get(f"/api/v1/agenda-items/{cast.draft_item_id}").status_code == 200
    for actor in (cast.in_audience, cast.invited, cast.assistant, cast.guest, cast.observer, cast.outsider):
        response = actor.get(url)
        assert response.status_code == 404, actor.username
        assert response.json()["error"]["code"] == "not_found"
        assert "dự thảo" not in response.text
        assert cast.draft_id not in listed(actor), actor.username
        item = actor.get(f"/api/v1/agenda-items/{cast.draft_item_id}")
        assert item.status_code == 404, actor.username
        assert "Mục của phiên" not in item.text


def test_a_published_meeting_is_seen_by_its_invitees_only(cast: Cast) -> None:
    url = f"/api/v1/meetings/{cast.meeting_id}"
    for actor in (cast.in_audience, cast.invited, cast.assistant, cast.guest, cast.observer, cast.chair):
        assert actor.get(url).status_code == 200, actor.username
        assert cast.meeting_id in listed(actor), actor.username
    for actor in (cast.outsider, cast.stranger):
        response = actor.get(url)
        assert response.status_code == 404, actor.username
        assert "chuyên đề" not in response.text
        assert listed(actor) == [], actor.username
        assert actor.get(f"/api/v1/agenda-items/{cast.open_item_id}").status_code == 404
        assert actor.get(f"/api/v1/agenda-items/{cast.secret_item_id}").status_code == 404


def test_members_list_only_the_meetings_they_are_invited_to(client: TestClient, db: Database) -> None:
    pm = make_member(db, precedence=1)
    me = make_user(db, "thanhvien", ["member"])
    other = make_member(db)
    assert pm.id and me.member_id and other.id
    mine = make_meeting(db, chair_member_id=pm.id, invitee_member_ids=[me.member_id])
    not_mine = make_meeting(db, chair_member_id=pm.id, invitee_member_ids=[other.id])
    draft = make_meeting(db, chair_member_id=pm.id, invitee_member_ids=[me.member_id])
    for meeting in (mine, not_mine, draft):
        assert meeting.id
        add_agenda_item(db, meeting.id)
    publish_meeting(db, mine.id or 0)
    publish_meeting(db, not_mine.id or 0)
    member = login_as(client, "thanhvien")
    assert listed(member) == [mine.id]


def placeholder_of(actor: Actor, cast: Cast, agenda_item_id: int) -> dict[str, object]:
    response = actor.get(f"/api/v1/meetings/{cast.meeting_id}")
    assert response.status_code == 200
    assert SECRET not in response.text and SECRET_CODE not in response.text
    assert "Bộ Quốc phòng" not in response.text
    entry: dict[str, object] = next(i for i in response.json()["agenda"] if i["id"] == agenda_item_id)
    return entry


@pytest.mark.parametrize("who", ["invited", "guest", "observer"])
def test_restricted_items_are_placeholders_outside_their_audience(cast: Cast, who: str) -> None:
    actor: Actor = getattr(cast, who)
    for item_id in (cast.secret_item_id, cast.secret_programme_item_id):
        entry = placeholder_of(actor, cast, item_id)
        assert set(entry) == PLACEHOLDER_KEYS
        assert entry["restricted"] is True
        assert entry["id"] == item_id
        one = actor.get(f"/api/v1/agenda-items/{item_id}")
        assert one.status_code == 200, one.text
        assert set(one.json()) == PLACEHOLDER_KEYS
        assert one.json()["restricted"] is True
        assert SECRET not in one.text and SECRET_CODE not in one.text
    open_entry = placeholder_of(actor, cast, cast.open_item_id)
    assert open_entry["title"] == "Báo cáo tình hình kinh tế - xã hội"


@pytest.mark.parametrize("who", ["in_audience", "assistant", "chair", "secretariat"])
def test_the_audience_sees_restricted_items(cast: Cast, who: str) -> None:
    actor: Actor = getattr(cast, who)
    response = actor.get(f"/api/v1/meetings/{cast.meeting_id}")
    assert response.status_code == 200
    agenda = {i["id"]: i for i in response.json()["agenda"]}
    assert agenda[cast.secret_item_id]["title"] == SECRET
    assert agenda[cast.secret_item_id]["restricted"] is True
    with_papers = agenda[cast.secret_programme_item_id]
    assert with_papers["code"] == SECRET_CODE
    assert any(SECRET in d["title"] for d in with_papers["documents"])
    one = actor.get(f"/api/v1/agenda-items/{cast.secret_item_id}")
    assert one.status_code == 200
    assert one.json()["title"] == SECRET


def test_unknown_and_absurd_ids_are_404(cast: Cast) -> None:
    for path in (
        "/api/v1/meetings/{}",
        "/api/v1/agenda-items/{}",
        "/api/v1/programme-items/{}",
        "/api/v1/members/{}",
        "/api/v1/users/{}",
    ):
        for value in ("999999", "0", "2147483648", "99999999999999999999"):
            response = cast.secretariat.get(path.format(value))
            if path.startswith("/api/v1/users"):
                assert response.status_code == 403  # the secretariat may not read accounts at all
                continue
            assert response.status_code == 404, (path, value, response.text)
            assert response.json()["error"]["code"] == "not_found"
    for value in ("-1", "abc", "1.5", "１２"):
        response = cast.secretariat.get(f"/api/v1/meetings/{value}")
        assert response.status_code == 404, value


def test_a_restricted_items_programme_entry_is_hidden_from_outsiders(cast: Cast) -> None:
    programme_id = cast.in_audience.get(f"/api/v1/agenda-items/{cast.secret_programme_item_id}").json()[
        "programme_item_id"
    ]
    for actor in (cast.invited, cast.outsider):
        listing = actor.get("/api/v1/programme-items")
        assert listing.status_code == 200
        assert SECRET not in listing.text and SECRET_CODE not in listing.text
        assert actor.get(f"/api/v1/programme-items/{programme_id}").status_code == 404
    for actor in (cast.in_audience, cast.secretariat, cast.chair):
        assert SECRET_CODE in actor.get("/api/v1/programme-items").text
        entry = actor.get(f"/api/v1/programme-items/{programme_id}")
        assert entry.status_code == 200
        assert entry.json()["id"] == programme_id and entry.json()["code"] == SECRET_CODE


def test_the_programme_pages_hide_it_too(cast: Cast) -> None:
    assert SECRET_CODE not in cast.invited.get("/programme").text
    assert SECRET_CODE in cast.in_audience.get("/programme").text
