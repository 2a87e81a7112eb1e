"""The demo's dossiers: realistic Vietnamese papers drawn with fpdf2, deterministic for a given programme."""

from __future__ import annotations

import random
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from agenda.clock import LOCAL_TZ
from agenda.demo.cast import Seat
from agenda.papers.pdf_check import trusted_text
from agenda.pdf.fonts import subset_fonts
from agenda.programme import programme
from agenda.programme.programme import ProgrammeItemCreate

DEMO_DATA = Path(__file__).resolve().parent / "data"


def month_label(month: str) -> str:
    return f"{int(month[5:7])}/{month[:4]}"


class _PDF(FPDF):
    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("dejavu", "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(
            0,
            5,
            f"Tài liệu minh họa (dữ liệu demo, không có giá trị pháp lý) – Trang {self.page_no()}",
            align="C",
        )
        self.set_text_color(0, 0, 0)


def render_papers(
    rows: Sequence[ProgrammeItemCreate], *, dossiers: dict[str, tuple[str, ...]], government: Sequence[Seat]
) -> list[Paper]:
    """Every paper of DOSSIERS, rendered, in a stable order. Touches no database."""
    with tempfile.TemporaryDirectory(prefix="ecabinet-fonts-") as folder:
        regular, bold = Path(folder) / "regular.ttf", Path(folder) / "bold.ttf"
        regular.write_bytes(subset_fonts()[0])  # fpdf2 reads fonts from files only
        bold.write_bytes(subset_fonts()[1])
        return _render_all(rows, regular, bold, dossiers, government)


def _render_all(
    rows: Sequence[ProgrammeItemCreate],
    regular: Path,
    bold: Path,
    dossiers: dict[str, tuple[str, ...]],
    government: Sequence[Seat],
) -> list[Paper]:
    by_code = {row.code: row for row in rows}
    seats = {seat.agency: seat for seat in government}
    day_zero = programme.submission_deadline(min(by_code[code].planned_month for code in dossiers))
    papers: list[Paper] = []
    for code, kinds in dossiers.items():
        item = by_code[code]
        for kind in kinds:
            rng = random.Random(f"{code}/{kind}")
            day = day_zero - timedelta(days=rng.randint(3, 20))
            paper = Paper(item, kind, seats[item.lead_agency], seats["Bộ Tư pháp"], day, rng)
            paper.render(regular, bold)
            papers.append(paper)
    return papers


