"""PDFs with known Vietnamese passages on known pages, for the anchoring tests (fpdf2 with the
project's DejaVu font, as tests/test_version_diff.py draws them)."""

from __future__ import annotations

import io
import time

from fpdf import FPDF
from pypdf import PdfReader

from agenda.papers.pdf_check import clean_text, extract_pages
from agenda.pdf.fonts import find_font

INTRO = "Điều 1. Phạm vi điều chỉnh"
PASSAGE = "Nghị định này quy định chi tiết về quản lý thuế đối với hộ kinh doanh."
OTHER = "Điều 2. Đối tượng áp dụng: người nộp thuế là tổ chức, cá nhân."
CLOSING = "Điều 3. Hiệu lực thi hành kể từ ngày ký ban hành."
INSERTED = "Khoản mới: áp dụng từ ngày 01 tháng 01 năm 2027 trên toàn quốc."
FILLER = "Nội dung khác của tờ trình, không liên quan đến đoạn được đánh dấu."


def pdf(pages: list[list[str]]) -> bytes:
    """One line of text per entry, each page its list (wrapped when longer than the line)."""
    doc = FPDF()
    doc.add_font("dejavu", "", str(find_font()))
    doc.set_font("dejavu", size=12)
    for lines in pages:
        doc.add_page()
        for line in lines:
            doc.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def page_texts(data: bytes) -> list[str]:
    """The pages' text as the project extracts it (agenda/papers/pdf_check.py `extract_pages`)."""
    reader = PdfReader(io.BytesIO(data), strict=False)
    return [clean_text(t) for t in extract_pages(reader, until=time.monotonic() + 30)]
