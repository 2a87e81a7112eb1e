"""Nothing undocumented: every event kind is in docs/events.md, every API route in docs/api.md,
every WebSocket close code in docs/live.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.routing import Route

from agenda.log import event_kinds  # noqa: F401  (registers every kind)
from agenda.log.events import REGISTRY
from meeting_app.app import create_app
from meeting_app.close_codes import CloseCode
from tests.conftest import settings_for

DOCS = Path(__file__).resolve().parent.parent / "docs"


def read(name: str) -> str:
    path = DOCS / name
    assert path.exists(), f"docs/{name} is missing"
    return path.read_text("utf-8")


def test_registry_is_not_empty() -> None:
    assert len(REGISTRY) >= 15
    for kind, cls in REGISTRY.items():
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", kind), kind
        assert cls.__doc__ and cls.__doc__.strip()


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_event_kind_is_documented(kind: str) -> None:
    assert f"`{kind}`" in read("events.md"), f"event kind {kind} is not in docs/events.md"


@pytest.mark.parametrize("code", list(CloseCode), ids=lambda code: code.name)
def test_every_close_code_is_documented(code: CloseCode) -> None:
    text = read("live.md")
    assert "`meeting_app/close_codes.py`" in text
    assert f"| {int(code)} | `{code.name}` |" in text, f"close code {code.name} is not in docs/live.md"


def app_routes(tmp_path: Path) -> set[tuple[str, str]]:
    app = create_app(settings_for(tmp_path))
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/v1"):
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method, route.path.replace(":int}", "}")))
    return found


def test_every_api_route_is_documented(tmp_path: Path) -> None:
    text = read("api.md")
    routes = app_routes(tmp_path)
    missing = []
    for method, path in sorted(routes):
        pattern = rf"\|\s*[A-Z, ]*\b{method}\b[A-Z, ]*\s*\|\s*`?{re.escape(path)}`?\s*\|"
        if not re.search(pattern, text):
            missing.append(f"{method} {path}")
    assert missing == [], "routes missing from docs/api.md"
