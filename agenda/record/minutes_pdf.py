"""The minutes and the draft session resolution as PDFs. See docs/minutes.md.

Drawn with fpdf2 in Vietnamese (the official record), in the style of the briefing book, under
the letterhead they share (agenda/pdf/letterhead.py): the national motto, black type, one dark
red accent. The page, its footer and the drawing helpers are agenda/record/page.py. Input is
the JSON view of the minutes (agenda/record/minutes.py `view`), already narrowed for the reader,
so a restricted item outside the reader's audience is only ever drawn as a placeholder. Plain
data in, bytes out: it runs in the PDF process pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fpdf import FPDF

from agenda.pdf import signature_block
from agenda.pdf.letterhead import ACCENT, LEFT, MUTED
from agenda.record.page import (
    BOTTOM,
    FONT,
    _gap,
    _heading,
    _label,
    _masthead,
    _new,
    _para,
    _table,
    _title,
    clean,
    duration,
    hash_line,
    when,
)
from agenda.record.tasks_pdf import draw_tasks

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


# --- the page -----------------------------------------------------------------------------------


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
    override = item.get("override")
    if override:
        _label(pdf, "Ghi đè kết quả biểu quyết, lý do", clean(override.get("reason"), lines=True), indent=5)
    conclusion = clean(item.get("conclusion"), lines=True)
    if conclusion:
        _label(pdf, "Kết luận của chủ tọa", conclusion, indent=5)
    draw_tasks(pdf, item)


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
    """The secretary's column on the left and the chair's on the right (the minutes' signers)."""
    name = clean(chair.get("full_name")) if chair else ""
    signature_block.draw(pdf, [("THƯ KÝ PHIÊN HỌP", ""), ("CHỦ TỌA", name)], font=FONT)


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
    signing = bool(doc.get("for_signing"))
    heading = "Nghị quyết phiên họp" if signing else "Dự thảo nghị quyết phiên họp"
    pdf = _new(doc, f"{heading} – {meeting.get('title', '')}", _texts(doc), draft=not signing)
    pdf.add_page()
    _masthead(pdf, "Số:        /NQ-CP")
    _title(pdf, doc, "NGHỊ QUYẾT PHIÊN HỌP", "" if signing else "DỰ THẢO")
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
        draw_tasks(pdf, item)
        _gap(pdf, 2)
    _gap(pdf, 3)
    _para(pdf, f"{hash_line(doc.get('last_event') or {})} (SHA-256).", size=9, align="L", color=MUTED)
    chair = meeting.get("chair")
    name = clean(chair.get("full_name")) if chair else ""
    signature_block.draw(pdf, [("TM. CHÍNH PHỦ", name)], font=FONT)
    return bytes(pdf.output())
