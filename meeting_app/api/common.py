"""Small helpers shared by the JSON routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from agenda.errors import NotFound

MAX_ID = 2**31 - 1


def ident(request: Request, name: str = "id") -> int:
    """A path id; one that no row can have is simply not found."""
    value = request.path_params[name]
    if not isinstance(value, int) or value < 1 or value > MAX_ID:
        raise NotFound()
    return value


def reply(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status_code, headers={"Cache-Control": "no-store"})


def listing(items: list[Any]) -> JSONResponse:
    return reply({"items": items})
