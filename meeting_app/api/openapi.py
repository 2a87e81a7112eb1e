"""The OpenAPI 3.1 document, generated from the app's routes and served at /api/v1/openapi.json.

See docs/api.md "The OpenAPI document". Paths, methods and path parameters (with their types,
from the routes' converters) come from `app.routes`; the summary, the roles, the body and the
responses come from the `@operation` on each endpoint (meeting_app/api/spec.py). Every model
lands once in `components/schemas`, through pydantic's `models_json_schema`.

Why not a library: Starlette's `SchemaGenerator` reads YAML from docstrings, which would be a
second, hand-written copy of what the pydantic models already say (and it drops the converters
that type the path parameters); spectree and apispec's plugins validate requests themselves or
are built around marshmallow, while this app already validates bodies (meeting_app/inputs.py)
and answers errors in one shape (meeting_app/errors.py). What is left to write is this walk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaValue, models_json_schema
from starlette.convertors import Convertor, FloatConvertor, IntegerConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from meeting_app.api.common import reply
from meeting_app.api.schemas import Error
from meeting_app.api.spec import JSON, Multipart, Operation, operation, operation_of

REF = "#/components/schemas/{model}"
TYPES: dict[type, str] = {int: "integer", str: "string", bool: "boolean", float: "number"}
Mode = Literal["validation", "serialization"]


@dataclass(frozen=True)
class Endpoint:
    path: str
    method: str
    convertors: dict[str, Convertor[Any]]
    function: Callable[..., Any]
    operation: Operation


def endpoints(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[Endpoint]:
    """Every (path, method) of `routes` whose endpoint carries an `@operation`, mounts included."""
    for route in routes:
        if isinstance(route, Mount):
            yield from endpoints(route.routes, prefix + route.path)
        elif isinstance(route, Route) and route.include_in_schema:
            found = operation_of(route.endpoint)
            if found is None:
                continue
            for method in sorted(route.methods or ()):
                if method != "HEAD":  # Starlette adds HEAD to every GET
                    yield Endpoint(
                        prefix + route.path_format, method, route.param_convertors, route.endpoint, found
                    )


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    def kind(convertor: Convertor[Any]) -> str:
        if isinstance(convertor, IntegerConvertor):
            return "integer"
        return "number" if isinstance(convertor, FloatConvertor) else "string"

    found: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": kind(convertor)}}
        for name, convertor in endpoint.convertors.items()
    ]
    found += [
        {"name": name, "in": "query", "required": False, "schema": {"type": TYPES[python]}}
        for name, python in endpoint.operation.query.items()
    ]
    found += [
        {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
        for name in endpoint.operation.headers
    ]
    return found


def _models(found: list[Endpoint]) -> list[tuple[type[BaseModel], Mode]]:
    """Every model the document names: bodies as they are read, responses as they are written."""
    models: list[tuple[type[BaseModel], Mode]] = [(Error, "serialization")]
    for endpoint in found:
        op = endpoint.operation
        if isinstance(op.body, type):
            models.append((op.body, "validation"))
        models += [(model, "serialization") for model in op.responses.values() if isinstance(model, type)]
    return list(dict.fromkeys(models))


class Document:
    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.found = list(endpoints(routes))
        refs, definitions = models_json_schema(_models(self.found), ref_template=REF)
        self.refs: dict[tuple[Any, Mode], JsonSchemaValue] = dict(refs)
        self.schemas: dict[str, Any] = definitions.get("$defs", {})

    def content(self, answer: type[BaseModel] | str, mode: Mode = "serialization") -> dict[str, Any]:
        if isinstance(answer, str):
            schema = {} if answer == JSON else {"type": "string", "format": "binary"}
            return {answer: {"schema": schema}}
        return {"application/json": {"schema": self.refs[(answer, mode)]}}

    def operation(self, endpoint: Endpoint) -> dict[str, Any]:
        op = endpoint.operation
        module = endpoint.function.__module__.rsplit(".", 1)[-1]
        notes = [f"Who: {op.who}.", op.description]
        if endpoint.method != "GET":
            notes.append("State changes need the X-CSRF-Token header.")
        responses: dict[str, Any] = {}
        for status, answer in sorted(op.responses.items()):
            responses[str(status)] = {"description": HTTPStatus(status).phrase}
            if answer is not None:
                responses[str(status)]["content"] = self.content(answer)
        responses["4XX"] = {"description": "Error", "content": self.content(Error)}
        found: dict[str, Any] = {
            "summary": op.summary,
            "description": " ".join(note for note in notes if note),
            "operationId": f"{module}.{endpoint.function.__name__}",
            "tags": [module],
            "responses": responses,
        }
        parameters = _parameters(endpoint)
        if parameters:
            found["parameters"] = parameters
        if isinstance(op.body, Multipart):
            properties: dict[str, Any] = {"file": {"type": "string", "format": "binary"}}
            properties.update({name: {"type": "string"} for name in op.body.fields})
            schema = {"type": "object", "properties": properties}
            found["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
        elif op.body is not None:
            found["requestBody"] = {"required": True, "content": self.content(op.body, "validation")}
        return found

    def as_dict(self) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        for endpoint in self.found:
            paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = self.operation(endpoint)
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "eCabinet API",
                "version": "1",
                "description": "See docs/api.md and shared API.md.",
            },
            "components": {
                "schemas": self.schemas,
                "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "ecab_session"}},
            },
            "security": [{"session": []}],
            "paths": paths,
        }


def spec(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    return Document(routes).as_dict()


@operation("This document", who="anyone")
async def openapi(request: Request) -> Response:
    return reply(spec(request.app.routes))
