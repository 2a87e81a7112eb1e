"""The diff between two versions of a paper (issue 17, part 4; agenda/papers/version_diff.py),
against a pair of versions with known changes: a paragraph inserted before a passage, a sentence
changed, a passage moved to another page, a passage deleted, in Vietnamese."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.papers.version_diff import diff_files, diff_pages, passages
from agenda.pdf.fonts import find_font
from meeting_app.settings import Settings
from tests.support.factories import (
    add_stored_version,
    error_of,
    login_as,
    make_programme_item,
    make_stored_document,
    make_user,
)

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
