"""`run.py serve`'s process tuning (meeting_app/serving.py): the serving loop's thread limit,
set before the app starts, and the collector frozen after start-up. Apps built by `create_app`
alone, as everywhere else in this suite, keep anyio's and the collector's defaults."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from anyio.to_thread import current_default_thread_limiter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from meeting_app.serving import GC_THRESHOLDS, Serving, served_app


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as this process had it, put back after the test."""
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


async def tokens() -> float:
    return current_default_thread_limiter().total_tokens


def loop_tokens(client: TestClient) -> float:
    """The thread limit of the event loop that runs the client's app."""
    assert client.portal is not None
    return client.portal.call(tokens)


def test_the_limit_is_set_before_start_up_and_the_collector_frozen_after(collector: None) -> None:
    seen: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        seen["tokens"] = await tokens()
        seen["frozen"] = gc.get_freeze_count()
        yield

    async def threads(request: Request) -> JSONResponse:
        return JSONResponse({"tokens": await tokens()})

    app = Starlette(routes=[Route("/threads", threads)], lifespan=lifespan)
    with TestClient(Serving(app, db_threads=3)) as client:
        assert seen == {"tokens": 3, "frozen": 0}  # the app starts with the limit, not yet frozen
        assert client.get("/threads").json() == {"tokens": 3}
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == GC_THRESHOLDS


def test_a_bare_app_keeps_the_defaults(collector: None) -> None:
    with TestClient(Starlette()) as client:
        assert loop_tokens(client) == 40  # anyio's default
        assert gc.get_freeze_count() == 0


def test_the_served_app_runs_with_the_settings_limit(
    collector: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DB_THREADS", "5")
    with TestClient(served_app()) as client:
        assert client.get("/healthz").text == "ok"
        assert loop_tokens(client) == 5
        assert gc.get_freeze_count() > 0
