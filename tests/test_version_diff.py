"""The diff between two versions of a paper (issue 17, part 4; agenda/papers/version_diff.py),
against a pair of versions with known changes: a paragraph inserted before a passage, a sentence
changed, a passage moved to another page, a passage deleted, in Vietnamese."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.meetings import dossier
from agenda.papers.version_diff import diff_files, diff_pages, passages
from agenda.pdf.fonts import find_font
from agenda.storage import store_original
from meeting_app.settings import Settings
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
from tests.test_reader import open_version

P1 = ["Điều 1. Phạm vi điều chỉnh", "Nghị định này quy định chi tiết về quản lý thuế."]
P2 = ["Điều 2. Đối tượng áp dụng", "Người nộp thuế là tổ chức, cá nhân.", "Cơ quan quản lý thuế."]
P3 = ["Điều 3. Giải thích từ ngữ", "Hồ sơ thuế là hồ sơ đăng ký thuế.", "Điều khoản chuyển tiếp."]


def pdf(pages: list[list[str]], path: Path) -> Path:
    doc = FPDF()
    doc.add_font("dejavu", "", str(find_font()))
    doc.set_font("dejavu", size=12)
    for lines in pages:
        doc.add_page()
        for line in lines:
            doc.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    doc.output(str(path))
    return path


def test_known_changes_page_by_page(tmp_path: Path) -> None:
    old = [P1, P2, P3]
    inserted = "Khoản mới: áp dụng từ ngày 01/01/2027."
    new = [
        [P1[0], inserted, P1[1]],  # a paragraph inserted before a passage
        [
            P2[0],
            "Người nộp thuế là tổ chức, hộ gia đình, cá nhân.",
            P2[2],
            P3[2],
        ],  # changed; P3[2] moved here
        [P3[0]],  # "Hồ sơ thuế..." deleted
    ]
    found = diff_files(pdf(old, tmp_path / "v1.pdf"), pdf(new, tmp_path / "v2.pdf"))
    assert found["old_pages"] == 3 and found["new_pages"] == 3
    changes = found["changes"]
    added = [c for c in changes if c["kind"] == "added"]
    assert {"pages": [1], "text": inserted} in [c["new"] for c in added]
    changed = next(c for c in changes if c["kind"] == "changed")
    assert changed["old"]["pages"] == [2] and changed["new"]["pages"] == [2]
    assert {"op": "insert", "text": "hộ gia đình,"} in changed["words"]
    removed_texts = [c["old"]["text"] for c in changes if c["old"] and c["kind"] in ("removed", "changed")]
    assert any("Hồ sơ thuế là hồ sơ đăng ký thuế." in t for t in removed_texts)
    moved = [c for c in changes if c["new"] and "Điều khoản chuyển tiếp." in c["new"]["text"]]
    assert moved and moved[0]["new"]["pages"] == [2]


def test_identical_versions_have_no_changes(tmp_path: Path) -> None:
    path = pdf([P1, P2], tmp_path / "same.pdf")
    assert diff_files(path, path)["changes"] == []


def test_whitespace_and_empty_pages_do_not_count() -> None:
    assert passages(["  a   b \n\n", ""]) == passages(["a b"])
    assert diff_pages(["a  b\nc"], ["a b\nc\n"])["changes"] == []
    found = diff_pages([], ["Trang mới"])
    assert found["changes"][0]["kind"] == "added" and found["changes"][0]["old_page"] == 1


def test_the_api_diffs_two_versions_once_for_their_readers(
    client: TestClient, db: Database, settings: Settings
) -> None:
    item = make_programme_item(db, title="Nghị định về quản lý thuế")
    document = make_stored_document(db, settings.data_dir, item.id or 0, "submission", pages=2)
    add_stored_version(db, settings.data_dir, document.id or 0, pages=3, note="Bổ sung Điều 3")
    make_user(db, "sec", ["secretariat"])
    sec = login_as(client, "sec")
    url = f"/api/v1/documents/{document.id}/versions/2/diff"
    found = sec.get(url)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["from"]["version"] == 1 and body["to"]["version"] == 2
    assert body["to"]["note"] == "Bổ sung Điều 3" and body["new_pages"] == 3 and body["old_pages"] == 2
    assert body["changes"], body
    cached = list((settings.data_dir / "diffs").glob("*.json"))
    assert len(cached) == 1  # kept per pair of versions
    assert sec.get(url).json() == body
    assert sec.get(f"{url}?from=2").status_code == 400
    assert sec.get(f"{url}?from=abc").status_code == 400
    assert sec.get(f"{url}?from=9").status_code == 404
    first = sec.get(f"/api/v1/documents/{document.id}/versions/1/diff")
    assert first.status_code == 409 and error_of(first)["code"] == "no_earlier_version"
    assert sec.get(f"/api/v1/documents/{document.id}/versions/1/diff?from=2").json()["from"]["version"] == 2
    assert client.get(url, headers={"cookie": ""}).status_code in (401, 403)


# --- The reader's page: /documents/{id}/versions/{n}/changes -------------------------------------

INSERTED = "Khoản mới: áp dụng từ ngày 01/01/2027."
CHANGED = "Người nộp thuế là tổ chức, hộ gia đình, cá nhân."
V2 = [[P1[0], INSERTED, P1[1]], [P2[0], CHANGED, P2[2], P3[2]], [P3[0]]]
NOTE = "Bổ sung khoản mới tại Điều 1; sửa Điều 2 <theo ý kiến Bộ Tư pháp>"


def stored_version(db: Database, data_dir: Path, document_id: int, path: Path, note: str) -> None:
    """A new version of the document from a PDF made by `pdf` (its known text)."""
    data = path.read_bytes()
    sha256 = store_original(data_dir, data)
    pages = len(PdfReader(str(path)).pages)
    db.write_sync(
        lambda s: dossier.add_version(
            session=s,
            document_id=document_id,
            sha256=sha256,
            pages=pages,
            size=len(data),
            note=note,
            actor_id=None,
        )
    )


@dataclass
class Paper:
    document_id: int
    member: Actor
    outsider: Actor
    url: str  # version 3's changes
    meeting_id: int
    member_user_id: int


@pytest.fixture
def paper(client: TestClient, db: Database, settings: Settings, tmp_path: Path) -> Paper:
    chair = make_member(db, full_name="Thủ tướng", precedence=1)
    member = make_user(db, "thanhvien", ["member"])
    make_user(db, "ngoai", ["member"])
    assert chair.id and member.member_id
    item = make_programme_item(db, kind="other", title="Nghị định về quản lý thuế")
    assert item.id
    document = make_stored_document(db, settings.data_dir, item.id, "submission", pages=3)
    assert document.id
    # Version 1 is replaced by known text: version 2 and 3 are made from it.
    stored_version(db, settings.data_dir, document.id, pdf([P1, P2, P3], tmp_path / "v2.pdf"), "Bản gốc")
    stored_version(db, settings.data_dir, document.id, pdf(V2, tmp_path / "v3.pdf"), NOTE)
    meeting = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=[chair.id, member.member_id])
    assert meeting.id
    add_agenda_item(db, meeting.id, programme_item_id=item.id)
    publish_meeting(db, meeting.id)
    return Paper(
        document_id=document.id,
        member=login_as(client, "thanhvien"),
        outsider=login_as(client, "ngoai"),
        url=f"/documents/{document.id}/versions/3/changes",
        meeting_id=meeting.id,
        member_user_id=member.id or 0,
    )


def test_the_changes_page_shows_the_known_changes_page_by_page(paper: Paper) -> None:
    page = paper.member.get(paper.url)
    assert page.status_code == 200, page.text
    html = page.text
    assert "Thay đổi từ bản 2 sang bản 3" in html
    # The change note of the new version beside them, escaped; and of no other version.
    assert "sửa Điều 2 &lt;theo ý kiến Bộ Tư pháp&gt;" in html and "Bản gốc" not in html
    # Page by page, with the pages of both versions.
    assert "Trang 1 (bản 2) → trang 1 (bản 3)" in html and "Trang 2 (bản 2) → trang 2 (bản 3)" in html
    # The inserted paragraph, the changed words, the deleted passage: marked, and named in words.
    assert re.search(r"<ins><span class=\"sr-only\">\[thêm: </span>" + re.escape(INSERTED), html)
    assert re.search(r"<ins><span class=\"sr-only\">\[thêm: </span>hộ gia đình,<span", html)
    assert re.search(
        r"<del><span class=\"sr-only\">\[bỏ: </span>[^<]*Hồ sơ thuế là hồ sơ đăng ký thuế\.", html
    )
    assert "Đoạn thêm vào" in html and "Đoạn sửa đổi" in html
    assert "1 đoạn sửa" in html
    # Each version opens in the reader at the page.
    assert f'href="/documents/{paper.document_id}/read?v=3#page=2"' in html
    assert f'href="/documents/{paper.document_id}/read?v=2#page=2"' in html
    # The picker names the other versions, the one compared with chosen; no script on the page.
    assert '<option value="2" selected>' in html and '<option value="1">' in html
    assert '<option value="3"' not in html and "<script" not in html.split("</main>")[0].split("<main")[1]


def test_another_base_version_and_the_english_page(paper: Paper) -> None:
    html = paper.member.get(paper.url, params={"from": "1"}).text
    assert "Thay đổi từ bản 1 sang bản 3" in html
    assert "Bản gốc" in html and "sửa Điều 2" in html  # the notes of both versions since
    switched = paper.member.post("/language", data={"locale": "en", "csrf_token": paper.member.csrf})
    assert switched.status_code == 200, switched.text
    english = paper.member.get(paper.url).text
    assert "Changes from version 2 to version 3" in english
    assert "Page 1 (version 2) → page 1 (version 3)" in english and "[added: </span>" in english


def test_the_same_text_again_says_so(paper: Paper, db: Database, settings: Settings, tmp_path: Path) -> None:
    same = pdf([*V2, ["Phụ lục"]], tmp_path / "v4.pdf")
    stored_version(db, settings.data_dir, paper.document_id, same, "Thêm phụ lục")
    html = paper.member.get(f"/documents/{paper.document_id}/versions/4/changes").text
    assert "1 đoạn thêm" in html and "Trang 3 (bản 3) → trang 4 (bản 4)" in html
    html = paper.member.get(f"/documents/{paper.document_id}/versions/4/changes?from=3").text
    assert "Thêm phụ lục" in html
    # Backwards, from the newest to an older one: what the older lacks is "removed".
    back = paper.member.get(f"/documents/{paper.document_id}/versions/3/changes?from=4").text
    assert "1 đoạn bỏ" in back and "Thêm phụ lục" in back
    # Another file with the same text: nothing to mark.
    again = tmp_path / "v5.pdf"
    again.write_bytes(same.read_bytes() + b"\n% the same text in another file\n")
    stored_version(db, settings.data_dir, paper.document_id, again, "Sửa lỗi định dạng")
    html = paper.member.get(f"/documents/{paper.document_id}/versions/5/changes").text
    assert "Phần chữ của hai bản giống nhau." in html and "change-page" not in html


def test_who_may_not_read_gets_404_before_the_query(client: TestClient, paper: Paper) -> None:
    for url in (paper.url, f"{paper.url}?from=abc", f"{paper.url}?from=3"):
        response = paper.outsider.get(url)
        assert response.status_code == 404, url
        assert "quản lý thuế" not in response.text and "Đối tượng" not in response.text
    for url in (
        f"/documents/{paper.document_id}/versions/9/changes",
        f"/documents/{paper.document_id}/versions/3/changes?from=9",
        "/documents/987654/versions/2/changes",
        f"/documents/{2**40}/versions/2/changes",
    ):
        assert paper.member.get(url).status_code == 404, url
    client.cookies.clear()
    anonymous = client.get(paper.url, follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]


def test_a_bad_from_is_a_clear_400(paper: Paper) -> None:
    # One paper for every value: its setup (three versions drawn and stored) costs seconds.
    for value in ["abc", "3", "0", "-1", "1.0", "9999999", "%00", "1 ", "²"]:
        response = paper.member.get(paper.url, params={"from": value})
        assert response.status_code == 400, value
        assert "Phiên bản để so sánh không hợp lệ." in response.text, value


def test_the_first_version_has_nothing_to_compare(paper: Paper) -> None:
    response = paper.member.get(f"/documents/{paper.document_id}/versions/1/changes")
    assert response.status_code == 409
    assert "Đây là phiên bản đầu tiên; chưa có gì để so sánh." in response.text


def test_the_reader_and_the_agenda_lead_to_the_changes(paper: Paper, db: Database) -> None:
    reader = paper.member.get(f"/documents/{paper.document_id}/read").text
    assert f'href="/documents/{paper.document_id}/versions/3/changes"' in reader
    assert f'href="/documents/{paper.document_id}/versions/2/changes"' in reader
    assert "/versions/1/changes" not in reader
    older = paper.member.get(f"/documents/{paper.document_id}/read?v=2").text
    assert f'href="/documents/{paper.document_id}/versions/3/changes?from=2"' in older
    # The agenda's "new version" badge leads from the version this member last opened.
    assert "/changes" not in paper.member.get(f"/meetings/{paper.meeting_id}").text
    open_version(db, paper.member_user_id, paper.document_id, 1)
    agenda = paper.member.get(f"/meetings/{paper.meeting_id}").text
    assert f'href="/documents/{paper.document_id}/versions/3/changes?from=1"' in agenda
    reader = paper.member.get(f"/documents/{paper.document_id}/read").text
    assert f'href="/documents/{paper.document_id}/versions/3/changes?from=1"' in reader
