"""Every event kind as a sentence in the viewer's language (the audit page, templates/minutes/
audit.html; issue 14, defect 7): "Nội dung 2. Đề án … được thêm vào chương trình" instead of
`agenda.changed action=added, agenda_item_id=1`. docs/events.md lists the kinds.

`SENTENCES` holds one marked template per kind (a kind whose meaning turns on a field, such as
`agenda.changed`'s action, has one per value: `kind.value`). `sentence()` fills it from the
payload: codes become their labels, ids become names (from `Names`, loaded by the page), times
become Vietnam time. A new event kind needs its sentence here; tests/test_event_sentences.py
fails until it has one in both languages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agenda.clock import to_local
from agenda.text import N_
from meeting_app.i18n import gettext, translate
from meeting_app.labels import label
from meeting_app.pages.live import ATTENDANCE_LABELS, OUTCOME_LABELS
from meeting_app.pages.opinion_polls import POSITION_LABELS as POLL_POSITIONS

# The signed records (docs/signatures.md), as record.signed and record.superseded name them.
RECORD_NAMES = {
    "minutes": N_("biên bản"),
    "resolution": N_("nghị quyết phiên họp"),
    "poll_report": N_("báo cáo tổng hợp ý kiến"),
    "vote_record": N_("biên bản kết quả biểu quyết"),
}
SEAL = N_("con dấu số của cơ quan")

# Kinds whose sentence already says the reason (no "Lý do: …" line after it).
REASON_IN_SENTENCE = ("postponement.requested", "poll.closed", "task.extension_requested")

SENTENCES: dict[str, str] = {
    "user.created": N_("Tạo tài khoản {username} ({roles})"),
    "user.updated": N_("Sửa tài khoản {user}: {changes}"),
    "auth.login": N_("{user} đăng nhập"),
    "auth.logout": N_("{user} đăng xuất"),
    "system.restored": N_("Khôi phục dữ liệu từ bản sao lưu ({events} sự kiện)"),
    "member.created": N_("Thêm thành viên {full_name} ({title})"),
    "member.updated": N_("Sửa thông tin thành viên {member}: {changes}"),
    "programme.item_created": N_("Thêm đề án {code} vào chương trình công tác: {title}"),
    "programme.item_updated": N_("Sửa đề án {programme_item}: {changes}"),
    "programme.status_changed": N_("Đề án {programme_item} chuyển từ “{old}” sang “{new}”"),
    "programme.imported": N_("Nhập {count} đề án từ tệp"),
    "postponement.requested": N_("Đề nghị lùi đề án {programme_item}: {reason}"),
    "postponement.decided.approved": N_("Chấp thuận lùi đề án {programme_item}"),
    "postponement.decided.refused": N_("Không chấp thuận lùi đề án {programme_item}"),
    "agency.created": N_("Thêm cơ quan {name} ({code}) vào danh mục"),
    "programme.submitted.on_time": N_("Nộp hồ sơ đề án {programme_item} đúng hạn"),
    "programme.submitted.late": N_("Nộp hồ sơ đề án {programme_item} chậm {days_late} ngày"),
    "task.created": N_("Giao nhiệm vụ {code}: {title}, hạn {due_on}"),
    "task.reported.progress": N_("Báo cáo tiến độ nhiệm vụ #{task_id}"),
    "task.reported.done": N_("Báo cáo hoàn thành nhiệm vụ #{task_id} ngày {completed_on}"),
    "task.extension_requested": N_("Đề nghị gia hạn nhiệm vụ #{task_id} đến {due_on}: {reason}"),
    "task.extension_decided.approved": N_("Chấp thuận gia hạn nhiệm vụ #{task_id} đến {due_on}"),
    "task.extension_decided.refused": N_("Không chấp thuận gia hạn nhiệm vụ #{task_id}"),
    "task.cancelled": N_("Hủy nhiệm vụ #{task_id}"),
    "offline.device_registered": N_("{user} đăng ký một thiết bị đọc ngoại tuyến (#{device_id})"),
    "offline.wipe_ordered.ordered": N_(
        "Ra lệnh xóa dữ liệu ngoại tuyến trên các thiết bị của {user} ({devices} thiết bị)"
    ),
    "offline.wipe_ordered.deactivated": N_(
        "Tài khoản {user} bị khóa: lệnh xóa dữ liệu ngoại tuyến trên {devices} thiết bị"
    ),
    "offline.device_wiped.ordered": N_(
        "Thiết bị #{device_id} của {user} đã nhận lệnh xóa dữ liệu ngoại tuyến"
    ),
    "offline.device_wiped.logout": N_(
        "Thiết bị #{device_id} của {user} đã xóa dữ liệu ngoại tuyến khi đăng xuất"
    ),
    "offline.device_wiped.deactivated": N_(
        "Thiết bị #{device_id} của {user} đã xóa dữ liệu ngoại tuyến vì tài khoản bị khóa"
    ),
    "signer.enrolled": N_("Cấp khóa ký và chứng thư số cho {signer}, SHA-256 {certificate}"),
    "record.signed": N_("Ký số {record} (phiên bản {version}, PAdES-{level}), chứng thư số {certificate}"),
    "record.superseded": N_("Lập phiên bản mới của {record} thay cho phiên bản {version}"),
    "meeting.created": N_("Tạo phiên họp “{title}” ({meeting_kind}), bắt đầu lúc {starts_at}"),
    "meeting.updated": N_("Sửa thông tin phiên họp: {changes}"),
    "meeting.published": N_("Công bố chương trình phiên họp (phiên bản {agenda_version}, {count} nội dung)"),
    "agenda.changed.added": N_("Nội dung {item} được thêm vào chương trình"),
    "agenda.changed.updated": N_("Sửa nội dung {item}: {changes}"),
    "agenda.changed.removed": N_("Nội dung {item} được gỡ khỏi chương trình"),
    "agenda.changed.reordered": N_("Sắp xếp lại thứ tự các nội dung của chương trình"),
    "document.added": N_(
        "Thêm tài liệu “{title}” ({doc_kind}, {pages} trang) vào hồ sơ đề án {programme_item}"
    ),
    "document.version_added": N_("Thêm bản {version} của tài liệu “{title}” ({pages} trang)"),
    "document.updated": N_("Tài liệu “{title}” của nội dung {item} có bản mới (bản {version})"),
    "copy.issued": N_("Cấp bản sao mã {code} cho {user}"),
    "copy.opened": N_("{user} mở bản sao được cấp"),
    "note.saved": N_("{user} lưu ghi chú ở trang {page}"),
    "note.deleted": N_("{user} xóa ghi chú ở trang {page}"),
    "annotation.created": N_("{user} đánh dấu hoặc ghi chú một đoạn văn ở trang {page} (bản {version})"),
    "annotation.changed": N_("{user} sửa một ghi chú trên tài liệu hoặc người được xem ghi chú đó"),
    "annotation.deleted": N_("{user} xóa một ghi chú trên tài liệu"),
    "annotation.reanchored": N_(
        "Chuyển ghi chú sang bản {to_version} của tài liệu: {carried} ghi chú tìm lại được đoạn văn, {orphaned} ghi chú không còn đoạn văn"  # noqa: E501
    ),
    "meeting.started": N_("Khai mạc phiên họp lúc {started_at}"),
    "meeting.adjourned": N_("Bế mạc phiên họp lúc {adjourned_at}"),
    "attendance.changed": N_("Điểm danh {member}: {status}"),
    "quorum.changed.quorate": N_("Đủ số thành viên dự họp: {present}/{total} (cần {required})"),
    "quorum.changed.short": N_("Chưa đủ số thành viên dự họp: {present}/{total} (cần {required})"),
    "agenda.advanced": N_("Chuyển sang nội dung {to_item}"),
    "item.outcome": N_("Kết luận nội dung {item}: {outcome}"),
    "item.outcome.consent": N_("Nội dung {item} được thông qua không thảo luận: {outcome}"),
    "speaker.requested": N_("{name} đăng ký phát biểu về nội dung {item}"),
    "speaker.started": N_("Bắt đầu một lượt phát biểu về nội dung {item}"),
    "speaker.stopped": N_("Kết thúc một lượt phát biểu về nội dung {item} ({seconds} giây)"),
    "speaker.withdrawn": N_("Rút đăng ký phát biểu về nội dung {item}"),
    "vote.created.secret": N_("Chuẩn bị biểu quyết kín về nội dung {item}: {question}"),
    "vote.created.named": N_("Chuẩn bị biểu quyết công khai về nội dung {item}: {question}"),
    "vote.opened": N_("Bắt đầu biểu quyết “{vote}” ({eligible} thành viên được biểu quyết)"),
    "vote.progress": N_("Đã bỏ phiếu {cast}/{eligible} trong biểu quyết “{vote}”"),
    "vote.closed": N_(
        "Kết thúc biểu quyết “{vote}”: tán thành {yes}, không tán thành {no}, không biểu quyết {abstain}. {verdict}"  # noqa: E501
    ),
    "minutes.drafted": N_("Lập dự thảo biên bản"),
    "minutes.edited": N_("Sửa biên bản: {fields}"),
    "minutes.finalized": N_("Chốt biên bản lúc {finalized_at}"),
    "poll.created": N_("Tạo phiếu lấy ý kiến về đề án {programme_item}: {question}"),
    "poll.sent": N_("Gửi phiếu lấy ý kiến tới {total} thành viên, hạn trả lời {deadline}"),
    "poll.answered": N_("{member} trả lời phiếu lấy ý kiến: {position} ({responded}/{total} đã trả lời)"),
    "poll.closed": N_("Kết thúc phiếu lấy ý kiến về đề án {programme_item}. {verdict}"),
    "notification.created": N_("Gửi thông báo cho {user}"),
    "notification.read": N_("{user} đã đọc thông báo"),
    "notification.digested": N_("Gửi thư tổng hợp các thay đổi cho {user}"),
    "position.stated": N_("{member} ghi ý kiến trước phiên họp về nội dung {item}: {position}"),
    "consent.left": N_("Nội dung {item} ra khỏi nhóm thông qua không thảo luận vì {member} phản đối"),
}
# Sentences added after the main one when the payload carries the field.
REASON = N_("Lý do: {reason}")
OVERRIDE = N_("Xếp vào chương trình khi hồ sơ chưa đủ")
SUBSTITUTE = N_("Người dự thay: {name}")
ADOPTED = N_("Được thông qua")
REJECTED = N_("Không được thông qua")
PRE_SESSION = {
    "no_objection": N_("Không phản đối"),
    "object": N_("Phản đối"),
    "wish_to_speak": N_("Đăng ký phát biểu"),
}
# The names of the fields a change can touch, for "changed: title, minutes".
FIELDS = {
    "title": N_("tên"),
    "minutes": N_("thời lượng"),
    "presenter": N_("người trình bày"),
    "restricted_member_ids": N_("thành phần được xem"),
    "consent": N_("nhóm thông qua không thảo luận"),
    "programme_item_id": N_("đề án"),
    "starts_at": N_("thời gian"),
    "duration_minutes": N_("thời lượng"),
    "place": N_("địa điểm"),
    "chair_member_id": N_("chủ tọa"),
    "invitee_member_ids": N_("thành phần dự họp"),
    "guest_user_ids": N_("khách mời"),
    "kind": N_("loại"),
    "code": N_("mã"),
    "lead_agency": N_("cơ quan chủ trì"),
    "planned_month": N_("tháng dự kiến trình"),
    "full_name": N_("họ tên"),
    "roles": N_("vai trò"),
    "member_id": N_("thành viên liên kết"),
    "language": N_("ngôn ngữ"),
    "active": N_("trạng thái hoạt động"),
    "agency": N_("cơ quan"),
    "precedence": N_("thứ tự"),
    "votes": N_("quyền biểu quyết"),
    "email": N_("thư điện tử"),
    "opening": N_("phần khai mạc"),
    "items": N_("nội dung"),
    "closing": N_("phần bế mạc"),
}


@dataclass(frozen=True)
class Names:
    """What the ids in a payload stand for, loaded by the page: agenda items as "2. Title",
    members, users, votes (their question) and programme items (their code)."""

    items: Mapping[int, str] = field(default_factory=dict)
    members: Mapping[int, str] = field(default_factory=dict)
    users: Mapping[int, str] = field(default_factory=dict)
    votes: Mapping[int, str] = field(default_factory=dict)
    programme_items: Mapping[int, str] = field(default_factory=dict)


def _named(found: Mapping[int, str], value: Any) -> str:
    return found.get(value, f"#{value}") if isinstance(value, int) else "—"


def _time(value: Any) -> str:
    try:
        return to_local(datetime.fromisoformat(str(value).replace("Z", "+00:00"))).strftime("%H:%M %d/%m/%Y")
    except ValueError:
        return str(value)


def _changes(value: Any) -> str:
    names = list(value) if isinstance(value, dict | list) else []
    shown = [gettext(FIELDS[n]) if n in FIELDS else n.replace("_", " ") for n in names]
    return ", ".join(dict.fromkeys(shown)) or "—"


def _coded(labels: Mapping[str, str]) -> Callable[[Any], str]:
    return lambda code: gettext(labels[code]) if code in labels else str(code)


def _verdict(result: Any) -> str:
    adopted = isinstance(result, dict) and bool(result.get("adopted"))
    return gettext(ADOPTED if adopted else REJECTED)


def variant(kind: str, data: Mapping[str, Any]) -> str:
    """The key in SENTENCES for this payload."""
    if kind == "agenda.changed":
        return f"{kind}.{data.get('action')}"
    if kind == "postponement.decided":
        return f"{kind}.{'approved' if data.get('approved') else 'refused'}"
    if kind == "programme.submitted":
        return f"{kind}.{'late' if data.get('late') else 'on_time'}"
    if kind == "task.reported":
        return f"{kind}.{'done' if data.get('done') else 'progress'}"
    if kind == "task.extension_decided":
        return f"{kind}.{'approved' if data.get('approved') else 'refused'}"
    if kind == "quorum.changed":
        return f"{kind}.{'quorate' if data.get('quorate') else 'short'}"
    if kind == "item.outcome" and data.get("consent"):
        return "item.outcome.consent"
    if kind == "offline.device_wiped" and data.get("logout"):
        return f"{kind}.logout"
    if kind in ("offline.wipe_ordered", "offline.device_wiped"):
        return f"{kind}.{'deactivated' if data.get('deactivated') else 'ordered'}"
    if kind == "vote.created":
        return f"{kind}.{'secret' if data.get('secret') else 'named'}"
    return kind


def params(data: Mapping[str, Any], names: Names) -> dict[str, Any]:
    """The payload's values as a reader should see them."""
    shown: dict[str, Any] = {
        k: " ".join(str(v).split())[:120] for k, v in data.items() if not isinstance(v, dict | list)
    }
    result = data.get("result")
    shown.update(
        item=_named(names.items, data.get("agenda_item_id")),
        to_item=_named(names.items, data.get("to_item_id")),
        member=_named(names.members, data.get("member_id")),
        user=_named(names.users, data.get("user_id")),
        vote=names.votes.get(data["vote_id"], f"#{data['vote_id']}")
        if isinstance(data.get("vote_id"), int)
        else "",
        programme_item=_named(names.programme_items, data.get("programme_item_id")),
        changes=_changes(data.get("changes")),
        fields=_changes(data.get("fields")),
        roles=", ".join(label("role", r) for r in data.get("roles") or []) or "—",
        count=data.get("count", len(data.get("agenda_item_ids") or [])),
        verdict=_verdict(result),
        **{choice: (result or {}).get(choice, 0) for choice in ("yes", "no", "abstain")},
    )
    if "record" in data:
        code = str(data["record"])
        shown["record"] = gettext(RECORD_NAMES[code]) if code in RECORD_NAMES else shown["record"]
    if "certificate_sha256" in data:
        shown["certificate"] = str(data["certificate_sha256"])[:16] + "…"
    if "identity_kind" in data:
        shown["signer"] = gettext(SEAL) if data["identity_kind"] == "seal" else shown["user"]
    for name in ("started_at", "adjourned_at", "finalized_at", "starts_at", "deadline"):
        if name in data:
            shown[name] = _time(data[name])
    if "meeting_kind" in data:
        shown["meeting_kind"] = label("meeting_kind", data["meeting_kind"])
    if "doc_kind" in data:
        shown["doc_kind"] = label("document_kind", data["doc_kind"])
    for name in ("old", "new"):
        if name in data:
            shown[name] = label("programme_status", data[name])
    coders = {
        "outcome": _coded(OUTCOME_LABELS),
        "status": _coded(ATTENDANCE_LABELS),
        "position": _coded({**POLL_POSITIONS, **PRE_SESSION}),
    }
    for name, coder in coders.items():
        if name in data:
            shown[name] = coder(data[name])
    return shown


def sentence(kind: str, data: Mapping[str, Any], names: Names | None = None) -> str:
    """`kind` with `data` as a sentence in the current language; the kind itself when unknown."""
    template = SENTENCES.get(variant(kind, data))
    if template is None:
        return kind
    values = params(data, names or Names())
    lines = [translate(template, values)]
    if data.get("readiness_override"):
        lines.append(gettext(OVERRIDE))
    if data.get("substitute_name"):
        lines.append(translate(SUBSTITUTE, {"name": data["substitute_name"]}))
    if data.get("reason") and kind not in REASON_IN_SENTENCE:
        lines.append(translate(REASON, {"reason": values["reason"]}))
    return ". ".join(line.rstrip(".") for line in lines) + "."
