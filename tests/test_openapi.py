"""GET /api/v1/openapi.json describes every JSON route of the app (OpenAPI 3.1)."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from meeting_app.api.openapi import ENDPOINTS
from tests.test_permissions import api_routes

METHODS = {"get", "post", "put", "patch", "delete"}


def test_the_document_has_the_31_shape(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert isinstance(spec["paths"], dict) and spec["paths"]
    for path, operations in spec["paths"].items():
        assert path.startswith("/api/v1/"), path
        assert operations and set(operations) <= METHODS, path
        for method, operation in operations.items():
            assert operation["summary"], (method, path)
            assert operation["responses"], (method, path)
            for status in operation["responses"]:
                assert re.fullmatch(r"[1-5](\d\d|XX)|default", status), status
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)
            body = operation.get("requestBody")
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
    assert routes - documented == set(), "routes missing from openapi.json"
    assert documented - routes == set(), "openapi.json documents routes that do not exist"


def test_json_bodies_are_described_by_their_models(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    create = spec["paths"]["/api/v1/programme-items"]["post"]["requestBody"]["content"]["application/json"]
    properties = create["schema"]["properties"]
    assert set(properties) == {"code", "title", "kind", "lead_agency", "planned_month"}
    imported = spec["paths"]["/api/v1/programme-items/import"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in imported


def test_endpoints_table_has_no_duplicates() -> None:
    seen = [(method, path) for method, path, *_ in ENDPOINTS]
    assert len(seen) == len(set(seen))
