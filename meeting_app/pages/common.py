"""What every page shares: rendering with flash messages, safe redirects and reading form fields.

A successful form post redirects (303) to a page with `?ok=<code>`; the code maps to a
translated message here, so nothing the user typed is ever echoed from the URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from agenda.errors import DomainError
from agenda.text import N_
from meeting_app.api.common import MAX_ID
from meeting_app.errors import status_of
from meeting_app.i18n import gettext, translate
from meeting_app.labels import choices, label, labels, readable
from meeting_app.templating import render

FLASH: dict[str, str] = {
    "created": N_("Đã tạo thành công."),
    "saved": N_("Đã lưu thay đổi."),
    "status": N_("Đã chuyển trạng thái đề án."),
    "requested": N_("Đã gửi đề nghị xin lùi."),
    "approved": N_("Đã chấp thuận đề nghị xin lùi."),
    "refused": N_("Đã từ chối đề nghị xin lùi."),
    "imported": N_("Đã nhập {count} đề án vào chương trình công tác."),
    "added": N_("Đã thêm nội dung vào chương trình phiên họp."),
    "moved": N_("Đã đổi thứ tự chương trình."),
    "removed": N_("Đã gỡ nội dung khỏi chương trình phiên họp."),
    "published": N_("Đã công bố chương trình phiên họp."),
    "language": N_("Đã đổi ngôn ngữ."),
    "uploaded": N_("Đã tải lên tài liệu."),
    "version_added": N_("Đã tải lên phiên bản mới của tài liệu."),
    "finalized": N_("Đã chốt biên bản; phiên họp đã kết thúc."),
    "poll_sent": N_("Đã gửi phiếu lấy ý kiến đến các thành viên Chính phủ."),
    "poll_closed": N_("Đã kết thúc phiếu lấy ý kiến và tổng hợp kết quả."),
    "poll_reminded": N_("Đã nhắc {count} thành viên chưa trả lời."),
    "answered": N_("Đã ghi nhận ý kiến của bạn."),
    "all_read": N_("Đã đánh dấu tất cả thông báo là đã đọc."),
    "submitted": N_("Đã nộp hồ sơ đề án."),
    "task_created": N_("Đã giao nhiệm vụ."),
    "tasks_created": N_("Đã giao {count} nhiệm vụ."),
    "task_reported": N_("Đã gửi báo cáo kết quả."),
    "task_cancelled": N_("Đã hủy nhiệm vụ."),
    "extension_requested": N_("Đã gửi đề nghị gia hạn."),
    "extension_approved": N_("Đã chấp thuận gia hạn."),
    "extension_refused": N_("Đã từ chối đề nghị gia hạn."),
    "signed": N_("Đã ký số văn bản."),
    "wipe_ordered": N_(
        "Đã ra lệnh xóa dữ liệu ngoại tuyến trên {count} thiết bị; mỗi thiết bị sẽ xóa khi kết nối lại."
    ),
}

INVALID_FIELDS = N_("Vui lòng kiểm tra lại: {names}.")


def flash_message(request: Request) -> str | None:
    code = request.query_params.get("ok", "")
    message = FLASH.get(code)
    if message is None:
        return None
    count = request.query_params.get("n", "")
    return translate(message, {"count": int(count) if count.isdigit() and len(count) < 7 else 0})


def here(request: Request) -> str:
    """Where the language switch returns to: this page without its flash, or for a re-rendered
    form (a POST answer) the page the form was on."""
    if request.method != "GET":
        referer = urlsplit(request.headers.get("referer", ""))
        if referer.netloc != request.url.netloc:
            return "/"
        return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in ("ok", "n")])
    return safe_next(request.url.path + (f"?{query}" if query else ""))


def page(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the shared helpers: labels, the flash message and the error box."""
    data: dict[str, Any] = {
        "label": label,
        "labels": labels,
        "choices": choices,
        "flash": flash_message(request),
        "here": here(request),
        "error": None,
        "error_rows": [],
        "invalid": [],
    }
    data.update(context or {})
    return render(request, name, data, status_code=status_code)


