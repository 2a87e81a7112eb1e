"""Jinja environment: autoescaping, gettext in the viewer's language, and the common page context."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from agenda.clock import to_local
from meeting_app import i18n
from meeting_app.context import ctx

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"


@cache
def _static_version(path: str) -> str:
    try:
        return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(path: str) -> str:
    """A cache-busting URL for a file under static/."""
    return f"/static/{path}?v={_static_version(path)}"


def local_time(value: datetime | str | None, fmt: str = "%H:%M %d/%m/%Y") -> str:
    """A time (or its ISO text, as the public_* dicts give it) in Vietnam time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    return "" if value is None else to_local(value).strftime(fmt)


def day(value: date | str | None) -> str:
    """A date (or "YYYY-MM-DD") as dd/mm/yyyy."""
    if not value:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return f"{text[8:10]}/{text[5:7]}/{text[:4]}" if len(text) >= 10 else text


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["static"] = static_url
    env.filters["local_time"] = local_time
    env.filters["day"] = day
    return env


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page. The page context always has `request`, `me`, `csrf_token` and `locale`."""
    me = request.scope.get("current")
    page: dict[str, Any] = {
        "request": request,
        "me": me,
        "csrf_token": me.csrf_token if me is not None else "",
        "locale": i18n.current_locale(),
    }
    page.update(context or {})
    html = ctx(request).templates.get_template(name).render(page)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
