"""Uploading briefing papers: documents and versions over the API and from the item's page,
storage by sha256, the events they log, readiness, and who may do what."""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.errors import DomainError
from agenda.log.events import Event
from agenda.papers import documents
from agenda.papers.documents import Document, DocumentVersion
from agenda.programme.programme import ProgrammeItem
from meeting_app.app import create_app
from meeting_app.errors import error_body, status_of
from meeting_app.files import uploads
from tests.conftest import context_of, settings_for
from tests.support.factories import (
    Actor,
    add_agenda_item,
    error_of,
    login_as,
    make_meeting,
    make_member,
    make_programme_item,
    make_ready_item,
    make_user,
    publish_meeting,
)
from tests.support.pdf_files import files, multipart, open_action_javascript, stored_files, valid_pdf

OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")


@pytest.fixture
def secretary(client: TestClient, db: Database) -> Actor:
    make_user(db, "thuky", ["secretariat"])
    return login_as(client, "thuky")


@pytest.fixture
def item(db: Database) -> ProgrammeItem:
    return make_programme_item(db, kind="decree")


def upload(
    actor: Actor,
    item_id: int,
    data: bytes,
    *,
    kind: str = "submission",
    title: str = "Tờ trình Chính phủ",
    note: str = "",
    filename: str = "to-trinh.pdf",
) -> Any:
    return actor.post(
        f"/api/v1/programme-items/{item_id}/documents",
        files=files(data, filename),
        data={"kind": kind, "title": title, "note": note},
    )


def new_version(
    actor: Actor, document_id: int, data: bytes, *, note: str = "Sửa theo ý kiến Bộ Tư pháp", **more: str
) -> Any:
    return actor.post(
        f"/api/v1/documents/{document_id}/versions", files=files(data), data={"note": note, **more}
    )


def logged(db: Database, kind: str) -> list[Event]:
    return db.read_sync(
        lambda s: list(s.exec(select(Event).where(Event.kind == kind).order_by(col(Event.id))).all())
    )


def data_dir(client: TestClient) -> Path:
    return context_of(client).settings.data_dir


# --- uploading ----------------------------------------------------------------------------------


def test_upload_stores_the_original_under_its_sha256(
    client: TestClient, secretary: Actor, item: ProgrammeItem, db: Database
) -> None:
    pdf = valid_pdf(3)
    response = upload(secretary, item.id or 0, pdf, filename="../../etc/passwd.pdf")
    assert response.status_code == 201, response.text
    body = response.json()
    sha = hashlib.sha256(pdf).hexdigest()
    assert body["sha256"] == sha
    assert body["version"] == 1 and body["pages"] == 3
    assert body["id"] == body["document_id"] and isinstance(body["document_id"], int)
    assert stored_files(client) == [f"originals/{sha[:2]}/{sha}.pdf"]
    assert (data_dir(client) / "originals" / sha[:2] / f"{sha}.pdf").read_bytes() == pdf
    assert not (data_dir(client).parent / "etc").exists()
    [event] = logged(db, "document.added")
    assert event.payload()["document_id"] == body["document_id"]
    assert event.payload()["sha256"] == sha and event.stream == 0


def test_the_document_and_the_dossier_read_back(secretary: Actor, item: ProgrammeItem, db: Database) -> None:
    document_id = upload(secretary, item.id or 0, valid_pdf(2), note="Bản gửi lần đầu").json()["document_id"]
    found = secretary.get(f"/api/v1/documents/{document_id}")
    assert found.status_code == 200
    document = found.json()
    assert document["kind"] == "submission"
    assert document["title"] == "Tờ trình Chính phủ"
    assert document["programme_item_id"] == item.id
    [version] = document["versions"]
    assert version["version"] == 1 and version["pages"] == 2 and version["note"] == "Bản gửi lần đầu"
    assert version["size"] == len(valid_pdf(2))
    assert OFFSET.match(version["uploaded_at"]), version["uploaded_at"]
    assert document["latest"] == version
    listed = secretary.get(f"/api/v1/programme-items/{item.id}/documents")
    assert listed.status_code == 200
    assert listed.json() == {"items": [document]}


