"""The synthesis report of an opinion ballot (báo cáo tổng hợp ý kiến), as a PDF. See
docs/opinion-polls.md.

Drawn with fpdf2 in DejaVu Sans (Vietnamese), A4, in the style of agenda/books/book_pages.py: the
tally and the verdict, each member's position and comment, and the members who did not answer.
`plan()` reads the database; `render()` is a pure function of the plan, run in the PDF pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlmodel import Session

from agenda.clock import to_local, utcnow
from agenda.errors import WrongState
from agenda.pdf.fonts import fonts_for
from agenda.pdf.letterhead import ACCENT, INK, LEFT, MUTED, PAGE_H, PAGE_W, RIGHT, TEXT_W, clean, letterhead
from agenda.policy import Policy
from agenda.polls.opinion_polls import OpinionPoll
from agenda.polls.poll_views import board, result_of
from agenda.programme.programme import ProgrammeItem
from agenda.text import N_

POSITION_TEXT = {"agree": "Đồng ý", "disagree": "Không đồng ý", "other": "Ý kiến khác"}
FONT = "book"  # the family name the book's pages register too
TOP = 20.0
STATE_TEXT = {"draft": "Chưa gửi", "sent": "Đang lấy ý kiến", "closed": "Đã kết thúc"}


@dataclass(frozen=True)
class Answer:
    number: int
    name: str
    title: str
    position: str | None  # None: did not answer
    comment: str
    when: str


@dataclass(frozen=True)
class ReportPlan:
    poll_id: int
    question: str
    code: str
    item_title: str
    state: str
    deadline: str
    sent_at: str
    closed_at: str
    generated_at: str
    result: dict[str, object] | None
    needed: int  # the fewest "agree" that adopt it, under the policy
    answers: tuple[Answer, ...]


def _when(value: datetime | str | None) -> str:
    """A time as the report prints it; an ISO string (from the API view) is parsed first."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return to_local(value).strftime("%H:%M %d/%m/%Y") if value is not None else ""


def plan(session: Session, poll: OpinionPoll, policy: Policy) -> ReportPlan:
    """What the report shows; a draft has nothing to report (409 `poll_not_sent`)."""
    if poll.state == "draft":
        raise WrongState(N_("Phiếu lấy ý kiến chưa được gửi."), code="poll_not_sent")
    item = session.get(ProgrammeItem, poll.programme_item_id)
    answers = []
    for number, row in enumerate(board(session, poll), start=1):
        response = row["response"] or {}
        answers.append(
            Answer(
                number=number,
                name=str(row["full_name"]),
                title=str(row["title"]),
                position=response.get("position"),
                comment=str(response.get("comment") or ""),
                when=_when(response.get("revised_at") or response.get("answered_at")),
            )
        )
    return ReportPlan(
        poll_id=poll.id or 0,
        question=poll.question,
        code=item.code if item else "",
        item_title=item.title if item else "",
        state=poll.state,
        deadline=_when(poll.deadline),
        sent_at=_when(poll.sent_at),
        closed_at=_when(poll.closed_at),
        generated_at=_when(utcnow()),
        result=result_of(session, poll, policy),
        needed=next((n for n in range(poll.total + 1) if policy.adopted_by_opinion(n, poll.total)), 0),
        answers=tuple(answers),
    )


