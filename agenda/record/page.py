"""The printed record's page: its text, footer, draft mark and drawing helpers. See docs/minutes.md.

A4 in DejaVu Sans (agenda/pdf/fonts.py) under the shared letterhead (agenda/pdf/letterhead.py).
Every page's footer names the last event the record covers, with its hash; a draft carries
"BẢN DỰ THẢO" across every page. agenda/record/minutes_pdf.py draws the minutes and the
resolution with these.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from agenda.labels import MEETING_KIND_LABELS, local_when
from agenda.pdf.fonts import font_files, fonts_for
from agenda.pdf.letterhead import ACCENT, INK, LEFT, MUTED, PAGE_W, RIGHT, TEXT_W, letterhead

TOP = 18.0


BOTTOM = 22.0


FONT = "minutes"


@cache
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def clean(value: object, *, lines: bool = False) -> str:
    """NFC text without control characters; characters DejaVu cannot draw become "?".
    `lines` keeps line breaks (a narrative); otherwise all whitespace folds to single spaces."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    drawable = _cmap(str(font_files()[0]))
    kept = []
    for ch in text:
        if ch == "\n" and lines:
            kept.append(ch)
        elif ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append(ch if ord(ch) in drawable else "?")
    if lines:
        return "\n".join(" ".join(line.split()) for line in "".join(kept).split("\n")).strip()
    return " ".join("".join(kept).split())


def when(value: str | None) -> str:
    """An ISO time from the record as "08:30, thứ Năm, ngày 03/12/2026" (Vietnamese time)."""
    if not value:
        return "—"
    return local_when(datetime.fromisoformat(value))


def duration(seconds: int | None) -> str:
    seconds = max(0, int(seconds or 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} giờ {minutes:02d} phút"
    if minutes:
        return f"{minutes} phút {secs:02d} giây"
    return f"{secs} giây"


def hash_line(last: dict[str, Any]) -> str:
    return f"Bản ghi đến sự kiện số {last.get('seq', 0)}, mã băm {last.get('hash', '')}"


class Page(FPDF):
    """A4 pages with the record's footer, and the draft's watermark on every page."""

    def __init__(self, *, footer: str, draft: bool) -> None:
        super().__init__(unit="mm", format="A4")
        self.footer_text = footer
        self.draft = draft

    def header(self) -> None:
        if not self.draft:
            return
        with self.local_context(fill_opacity=0.12, text_color=ACCENT):
            self.set_font(FONT, "B", 64)
            label = "BẢN DỰ THẢO"
            width = self.get_string_width(label)
            with self.rotation(angle=40, x=PAGE_W / 2, y=150):
                self.text(PAGE_W / 2 - width / 2, 150 + 8, label)
        self.set_xy(LEFT, TOP)

    def footer(self) -> None:
        y = self.h - 15
        self.set_draw_color(*MUTED)
        self.set_line_width(0.15)
        self.line(LEFT, y, PAGE_W - RIGHT, y)
        self.set_font(FONT, "", 6.8)
        self.set_text_color(*MUTED)
        self.text(LEFT, y + 4, self.footer_text)
        self.set_xy(LEFT, y + 5.5)
        self.cell(TEXT_W, 4, f"Trang {self.page_no()}/{{nb}}", align="R")


def _new(doc: dict[str, Any], title: str, parts: Sequence[str], *, draft: bool) -> Page:
    footer = hash_line(doc.get("last_event") or {})
    regular, bold = fonts_for("".join(parts) + footer + "ỘỆ·–—…")
    pdf = Page(footer=footer, draft=draft)
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, BOTTOM)
    pdf.alias_nb_pages()
    pdf.set_title(clean(title))
    pdf.set_creator("eCabinet")
    return pdf


def _font(pdf: FPDF, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.set_text_color(*color)


def _para(
    pdf: FPDF,
    text: str,
    *,
    size: float = 10.5,
    bold: bool = False,
    indent: float = 0.0,
    align: str = "J",
    color: tuple[int, int, int] = INK,
    height: float | None = None,
) -> None:
    _font(pdf, size, bold, color)
    pdf.set_x(LEFT + indent)
    pdf.multi_cell(
        TEXT_W - indent, height or size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )


def _gap(pdf: FPDF, mm: float) -> None:
    pdf.set_y(pdf.get_y() + mm)


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.h - BOTTOM - 30:
        pdf.add_page()
    _gap(pdf, 4)
    _para(pdf, text, size=11.5, bold=True, align="L")
    _gap(pdf, 1.5)


def _label(pdf: FPDF, label: str, value: str, *, indent: float = 0.0) -> None:
    """`label: value` as one paragraph, the label in bold."""
    pdf.set_left_margin(LEFT + indent)
    pdf.set_x(LEFT + indent)
    _font(pdf, 10.5, True)
    pdf.write(5.3, f"{label}: ")
    _font(pdf, 10.5)
    pdf.write(5.3, value)
    pdf.ln(5.3)
    pdf.set_left_margin(LEFT)


def _table(
    pdf: FPDF,
    widths: Sequence[float],
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    aligns: Sequence[str] | None = None,
) -> None:
    _font(pdf, 9.5)
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.15)
    with pdf.table(
        col_widths=tuple(widths),
        width=sum(widths),
        align="LEFT",
        text_align=tuple(aligns or ["LEFT"] * len(widths)),
        line_height=4.8,
        headings_style=FontFace(emphasis="BOLD", fill_color=(238, 232, 228)),
        padding=(1, 1.5, 1, 1.5),
    ) as table:
        row = table.row()
        for text in head:
            row.cell(text)
        for values in rows:
            row = table.row()
            for text in values:
                row.cell(text)
    _gap(pdf, 2)


def _masthead(pdf: FPDF, number: str) -> None:
    """CHÍNH PHỦ on the left, the national name and motto on the right."""
    letterhead(pdf, FONT, top=TOP, number=number)
    pdf.set_y(TOP + 24)


def _title(pdf: FPDF, doc: dict[str, Any], heading: str, draft_label: str) -> None:
    meeting = doc["record"]["meeting"]
    if draft_label:
        _para(pdf, draft_label, size=11, bold=True, align="C", color=ACCENT)
        _gap(pdf, 1)
    pdf.set_char_spacing(0.8)
    _para(pdf, heading, size=16, bold=True, align="C", height=8)
    pdf.set_char_spacing(0)
    _gap(pdf, 1)
    _para(pdf, clean(meeting.get("title")), size=12.5, bold=True, align="C", height=6.2)
    kind = MEETING_KIND_LABELS.get(str(meeting.get("kind")), str(meeting.get("kind") or ""))
    _para(pdf, clean(kind), size=10, align="C", color=MUTED)
    _gap(pdf, 4)