def test_the_same_content_twice_is_stored_once(
    client: TestClient, secretary: Actor, item: ProgrammeItem
) -> None:
    pdf = valid_pdf(1)
    assert upload(secretary, item.id or 0, pdf, kind="draft").status_code == 201
    assert upload(secretary, item.id or 0, pdf, kind="annex").status_code == 201
    assert len(stored_files(client)) == 1


def test_a_missing_title_comes_from_the_pdf_metadata(secretary: Actor, item: ProgrammeItem) -> None:
    pdf = valid_pdf(1, title="Dự thảo\u202e Nghị định\r\nvề giao dịch điện tử")
    response = upload(secretary, item.id or 0, pdf, kind="draft", title="")
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Dự thảo Nghị định về giao dịch điện tử"
    untitled = upload(secretary, item.id or 0, valid_pdf(1), kind="draft", title="  ")
    assert untitled.status_code == 422
    assert error_of(untitled)["code"] == "bad_title"


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"kind": "memo"}, 422, "unknown_document_kind"),
        ({"kind": ""}, 422, "unknown_document_kind"),
        ({"title": "T" * 501}, 422, "bad_title"),
        ({"note": "n" * 2001}, 422, "note_too_long"),
        ({"note": "có\x00NUL"}, 400, "invalid_fields"),
    ],
)
def test_bad_fields_are_refused_before_the_file_is_checked(
    client: TestClient, secretary: Actor, item: ProgrammeItem, fields: dict[str, str], status: int, code: str
) -> None:
    data = {"kind": "submission", "title": "Tờ trình", "note": "", **fields}
    # The file carries JavaScript: the fields are refused first, so that is not what is reported.
    response = secretary.post(
        f"/api/v1/programme-items/{item.id}/documents", files=files(open_action_javascript()), data=data
    )
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code
    assert stored_files(client) == []


def test_no_file_is_400(client: TestClient, secretary: Actor, item: ProgrammeItem) -> None:
    response = secretary.post(
        f"/api/v1/programme-items/{item.id}/documents",
        data={"kind": "submission", "title": "Tờ trình"},
        files={"other": ("", b"", "application/octet-stream")},
    )
    assert response.status_code == 400
    body, headers = multipart(
        [("kind", "submission"), ("title", "Tờ trình")], (b"", b"", b"application/octet-stream")
    )
    unchosen = secretary.post(f"/api/v1/programme-items/{item.id}/documents", content=body, headers=headers)
    assert unchosen.status_code == 400, unchosen.text
    assert error_of(unchosen)["code"] == "file_required"
    assert stored_files(client) == []


def test_wrong_content_types_are_415(client: TestClient, secretary: Actor, item: ProgrammeItem) -> None:
    url = f"/api/v1/programme-items/{item.id}/documents"
    as_json = secretary.post(url, json={"kind": "submission", "title": "Tờ trình"})
    assert as_json.status_code == 415
    assert error_of(as_json)["code"] == "unsupported_media_type"
    as_html = secretary.post(
        url,
        files=files(valid_pdf(1), "x.html", "text/html"),
        data={"kind": "submission", "title": "Tờ trình"},
    )
    assert as_html.status_code == 415
    assert stored_files(client) == []


