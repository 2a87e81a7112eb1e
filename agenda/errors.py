"""Domain errors. meeting_app/errors.py maps each one to an HTTP status in one place.

Every error carries a stable snake_case `code`, a Vietnamese message template (the source
language, translated by the web layer) and the parameters to format it with.
"""

from __future__ import annotations

from typing import Any

from agenda.text import N_


class DomainError(Exception):
    code = "error"
    message = N_("Yêu cầu không hợp lệ.")

    def __init__(self, message: str | None = None, /, *, code: str | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.params = params
        super().__init__(self.code)


class NotFound(DomainError):
    """The object does not exist, or the viewer may not know it exists (404)."""

    code = "not_found"
    message = N_("Không tìm thấy.")


class Forbidden(DomainError):
    """The viewer knows the object but may not do this (403)."""

    code = "forbidden"
    message = N_("Bạn không có quyền thực hiện thao tác này.")


class WrongState(DomainError):
    """The object is in a state that does not allow this (409)."""

    code = "wrong_state"
    message = N_("Thao tác không phù hợp với trạng thái hiện tại.")


class Conflict(DomainError):
    """A uniqueness rule would break (409)."""

    code = "conflict"
    message = N_("Dữ liệu bị trùng.")


class RuleBroken(DomainError):
    """Well-formed input that breaks a business rule (422)."""

    code = "rule_broken"
    message = N_("Dữ liệu không hợp lệ.")


class BadPdf(RuleBroken):
    """An uploaded file that is not a PDF we can safely keep and serve (422); `code` says why."""

    code = "bad_pdf"
    message = N_("Tệp PDF không hợp lệ.")


class InvalidInput(DomainError):
    """Malformed input (400)."""

    code = "invalid_input"
    message = N_("Dữ liệu gửi lên không đúng định dạng.")


class Unavailable(DomainError):
    """The server cannot do this right now; the same request may work later (503)."""

    code = "unavailable"
    message = N_("Máy chủ tạm thời chưa thực hiện được yêu cầu; xin thử lại sau.")


class RateLimited(DomainError):
    """Too many attempts (429)."""

    code = "rate_limited"
    message = N_("Quá nhiều lần thử. Vui lòng thử lại sau ít phút.")


class ImportFailed(RuleBroken):
    """A CSV import with line-numbered errors; nothing was imported (422)."""

    code = "import_failed"
    message = N_("Tệp nhập có lỗi; không có dòng nào được nhập.")

    def __init__(self, rows: list[tuple[int, str, dict[str, Any]]]) -> None:
        super().__init__()
        self.rows = rows
