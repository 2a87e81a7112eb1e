"""The tasks a conclusion gave, drawn under it in the minutes and the session resolution
(agenda/record/minutes_pdf.py). See docs/minutes.md "Tasks".

Plain data in (an item of minutes.view(), with `tasks` and `restricted_tasks` from
agenda/record/record_tasks.py): a table of code, title, lead agency and due date, and the
restricted ones by count only ("n nhiệm vụ mật"). Runs in the PDF process pool: no database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fpdf import FPDF

from agenda.pdf.letterhead import LEFT, MUTED
from agenda.record.page import _para, _table, clean

HEADING = "Nhiệm vụ giao:"
COLUMNS = ("Mã", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn")
WIDTHS = (34, 60, 44, 27)


def due(value: object) -> str:
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return clean(value)


def restricted_line(count: int) -> str:
    return f"{count} nhiệm vụ mật (không nêu nội dung)."


def draw_tasks(pdf: FPDF, item: dict[str, Any], *, indent: float = 5.0) -> None:
    """The item's tasks, if it gave any."""
    tasks = item.get("tasks") or []
    secret = int(item.get("restricted_tasks") or 0)
    if not tasks and not secret:
        return
    _para(pdf, HEADING, bold=True, indent=indent, align="L")
    if tasks:
        rows = [
            [clean(t.get("code")), clean(t.get("title")), clean(t.get("lead_agency")), due(t.get("due_on"))]
            for t in tasks
        ]
        pdf.set_x(LEFT + indent)
        _table(pdf, WIDTHS, COLUMNS, rows, ("LEFT", "LEFT", "LEFT", "CENTER"))
    if secret:
        _para(pdf, restricted_line(secret), size=9.5, indent=indent, color=MUTED, align="L")