def test_two_files_are_400(client: TestClient, secretary: Actor, item: ProgrammeItem) -> None:
    body, headers = multipart([("kind", "submission")], (b"a.pdf", valid_pdf(1), b"application/pdf"))
    first, boundary = body.split(b"--ecabinet-test-boundary--")[0], b"ecabinet-test-boundary"
    again = (
        b'--%s\r\nContent-Disposition: form-data; name="file"; filename="b.pdf"\r\n\r\n%s\r\n--%s--\r\n'
        % (
            boundary,
            valid_pdf(1),
            boundary,
        )
    )
    response = secretary.post(
        f"/api/v1/programme-items/{item.id}/documents", content=first + again, headers=headers
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "one_file_only"
    assert stored_files(client) == []


def test_an_unknown_item_or_document_is_404(client: TestClient, secretary: Actor) -> None:
    assert upload(secretary, 999_999, valid_pdf(1)).status_code == 404
    assert new_version(secretary, 999_999, valid_pdf(1)).status_code == 404
    assert secretary.get("/api/v1/documents/999999").status_code == 404
    assert secretary.get("/api/v1/programme-items/999999/documents").status_code == 404
    assert stored_files(client) == []


def test_error_messages_follow_the_language(secretary: Actor, item: ProgrammeItem) -> None:
    vietnamese = upload(secretary, item.id or 0, open_action_javascript())
    assert vietnamese.status_code == 422
    assert error_of(vietnamese) == {
        "code": "javascript",
        "message": "Tệp PDF có mã JavaScript; vì lý do an toàn không thể tải lên.",
    }
    english = secretary.post(
        f"/api/v1/programme-items/{item.id}/documents",
        files=files(open_action_javascript()),
        data={"kind": "submission", "title": "Tờ trình"},
        headers={"Accept-Language": "en"},
    )
    assert (
        error_of(english)["message"]
        == "The PDF file contains JavaScript; for security reasons it cannot be uploaded."
    )


# --- versions -----------------------------------------------------------------------------------


def test_a_new_version_keeps_the_old_one(
    client: TestClient, secretary: Actor, item: ProgrammeItem, db: Database
) -> None:
    first, second = valid_pdf(2), valid_pdf(5, text="Bản sửa")
    document_id = upload(secretary, item.id or 0, first).json()["document_id"]
    response = new_version(secretary, document_id, second, note="Bổ sung Điều 5", title="Tờ trình (bản sửa)")
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2 and response.json()["pages"] == 5
    assert response.json()["title"] == "Tờ trình (bản sửa)"
    document = secretary.get(f"/api/v1/documents/{document_id}").json()
    assert [(v["version"], v["pages"], v["note"]) for v in document["versions"]] == [
        (1, 2, ""),
        (2, 5, "Bổ sung Điều 5"),
    ]
    assert document["latest"]["version"] == 2
    assert document["title"] == "Tờ trình (bản sửa)"
    shas = sorted(hashlib.sha256(pdf).hexdigest() for pdf in (first, second))
    assert stored_files(client) == [f"originals/{sha[:2]}/{sha}.pdf" for sha in shas]
    [event] = logged(db, "document.version_added")
    assert event.payload() == {
        "document_id": document_id,
        "programme_item_id": item.id,
        "title": "Tờ trình (bản sửa)",
        "version": 2,
        "pages": 5,
        "sha256": hashlib.sha256(second).hexdigest(),
        "note": "Bổ sung Điều 5",
    }
    third = new_version(secretary, document_id, valid_pdf(1), note="Bản cuối")
    assert third.json()["version"] == 3 and third.json()["title"] == "Tờ trình (bản sửa)"


def test_a_new_version_needs_a_change_note(
    client: TestClient, secretary: Actor, item: ProgrammeItem, db: Database
) -> None:
    document_id = upload(secretary, item.id or 0, valid_pdf(2)).json()["document_id"]
    before = stored_files(client)
    response = new_version(secretary, document_id, valid_pdf(4), note="   ")
    assert response.status_code == 422
    assert error_of(response)["code"] == "change_note_required"
    assert stored_files(client) == before
    versions = db.read_sync(lambda s: documents.versions_of(session=s, document_id=document_id))
    assert [v.version for v in versions] == [1]
    assert logged(db, "document.version_added") == []


# --- readiness and the live feed ----------------------------------------------------------------


def test_readiness_follows_the_kinds_that_arrive(secretary: Actor, item: ProgrammeItem) -> None:
    def state() -> tuple[bool, list[str], str]:
        found = secretary.get(f"/api/v1/programme-items/{item.id}").json()
        return found["ready"], found["missing_documents"], found["status"]

    assert state() == (False, ["submission", "draft", "appraisal"], "planned")
    upload(secretary, item.id or 0, valid_pdf(1), kind="submission")
    assert state() == (False, ["draft", "appraisal"], "planned")
    upload(secretary, item.id or 0, valid_pdf(2), kind="annex")
    assert state() == (False, ["draft", "appraisal"], "planned")
    upload(secretary, item.id or 0, valid_pdf(3), kind="draft")
    upload(secretary, item.id or 0, valid_pdf(4), kind="appraisal")
    assert state() == (True, [], "planned")  # the secretariat moves the status, not the upload


def test_published_meetings_hear_of_new_papers_and_versions(secretary: Actor, db: Database) -> None:
    chair = make_member(db, full_name="Thủ tướng")
    item, drafted, unscheduled = make_ready_item(db), make_ready_item(db), make_ready_item(db)
    assert chair.id and item.id and drafted.id and unscheduled.id
    published = make_meeting(db, chair_member_id=chair.id)
    assert published.id
    agenda_item = add_agenda_item(db, published.id, programme_item_id=item.id)
    publish_meeting(db, published.id)
    draft = make_meeting(db, chair_member_id=chair.id)
    assert draft.id
    add_agenda_item(db, draft.id, programme_item_id=drafted.id)

    added = upload(secretary, item.id, valid_pdf(2), kind="annex", title="Phụ lục số liệu", note="Mới")
    document_id = added.json()["document_id"]
    new_version(secretary, document_id, valid_pdf(6), note="Cập nhật số liệu quý IV")
    for quiet in (drafted.id, unscheduled.id):  # a draft agenda, or none: no meeting to tell
        other = upload(secretary, quiet, valid_pdf(1), kind="annex").json()["document_id"]
        new_version(secretary, other, valid_pdf(2))

    updates = logged(db, "document.updated")
    assert [(e.stream, e.payload()) for e in updates] == [
        (
            published.id,
            {
                "meeting_id": published.id,
                "agenda_item_id": agenda_item.id,
                "document_id": document_id,
                "doc_kind": "annex",
                "title": "Phụ lục số liệu",
                "version": version,
                "pages": pages,
                "note": note,
            },
        )
        for version, pages, note in ((1, 2, "Mới"), (2, 6, "Cập nhật số liệu quý IV"))
    ]
    stream = db.read_sync(lambda s: list(s.exec(select(Event).where(Event.stream == published.id))))
    assert sorted(e.seq for e in stream) == list(range(1, len(stream) + 1))  # still gapless


# --- who may do what ----------------------------------------------------------------------------


def test_only_the_secretariat_uploads(client: TestClient, db: Database, item: ProgrammeItem) -> None:
    for role in ("member", "chair", "guest", "admin"):
        actor = login_as(client, make_user(db, f"user_{role}", [role]).username)
        assert upload(actor, item.id or 0, valid_pdf(1)).status_code == 403, role
    client.cookies.clear()
    anonymous = client.post(
        f"/api/v1/programme-items/{item.id}/documents",
        files=files(valid_pdf(1)),
        data={"kind": "submission", "title": "Tờ trình"},
    )
    assert anonymous.status_code == 401
    assert stored_files(client) == []
    assert db.read_sync(lambda s: s.exec(select(Document)).all()) == []


def test_a_bad_csrf_token_stores_nothing(client: TestClient, secretary: Actor, item: ProgrammeItem) -> None:
    response = secretary.post(
        f"/api/v1/programme-items/{item.id}/documents",
        files=files(valid_pdf(1)),
        data={"kind": "submission", "title": "Tờ trình"},
        headers={"X-CSRF-Token": "sai"},
    )
    assert response.status_code == 403
    assert stored_files(client) == []


def test_papers_are_visible_only_to_who_may_see_the_item(
    client: TestClient, secretary: Actor, db: Database
) -> None:
    chair = make_member(db, full_name="Thủ tướng")
    invited, outsider = make_member(db), make_member(db)
    assert chair.id and invited.id and outsider.id
    item = make_programme_item(db)
    assert item.id
    document_id = upload(secretary, item.id, valid_pdf(1)).json()["document_id"]
    member = login_as(client, make_user(db, "duoc_moi", ["member"], member_id=invited.id).username)
    stranger = login_as(client, make_user(db, "khong_moi", ["member"], member_id=outsider.id).username)
    paths = (f"/api/v1/documents/{document_id}", f"/api/v1/programme-items/{item.id}/documents")
    for path in paths:  # not on any published agenda yet: only staff
        assert member.get(path).status_code == 404
    meeting = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=[chair.id, invited.id])
    assert meeting.id
    add_agenda_item(db, meeting.id, programme_item_id=item.id, override_readiness=True, reason="Cần bàn gấp")
    publish_meeting(db, meeting.id)
    for path in paths:
        seen = member.get(path)
        assert seen.status_code == 200, path
        assert stranger.get(path).status_code == 404, path
        assert secretary.get(path).status_code == 200, path
        assert secretary.get(path).json() == seen.json(), path
    assert member.get(paths[0]).json()["id"] == document_id


