"""Labels for the codes the domain stores (kinds, states, roles), in Vietnamese and marked for translation.

Pages show these instead of the codes; `readable` does the same for the parameters of
domain messages, e.g. the document kinds still missing from a dossier.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agenda.text import N_
from meeting_app.i18n import gettext

LABELS: dict[str, dict[str, str]] = {
    "programme_kind": {
        "law": N_("Dự án luật"),
        "ordinance": N_("Dự án pháp lệnh"),
        "decree": N_("Nghị định"),
        "resolution": N_("Nghị quyết"),
        "report": N_("Báo cáo"),
        "scheme": N_("Đề án"),
        "other": N_("Khác"),
    },
    "programme_status": {
        "planned": N_("Dự kiến"),
        "submitted": N_("Đã gửi hồ sơ"),
        "ready": N_("Đủ hồ sơ"),
        "scheduled": N_("Đã xếp vào phiên họp"),
        "discussed": N_("Đã thảo luận"),
        "concluded": N_("Đã kết luận"),
        "postponed": N_("Xin lùi"),
        "withdrawn": N_("Rút khỏi chương trình"),
    },
    "document_kind": {
        "submission": N_("Tờ trình"),
        "draft": N_("Dự thảo"),
        "appraisal": N_("Báo cáo thẩm định"),
        "synthesis": N_("Báo cáo tổng hợp ý kiến"),
        "annex": N_("Phụ lục"),
        "other": N_("Tài liệu khác"),
    },
    "meeting_kind": {
        "regular": N_("Phiên họp thường kỳ"),
        "thematic": N_("Phiên họp chuyên đề xây dựng pháp luật"),
        "extraordinary": N_("Phiên họp bất thường"),
        "conference": N_("Hội nghị"),
    },
    "meeting_state": {
        "draft": N_("Bản nháp"),
        "published": N_("Đã công bố"),
        "in_progress": N_("Đang họp"),
        "adjourned": N_("Đã bế mạc"),
        "closed": N_("Đã kết thúc"),
    },
    "agenda_state": {
        "pending": N_("Chưa thảo luận"),
        "current": N_("Đang thảo luận"),
        "done": N_("Đã thảo luận"),
    },
    "role": {
        "admin": N_("Quản trị hệ thống"),
        "secretariat": N_("Thư ký (Văn phòng Chính phủ)"),
        "chair": N_("Chủ tọa"),
        "member": N_("Thành viên Chính phủ"),
        "assistant": N_("Bộ phận giúp việc"),
        "guest": N_("Khách mời"),
        "observer": N_("Quan sát viên"),
        "agency": N_("Cán bộ đầu mối"),
    },
    "outcome": {
        "adopted": N_("Thông qua"),
        "adopted_with_changes": N_("Thông qua có chỉnh sửa"),
        "deferred": N_("Hoãn xem xét"),
        "returned": N_("Trả lại để hoàn thiện"),
        "noted": N_("Ghi nhận"),
    },
    "postponement_status": {
        "pending": N_("Chờ xử lý"),
        "approved": N_("Đã chấp thuận"),
        "refused": N_("Không chấp thuận"),
    },
    # The four official states of a task (agenda/tasks/states.py) and a cancelled one.
    "task_state": {
        "on_time": N_("Hoàn thành đúng hạn"),
        "late": N_("Hoàn thành quá hạn"),
        "in_time": N_("Chưa hoàn thành, còn trong hạn"),
        "overdue": N_("Chưa hoàn thành, quá hạn"),
        "cancelled": N_("Đã hủy"),
    },
    "extension_status": {
        "pending": N_("Chờ xử lý"),
        "approved": N_("Đã chấp thuận"),
        "refused": N_("Không chấp thuận"),
    },
}


def label(group: str, code: str | None) -> str:
    """The label of `code` in `group`, in the viewer's language; the code itself when unknown."""
    if code is None:
        return ""
    found = LABELS.get(group, {}).get(code)
    return gettext(found) if found else code


def labels(group: str, codes: list[str]) -> str:
    return ", ".join(label(group, code) for code in codes)


def readable(params: Mapping[str, Any]) -> dict[str, Any]:
    """Message parameters with document-kind codes (`missing`, `kinds`) shown as labels."""
    shown = dict(params)
    for name in ("missing",):
        value = shown.get(name)
        if isinstance(value, list | tuple):
            shown[name] = labels("document_kind", [str(v) for v in value])
    return shown


def choices(group: str, codes: tuple[str, ...] | list[str] | None = None) -> list[tuple[str, str]]:
    """(code, translated label) pairs for a <select>, in the order given or the table's order."""
    return [(code, label(group, code)) for code in (codes if codes is not None else LABELS[group])]
