"""The reader page (docs/reader.md): who may open it, what it hands to static/js/reader.js in
data-* attributes, the version picker, the "new version" badge on the agenda, and pdf.js served
from node_modules (or a clear message when it is missing)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.meetings import dossier
from agenda.papers import copies
from agenda.papers.documents import DocumentVersion
from meeting_app import vendor
from meeting_app.security import CSP
from tests.support.factories import (
    Actor,
    add_agenda_item,
    login_as,
    make_document,
    make_meeting,
    make_member,
    make_programme_item,
    make_user,
    publish_meeting,
)


@dataclass
class World:
    member: Actor
    outsider: Actor
    secretariat: Actor
    member_user_id: int
    meeting_id: int
    document_id: int
    draft_document_id: int


@pytest.fixture
def world(client: TestClient, db: Database) -> World:
    chair = make_member(db, full_name="Thủ tướng", precedence=1)
    member = make_user(db, "thanhvien", ["member"])
    make_user(db, "ngoai", ["member"])
    make_user(db, "thuky", ["secretariat"])
    assert chair.id and member.id and member.member_id
    item = make_programme_item(db, kind="other", title="Đề án <b>thử</b> của Bộ")
    hidden = make_programme_item(db, kind="other")
    assert item.id and hidden.id
    document = make_document(db, item.id, "submission", title="Tờ trình <script>x</script>", pages=4)
    draft_document = make_document(db, hidden.id, "submission", pages=2)
    meeting = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=[chair.id, member.member_id])
    draft = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=[chair.id, member.member_id])
    assert meeting.id and draft.id and document.id and draft_document.id
    add_agenda_item(db, meeting.id, programme_item_id=item.id)
    add_agenda_item(db, draft.id, programme_item_id=hidden.id)
    publish_meeting(db, meeting.id)
    return World(
        member=login_as(client, "thanhvien"),
        outsider=login_as(client, "ngoai"),
        secretariat=login_as(client, "thuky"),
        member_user_id=member.id,
        meeting_id=meeting.id,
        document_id=document.id,
        draft_document_id=draft_document.id,
    )


def attributes(html: str) -> dict[str, str]:
    """The data-* attributes of #reader."""
    tag = re.search(r'<div class="reader" id="reader"(.*?)>', html, re.S)
    assert tag, "no #reader"
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag.group(1)))


def new_version(db: Database, document_id: int, *, pages: int, note: str) -> DocumentVersion:
    return db.write_sync(
        lambda s: dossier.add_version(
            session=s,
            document_id=document_id,
            sha256=f"{pages:064x}",
            pages=pages,
            size=1000 * pages,
            note=note,
            actor_id=None,
        )
    )


def open_version(db: Database, user_id: int, document_id: int, version: int) -> None:
    """What the file route records when a user opens a version: a copy and a read receipt."""

    def run(s: Session) -> None:
        row = s.exec(
            select(DocumentVersion).where(
                DocumentVersion.document_id == document_id, DocumentVersion.version == version
            )
        ).one()
        copy = copies.issue_copy(session=s, user_id=user_id, document_version_id=row.id)
        copies.record_open(session=s, copy=copy)

    db.write_sync(run)


def test_the_reader_page_hands_its_configuration_to_the_script(world: World) -> None:
    response = world.member.get(f"/documents/{world.document_id}/read")
    assert response.status_code == 200, response.text
    html = response.text
    data = attributes(html)
    assert data["file"] == f"/api/v1/documents/{world.document_id}/versions/1/file"
    assert data["notes"] == f"/api/v1/documents/{world.document_id}/notes"
    assert data["document"] == str(world.document_id)
    assert (data["version"], data["latest-version"], data["pages"], data["note-pages"]) == (
        "1",
        "1",
        "4",
        "4",
    )
    assert data["cmaps"] == "/vendor/pdfjs-cmaps/" and data["fonts"] == "/vendor/pdfjs-fonts/"
    assert data["msg-page"] and data["msg-saved"] and "{time}" in data["msg-saved"]
    # Escaped, never markup; the crumb leads back to the meeting's agenda item.
    assert "Tờ trình &lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert f'href="/meetings/{world.meeting_id}#item-' in html
    # No inline script or style: one module script with a src, the stylesheets by URL.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    if vendor.pdfjs_version() is not None:
        assert any('type="module"' in a and "/static/js/reader.js" in a for a, _ in scripts)
    assert "<style" not in html and " style=" not in html
    assert 'name="csrf-token"' in html
    assert response.headers["content-security-policy"] == CSP
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP


def test_who_may_open_the_reader(client: TestClient, world: World) -> None:
    assert world.secretariat.get(f"/documents/{world.draft_document_id}/read").status_code == 200
    for actor, document_id in (
        (world.outsider, world.document_id),
        (world.member, world.draft_document_id),
        (world.member, 987_654),
        (world.member, 2**40),
    ):
        response = actor.get(f"/documents/{document_id}/read")
        assert response.status_code == 404, (actor.username, document_id)
        assert "Tờ trình" not in response.text
    client.cookies.clear()
    anonymous = client.get(f"/documents/{world.document_id}/read", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]


@pytest.mark.parametrize("value", ["0", "2", "abc", "-1", "1.0", "99999999999", "%00", "1 "])
def test_a_version_that_does_not_exist_is_not_found(world: World, value: str) -> None:
    response = world.member.get(f"/documents/{world.document_id}/read", params={"v": value})
    assert response.status_code == 404, value