# --- the item's page ----------------------------------------------------------------------------


def page_post(
    actor: Actor, url: str, fields: list[tuple[str, str]], file: tuple[bytes, bytes, bytes] | None, **kw: Any
) -> Any:
    body, headers = multipart(fields, file, **kw)
    return actor.post(url, content=body, headers={**headers, "Accept": "text/html"}, follow_redirects=False)


def test_the_page_offers_the_upload_form_to_the_secretariat(
    client: TestClient, secretary: Actor, item: ProgrammeItem, db: Database
) -> None:
    page = secretary.get(f"/programme/{item.id}")
    assert page.status_code == 200
    html = page.text
    assert f'action="/programme/{item.id}/documents"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'accept="application/pdf,.pdf"' in html
    assert "Tờ trình</option>" in html and "Báo cáo thẩm định</option>" in html
    form = html.split(f'action="/programme/{item.id}/documents"')[1]
    assert form.index('name="csrf_token"') < form.index('name="file"')  # the token travels first
    member = login_as(client, make_user(db, "thanhvien", ["member"]).username)
    assert f'action="/programme/{item.id}/documents"' not in member.get(f"/programme/{item.id}").text


def test_uploading_from_the_page(client: TestClient, secretary: Actor, item: ProgrammeItem) -> None:
    url = f"/programme/{item.id}/documents"
    fields = [
        ("csrf_token", secretary.csrf),
        ("kind", "draft"),
        ("title", "<b>Dự thảo</b> \u202eNghị định"),
        ("note", "Lần đầu"),
    ]
    response = page_post(secretary, url, fields, (b"du-thao.pdf", valid_pdf(4), b"application/pdf"))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/programme/{item.id}?ok=uploaded#dossier"
    html = secretary.get(response.headers["location"]).text
    assert "Đã tải lên tài liệu." in html
    assert "&lt;b&gt;Dự thảo&lt;/b&gt; Nghị định" in html and "<b>Dự thảo" not in html
    assert "\u202e" not in html
    assert "Bản 1" in html and "4 trang" in html and "Lần đầu" in html
    document = secretary.get(f"/api/v1/programme-items/{item.id}/documents").json()["items"][0]

    version_url = f"/programme/{item.id}/documents/{document['id']}/versions"
    refused = page_post(
        secretary,
        version_url,
        [("csrf_token", secretary.csrf), ("note", "")],
        (b"v2.pdf", valid_pdf(2), b"application/pdf"),
    )
    assert refused.status_code == 422
    assert "Cần ghi chú nội dung thay đổi của phiên bản mới." in refused.text
    before_form = refused.text.split(f'action="{version_url}"')[0]
    assert " open>" in before_form[before_form.rindex("<details") :]  # that form is open again

    accepted = page_post(
        secretary,
        version_url,
        [("csrf_token", secretary.csrf), ("note", "Sửa Điều 3")],
        (b"v2.pdf", valid_pdf(2), b"application/pdf"),
    )
    assert accepted.status_code == 303
    html = secretary.get(accepted.headers["location"]).text
    assert "Bản 2" in html and "Sửa Điều 3" in html and "Bản 1" in html