class _Report(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(PAGE_H - 14)
        self.set_draw_color(*MUTED)
        self.set_line_width(0.15)
        self.line(LEFT, self.get_y(), PAGE_W - RIGHT, self.get_y())
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.set_xy(LEFT, PAGE_H - 12.5)
        self.cell(TEXT_W - 30, 4, self.footer_text)
        self.cell(30, 4, f"Trang {self.page_no()}/{{nb}}", align="R")


def _font(pdf: FPDF, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.set_text_color(*color)


def _para(pdf: FPDF, text: str, height: float, align: str = "L", indent: float = 0) -> None:
    pdf.set_x(LEFT + indent)
    pdf.multi_cell(TEXT_W - indent, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _texts(report: ReportPlan) -> str:
    parts = [report.question, report.code, report.item_title]
    for answer in report.answers:
        parts += [answer.name, answer.title, answer.comment]
    return "".join(parts) + "ỘỆỐẾỂỀ·–—…"


def render(report: ReportPlan) -> bytes:
    """The report as PDF bytes. FileNotFoundError when no DejaVu font is installed."""
    regular, bold = fonts_for(clean(_texts(report)))
    pdf = _Report(unit="mm", format="A4")
    pdf.footer_text = clean(f"Báo cáo tổng hợp ý kiến · Phiếu số {report.poll_id} · {report.code}")
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_title(clean(f"Báo cáo tổng hợp ý kiến – {report.code}"))
    pdf.set_creator("eCabinet")
    pdf.add_page()
    _heading(pdf, report)
    _tally(pdf, report)
    _answers(pdf, report)
    _silent(pdf, report)
    return bytes(pdf.output())


def _heading(pdf: FPDF, report: ReportPlan) -> None:
    letterhead(pdf, FONT, top=16, ruled=False)
    pdf.set_y(40)
    _font(pdf, 14.5, True, ACCENT)
    _para(pdf, "BÁO CÁO TỔNG HỢP Ý KIẾN THÀNH VIÊN CHÍNH PHỦ", 8, "C")
    _font(pdf, 10, color=MUTED)
    _para(pdf, f"Phiếu lấy ý kiến số {report.poll_id} · lập lúc {report.generated_at}", 5, "C")
    pdf.set_y(pdf.get_y() + 5)
    rows = [
        ("Đề án", clean(f"{report.code} – {report.item_title}")),
        ("Nội dung xin ý kiến", clean(report.question)),
        ("Thời hạn trả lời", report.deadline),
        ("Gửi lúc", report.sent_at or "Chưa gửi"),
        ("Trạng thái", STATE_TEXT.get(report.state, report.state)),
    ]
    if report.closed_at:
        rows.append(("Kết thúc lúc", report.closed_at))
    for label, value in rows:
        y = pdf.get_y()
        _font(pdf, 9.5, True, MUTED)
        pdf.set_xy(LEFT, y + 0.3)
        pdf.cell(42, 5, label)
        _font(pdf, 10.5)
        pdf.set_xy(LEFT + 42, y)
        pdf.multi_cell(TEXT_W - 42, 5.2, value or "–", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(pdf.get_y() + 1.2)


def _section(pdf: FPDF, title: str) -> None:
    if pdf.get_y() > PAGE_H - 50:
        pdf.add_page()
    pdf.set_y(pdf.get_y() + 5)
    _font(pdf, 12, True)
    _para(pdf, title, 6.5)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(LEFT, pdf.get_y() + 0.5, PAGE_W - RIGHT, pdf.get_y() + 0.5)
    pdf.set_y(pdf.get_y() + 3)


def _tally(pdf: FPDF, report: ReportPlan) -> None:
    _section(pdf, "I. KẾT QUẢ")
    result = report.result
    if result is None:
        _font(pdf, 10.5, color=MUTED)
        _para(pdf, "Chưa có kết quả: phiếu chưa kết thúc và chưa đến thời hạn trả lời.", 5.5)
        return
    total = int(str(result.get("total_membership", 0)))
    rows = [
        ("Đồng ý", result.get("agree", 0)),
        ("Không đồng ý", result.get("disagree", 0)),
        ("Ý kiến khác", result.get("other", 0)),
        ("Không trả lời", result.get("not_responded", 0)),
        ("Tổng số thành viên Chính phủ được lấy ý kiến", total),
    ]
    for label, value in rows:
        _font(pdf, 10.5)
        pdf.set_x(LEFT)
        pdf.cell(TEXT_W - 30, 6, label)
        _font(pdf, 10.5, True)
        pdf.cell(30, 6, str(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(pdf.get_y() + 3)
    adopted = bool(result.get("adopted"))
    _font(pdf, 12, True, ACCENT if adopted else INK)
    verdict = "ĐƯỢC THÔNG QUA" if adopted else "KHÔNG ĐƯỢC THÔNG QUA"
    _para(pdf, f"Kết luận: {verdict}", 6.5)
    _font(pdf, 9, color=MUTED)
    _para(
        pdf,
        "Quy tắc: được thông qua khi số thành viên đồng ý vượt quá một nửa tổng số thành viên Chính phủ "
        f"được lấy ý kiến (cần ít nhất {report.needed} trên {total}); thành viên không trả lời "
        "được tính là không đồng ý thông qua.",
        4.6,
    )


def _answers(pdf: FPDF, report: ReportPlan) -> None:
    _section(pdf, "II. Ý KIẾN CỦA TỪNG THÀNH VIÊN")
    answered = [a for a in report.answers if a.position is not None]
    if not answered:
        _font(pdf, 10.5, color=MUTED)
        _para(pdf, "Chưa có thành viên nào trả lời.", 5.5)
        return
    for number, answer in enumerate(answered, start=1):
        if pdf.get_y() > PAGE_H - 45:
            pdf.add_page()
        _font(pdf, 10.5, True)
        _para(pdf, clean(f"{number}. {answer.name} – {answer.title}"), 5.5)
        _font(pdf, 10, True, ACCENT if answer.position == "disagree" else INK)
        position = POSITION_TEXT.get(answer.position or "", answer.position or "")
        _para(pdf, f"{position} · {answer.when}", 5, indent=6)
        if answer.comment.strip():
            _font(pdf, 10)
            for paragraph in answer.comment.replace("\r", "").split("\n"):
                if paragraph.strip():
                    _para(pdf, clean(paragraph), 5, indent=6)
        pdf.set_y(pdf.get_y() + 2.5)


def _silent(pdf: FPDF, report: ReportPlan) -> None:
    _section(pdf, "III. THÀNH VIÊN CHƯA TRẢ LỜI")
    silent = [a for a in report.answers if a.position is None]
    _font(pdf, 10.5, color=MUTED if not silent else INK)
    if not silent:
        _para(pdf, "Tất cả thành viên được lấy ý kiến đã trả lời.", 5.5)
        return
    for number, answer in enumerate(silent, start=1):
        _para(pdf, clean(f"{number}. {answer.name} – {answer.title}"), 5.5)
