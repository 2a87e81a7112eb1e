"""What every browser test module shares: one Chromium per module, started after the module's
`server` fixture (which skips the module when Chromium is not installed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser_server import Served, chromium


@pytest.fixture(scope="module")
def browser(server: Served[Any]) -> Iterator[Any]:
    with chromium() as found:
        yield found