def test_a_refused_file_re_renders_the_page_with_the_reason(
    client: TestClient, secretary: Actor, item: ProgrammeItem
) -> None:
    url = f"/programme/{item.id}/documents"
    fields = [("csrf_token", secretary.csrf), ("kind", "submission"), ("title", "Tờ trình có mã")]
    response = page_post(secretary, url, fields, (b"x.pdf", open_action_javascript(), b"application/pdf"))
    assert response.status_code == 422
    assert "Tệp PDF có mã JavaScript; vì lý do an toàn không thể tải lên." in response.text
    assert 'value="Tờ trình có mã"' in response.text  # the form is filled in again
    assert stored_files(client) == []


def test_the_page_checks_the_csrf_token_before_storing(
    client: TestClient, secretary: Actor, item: ProgrammeItem, db: Database
) -> None:
    url = f"/programme/{item.id}/documents"
    pdf = (b"a.pdf", valid_pdf(1), b"application/pdf")
    without = page_post(secretary, url, [("kind", "submission"), ("title", "T")], pdf)
    assert without.status_code == 403
    wrong = page_post(secretary, url, [("csrf_token", "sai"), ("kind", "submission"), ("title", "T")], pdf)
    assert wrong.status_code == 403
    late = page_post(
        secretary,
        url,
        [("kind", "submission"), ("title", "T"), ("csrf_token", secretary.csrf)],
        pdf,
        file_first=True,
    )
    assert late.status_code == 403  # the token must come before the file
    no_file = page_post(secretary, url, [("kind", "submission"), ("title", "T")], None)
    assert no_file.status_code == 403
    assert stored_files(client) == []
    assert db.read_sync(lambda s: s.exec(select(DocumentVersion)).all()) == []
    member = login_as(client, make_user(db, "thanhvien", ["member"]).username)
    denied = page_post(
        member, url, [("csrf_token", member.csrf), ("kind", "submission"), ("title", "T")], pdf
    )
    assert denied.status_code == 403
    assert stored_files(client) == []


