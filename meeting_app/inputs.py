"""Reading request bodies safely: JSON into pydantic models, forms with field and size limits.

Every way a body can be wrong ends as a DomainError with a clear message: 400 for malformed
input, 413 when too large, 415 for the wrong content type.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from agenda.errors import InvalidInput
from agenda.text import N_
from meeting_app.errors import TooLarge, UnsupportedType

M = TypeVar("M", bound=BaseModel)

MAX_FORM_FIELDS = 1000
MAX_FIELD_BYTES = 256 * 1024


def content_type(request: Request) -> str:
    return media_type(request.headers.get("content-type", ""))


def media_type(header: str) -> str:
    """The media type of a Content-Type header, without its parameters."""
    return header.split(";")[0].strip().lower()


async def read_json(request: Request, model: type[M]) -> M:
    """The body as `model`: a JSON object with exactly the model's fields and types."""
    if content_type(request) != "application/json":
        raise UnsupportedType(expected="application/json")
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: [[[[...]]]]
        raise InvalidInput(N_("Dữ liệu JSON không hợp lệ."), code="malformed_json") from exc
    if not isinstance(data, dict):
        raise InvalidInput(N_("Dữ liệu JSON phải là một đối tượng."), code="malformed_json")
    return validate(model, data, from_json=raw)


def _nul_fields(data: Any) -> list[str]:
    """Where NUL characters hide in `data`; PostgreSQL cannot store them, so no engine gets them.

    Iterative, so a deeply nested body cannot exhaust the stack.
    """
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                found.append(path or "(body)")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if "\x00" in str(key):
                    found.append(name)
                else:
                    stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return sorted(found)


def validate(model: type[M], data: dict[str, Any], *, from_json: bytes | None = None) -> M:
    """Validate strictly for JSON; leniently (strings to numbers) for form fields."""
    with_nul = _nul_fields(data)[:20]
    if with_nul:
        raise InvalidInput(
            N_("Dữ liệu không hợp lệ ở các trường: {names}."),
            code="invalid_fields",
            names=", ".join(with_nul),
            fields=[{"field": name, "problem": "nul_character"} for name in with_nul],
        )
    try:
        if from_json is not None:
            return model.model_validate_json(from_json)
        return model.model_validate(data, strict=False)
    except ValidationError as exc:
        fields = [
            {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "problem": err["type"]}
            for err in exc.errors()[:20]
        ]
        names = ", ".join(sorted({f["field"] for f in fields}))
        raise InvalidInput(
            N_("Dữ liệu không hợp lệ ở các trường: {names}."),
            code="invalid_fields",
            names=names,
            fields=fields,
        ) from exc


async def read_form(request: Request, *, upload_mb: int | None = None) -> FormData:
    kind = content_type(request)
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise UnsupportedType(expected="application/x-www-form-urlencoded, multipart/form-data")
    try:
        return await request.form(
            max_files=1 if upload_mb else 0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FIELD_BYTES
        )
    except (MultiPartException, HTTPException) as exc:
        problem = exc.message if isinstance(exc, MultiPartException) else str(exc.detail)
        if "exceeded maximum size" in problem:  # Starlette's words for a field or part over the cap
            raise TooLarge(limit=f"{MAX_FIELD_BYTES // 1024} KB") from exc
        raise InvalidInput(
            N_("Biểu mẫu gửi lên không hợp lệ: quá nhiều trường hoặc trường quá lớn."), code="bad_form"
        ) from exc


def form_fields(form: FormData, names: tuple[str, ...]) -> dict[str, Any]:
    """The named text fields that are present and non-empty, stripped."""
    found: dict[str, Any] = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            found[name] = value.strip()
    return found
