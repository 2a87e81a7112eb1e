"""The monthly report as a PDF: fpdf2 in Vietnamese, under the record's letterhead and page
(agenda/record/page.py). Plain data in (agenda/monitoring/report.py `build_report`), bytes out:
it runs in the PDF process pool. See docs/monitoring.md "The monthly report".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from agenda.pdf.letterhead import MUTED
from agenda.record.page import _gap, _heading, _label, _masthead, _new, _para, _table, clean

RESTRICTED_LINE = "{n} nhiệm vụ mật quá hạn (không nêu tên)."


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}".replace(".", ",") + "%"


def _day(value: str | None) -> str:
    return "—" if not value else date.fromisoformat(value).strftime("%d/%m/%Y")


def _texts(doc: dict[str, Any]) -> list[str]:
    found: list[str] = [doc["title"]]
    for row in doc["figures"]["agencies"]:
        found.append(str(row["agency"]))
    for task in doc["overdue"]["items"]:
        found += [str(task["title"]), str(task["lead_agency"]), str(task["code"])]
    for item in doc["not_submitted"]:
        found += [str(item["title"]), str(item["lead_agency"]), str(item["code"])]
    return [clean(t) for t in found]


def render_report(doc: dict[str, Any]) -> bytes:
    """The report for `doc` = build_report(...)."""
    month = doc["month"]
    label = f"{month[5:7]}/{month[:4]}"
    pdf = _new({"last_event": {}}, doc["title"], _texts(doc), draft=False)
    pdf.footer_text = clean(f"Báo cáo tháng {label}, số liệu tính đến ngày {_day(doc['as_of'])}")
    pdf.add_page()
    _masthead(pdf, "Số:        /BC-VPCP")
    _para(pdf, "BÁO CÁO", size=16, bold=True, align="C", height=8)
    _para(
        pdf,
        f"Tình hình thực hiện nhiệm vụ và chương trình công tác tháng {label}",
        size=12.5,
        bold=True,
        align="C",
        height=6.2,
    )
    _para(pdf, f"Số liệu tính đến ngày {_day(doc['as_of'])}", size=10, align="C", color=MUTED)
    _gap(pdf, 4)

    totals = doc["figures"]["totals"]
    tasks, programme = totals["tasks"], totals["programme"]
    _heading(pdf, "I. TÌNH HÌNH THỰC HIỆN NHIỆM VỤ")
    _label(pdf, "Số nhiệm vụ đến hạn trong tháng", str(tasks["due"]))
    _label(pdf, "Hoàn thành đúng hạn", str(tasks["on_time"]))
    _label(pdf, "Hoàn thành quá hạn", str(tasks["late"]))
    _label(pdf, "Chưa hoàn thành, còn trong hạn", str(tasks["in_time"]))
    _label(pdf, "Chưa hoàn thành, quá hạn", str(tasks["overdue"]))
    _label(pdf, "Tỷ lệ hoàn thành đúng hạn", _percent(totals["on_time_rate"]))
    _label(pdf, "Tỷ lệ hoàn thành trên số đến hạn", _percent(totals["completion_rate"]))

    _heading(pdf, "II. TÌNH HÌNH THỰC HIỆN CHƯƠNG TRÌNH CÔNG TÁC")
    _label(pdf, "Số đề án trong chương trình tháng", str(programme["planned"]))
    _label(pdf, "Đã trình đúng hạn", str(programme["submitted_on_time"]))
    _label(pdf, "Đã trình muộn", str(programme["submitted_late"]))
    _label(pdf, "Chưa trình", str(programme["not_submitted"]))
    _label(pdf, "Xin lùi", str(programme["postponed"]))
    _label(pdf, "Rút khỏi chương trình", str(programme["withdrawn"]))

    _heading(pdf, "III. SỐ LIỆU THEO CƠ QUAN CHỦ TRÌ")
    rows = [
        [
            str(n),
            clean(r["agency"]) or "—",
            str(r["tasks"]["due"]),
            str(r["tasks"]["on_time"]),
            str(r["tasks"]["late"]),
            str(r["tasks"]["in_time"]),
            str(r["tasks"]["overdue"]),
            str(r["programme"]["planned"]),
            str(r["programme"]["not_submitted"]),
        ]
        for n, r in enumerate(doc["figures"]["agencies"], start=1)
    ]
    rows.append(
        [
            "",
            "Cộng",
            *(str(tasks[k]) for k in ("due", "on_time", "late", "in_time", "overdue")),
            str(programme["planned"]),
            str(programme["not_submitted"]),
        ]
    )
    _table(
        pdf,
        (11, 45, 15, 16, 16, 16, 15, 15, 16),
        (
            "STT",
            "Cơ quan",
            "Đến hạn",
            "HT đúng hạn",
            "HT quá hạn",
            "Còn hạn",
            "Quá hạn",
            "Đề án",
            "Chưa trình",
        ),
        rows,
        ("CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
    )
    _para(
        pdf,
        "HT: hoàn thành. Nhiệm vụ đến hạn trong tháng; đề án trong chương trình tháng.",
        size=9,
        color=MUTED,
    )

    _heading(pdf, "IV. NHIỆM VỤ CHƯA HOÀN THÀNH, QUÁ HẠN")
    overdue = doc["overdue"]
    if overdue["items"]:
        _table(
            pdf,
            (11, 30, 60, 40, 24),
            ("STT", "Mã", "Nhiệm vụ", "Cơ quan chủ trì", "Hạn xử lý"),
            [
                [str(n), clean(t["code"]), clean(t["title"]), clean(t["lead_agency"]), _day(t["due_on"])]
                for n, t in enumerate(overdue["items"], start=1)
            ],
            ("CENTER", "LEFT", "LEFT", "LEFT", "CENTER"),
        )
    elif not overdue["restricted"]:
        _para(pdf, "Không có nhiệm vụ quá hạn.", color=MUTED)
    if overdue["restricted"]:
        _para(pdf, RESTRICTED_LINE.format(n=overdue["restricted"]), color=MUTED)

    _heading(pdf, "V. ĐỀ ÁN CHƯA TRÌNH")
    if doc["not_submitted"]:
        _table(
            pdf,
            (11, 28, 80, 46),
            ("STT", "Mã", "Đề án", "Cơ quan chủ trì"),
            [
                [str(n), clean(i["code"]), clean(i["title"]), clean(i["lead_agency"])]
                for n, i in enumerate(doc["not_submitted"], start=1)
            ],
            ("CENTER", "LEFT", "LEFT", "LEFT"),
        )
    else:
        _para(pdf, "Không có đề án chưa trình.", color=MUTED)
    return bytes(pdf.output())
