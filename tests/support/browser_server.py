"""What every browser test needs: Debian's Chromium with the required flags, and the app served
by a real uvicorn process on a free port (so the WebSocket fast path and the PDF pool are real)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest

from agenda.db import Database
from tests.support import clicks

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(data_dir: Path) -> Iterator[str]:
    """Serve the app on DATA_DIR=`data_dir` until the block ends; yields its base URL."""
    port = free_port()
    code = (
        "import uvicorn; from meeting_app.app import create_app; "
        f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning')"
    )
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((data_dir / "server.log").read_text()) from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


S = TypeVar("S")


@dataclass(frozen=True)
class Served(Generic[S]):
    """A real server on a DATA_DIR seeded for one browser test module."""

    url: str
    seeded: S


@contextmanager
def seeded_server(
    tmp_path_factory: pytest.TempPathFactory, name: str, seed: Callable[[Path], S], *, reader: bool = False
) -> Iterator[Served[S]]:
    """Skipped without Chromium (and, for a module that opens the reader, without pdf.js);
    otherwise a new DATA_DIR, `seed(data_dir)`, and the app served on it until the block ends."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    if reader:
        from meeting_app import vendor

        if vendor.pdfjs_version() is None:
            pytest.skip("pdf.js is not installed (make node-deps)")
    data_dir = tmp_path_factory.mktemp(name)
    seeded = seed(data_dir)
    with running_server(data_dir) as url:
        yield Served(url=url, seeded=seeded)


class SharedChromium:
    """One headless Chromium (Playwright) for the browser modules that run one after another in
    a test process: launching it costs about two seconds, a new context a fraction of that.
    `get()` launches it when none runs; `close()` ends it (tests/browser/conftest.py calls it
    before the first test that is not a browser test, and at the end)."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Any = None

    def get(self) -> Any:
        if self._browser is None or not self._browser.is_connected():
            self.close()
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
        return self._browser

    def close(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        try:
            if browser is not None:
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()


# The demo and the migrated schema, each made once per test process (one per xdist worker) in the
# session's temp folder, then copied into each DATA_DIR that starts from them: seeding the demo
# (its papers drawn, its accounts hashed) costs seconds, a copy of its folder milliseconds.
_templates: dict[str, Path] = {}


def _template(name: str, near: Path, make: Callable[[Path], None]) -> Path:
    """The folder of template `name`, made by `make(folder)` beside `near` on first use."""
    found = _templates.get(name)
    if found is None or not (found / "ecabinet.sqlite3").exists():
        found = near.parent / f"template-{name}"
        if found.exists():
            shutil.rmtree(found)
        found.mkdir()
        make(found)
        _templates[name] = found
    return found


def _migrate(data_dir: Path) -> None:
    from agenda.db import make_engine, sqlite_url
    from agenda.migrate import upgrade

    engine = make_engine(sqlite_url(data_dir), pool_size=0)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _seed_demo(data_dir: Path) -> None:
    from agenda.demo import demo
    from agenda.policy import Policy

    shutil.copytree(_template("migrated", data_dir, _migrate), data_dir, dirs_exist_ok=True)
    with _open(data_dir) as db:
        db.write_sync(lambda s: demo.seed_demo(session=s, data_dir=data_dir, policy=Policy()))


@contextmanager
def _open(data_dir: Path) -> Iterator[Database]:
    from agenda.db import make_engine, sqlite_url

    engine = make_engine(sqlite_url(data_dir), pool_size=0)
    try:
        yield Database(engine)
    finally:
        engine.dispose()


@contextmanager
def migrated_database(data_dir: Path) -> Iterator[Database]:
    """A migrated, empty SQLite database in `data_dir` (a copy of this process's template), open
    until the block ends, for the seeds of the browser tests."""
    shutil.copytree(_template("migrated", data_dir, _migrate), data_dir, dirs_exist_ok=True)
    with _open(data_dir) as db:
        yield db


@contextmanager
def demo_database(data_dir: Path) -> Iterator[Database]:
    """A migrated SQLite database in `data_dir` holding the demo (`run.py serve --demo`'s seed),
    open until the block ends, for seeds that build on the demo. The demo's database and papers
    are seeded once per test process and copied here."""
    shutil.copytree(_template("demo", data_dir, _seed_demo), data_dir, dirs_exist_ok=True)
    with _open(data_dir) as db:
        yield db


def new_context(browser: Any, **options: Any) -> Any:
    """A browser context whose clicks are recorded (tests/support/clicks.py): every test makes its
    contexts here, so that the click coverage sees them."""
    context = browser.new_context(**options)
    clicks.install(context)
    return context


class BrowserScreen:
    """One browser context (a tablet, the console, the room display) that records console errors
    and page errors, and logs in through the login form."""

    def __init__(
        self,
        browser: Any,
        base_url: str,
        viewport: dict[str, int],
        *,
        password: str,
        touch: bool = False,
        timeout_ms: float | None = None,
        timezone_id: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.password = password
        options: dict[str, Any] = {"timezone_id": timezone_id} if timezone_id else {}
        self.context = new_context(browser, viewport=viewport, locale="vi-VN", has_touch=touch, **options)
        self.page = self.context.new_page()
        if timeout_ms is not None:
            self.page.set_default_timeout(timeout_ms)
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def go(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        return response

    def login(self, username: str, password: str | None = None) -> None:
        self.go("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password or self.password)
        with self.page.expect_navigation():
            self.page.click("form.form button[type=submit]")
        assert "/login" not in self.page.url, self.page.inner_text("main")


LAYOUT_CHECK = """() => {
  const problems = [];
  const root = document.scrollingElement;
  if (root.scrollWidth > window.innerWidth) {
    problems.push(`scrollWidth ${root.scrollWidth} > ${window.innerWidth}`);
  }
  const targets = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary');
  for (const el of targets) {
    if (el.closest('.sr-only')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const box = (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label')) || el;
    const rect = box.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;
    const what = el.outerHTML.slice(0, 90);
    if (rect.height < 43.5) problems.push(`${what} is ${rect.height.toFixed(1)}px tall`);
    if (rect.right > window.innerWidth + 1) problems.push(`${what} overflows to ${rect.right}`);
  }
  return problems;
}"""


def check_layout(page: Any, label: str) -> None:
    problems = page.evaluate(LAYOUT_CHECK)
    assert problems == [], f"{label}: {problems[:10]}"