def test_the_page_speaks_english_to_an_english_user(
    client: TestClient, secretary: Actor, item: ProgrammeItem
) -> None:
    assert secretary.patch("/api/v1/me", json={"locale": "en"}).status_code == 200
    url = f"/programme/{item.id}/documents"
    fields = [("csrf_token", secretary.csrf), ("kind", "submission"), ("title", "Tờ trình")]
    response = page_post(secretary, url, fields, (b"x.pdf", b"", b"application/pdf"))
    assert response.status_code == 422
    assert "The uploaded file is empty (0 bytes)." in response.text


# --- size limits --------------------------------------------------------------------------------


@pytest.fixture
def small_client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    settings = settings_for(tmp_path, database_url=database_url, max_upload_mb=1)
    with TestClient(create_app(settings), base_url="http://testserver") as test_client:
        yield test_client


def test_an_oversized_upload_is_413_and_leaves_nothing(small_client: TestClient) -> None:
    db = context_of(small_client).db
    make_user(db, "thuky", ["secretariat"])
    secretary = login_as(small_client, "thuky")
    item = make_programme_item(db)
    big = valid_pdf(1) + b"%" + b"x" * (2 * 1024 * 1024) + b"\n%%EOF\n"
    declared = upload(secretary, item.id or 0, big)
    assert declared.status_code == 413
    assert error_of(declared)["code"] == "too_large"
    body, headers = multipart([("kind", "submission"), ("title", "T")], (b"big.pdf", big, b"application/pdf"))

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is found while reading
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    streamed = secretary.post(
        f"/api/v1/programme-items/{item.id}/documents", content=chunks(), headers=headers
    )
    assert streamed.status_code == 413
    assert stored_files(small_client) == []
    assert db.read_sync(lambda s: s.exec(select(Document)).all()) == []
    assert small_client.get("/healthz").status_code == 200
    accepted = upload(secretary, item.id or 0, valid_pdf(1))
    assert accepted.status_code == 201
    assert len(stored_files(small_client)) == 1
    assert [d.id for d in db.read_sync(lambda s: s.exec(select(Document)).all())] == [
        accepted.json()["document_id"]
    ]


