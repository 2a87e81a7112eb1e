"""A crawler for the browser tests: every page one role can reach, visited once.

From a few start paths it follows the in-app links of each page it opens (same origin, pages
only: no API, static files, PDFs or language switch) and opens each route pattern once, its
numbers read as ids (/meetings/3 and /meetings/7 are both /meetings/{id}). The start paths are
always opened: they name the pages no link leads to, or the one instance of a route that
matters (the running session's console). `visit(path)` runs on each page as it stands after
loading; the caller checks it there (axe, widths, the inventory of its controls), so that each
page is loaded once per role.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

NOT_PAGES = re.compile(
    r"^/(api|static|vendor|ws|language|logout|healthz|readyz|metrics|favicon)\b|\.(pdf|json|csv|svg)$"
)

LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.hasAttribute('download'))
  .map(a => a.href)"""


def route_of(path: str) -> str:
    """/meetings/12/minutes -> /meetings/{id}/minutes (the same rule as click_keys.js)."""
    return re.sub(r"\d+", "{n}", re.sub(r"/\d+(?=/|$)", "/{id}", path))


def goto(page: Any, url: str) -> Any:
    """Open `url`; again once when the page before cut this navigation short (a live board that
    reloads itself: no response, or the navigation aborted)."""
    try:
        response = page.goto(url)
    except Exception as error:
        if "ERR_ABORTED" not in str(error):
            raise
        response = None
    return response if response is not None else page.goto(url)


@dataclass
class Crawl:
    """What one role's crawl found: the paths it opened, by route, and the links that failed."""

    opened: dict[str, str] = field(default_factory=dict)  # route -> path
    broken: list[str] = field(default_factory=list)  # "path (status) linked from page"


def crawl(
    page: Any,
    base_url: str,
    start: Iterable[str],
    visit: Callable[[str], None],
    *,
    limit: int = 80,
) -> Crawl:
    found = Crawl()
    queue: list[tuple[str, str]] = [(path, "") for path in start]
    seen_routes: set[str] = set()
    while queue and len(found.opened) < limit:
        path, source = queue.pop(0)
        route = route_of(urlsplit(path).path)
        if source and route in seen_routes:
            continue
        seen_routes.add(route)
        response = goto(page, base_url + path)
        status = response.status if response is not None else 0
        if status >= 400 or status == 0:
            found.broken.append(f"{path} ({status}) linked from {source or '(start)'}")
            continue
        landed = urlsplit(page.url)
        if landed.path == "/login" and route != "/login":
            found.broken.append(f"{path} (sent to /login) linked from {source or '(start)'}")
            continue
        found.opened[route if route not in found.opened else f"{route} ({path})"] = path
        visit(path)
        for href in page.evaluate(LINKS):
            target = urlsplit(href)
            if f"{target.scheme}://{target.netloc}" != base_url or NOT_PAGES.search(target.path):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if route_of(target.path) not in seen_routes:
                queue.append((link, path))
    return found
