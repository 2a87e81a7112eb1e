"""Offline reading in the browser, the page side (docs/offline.md).

- `GET /sw.js`: the service worker (static/sw.js), served from the site's root with
  `Service-Worker-Allowed: /` so that its scope is the whole app, and `Cache-Control: no-cache`
  so that a new version reaches the tablets on their next visit.
- `GET /offline`: what this device keeps for offline reading. The server renders the frame;
  static/js/offline-panel.js fills it in from the device's caches. The service worker keeps
  this page and shows it for a page that is not kept when there is no network.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from meeting_app.auth import page_user
from meeting_app.pages.common import page
from meeting_app.templating import STATIC

WORKER = STATIC / "sw.js"
WORKER_HEADERS = {
    "Service-Worker-Allowed": "/",
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
}


async def service_worker(request: Request) -> Response:
    return FileResponse(WORKER, media_type="text/javascript", headers=WORKER_HEADERS)


async def offline_page(request: Request) -> Response:
    await page_user(request)
    return page(request, "offline/index.html")


routes = [
    Route("/sw.js", service_worker, methods=["GET", "HEAD"]),
    Route("/offline", offline_page, methods=["GET"], name="offline"),
]
