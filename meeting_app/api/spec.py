"""What an endpoint says about itself for the OpenAPI document (docs/api.md "The OpenAPI document").

Each JSON endpoint is decorated where it is defined:

    @operation("A vote", who="invited users", responses={200: VoteView})
    async def get_vote(request: Request) -> Response: ...

The path, the methods and the path parameters are not written here: meeting_app/api/openapi.py
reads them from the app's routes. Request and response bodies are pydantic models, whose JSON
Schemas become `components/schemas`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

F = TypeVar("F", bound=Callable[..., Any])
_ATTRIBUTE = "__openapi_operation__"

JSON = "application/json"  # a JSON answer that no model describes (yet)
PDF = "application/pdf"


@dataclass(frozen=True)
class Multipart:
    """A multipart/form-data body: a `file` and these text fields."""

    fields: tuple[str, ...] = ()


# A response: a model (JSON), a media type (JSON without a model, or a file such as PDF), or
# None (no body, as for 204).
Reply = type[BaseModel] | str | None


@dataclass(frozen=True)
class Operation:
    summary: str
    who: str
    body: type[BaseModel] | Multipart | None = None
    responses: Mapping[int, Reply] = field(default_factory=lambda: {200: JSON})
    query: Mapping[str, type] = field(default_factory=dict)
    headers: tuple[str, ...] = ()  # required request headers, such as Idempotency-Key
    description: str = ""


def operation(
    summary: str,
    *,
    who: str,
    body: type[BaseModel] | Multipart | None = None,
    responses: Mapping[int, Reply] | None = None,
    query: Mapping[str, type] | None = None,
    headers: tuple[str, ...] = (),
    description: str = "",
) -> Callable[[F], F]:
    """Attach the OpenAPI description of an endpoint to it; the function itself is unchanged."""
    found = Operation(
        summary=summary,
        who=who,
        body=body,
        responses=dict(responses) if responses is not None else {200: JSON},
        query=dict(query or {}),
        headers=headers,
        description=description,
    )

    def attach(endpoint: F) -> F:
        setattr(endpoint, _ATTRIBUTE, found)
        return endpoint

    return attach


def operation_of(endpoint: Callable[..., Any]) -> Operation | None:
    found = getattr(endpoint, _ATTRIBUTE, None)
    return found if isinstance(found, Operation) else None