def tiny_app(folder: Path, max_bytes: int) -> Starlette:
    """Just the upload reader, without the app's body limit: its own cap is what answers."""

    async def receive(request: Request) -> Response:
        try:
            async with uploads.receive(request, data_dir=folder, max_bytes=max_bytes) as upload:
                path = upload.require_file()
                return JSONResponse(
                    {"size": upload.size, "on_disk": path.stat().st_size, "fields": upload.fields}
                )
        except DomainError as exc:
            return JSONResponse(error_body(exc), status_code=status_of(exc))

    return Starlette(routes=[Route("/up", receive, methods=["POST"])])


def test_the_reader_caps_the_file_itself(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    left_by_a_crash = tmp_path / "tmp" / "0123abcd.upload"
    left_by_a_crash.write_bytes(b"%PDF-")
    os.utime(left_by_a_crash, (time.time() - 7 * 3600, time.time() - 7 * 3600))
    with TestClient(tiny_app(tmp_path, 10_000)) as client:
        ok = client.post("/up", files=files(b"%PDF-" + b"x" * 9_995), data={"title": "T"})
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"size": 10_000, "on_disk": 10_000, "fields": {"title": "T"}}
        too_big = client.post("/up", files=files(b"%PDF-" + b"x" * 9_996))
        assert too_big.status_code == 413
        assert too_big.json()["error"]["code"] == "too_large"
        field = client.post("/up", files=files(b"%PDF-"), data={"note": "n" * (65 * 1024)})
        assert field.status_code == 413
        broken = client.post(
            "/up",
            content=b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-',
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        assert broken.status_code == 400
        assert broken.json()["error"]["code"] == "incomplete_upload"
    tmp = tmp_path / "tmp"
    assert tmp.is_dir() and list(tmp.iterdir()) == []
    assert tmp.stat().st_mode & 0o777 == 0o700


def test_the_same_file_again_is_not_a_new_version(
    client: TestClient, secretary: Actor, item: ProgrammeItem, db: Database
) -> None:
    """Issue 14, defect 10: the current version's bytes again get 409 `same_file`, in the
    user's language, through the API and the page's form; nothing is logged."""
    paper = valid_pdf(3)
    document_id = upload(secretary, item.id or 0, paper).json()["document_id"]
    again = new_version(secretary, document_id, paper)
    assert again.status_code == 409, again.text
    error = error_of(again)
    assert error["code"] == "same_file"
    assert error["message"] == "Tệp này giống hệt bản 1 hiện hành của tài liệu; không tạo phiên bản mới."
    english = secretary.post(
        f"/api/v1/documents/{document_id}/versions",
        files=files(paper),
        data={"note": "Again"},
        headers={"Accept-Language": "en"},
    )
    assert error_of(english)["message"] == (
        "This file is identical to the current version 1 of the document; no new version was made."
    )
    assert logged(db, "document.version_added") == []

    version_url = f"/programme/{item.id}/documents/{document_id}/versions"
    fields = [("csrf_token", secretary.csrf), ("note", "Gửi lại")]
    refused = page_post(secretary, version_url, fields, (b"v1.pdf", paper, b"application/pdf"))
    assert refused.status_code == 409
    assert "Tệp này giống hệt bản 1 hiện hành của tài liệu; không tạo phiên bản mới." in refused.text

    assert new_version(secretary, document_id, valid_pdf(4)).status_code == 201
    back = new_version(secretary, document_id, paper, note="Trở lại bản 1")  # an older version again
    assert back.status_code == 201 and back.json()["version"] == 3
