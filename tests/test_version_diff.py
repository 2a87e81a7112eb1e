"""The diff between two versions of a paper (issue 17, part 4; agenda/papers/version_diff.py),
against a pair of versions with known changes: a paragraph inserted before a passage, a sentence
changed, a passage moved to another page, a passage deleted, in Vietnamese."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from agenda.papers.version_diff import diff_files, diff_pages, passages
from agenda.pdf.fonts import find_font

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
