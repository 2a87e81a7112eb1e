"""What every browser test module shares: one Chromium per test process, started by the first
browser module (after its `server` fixture, which skips the module when Chromium is not
installed) and kept for the browser modules that follow; each test makes its own contexts,
and the contexts a module leaves open are closed with it.

It is closed as soon as the next test is not a browser test, or at the end: while Playwright's
sync API is running, its event loop is the thread's running loop, and `asyncio.run` (which other
tests call) refuses to start.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_server import Served, SharedChromium

HERE = Path(__file__).resolve().parent
SHARED = SharedChromium()


@pytest.fixture(scope="module")
def browser(server: Served[Any]) -> Iterator[Any]:
    found = SHARED.get()
    yield found
    # What the module left open (a live page polling its server) ends with it, as it did when
    # each module had its own Chromium.
    for context in list(found.contexts):
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Closed after the teardown of the fixtures (the contexts they hold are closed by then)."""
    try:
        return (yield)
    finally:
        if nextitem is None or HERE not in Path(nextitem.path).resolve().parents:
            SHARED.close()
