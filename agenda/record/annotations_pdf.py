"""The PDF summary of a reader's own annotations for a meeting (docs/annotations.md "Export"):
fpdf2 in DejaVu Sans under the record's page (agenda/record/page.py). Plain data in
(agenda/record/annotation_export.py `plan`), bytes out: it runs in the PDF pool.

Per paper: each annotation's quote, page and version, its note, and whether it is still
anchored or orphaned (its passage gone from the new version).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agenda.pdf.letterhead import ACCENT, MUTED
from agenda.record.page import _gap, _heading, _new, _para, clean, when

KIND_LABELS = {"highlight": "Đánh dấu", "note": "Ghi chú"}
ORPHANED = "đoạn văn không còn trong bản mới"
NOTHING = "Chưa có ghi chú hay đánh dấu nào trên tài liệu của phiên họp này."


def _texts(doc: dict[str, Any]) -> list[str]:
    found = [str(doc["meeting"]["title"]), str(doc["author"])]
    for paper in doc["papers"]:
        found += [str(paper["title"]), str(paper["item"])]
        for a in paper["annotations"]:
            found += [str(a["exact"]), str(a["text"])]
    return found


def render(doc: dict[str, Any]) -> bytes:
    """The summary for `doc` = plan(...)."""
    meeting = doc["meeting"]
    pdf = _new({}, f"Ghi chú của {doc['author']} – {meeting['title']}", _texts(doc), draft=False)
    made = datetime.fromisoformat(doc["made_at"])
    pdf.footer_text = clean(f"Ghi chú cá nhân của {doc['author']}, lập lúc {when(made.isoformat())}")
    pdf.add_page()
    _para(pdf, "GHI CHÚ TRÊN TÀI LIỆU PHIÊN HỌP", size=15, bold=True, align="C", height=8)
    _para(pdf, clean(meeting["title"]), size=12, bold=True, align="C", height=6.2)
    _para(pdf, clean(f"{when(meeting['starts_at'])} · {doc['author']}"), size=10, align="C", color=MUTED)
    _gap(pdf, 4)
    if not doc["papers"]:
        _para(pdf, NOTHING, align="L")
    for paper in doc["papers"]:
        _heading(pdf, clean(paper["title"]))
        _para(pdf, clean(f"Nội dung: {paper['item']}"), size=9.5, color=MUTED, align="L")
        _gap(pdf, 1.5)
        for a in paper["annotations"]:
            state = f" · {ORPHANED}" if a["state"] == "orphaned" else ""
            label = f"{KIND_LABELS.get(a['kind'], a['kind'])} · trang {a['page']} (bản {a['version']}){state}"
            _para(pdf, clean(label), size=9.5, bold=True, align="L", color=ACCENT if state else MUTED)
            _para(pdf, clean(f"“{a['exact']}”"), size=10.5, indent=4, align="L")
            if a["text"]:
                _para(pdf, clean(a["text"], lines=True), size=10.5, indent=4, align="L")
            _gap(pdf, 2.5)
    return bytes(pdf.output())
