"""The pages a briefing book adds around the papers: cover, table of contents, item dividers.

Drawn with fpdf2 in DejaVu Sans (Vietnamese needs a Unicode TrueType font), A4, in the sober
style of the Government's documents: the national motto, black type, one dark red accent.
Every divider is exactly one page, so the page numbers are known before anything is drawn:
the cover and the contents are numbered i, ii, ...; the first divider is page 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from agenda.books.plan import BookItem, BookPlan
from agenda.papers.stamp import StampText
from agenda.pdf.fonts import fonts_for
from agenda.pdf.letterhead import ACCENT, INK, LEFT, MUTED, PAGE_H, PAGE_W, RIGHT, TEXT_W, clean, letterhead

TOP = 20.0
FOOT_Y = PAGE_H - 16.0  # the footer rule; body text stays above FOOT_Y - 4
NUMBER_W = 14.0  # the page-number column of the contents
GAP_TEXT = "Nội dung không thuộc phạm vi tài liệu của bạn."  # an item outside this recipient's audience
FONT = "book"


def roman(number: int) -> str:
    """Lowercase Roman numerals, as the page labels of the front matter."""
    found = ""
    for value, letters in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while number >= value:
            found += letters
            number -= value
    return found


@dataclass(frozen=True)
class Layout:
    """The arabic page number of each divider and of the first page of each document."""

    dividers: tuple[int, ...]
    documents: tuple[tuple[int, ...], ...]
    pages: int  # the arabic-numbered pages: dividers and documents

    @classmethod
    def of(cls, counts: Sequence[Sequence[int]]) -> Layout:
        page = 1
        dividers: list[int] = []
        documents: list[tuple[int, ...]] = []
        for item in counts:
            dividers.append(page)
            page += 1
            starts: list[int] = []
            for count in item:
                starts.append(page)
                page += count
            documents.append(tuple(starts))
        return cls(dividers=tuple(dividers), documents=tuple(documents), pages=page - 1)


@dataclass(frozen=True)
class Front:
    """The drawn pages: the cover and contents (`front_pages` of them), then one divider per item."""

    pdf: bytes
    front_pages: int


def _texts(plan: BookPlan, stamp: StampText) -> str:
    parts = [plan.title, plan.place, plan.chair_name, plan.chair_title, plan.starts_at, *stamp.lines()]
    for item in plan.items:
        parts += [item.title, item.code, item.lead_agency, item.presenter]
        parts += [d.title for d in item.documents]
    return "".join(parts) + GAP_TEXT + "ỘỆ·–—…«»"


def render(plan: BookPlan, stamp: StampText, layout: Layout) -> Front:
    """Cover, contents and dividers as one PDF. FileNotFoundError when no DejaVu font is installed."""
    regular, bold = fonts_for(clean(_texts(plan, stamp)))
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_title(clean(f"Sổ tài liệu họp – {plan.title}"))
    pdf.set_creator("eCabinet")
    _cover(pdf, plan, stamp, layout)
    _contents(pdf, plan, layout)
    front_pages = pdf.page
    for index, item in enumerate(plan.items):
        _divider(pdf, plan, item, layout, index)
    return Front(pdf=bytes(pdf.output()), front_pages=front_pages)


# --- drawing helpers ----------------------------------------------------------------------------


def _font(pdf: FPDF, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.set_text_color(*color)


def _lines(pdf: FPDF, width: float, text: str) -> list[str]:
    found = pdf.multi_cell(width, 5, text, dry_run=True, output="LINES")
    assert isinstance(found, list)
    return found or [""]


def _fit(
    pdf: FPDF, text: str, width: float, sizes: Sequence[float], max_lines: int, bold: bool = True
) -> float:
    """The largest of `sizes` at which `text` takes at most `max_lines` lines of `width`."""
    for size in sizes:
        _font(pdf, size, bold)
        if len(_lines(pdf, width, text)) <= max_lines:
            return size
    return sizes[-1]


def _para(pdf: FPDF, x: float, width: float, height: float, text: str, align: str = "L") -> None:
    pdf.set_x(x)
    pdf.multi_cell(width, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _rule(pdf: FPDF, y: float, width: float = 0.2, color: tuple[int, int, int] = INK) -> None:
    pdf.set_draw_color(*color)
    pdf.set_line_width(width)
    pdf.line(LEFT, y, PAGE_W - RIGHT, y)


def _facts(pdf: FPDF, rows: Sequence[tuple[str, str]], label_w: float, size: float) -> None:
    for label, value in rows:
        if not value:
            continue
        y = pdf.get_y()
        _font(pdf, size - 1, True, MUTED)
        pdf.set_xy(LEFT, y + 0.4)
        pdf.cell(label_w, size * 0.5, label)
        _font(pdf, size)
        pdf.set_xy(LEFT + label_w, y)
        pdf.multi_cell(TEXT_W - label_w, size * 0.5, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(pdf.get_y() + 1.6)


def _footer(pdf: FPDF, plan: BookPlan, label: str) -> None:
    _rule(pdf, FOOT_Y, 0.15, MUTED)
    _font(pdf, 8, color=MUTED)
    title = clean(plan.title)
    while title and pdf.get_string_width(f"Sổ tài liệu họp · {title}") > TEXT_W - 20:
        title = title[:-2].rstrip() + "…"
    pdf.text(LEFT, FOOT_Y + 4.5, f"Sổ tài liệu họp · {title}")
    pdf.text(PAGE_W - RIGHT - pdf.get_string_width(label), FOOT_Y + 4.5, label)


# --- the cover ----------------------------------------------------------------------------------


def _cover(pdf: FPDF, plan: BookPlan, stamp: StampText, layout: Layout) -> None:
    pdf.add_page()
    letterhead(pdf, FONT, top=18)

    _rule(pdf, 60, 0.9, ACCENT)
    _rule(pdf, 61.6, 0.2, ACCENT)
    pdf.set_y(72)
    pdf.set_char_spacing(1.2)
    _font(pdf, 26, True, ACCENT)
    _para(pdf, LEFT, TEXT_W, 12, "SỔ TÀI LIỆU HỌP", "C")
    pdf.set_char_spacing(0)
    pdf.set_y(pdf.get_y() + 3)
    _font(pdf, 12.5, True)
    _para(pdf, LEFT, TEXT_W, 6.5, clean(plan.kind_label).upper(), "C")
    pdf.set_y(pdf.get_y() + 5)
    title = clean(plan.title)
    size = _fit(pdf, title, TEXT_W, (18, 15, 12), 3)
    _font(pdf, size, True)
    _para(pdf, LEFT, TEXT_W, size * 0.46, title, "C")
    if plan.draft:
        pdf.set_y(pdf.get_y() + 3)
        _font(pdf, 10.5, True, ACCENT)
        _para(pdf, LEFT, TEXT_W, 5.5, "BẢN DỰ THẢO · CHƯƠNG TRÌNH CHƯA CÔNG BỐ", "C")
    y = pdf.get_y() + 8
    _rule(pdf, y, 0.2, ACCENT)
    _rule(pdf, y + 1.6, 0.9, ACCENT)
    pdf.set_y(y + 10)
    chair = ", ".join(part for part in (clean(plan.chair_name), clean(plan.chair_title)) if part)
    count = len(plan.items)
    shown = f"{count} trong {plan.total} nội dung" if plan.hidden else f"{count} nội dung"
    contents = f"{shown} · {layout.pages - count} trang tài liệu"
    version = f"Phiên bản {plan.agenda_version}" if plan.agenda_version else "Chưa công bố"
    _facts(
        pdf,
        [
            ("Thời gian", plan.starts_at),
            ("Địa điểm", clean(plan.place)),
            ("Chủ tọa", chair),
            ("Nội dung", contents),
            ("Chương trình", version),
        ],
        label_w=36,
        size=11.5,
    )

    box = max(pdf.get_y() + 6, 234.0)
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.3)
    pdf.rect(LEFT, box, TEXT_W, 36)
    pdf.set_y(box + 4)
    _font(pdf, 8.5, True, MUTED)
    _para(pdf, LEFT + 6, TEXT_W - 12, 4.5, "BẢN CẤP RIÊNG CHO")
    _font(pdf, 13, True)
    _para(pdf, LEFT + 6, TEXT_W - 12, 6.5, clean(stamp.full_name))
    _font(pdf, 10.5)
    _para(pdf, LEFT + 6, TEXT_W - 12, 5.5, clean(stamp.title))
    _font(pdf, 10.5)
    _para(pdf, LEFT + 6, TEXT_W - 12, 5.5, f"Mã bản: {stamp.copy_code} · Cấp lúc {stamp.issued_at}")
    _font(pdf, 8, color=MUTED)
    pdf.set_y(PAGE_H - 16)
    _para(
        pdf,
        LEFT,
        TEXT_W,
        4,
        "Tài liệu phục vụ phiên họp của Chính phủ. Không sao chụp, không chuyển cho người khác.",
        "C",
    )


# --- the contents -------------------------------------------------------------------------------


def _contents_page(pdf: FPDF, plan: BookPlan, first: bool) -> None:
    pdf.add_page()
    _footer(pdf, plan, roman(pdf.page))
    pdf.set_y(TOP + 4)
    _font(pdf, 15, True)
    heading = "CHƯƠNG TRÌNH PHIÊN HỌP" if first else "CHƯƠNG TRÌNH PHIÊN HỌP (tiếp theo)"
    _para(pdf, LEFT, TEXT_W, 8, heading, "C")
    if first:
        _font(pdf, 10, color=MUTED)
        _para(pdf, LEFT, TEXT_W, 5, f"{clean(plan.title)} · {plan.starts_at}", "C")
    pdf.set_y(pdf.get_y() + 6)
    _font(pdf, 8, True, MUTED)
    y = pdf.get_y()
    pdf.text(LEFT, y, "NỘI DUNG")
    pdf.text(PAGE_W - RIGHT - pdf.get_string_width("TRANG"), y, "TRANG")
    _rule(pdf, y + 1.8, 0.2, MUTED)
    pdf.set_y(y + 5)


def _leader(pdf: FPDF, x0: float, x1: float, y: float) -> None:
    if x1 - x0 < 4:
        return
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.25)
    pdf.set_dash_pattern(dash=0.3, gap=1.2)
    pdf.line(x0, y, x1, y)
    pdf.set_dash_pattern()


def _entry(pdf: FPDF, x: float, size: float, bold: bool, text: str, page: int, height: float) -> None:
    """A line of the contents: `text` wrapped at `x`, dotted leaders, the page number at the right."""
    width = PAGE_W - RIGHT - NUMBER_W - 3 - x
    _font(pdf, size, bold)
    lines = _lines(pdf, width, text)
    y = pdf.get_y()
    _para(pdf, x, width, height, text)
    last = y + height * (len(lines) - 1)
    end = x + pdf.get_string_width(lines[-1])
    number = str(page)
    pdf.text(PAGE_W - RIGHT - pdf.get_string_width(number), last + height * 0.72, number)
    _leader(pdf, end + 1.5, PAGE_W - RIGHT - pdf.get_string_width(number) - 1.5, last + height * 0.72)


def _entry_height(pdf: FPDF, item: BookItem) -> float:
    _font(pdf, 11, True)
    height = 6.0 * len(_lines(pdf, TEXT_W - 9 - NUMBER_W - 3, clean(item.title))) + 5 + 3
    _font(pdf, 10)
    for document in item.documents:
        text = clean(f"{document.kind_label}: {document.title}")
        height += 5.0 * len(_lines(pdf, TEXT_W - 13 - NUMBER_W - 3, text))
    return height


def _contents(pdf: FPDF, plan: BookPlan, layout: Layout) -> None:
    _contents_page(pdf, plan, first=True)
    if not plan.items:
        _font(pdf, 11, color=MUTED)
        _para(pdf, LEFT, TEXT_W, 6, "Chương trình phiên họp chưa có nội dung.")
    gaps = sorted(plan.hidden)
    for index, item in enumerate(plan.items):
        while gaps and gaps[0] < item.number:
            _gap(pdf, plan, gaps.pop(0))
        if pdf.get_y() + min(_entry_height(pdf, item), 120) > FOOT_Y - 4:
            _contents_page(pdf, plan, first=False)
        y = pdf.get_y()
        _font(pdf, 11, True)
        pdf.text(LEFT, y + 6 * 0.72, f"{item.number}.")
        _entry(pdf, LEFT + 9, 11, True, clean(item.title), layout.dividers[index], 6)
        meta = " · ".join(
            part
            for part in (
                clean(item.code),
                clean(item.lead_agency),
                f"Trình bày: {clean(item.presenter)}" if item.presenter.strip() else "",
                f"{item.minutes} phút",
                "Thông qua không thảo luận" if item.consent else "",
            )
            if part
        )
        _font(pdf, 8.5, color=MUTED)
        _para(pdf, LEFT + 9, TEXT_W - 9 - NUMBER_W, 4.5, meta)
        pdf.set_y(pdf.get_y() + 0.5)
        for document, page in zip(item.documents, layout.documents[index], strict=True):
            if pdf.get_y() + 5 > FOOT_Y - 4:
                _contents_page(pdf, plan, first=False)
            _entry(pdf, LEFT + 13, 10, False, clean(f"{document.kind_label}: {document.title}"), page, 5)
        pdf.set_y(pdf.get_y() + 3)
    for number in gaps:
        _gap(pdf, plan, number)


def _gap(pdf: FPDF, plan: BookPlan, number: int) -> None:
    """The line of an agenda item left out of this book: its number, never its title."""
    if pdf.get_y() + 9 > FOOT_Y - 4:
        _contents_page(pdf, plan, first=False)
    y = pdf.get_y()
    _font(pdf, 11, True, MUTED)
    pdf.text(LEFT, y + 6 * 0.72, f"{number}.")
    _font(pdf, 10, color=MUTED)
    _para(pdf, LEFT + 9, TEXT_W - 9 - NUMBER_W, 6, GAP_TEXT)
    pdf.set_y(pdf.get_y() + 3)


# --- the dividers -------------------------------------------------------------------------------


def _divider(pdf: FPDF, plan: BookPlan, item: BookItem, layout: Layout, index: int) -> None:
    pdf.add_page()
    _footer(pdf, plan, str(layout.dividers[index]))
    pdf.set_fill_color(*ACCENT)
    pdf.rect(LEFT, 46, 24, 1.4, style="F")
    pdf.set_y(52)
    pdf.set_char_spacing(1)
    _font(pdf, 11, True, ACCENT)
    _para(pdf, LEFT, TEXT_W, 6, f"NỘI DUNG {item.number}/{plan.total}")
    pdf.set_char_spacing(0)
    pdf.set_y(pdf.get_y() + 4)
    title = clean(item.title)
    size = _fit(pdf, title, TEXT_W, (21, 17, 14, 12), 5)
    _font(pdf, size, True)
    _para(pdf, LEFT, TEXT_W, size * 0.47, title)
    pdf.set_y(pdf.get_y() + 8)
    _facts(
        pdf,
        [
            ("Mã đề án", clean(item.code)),
            ("Cơ quan chủ trì", clean(item.lead_agency)),
            ("Người trình bày", clean(item.presenter)),
            ("Thời gian dự kiến", f"{item.minutes} phút"),
            ("Hình thức", "Thông qua không thảo luận (không có ý kiến khác)" if item.consent else ""),
        ],
        label_w=42,
        size=10.5,
    )
    pdf.set_y(pdf.get_y() + 6)
    _font(pdf, 9, True, MUTED)
    _para(pdf, LEFT, TEXT_W, 5, "TÀI LIỆU KÈM THEO")
    _rule(pdf, pdf.get_y() + 0.5, 0.2, MUTED)
    pdf.set_y(pdf.get_y() + 3)
    if not item.documents:
        _font(pdf, 10.5, color=MUTED)
        _para(pdf, LEFT, TEXT_W, 5.5, "Không có tài liệu kèm theo.")
    for n, (document, page) in enumerate(zip(item.documents, layout.documents[index], strict=True), start=1):
        if pdf.get_y() + 12 > FOOT_Y - 4:
            _font(pdf, 10, color=MUTED)
            left = len(item.documents) - n + 1
            _para(pdf, LEFT, TEXT_W, 5.5, f"… và {left} tài liệu khác (xem Chương trình phiên họp).")
            break
        text = clean(f"{n}. {document.kind_label}: {document.title} ({document.pages} trang)")
        _entry(pdf, LEFT, 10.5, False, text, page, 5.5)
        pdf.set_y(pdf.get_y() + 1.5)
