"""Server-rendered pages (Jinja). One module per screen family; `routes` gathers them."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
