"""A closed vote's result record (biên bản kết quả biểu quyết) as a PDF, for the organisation's
seal. See docs/signatures.md "Vote records".

One or two A4 pages in the minutes' style (agenda/record/page.py): the meeting and the agenda
item, the question, the rule applied with its numbers, the electorate, the times, the totals,
each member's choice for a named vote (a secret vote: totals only), the result, the hash of the
`vote.closed` event (also in every page's footer), and one signature column where the seal goes.
Plain data in (agenda/record/vote_records.py `document`), bytes out: it runs in the PDF pool.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

from agenda.pdf import signature_block
from agenda.pdf.letterhead import MUTED
from agenda.record.minutes_pdf import CHOICES, RESTRICTED, _names, _texts
from agenda.record.page import (
    FONT,
    _heading,
    _label,
    _masthead,
    _new,
    _para,
    _table,
    _title,
    clean,
    when,
)

HEADING = "BIÊN BẢN KẾT QUẢ BIỂU QUYẾT"
SEAL_COLUMN = "XÁC THỰC CỦA CƠ QUAN"
NOT_VOTED = "Không bỏ phiếu"


def _fraction(value: Any) -> str:
    """[numerator, denominator] as the rule reads it: "một nửa (1/2)", "2/3"."""
    numerator, denominator = value if value else (0, 1)
    return "một nửa (1/2)" if (numerator, denominator) == (1, 2) else f"{numerator}/{denominator}"


def _rule(pdf: FPDF, doc: dict[str, Any]) -> None:
    rule = doc.get("rule") or {}
    total = rule.get("total_membership", 0)
    quorum = (
        f"có mặt (tại phòng họp hoặc trực tuyến) ít nhất {_fraction(rule.get('quorum_fraction'))} tổng số "
        f"thành viên Chính phủ: {rule.get('quorum_required', 0)} trên {total}"
    )
    present = doc.get("quorum")
    if present:
        quorum += f"; khi mở biểu quyết có mặt {present.get('present', 0)}"
    _label(pdf, "Điều kiện biểu quyết", f"{quorum}.")
    _label(
        pdf,
        "Thông qua khi",
        f"số phiếu tán thành vượt quá {_fraction(rule.get('decision_fraction'))} tổng số thành viên "
        f"Chính phủ, không phải số có mặt: ít nhất {rule.get('yes_needed', 0)} phiếu tán thành trên {total}.",
    )
    each = rule.get("tie_each")
    if each:
        tie = f"({each} – {each}): bên có ý kiến của chủ tọa được chọn."
        if doc.get("secret"):
            tie += " Biểu quyết kín không cho biết ý kiến của chủ tọa: quy tắc này không được áp dụng."
        _label(pdf, "Số phiếu ngang nhau", tie)


def _electorate(pdf: FPDF, doc: dict[str, Any]) -> None:
    """Who could vote (the voting members present when it opened): with each one's choice for a
    named vote, names only for a secret one."""
    people = doc.get("electorate") or []
    if not people:
        _para(pdf, "Không có thành viên Chính phủ nào có quyền biểu quyết.", align="L")
        return
    head = f"Thành viên Chính phủ có quyền biểu quyết ({len(people)})"
    if doc.get("secret"):
        rows = [[str(n), clean(p.get("full_name"))] for n, p in enumerate(people, start=1)]
        _table(pdf, (12, 148), ("STT", head), rows, ("CENTER", "LEFT"))
        return
    ballots = doc.get("ballots") or []
    choices = {b.get("member_id"): CHOICES.get(str(b.get("choice")), str(b.get("choice"))) for b in ballots}
    rows = [
        [str(n), clean(p.get("full_name")), choices.get(p.get("member_id"), NOT_VOTED)]
        for n, p in enumerate(people, start=1)
    ]
    _table(pdf, (12, 100, 48), ("STT", head, "Lựa chọn"), rows, ("CENTER", "LEFT", "LEFT"))


def _result(pdf: FPDF, doc: dict[str, Any]) -> None:
    result = doc.get("result") or {}
    eligible, cast = int(doc.get("eligible") or 0), int(doc.get("cast") or 0)
    counts = [result.get("yes", 0), result.get("no", 0), result.get("abstain", 0), max(0, eligible - cast)]
    head = ("Tán thành", "Không tán thành", "Không biểu quyết", NOT_VOTED)
    _table(pdf, (40, 40, 40, 40), head, [[str(c) for c in counts]], ("CENTER",) * 4)
    if doc.get("secret"):
        _para(
            pdf,
            "Biểu quyết kín: chỉ công bố tổng số phiếu, không ghi lựa chọn của từng thành viên.",
            size=9.5,
        )
    total = (doc.get("rule") or {}).get("total_membership", result.get("total_membership", 0))
    verdict = "THÔNG QUA" if result.get("adopted") else "KHÔNG THÔNG QUA"
    reason = f"{result.get('yes', 0)} phiếu tán thành trên tổng số {total} thành viên Chính phủ"
    if result.get("tie_broken_by_chair"):
        reason = "số phiếu ngang nhau; theo bên có ý kiến của chủ tọa"
    _label(pdf, "Kết quả", f"{verdict} ({reason}).")


def _times(opened: str | None, closed: str | None) -> str:
    """ "mở 09:10, kết thúc 09:12, thứ Ba, ngày 08/12/2026" (the date once when it is the same)."""
    start, end = when(opened), when(closed)
    if start[5:] == end[5:] and start != "—":
        return f"mở {start[:5]}, kết thúc {end}"
    return f"mở {start}; kết thúc {end}"


def render(doc: dict[str, Any]) -> bytes:
    """The vote's result record; `doc` is vote_records.document() (with `sealed_by`)."""
    meeting, item = doc["meeting"], doc["item"]
    pdf = _new(doc, f"Biên bản kết quả biểu quyết – {meeting.get('title', '')}", _texts(doc), draft=False)
    pdf.add_page()
    _masthead(pdf, "Số:        /BB-BQ")
    _title(pdf, {"record": {"meeting": meeting}}, HEADING, "")

    _heading(pdf, "I. NỘI DUNG BIỂU QUYẾT")
    place = f", {clean(meeting.get('place'))}" if clean(meeting.get("place")) else ""
    _label(pdf, "Phiên họp", when(meeting.get("started_at") or meeting.get("starts_at")) + place)
    if meeting.get("chair"):
        _label(pdf, "Chủ tọa", ", ".join(_names([meeting["chair"]])))
    title = clean(item.get("title")) or RESTRICTED
    code = f" ({clean(item.get('code'))})" if clean(item.get("code")) else ""
    restricted = " (nội dung hạn chế)" if item.get("restricted") else ""
    _label(pdf, "Nội dung", f"{item.get('position', '')}. {title}{code}{restricted}")
    kind = "biểu quyết kín" if doc.get("secret") else "biểu quyết công khai, ghi danh"
    _label(pdf, "Câu hỏi", f"{clean(doc.get('question'))} ({kind})")
    _label(pdf, "Thời gian", _times(doc.get("opened_at"), doc.get("closed_at")))

    _heading(pdf, "II. QUY TẮC ÁP DỤNG")
    _rule(pdf, doc)

    _heading(pdf, "III. KẾT QUẢ BIỂU QUYẾT")
    _electorate(pdf, doc)
    _result(pdf, doc)

    event = doc.get("close_event") or {}
    by = clean(doc.get("sealed_by"))
    sealed = f", ký số bằng chứng thư số của {by}" if by else ""
    _para(
        pdf,
        f"Sự kiện kết thúc biểu quyết: số {event.get('seq', 0)}, mã băm SHA-256 {event.get('hash', '')}. "
        f"Biên bản do hệ thống lập khi kết thúc biểu quyết{sealed}.",
        size=8,
        align="L",
        color=MUTED,
    )
    signature_block.draw(pdf, [(SEAL_COLUMN, "")], font=FONT)
    return bytes(pdf.output())