def test_the_version_picker_and_the_new_version_notice(world: World, db: Database) -> None:
    new_version(db, world.document_id, pages=6, note="Bổ sung điều 12 & phụ lục <mới>")
    latest = world.member.get(f"/documents/{world.document_id}/read")
    data = attributes(latest.text)
    assert (data["version"], data["latest-version"], data["pages"]) == ("2", "2", "6")
    assert data["file"].endswith("/versions/2/file")
    assert "Bổ sung điều 12 &amp; phụ lục &lt;mới&gt;" in latest.text  # the change note, escaped
    assert f'href="/documents/{world.document_id}/read?v=1"' in latest.text
    assert "Có bản mới" not in latest.text  # never opened before: nothing is "new" to this reader

    older = world.member.get(f"/documents/{world.document_id}/read?v=1")
    data = attributes(older.text)
    assert (data["version"], data["latest-version"], data["pages"], data["note-pages"]) == (
        "1",
        "2",
        "4",
        "6",
    )
    assert data["file"].endswith("/versions/1/file")
    assert "Có bản mới" in older.text and "Mở bản mới nhất" in older.text


def test_the_agenda_opens_papers_in_the_reader_and_flags_new_versions(world: World, db: Database) -> None:
    page = world.member.get(f"/meetings/{world.meeting_id}")
    assert page.status_code == 200
    assert f'href="/documents/{world.document_id}/read"' in page.text
    assert "Có bản mới" not in page.text

    open_version(db, world.member_user_id, world.document_id, 1)
    new_version(db, world.document_id, pages=7, note="Sửa theo ý kiến thẩm định")
    html = world.member.get(f"/meetings/{world.meeting_id}").text
    assert "Có bản mới" in html and "Sửa theo ý kiến thẩm định" in html
    assert re.search(r"bản 1 \(4 trang\); bản 2 có 7 trang", html)
    reader = world.member.get(f"/documents/{world.document_id}/read").text
    assert "lần trước bạn đọc bản 1 (4 trang)" in reader
    # Someone else's reading is not this member's news.
    assert "Có bản mới" not in world.secretariat.get(f"/meetings/{world.meeting_id}").text

    open_version(db, world.member_user_id, world.document_id, 2)
    assert "Có bản mới" not in world.member.get(f"/meetings/{world.meeting_id}").text


def test_version_news(world: World, db: Database) -> None:
    def news() -> dict[int, dict[str, object]]:
        return db.read_sync(
            lambda s: copies.version_news(
                session=s,
                user_id=world.member_user_id,
                document_ids=[world.document_id, world.draft_document_id],
            )
        )

    assert news() == {}
    assert (
        db.read_sync(lambda s: copies.version_news(session=s, user_id=world.member_user_id, document_ids=[]))
        == {}
    )
    open_version(db, world.member_user_id, world.document_id, 1)
    assert news() == {}
    new_version(db, world.document_id, pages=5, note="v2")
    new_version(db, world.document_id, pages=3, note="v3")
    found = news()
    assert set(found) == {world.document_id}
    entry = found[world.document_id]
    assert {k: entry[k] for k in ("opened_version", "opened_pages", "version", "pages", "note")} == {
        "opened_version": 1,
        "opened_pages": 4,
        "version": 3,
        "pages": 3,
        "note": "v3",
    }
    open_version(db, world.member_user_id, world.document_id, 2)
    assert news()[world.document_id]["opened_version"] == 2
    open_version(db, world.member_user_id, world.document_id, 3)
    assert news() == {}


def test_pdfjs_is_served_from_node_modules(client: TestClient) -> None:
    if vendor.pdfjs_version() is None:
        pytest.skip("node_modules is not installed (make node-deps)")
    for path in ("/vendor/pdfjs/pdf.min.mjs", "/vendor/pdfjs/pdf.worker.min.mjs"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
        assert "content-encoding" not in response.headers
    assert client.get("/vendor/pdfjs-cmaps/UniJIS-UCS2-H.bcmap").status_code == 200
    assert client.get("/vendor/pdfjs-fonts/LiberationSans-Regular.ttf").status_code == 200
    for path in (
        "/vendor/pdfjs/../package.json",
        "/vendor/pdfjs/%2e%2e/package.json",
        "/vendor/pdfjs/nothing.js",
    ):
        assert client.get(path).status_code == 404


def test_without_node_modules_the_app_starts_and_the_reader_explains(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "node_modules" / "pdfjs-dist"
    app = Starlette(routes=vendor.mounts(missing))
    with TestClient(app) as bare:
        assert bare.get("/vendor/pdfjs/pdf.min.mjs").status_code == 404
        assert bare.get("/vendor/pdfjs-fonts/FoxitSans.pfb").status_code == 404
    assert vendor.pdfjs_version(missing) is None

    monkeypatch.setattr(vendor, "PDFJS", missing)
    response = world.member.get(f"/documents/{world.document_id}/read")
    assert response.status_code == 200
    assert 'id="reader-missing"' in response.text and "make node-deps" in response.text
    assert "reader.js" not in response.text and 'id="stage"' not in response.text
    assert f'href="/api/v1/documents/{world.document_id}/versions/1/file"' in response.text