def done(url: str, code: str, **params: int) -> RedirectResponse:
    """Post/Redirect/Get: go to `url` with a flash code."""
    url, hash_mark, fragment = url.partition("#")
    extra = "".join(f"&{name}={value}" for name, value in params.items())
    joiner = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{joiner}ok={code}{extra}{hash_mark}{fragment}", status_code=303)


def safe_next(value: object, default: str = "/") -> str:
    """A same-site relative path to go back to, or `default` for anything else."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return default
    if value.startswith(("//", "/\\")) or any(ord(c) < 32 or c == "\\" for c in value):
        return default
    return value


def explain(exc: DomainError, fields: dict[str, str] | None = None) -> str:
    """The message for a failed form, naming the bad fields by their (translated) labels."""
    if exc.code == "invalid_fields" and fields is not None:
        names = sorted({str(f["field"]).split(".")[0] for f in exc.params.get("fields", [])})
        shown = [gettext(fields[n]) if n in fields else n for n in names]
        return translate(INVALID_FIELDS, {"names": shown})
    return translate(exc.message, readable(exc.params))


def bad_fields(exc: DomainError, by_code: Mapping[str, str] | None = None) -> list[str]:
    """The form fields a refusal names: those of a validation error, or the one its code is
    about (`by_code`: error code → field). Templates mark them `aria-invalid`."""
    if exc.code == "invalid_fields":
        return sorted({str(f["field"]).split(".")[0] for f in exc.params.get("fields", [])})
    found = (by_code or {}).get(exc.code)
    return [found] if found else []


def failed(
    request: Request,
    name: str,
    context: dict[str, Any],
    exc: DomainError,
    fields: dict[str, str] | None = None,
    by_code: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Re-render a form after a domain error, with the message and the status it deserves."""
    context = {"invalid": bad_fields(exc, by_code), **context, "error": explain(exc, fields)}
    rows = getattr(exc, "rows", None)
    if rows:
        context["error_rows"] = [{"line": line, "message": translate(m, p)} for line, m, p in rows]
    return page(request, name, context, status_code=status_of(exc))


# --- form fields --------------------------------------------------------------------------------


def text(form: FormData, name: str, *, limit: int = 5000) -> str:
    value = form.get(name)
    return value.replace("\x00", "").strip()[:limit] if isinstance(value, str) else ""


def present(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    """The named fields that were sent, stripped, empty ones included (so "required" can fail)."""
    return {name: text(form, name) for name in names if isinstance(form.get(name), str)}


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("1", "on", "true", "yes")


def ident_list(form: FormData, name: str, *, limit: int = 500) -> list[int]:
    """Checkbox ids: digits only, in range; anything else is dropped as noise."""
    found: list[int] = []
    for value in form.getlist(name)[:limit]:
        if isinstance(value, str) and value.isdigit() and len(value) < 11 and 0 < int(value) <= MAX_ID:
            found.append(int(value))
    return found


def ident_field(form: FormData, name: str) -> int | str | None:
    """A select's id: an int in range, the raw text when it is not one (so validation names it)."""
    value = text(form, name, limit=40)
    if not value:
        return None
    if value.isdigit() and len(value) < 11 and 0 < int(value) <= MAX_ID:
        return int(value)
    return "invalid"


def values_of(form: FormData) -> dict[str, Any]:
    """The text fields of a form, to fill the form back in after an error (never passwords)."""
    found: dict[str, Any] = {}
    for key in form:
        if key in ("csrf_token", "password") or not isinstance(form.get(key), str):
            continue
        many = [v for v in form.getlist(key) if isinstance(v, str)]
        found[key] = many if len(many) > 1 else (many[0][:5000] if many else "")
    return found
