"""GET /api/v1/openapi.json describes every JSON route of the app (OpenAPI 3.1), generated from
the routes and the `@operation` on each endpoint (docs/api.md "The OpenAPI document")."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from meeting_app.api.openapi import spec
from meeting_app.api.spec import PDF, Multipart, operation, operation_of
from tests.test_permissions import api_routes

METHODS = {"get", "post", "put", "patch", "delete"}


def test_the_document_has_the_31_shape(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    spec = response.json()
    validate(spec)  # the OpenAPI 3.1 meta-schema, and every $ref resolves
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert isinstance(spec["paths"], dict) and spec["paths"]
    for path, operations in spec["paths"].items():
        assert path.startswith("/api/v1/"), path
        assert operations and set(operations) <= METHODS, path
        for method, op in operations.items():
            assert op["summary"], (method, path)
            assert op["description"].startswith("Who: "), (method, path)
            assert op["responses"], (method, path)
            for status in op["responses"]:
                assert re.fullmatch(r"[1-5](\d\d|XX)|default", status), status
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)
            body = op.get("requestBody")
            if body is not None:
                assert body["content"], (method, path)
                for media in body["content"].values():
                    assert isinstance(media["schema"], dict)
    schemes = spec["components"]["securitySchemes"]
    assert schemes["session"]["in"] == "cookie"


def test_every_api_route_and_method_is_in_the_document(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    routes = api_routes(client)
    assert routes, "no /api/v1 routes found"
    assert routes - documented == set(), "routes missing from openapi.json: give them an @operation"
    assert documented - routes == set(), "openapi.json documents routes that do not exist"


def test_every_api_endpoint_describes_itself(client: TestClient) -> None:
    undescribed = [
        route.path
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route)
        and route.path.startswith("/api/v1")
        and operation_of(route.endpoint) is None
    ]
    assert undescribed == [], "endpoints without @operation (meeting_app/api/spec.py)"


def test_operations_are_named_once(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_json_bodies_are_described_by_their_models(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    create = spec["paths"]["/api/v1/programme-items"]["post"]["requestBody"]["content"]["application/json"]
    assert create["schema"] == {"$ref": "#/components/schemas/ProgrammeItemCreate"}
    properties = spec["components"]["schemas"]["ProgrammeItemCreate"]["properties"]
    assert set(properties) == {"code", "title", "kind", "lead_agency", "planned_month"}
    imported = spec["paths"]["/api/v1/programme-items/import"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in imported


def _answer(spec: dict[str, Any], method: str, path: str, status: str = "200") -> dict[str, Any]:
    found: dict[str, Any] = spec["paths"][path][method]["responses"][status]["content"]
    return found


def test_tablet_answers_are_described_by_their_models(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    schema = _answer(spec, "get", "/api/v1/votes/{id}")["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/VoteView"}
    vote = spec["components"]["schemas"]["VoteView"]
    assert {"id", "state", "eligible", "cast", "my_choice"} <= set(vote["properties"])
    assert vote["additionalProperties"] is False
    assert "application/pdf" in _answer(spec, "get", "/api/v1/documents/{id}/versions/{n}/file")
    assert "content" not in spec["paths"]["/api/v1/speakers/{id}"]["delete"]["responses"]["204"]
    ballot = spec["paths"]["/api/v1/votes/{id}/ballots"]["post"]["parameters"]
    assert {
        "name": "Idempotency-Key",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
    } in ballot
    copy = spec["paths"]["/api/v1/copies/{code}"]["get"]["parameters"]
    assert copy == [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}]


class Thing(BaseModel):
    name: str


@operation("One thing", who="anyone", responses={200: Thing, 206: PDF})
async def get_thing(request: Request) -> Response:
    return JSONResponse({"name": "x"})


@operation("Add a file", who="staff", body=Multipart(("title",)), query={"dry": bool})
async def add_file(request: Request) -> Response:
    return JSONResponse({})


async def undescribed(request: Request) -> Response:
    return JSONResponse({})


def test_a_tiny_app_is_described_from_its_routes() -> None:
    app = Starlette(
        routes=[
            Mount(
                "/v2",
                routes=[
                    Route("/things/{id:int}", get_thing),
                    Route("/files/{slug}", add_file, methods=["POST"]),
                ],
            ),
            Route("/plain", undescribed),
        ]
    )
    document = spec(app.routes)
    validate(document)
    assert set(document["paths"]) == {"/v2/things/{id}", "/v2/files/{slug}"}
    thing = document["paths"]["/v2/things/{id}"]["get"]
    assert thing["parameters"][0]["schema"] == {"type": "integer"}
    assert thing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Thing")
    assert "Thing" in document["components"]["schemas"]
    upload = document["paths"]["/v2/files/{slug}"]["post"]
    assert upload["parameters"] == [
        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "dry", "in": "query", "required": False, "schema": {"type": "boolean"}},
    ]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(form["properties"]) == {"file", "title"}
    assert "X-CSRF-Token" in upload["description"]
