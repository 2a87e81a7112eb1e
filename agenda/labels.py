"""Words the printed papers share: the kinds of meeting, and a time as Vietnamese papers write it.

Used by the briefing book (agenda/books/) and the minutes (agenda/record/minutes_pdf.py).
"""

from __future__ import annotations

from datetime import datetime

from agenda.clock import to_local

MEETING_KIND_LABELS = {
    "regular": "Phiên họp Chính phủ thường kỳ",
    "thematic": "Phiên họp Chính phủ chuyên đề xây dựng pháp luật",
    "extraordinary": "Phiên họp Chính phủ bất thường",
    "conference": "Hội nghị Chính phủ",
}


WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def local_when(value: datetime) -> str:
    """The time as the book prints it, e.g. "08:30, thứ Năm, ngày 03/12/2026" (Vietnamese time)."""
    local = to_local(value)
    return f"{local:%H:%M}, {WEEKDAYS[local.weekday()]}, ngày {local:%d/%m/%Y}"
