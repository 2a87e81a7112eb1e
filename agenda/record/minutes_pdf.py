"""The minutes and the draft session resolution as PDFs. See docs/minutes.md.

Drawn with fpdf2 in DejaVu Sans (agenda/pdf/fonts.py), A4, in Vietnamese (the official record), in
the style of the briefing book (agenda/books/book_pages.py): the national motto, black type, one
dark red accent. Every page's footer names the last event the record covers, with its hash; a
draft carries "BẢN DỰ THẢO" across every page. Input is the JSON view of the minutes
(agenda/record/minutes.py `view`), already narrowed for the reader, so a restricted item outside the
reader's audience is only ever drawn as a placeholder. Plain data in, bytes out: it runs in
the PDF process pool.
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

from agenda.books.briefing import MEETING_KIND_LABELS, local_when
from agenda.pdf.fonts import font_files, fonts_for

PAGE_W = 210.0
LEFT, RIGHT, TOP, BOTTOM = 25.0, 20.0, 18.0, 22.0
TEXT_W = PAGE_W - LEFT - RIGHT
INK = (25, 25, 25)
MUTED = (100, 100, 100)
ACCENT = (150, 25, 25)
FONT = "minutes"

OUTCOMES = {
    "adopted": "Thông qua",
    "adopted_with_changes": "Thông qua có chỉnh sửa",
    "deferred": "Hoãn xem xét",
    "returned": "Trả lại để hoàn thiện",
    "noted": "Ghi nhận",
}
CHOICES = {"yes": "Tán thành", "no": "Không tán thành", "abstain": "Không biểu quyết"}
RESTRICTED = "Nội dung hạn chế"
RESTRICTED_NOTE = "Nội dung này chỉ dành cho thành phần được chỉ định."


# --- text ---------------------------------------------------------------------------------------


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


# --- the page -----------------------------------------------------------------------------------


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
    _font(pdf, 12, True)
    pdf.set_xy(LEFT - 8, TOP)
    pdf.cell(70, 6, "CHÍNH PHỦ", align="C")
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.3)
    pdf.line(LEFT + 27 - 11, TOP + 7.5, LEFT + 27 + 11, TOP + 7.5)
    _font(pdf, 10)
    pdf.set_xy(LEFT - 8, TOP + 10)
    pdf.cell(70, 5, number, align="C")
    _font(pdf, 11, True)
    pdf.set_xy(88, TOP)
    pdf.cell(PAGE_W - RIGHT - 86, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C")
    _font(pdf, 12, True)
    pdf.set_xy(88, TOP + 6)
    motto = "Độc lập - Tự do - Hạnh phúc"
    pdf.cell(PAGE_W - RIGHT - 86, 6, motto, align="C")
    middle = 88 + (PAGE_W - RIGHT - 86) / 2
    half = pdf.get_string_width(motto) / 2
    pdf.line(middle - half, TOP + 13, middle + half, TOP + 13)
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


# --- the minutes --------------------------------------------------------------------------------


def _texts(doc: dict[str, Any]) -> list[str]:
    """Every text the document may draw, to choose fonts that cover them."""
    found: list[str] = []
    stack: list[Any] = [doc]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return [clean(t, lines=True) for t in found]


def _names(people: Sequence[dict[str, Any]]) -> list[str]:
    return [clean(", ".join(part for part in (p.get("full_name"), p.get("title")) if part)) for p in people]


def _attendance(pdf: FPDF, attendance: dict[str, Any]) -> None:
    groups = (
        ("present", "Có mặt tại phòng họp"),
        ("remote", "Dự họp trực tuyến"),
        ("excused", "Vắng mặt có lý do"),
        ("absent", "Vắng mặt"),
        ("not_recorded", "Chưa điểm danh"),
    )
    for key, label in groups:
        people = attendance.get(key) or []
        if not people and key in ("not_recorded",):
            continue
        _para(pdf, f"{label} ({len(people)}):", bold=True, align="L")
        if not people:
            _para(pdf, "Không có.", indent=5, color=MUTED)
        for name in _names(people):
            _para(pdf, f"– {name}", indent=5, align="L")
        _gap(pdf, 1)
    substitutes = attendance.get("substitutes") or []
    if substitutes:
        _para(pdf, f"Người dự họp thay ({len(substitutes)}):", bold=True, align="L")
        for s in substitutes:
            text = clean(f"– {s.get('full_name')} dự thay {s.get('for_member_name')}")
            if clean(s.get("for_member_title")):
                text += f" ({clean(s.get('for_member_title'))})"
            _para(pdf, text, indent=5, align="L")
        _gap(pdf, 1)
    guests = attendance.get("guests") or []
    if guests:
        _para(pdf, f"Khách mời ({len(guests)}):", bold=True, align="L")
        for name in _names(guests):
            _para(pdf, f"– {name}", indent=5, align="L")


def _vote(pdf: FPDF, vote: dict[str, Any]) -> None:
    result = vote.get("result") or {}
    kind = "kín" if vote.get("secret") else "công khai"
    _label(pdf, f"Biểu quyết {kind}", clean(vote.get("question")), indent=5)
    total = result.get("total_membership", 0)
    totals = (
        f"Tán thành {result.get('yes', 0)}, không tán thành {result.get('no', 0)}, "
        f"không biểu quyết {result.get('abstain', 0)} (có quyền biểu quyết {vote.get('eligible', 0)}, "
        f"đã bỏ phiếu {vote.get('cast', 0)}, tổng số thành viên Chính phủ {total})"
    )
    verdict = "THÔNG QUA" if result.get("adopted") else "KHÔNG THÔNG QUA"
    if result.get("tie_broken_by_chair"):
        verdict += " (số phiếu ngang nhau, theo bên có ý kiến của chủ tọa)"
    _label(pdf, "Kết quả biểu quyết", f"{totals}. {verdict}.", indent=5)
    if vote.get("secret"):
        _para(pdf, "Biểu quyết kín: chỉ công bố tổng số phiếu.", size=9.5, indent=5, color=MUTED)
    else:
        rows = [
            [str(n), clean(b.get("full_name")), CHOICES.get(str(b.get("choice")), str(b.get("choice")))]
            for n, b in enumerate(vote.get("ballots") or [], start=1)
        ]
        if rows:
            pdf.set_x(LEFT + 5)
            _table(
                pdf,
                (12, 95, 53),
                ("STT", "Thành viên Chính phủ", "Lựa chọn"),
                rows,
                ("CENTER", "LEFT", "LEFT"),
            )
        missing = vote.get("not_voted") or []
        if missing:
            _label(pdf, "Không bỏ phiếu", "; ".join(clean(m.get("full_name")) for m in missing), indent=5)
    _gap(pdf, 1.5)


def _item(pdf: FPDF, item: dict[str, Any], number: int, summary: str) -> None:
    if pdf.get_y() > pdf.h - BOTTOM - 40:
        pdf.add_page()
    _gap(pdf, 2)
    if "title" not in item:
        _para(pdf, f"{number}. {RESTRICTED}", size=11, bold=True, align="L")
        _para(pdf, RESTRICTED_NOTE, indent=5, color=MUTED)
        return
    _para(pdf, f"{number}. {clean(item.get('title'))}", size=11, bold=True, align="L")
    meta = " · ".join(
        part
        for part in (
            clean(item.get("code")),
            clean(item.get("lead_agency")),
            f"Trình bày: {clean(item.get('presenter'))}" if clean(item.get("presenter")) else "",
        )
        if part
    )
    if meta:
        _para(pdf, meta, size=9.5, indent=5, color=MUTED, align="L")
    if item.get("consent"):
        _label(pdf, "Hình thức", "Thông qua chung, không thảo luận (không thành viên nào phản đối)", indent=5)
    spent = duration(item.get("seconds_spent"))
    _label(pdf, "Thời gian", f"dự kiến {item.get('minutes_allotted', 0)} phút; thực tế {spent}", indent=5)
    speakers = item.get("speakers") or []
    if speakers:
        _para(pdf, "Ý kiến phát biểu:", bold=True, indent=5, align="L")
        rows = [[str(n), clean(s.get("name")), duration(s.get("seconds"))] for n, s in enumerate(speakers, 1)]
        pdf.set_x(LEFT + 5)
        _table(
            pdf, (12, 103, 45), ("STT", "Người phát biểu", "Thời lượng"), rows, ("CENTER", "LEFT", "RIGHT")
        )
    if summary:
        _para(pdf, "Tóm tắt thảo luận:", bold=True, indent=5, align="L")
        _para(pdf, clean(summary, lines=True), indent=5)
        _gap(pdf, 1)
    for vote in item.get("votes") or []:
        _vote(pdf, vote)
    outcome = OUTCOMES.get(str(item.get("outcome")), "Chưa có kết quả")
    _label(pdf, "Kết quả", outcome, indent=5)
    conclusion = clean(item.get("conclusion"), lines=True)
    if conclusion:
        _label(pdf, "Kết luận của chủ tọa", conclusion, indent=5)


def _timings(pdf: FPDF, record: dict[str, Any]) -> None:
    timings = record.get("timings") or {}
    rows = []
    for n, item in enumerate(record["items"], start=1):
        title = clean(item["title"]) if "title" in item else RESTRICTED
        allotted = f"{item['minutes_allotted']} phút" if "minutes_allotted" in item else "—"
        spent = duration(item["seconds_spent"]) if "seconds_spent" in item else "—"
        rows.append([str(n), title, allotted, spent])
    rows.append(
        [
            "",
            "Cộng",
            f"{timings.get('minutes_allotted', 0)} phút",
            duration(timings.get("seconds_spent")),
        ]
    )
    _table(
        pdf,
        (12, 98, 25, 30),
        ("STT", "Nội dung", "Dự kiến", "Thực tế"),
        rows,
        ("CENTER", "LEFT", "RIGHT", "RIGHT"),
    )
    _label(
        pdf,
        "Thời gian phiên họp",
        f"từ {when(timings.get('started_at'))} đến {when(timings.get('adjourned_at'))}"
        f" ({duration(timings.get('seconds'))})",
    )


def _signatures(pdf: FPDF, chair: dict[str, Any] | None) -> None:
    if pdf.get_y() > pdf.h - BOTTOM - 40:
        pdf.add_page()
    _gap(pdf, 8)
    y = pdf.get_y()
    half = TEXT_W / 2
    _font(pdf, 11, True)
    pdf.set_xy(LEFT, y)
    pdf.cell(half, 6, "THƯ KÝ PHIÊN HỌP", align="C")
    pdf.set_xy(LEFT + half, y)
    pdf.cell(half, 6, "CHỦ TỌA", align="C")
    if chair:
        _font(pdf, 11, True)
        pdf.set_xy(LEFT + half, y + 26)
        pdf.cell(half, 6, clean(chair.get("full_name")), align="C")
    pdf.set_y(y + 34)


def render_minutes(doc: dict[str, Any]) -> bytes:
    """The minutes (biên bản) as a PDF; `doc` is minutes.view() for the reader."""
    record = doc["record"]
    meeting = record["meeting"]
    final = doc.get("state") == "final"
    pdf = _new(doc, f"Biên bản phiên họp – {meeting.get('title', '')}", _texts(doc), draft=not final)
    pdf.add_page()
    _masthead(pdf, "Số:        /BB-CP")
    _title(pdf, doc, "BIÊN BẢN PHIÊN HỌP", "" if final else "BẢN DỰ THẢO")
    narrative = doc.get("narrative") or {}

    _heading(pdf, "I. THỜI GIAN, ĐỊA ĐIỂM, CHỦ TỌA")
    timings = record.get("timings") or {}
    _label(pdf, "Khai mạc", when(timings.get("started_at")))
    _label(pdf, "Bế mạc", when(timings.get("adjourned_at")))
    if clean(meeting.get("place")):
        _label(pdf, "Địa điểm", clean(meeting.get("place")))
    chair = meeting.get("chair")
    if chair:
        _label(pdf, "Chủ tọa", ", ".join(_names([chair])))

    _heading(pdf, "II. THÀNH PHẦN DỰ HỌP")
    _attendance(pdf, record.get("attendance") or {})

    section = 3
    numerals = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII")
    opening = clean(narrative.get("opening"), lines=True)
    if opening:
        _heading(pdf, f"{numerals[section]}. KHAI MẠC")
        _para(pdf, opening)
        section += 1
    _heading(pdf, f"{numerals[section]}. NỘI DUNG PHIÊN HỌP")
    section += 1
    notes = narrative.get("items") or {}
    if not record["items"]:
        _para(pdf, "Phiên họp không có nội dung.", color=MUTED)
    for number, item in enumerate(record["items"], start=1):
        _item(pdf, item, number, str(notes.get(str(item["id"]), "")))
    _heading(pdf, f"{numerals[section]}. THỜI GIAN THẢO LUẬN")
    section += 1
    _timings(pdf, record)
    closing = clean(narrative.get("closing"), lines=True)
    if closing:
        _heading(pdf, f"{numerals[section]}. BẾ MẠC")
        _para(pdf, closing)
        section += 1
    _heading(pdf, f"{numerals[section]}. XÁC THỰC BẢN GHI")
    last = doc.get("last_event") or {}
    _para(pdf, f"{hash_line(last)} (SHA-256, chuỗi sự kiện của phiên họp).", size=9.5, align="L")
    if final:
        who = (doc.get("finalized_by") or {}).get("full_name")
        text = f"Biên bản được chốt lúc {when(doc.get('finalized_at'))}"
        _para(pdf, clean(f"{text}, bởi {who}." if who else f"{text}."), size=9.5, align="L")
    else:
        _para(pdf, "Bản dự thảo: chưa chốt, còn có thể chỉnh sửa.", size=9.5, align="L", color=ACCENT)
    _signatures(pdf, chair)
    return bytes(pdf.output())


# --- the draft session resolution ---------------------------------------------------------------


def render_resolution(doc: dict[str, Any]) -> bytes:
    """The draft session resolution (nghị quyết phiên họp): the adopted items and their conclusions."""
    record = doc["record"]
    meeting = record["meeting"]
    items = (doc.get("resolution") or {}).get("items") or []
    pdf = _new(doc, f"Dự thảo nghị quyết phiên họp – {meeting.get('title', '')}", _texts(doc), draft=True)
    pdf.add_page()
    _masthead(pdf, "Số:        /NQ-CP")
    _title(pdf, doc, "NGHỊ QUYẾT PHIÊN HỌP", "DỰ THẢO")
    date = when((record.get("timings") or {}).get("started_at") or meeting.get("starts_at"))
    _para(pdf, "CHÍNH PHỦ", size=11.5, bold=True, align="C")
    _gap(pdf, 2)
    _para(pdf, "Căn cứ Luật Tổ chức Chính phủ;", align="L")
    _para(
        pdf,
        clean(
            "Trên cơ sở thảo luận của các thành viên Chính phủ và kết luận của chủ tọa tại "
            f"{meeting.get('title', '')}, {date},"
        ),
    )
    _gap(pdf, 3)
    _para(pdf, "QUYẾT NGHỊ:", size=11.5, bold=True, align="C")
    _gap(pdf, 2)
    if not items:
        _para(pdf, "Phiên họp không thông qua nội dung nào.", color=MUTED)
    for number, item in enumerate(items, start=1):
        if "title" not in item:
            _para(pdf, f"{number}. {RESTRICTED}. {RESTRICTED_NOTE}", align="L")
            _gap(pdf, 2)
            continue
        how = "Thông qua có chỉnh sửa" if item.get("outcome") == "adopted_with_changes" else "Thông qua"
        code = f" ({clean(item.get('code'))})" if clean(item.get("code")) else ""
        _para(pdf, f"{number}. {how} {clean(item.get('title'))}{code}.", bold=True, align="L")
        conclusion = clean(item.get("conclusion"), lines=True)
        if conclusion:
            _para(pdf, conclusion, indent=5)
        if item.get("consent"):
            _para(pdf, "(Thông qua chung, không thảo luận.)", size=9.5, indent=5, color=MUTED)
        _gap(pdf, 2)
    _gap(pdf, 3)
    _para(pdf, f"{hash_line(doc.get('last_event') or {})} (SHA-256).", size=9, align="L", color=MUTED)
    return bytes(pdf.output())