@dataclass
class Paper:
    """One demo paper of a dossier: a title page and one or two pages of text."""

    item: ProgrammeItemCreate
    kind: str
    lead: Seat
    justice: Seat
    day: date
    rng: random.Random
    pdf: bytes = b""
    pages: int = 0
    text: str = ""  # the text of its pages, for search

    @property
    def instrument(self) -> str:
        """What the item would enact: "Luật Đất đai (sửa đổi)", "Nghị định về ..."."""
        title = self.item.title
        return title[len("Dự án ") :] if title.startswith("Dự án ") else title

    @property
    def subject(self) -> str:
        """The item as the object of a sentence: "dự án Luật ...", "dự thảo Nghị định ..."."""
        if self.item.kind in ("law", "ordinance"):
            return f"dự án {self.instrument}"
        if self.item.kind in ("report", "other"):
            return self.item.title[:1].lower() + self.item.title[1:]
        return f"dự thảo {self.instrument}"

    @property
    def issuer(self) -> Seat:
        return self.justice if self.kind == "appraisal" else self.lead

    @property
    def title(self) -> str:
        if self.kind == "submission":
            return self.item.title if self.item.kind in ("report", "other") else f"Tờ trình về {self.subject}"
        return {
            "draft": f"Dự thảo {self.instrument}",
            "appraisal": f"Báo cáo thẩm định {self.subject}",
            "synthesis": f"Báo cáo tổng hợp, giải trình, tiếp thu ý kiến góp ý {self.subject}",
            "annex": f"Phụ lục số liệu, thuyết minh kèm theo {self.subject}",
        }.get(self.kind, self.item.title)

    def heading(self) -> tuple[str, str]:
        """The big word on the title page and the line under it."""
        if self.kind == "submission" and self.item.kind == "report":
            return "BÁO CÁO", _upper_first(self.item.title.removeprefix("Báo cáo "))
        if self.kind == "submission" and self.item.kind == "other":
            return "TỜ TRÌNH", _upper_first(self.item.title.removeprefix("Tờ trình "))
        word = {
            "submission": "TỜ TRÌNH",
            "draft": "DỰ THẢO",
            "appraisal": "BÁO CÁO THẨM ĐỊNH",
            "synthesis": "BÁO CÁO TỔNG HỢP Ý KIẾN",
            "annex": "PHỤ LỤC",
        }.get(self.kind, "TÀI LIỆU")
        line = self.instrument if self.kind == "draft" else f"Về {self.subject}"
        return word, line

    def number(self) -> str:
        n = 100 + self.rng.randint(0, 700)
        if self.kind == "draft":
            return f"Dự thảo lần {self.rng.randint(2, 4)}"
        report = self.item.kind == "report"
        if self.kind == "annex":
            parent, form = ("Báo cáo", "BC") if report else ("Tờ trình", "TTr")
            return f"Kèm theo {parent} số {n}/{form}-{self.lead.abbr}"
        form = "TTr" if self.kind == "submission" and not report else "BC"
        return f"Số: {n}/{form}-{self.issuer.abbr}"

    def render(self, regular: Path, bold: Path) -> None:
        """Draw the PDF into `pdf` and count its `pages`. Deterministic: the same paper, the same sha."""
        pdf = _PDF(format="A4")
        pdf.add_font("dejavu", "", regular)
        pdf.add_font("dejavu", "B", bold)
        pdf.set_margins(25, 18, 20)
        pdf.set_auto_page_break(True, margin=20)
        pdf.set_creation_date(datetime(self.day.year, self.day.month, self.day.day, 9, 0, tzinfo=LOCAL_TZ))
        pdf.set_title(self.title)
        pdf.set_author(self.issuer.agency)
        pdf.set_subject(f"{self.item.code} – {self.item.title}")
        pdf.set_creator("eCabinet (dữ liệu minh họa)")
        pdf.set_lang("vi")
        self._title_page(pdf)
        for page in self._body():
            pdf.add_page()
            for style, text in page:
                if style == "h":
                    pdf.set_font("dejavu", "B", 11.5)
                    pdf.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                    pdf.ln(1)
                elif style == "row":
                    _table_row(pdf, text.split("|"))
                else:
                    pdf.set_font("dejavu", "", 11)
                    pdf.multi_cell(0, 5.6, text, align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                    pdf.ln(2)
        if self.kind not in ("draft", "annex"):
            self._signature(pdf)
        self.pdf, self.pages = bytes(pdf.output()), pdf.pages_count
        self.text = trusted_text(self.pdf)

    def _title_page(self, pdf: FPDF) -> None:
        pdf.add_page()
        top = pdf.get_y()
        pdf.set_font("dejavu", "B", 10.5)
        pdf.multi_cell(68, 5, self.issuer.agency.upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("dejavu", "", 10)
        pdf.multi_cell(68, 6, self.number(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_xy(95, top)
        pdf.set_font("dejavu", "B", 10.5)
        pdf.cell(95, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.cell(95, 6, "Độc lập - Tự do - Hạnh phúc", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font("dejavu", "", 10)
        pdf.cell(
            95,
            7,
            f"Hà Nội, ngày {self.day.day:02d} tháng {self.day.month:02d} năm {self.day.year}",
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        word, line = self.heading()
        pdf.set_y(80)
        pdf.set_font("dejavu", "B", 17)
        pdf.multi_cell(0, 9, word, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("dejavu", "B", 13)
        pdf.multi_cell(0, 7, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.kind in ("submission", "appraisal", "synthesis"):
            pdf.ln(6)
            pdf.set_font("dejavu", "", 12)
            pdf.cell(0, 7, "Kính gửi: Chính phủ", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(200)
        pdf.set_font("dejavu", "", 10)
        pdf.set_fill_color(242, 242, 242)
        summary = (
            f"Mã đề án: {self.item.code}\nCơ quan chủ trì: {self.item.lead_agency}\n"
            f"Tháng dự kiến trình: {month_label(self.item.planned_month)}\n"
            f"Hạn gửi hồ sơ: {programme.submission_deadline(self.item.planned_month):%d/%m/%Y}"
        )
        pdf.multi_cell(0, 6, summary, border=1, fill=True, padding=3, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _signature(self, pdf: FPDF) -> None:
        if pdf.get_y() > 230:
            pdf.add_page()
        pdf.ln(6)
        y = pdf.get_y()
        pdf.set_font("dejavu", "", 9)
        pdf.multi_cell(
            70,
            4.5,
            "Nơi nhận:\n- Như trên;\n- Văn phòng Chính phủ;\n- Lưu: VT.",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_xy(105, y)
        pdf.set_font("dejavu", "B", 11)
        pdf.cell(80, 6, self.issuer.signer, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.ln(16)
        pdf.set_x(105)
        pdf.cell(80, 6, self.issuer.full_name, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def values(self) -> dict[str, object]:
        """The placeholders of papers.toml for this paper; the numbers are invented but stable."""
        rng, year = self.rng, int(self.item.planned_month[:4])
        n1, n2, n3 = rng.randint(18, 30), rng.randint(40, 63), rng.randint(40, 140)
        return {
            "agency": self.lead.agency,
            "subject": self.subject,
            "instrument": self.instrument,
            "year": year,
            "next_year": year + 1,
            "n1": n1,
            "n2": n2,
            "n2_plus": n2 + rng.randint(3, 20),
            "n3": n3,
            "n3_next": n3 + 1,
            "n3_plus": n3 + rng.randint(5, 60),
            "small": rng.randint(6, 14),
            "percent": rng.randint(78, 96),
        }

    def _body(self) -> list[list[list[str]]]:
        key = self.kind
        if key == "submission" and self.item.kind in ("report", "other"):
            key = "report" if self.item.kind == "report" else "request"
        values = self.values()
        texts = _texts()
        return [
            [[style, text.format(**values)] for style, text in page]
            for page in texts.get(key, texts["request"])
        ]


@cache
def _texts() -> dict[str, list[list[list[str]]]]:
    with (DEMO_DATA / "papers.toml").open("rb") as handle:
        texts: dict[str, list[list[list[str]]]] = tomllib.load(handle)
    return texts


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _table_row(pdf: FPDF, cells: list[str]) -> None:
    widths = (12, 83, 35, 35)
    bold = cells[0].strip() == "TT"
    pdf.set_font("dejavu", "B" if bold else "", 9.5)
    for width, text in zip(widths, cells, strict=True):
        pdf.cell(
            width,
            7,
            text.strip(),
            border=1,
            align="L" if width == 83 else "C",
            new_x=XPos.RIGHT,
            new_y=YPos.TOP,
        )
    pdf.ln(7)
