"""The letterhead every printed paper shares: page, colours, and the state's heading. See docs/minutes.md.

The minutes and the resolution (agenda/record/minutes_pdf.py), the briefing book's cover
(agenda/books/book_pages.py) and the opinion-poll report (agenda/polls/poll_report.py) are A4
pages in DejaVu Sans with black type and one dark red accent, headed by CHÍNH PHỦ on the left and
the national name and motto on the right. Plain data in, drawing out: it runs in the PDF pool.
"""

from __future__ import annotations

import unicodedata

from fpdf import FPDF

PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT = 25.0, 20.0
TEXT_W = PAGE_W - LEFT - RIGHT
INK = (25, 25, 25)
MUTED = (100, 100, 100)
ACCENT = (150, 25, 25)

GOVERNMENT = "CHÍNH PHỦ"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
RIGHT_X = 88.0  # where the national name's column starts
RIGHT_W = PAGE_W - RIGHT - 86  # and its width


def clean(text: str) -> str:
    """NFC (DejaVu has the precomposed Vietnamese letters), no control characters."""
    return " ".join(unicodedata.normalize("NFC", text).replace("\x00", " ").split())


def _font(pdf: FPDF, family: str, size: float, bold: bool = False) -> None:
    pdf.set_font(family, "B" if bold else "", size)
    pdf.set_text_color(*INK)


def letterhead(pdf: FPDF, family: str, *, top: float, number: str | None = None, ruled: bool = True) -> None:
    """CHÍNH PHỦ on the left (with the paper's `number` under it), the national name and motto
    on the right, from `top`. `ruled` underlines CHÍNH PHỦ and the motto, as the minutes and
    the book do; the poll report's heading is the plainer one, all in 11 pt."""
    if not ruled:
        _font(pdf, family, 11, True)
        pdf.set_xy(LEFT - 8, top)
        pdf.cell(70, 6, GOVERNMENT, align="C")
        pdf.set_xy(RIGHT_X, top)
        pdf.cell(RIGHT_W, 6, NATION, align="C")
        pdf.set_xy(RIGHT_X, top + 6)
        pdf.cell(RIGHT_W, 6, MOTTO, align="C")
        return
    _font(pdf, family, 12, True)
    pdf.set_xy(LEFT - 8, top)
    pdf.cell(70, 6, GOVERNMENT, align="C")
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.3)
    pdf.line(LEFT + 27 - 11, top + 7.5, LEFT + 27 + 11, top + 7.5)
    if number is not None:
        _font(pdf, family, 10)
        pdf.set_xy(LEFT - 8, top + 10)
        pdf.cell(70, 5, number, align="C")
    _font(pdf, family, 11, True)
    pdf.set_xy(RIGHT_X, top)
    pdf.cell(RIGHT_W, 6, NATION, align="C")
    _font(pdf, family, 12, True)
    pdf.set_xy(RIGHT_X, top + 6)
    pdf.cell(RIGHT_W, 6, MOTTO, align="C")
    middle = RIGHT_X + RIGHT_W / 2
    half = pdf.get_string_width(MOTTO) / 2
    pdf.line(middle - half, top + 13, middle + half, top + 13)
