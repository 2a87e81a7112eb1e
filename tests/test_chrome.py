"""What every page carries (issue 14, defect 10): the icon at /favicon.ico as well as the linked
SVG, and breadcrumbs whose CSS puts one "‹" before the trail, not one before every link."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from agenda.db import Database
from tests.support.factories import login_as, make_user

ROOT = Path(__file__).resolve().parent.parent


def test_favicon_ico_is_served_as_the_svg_icon(client: TestClient, db: Database) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.content == (ROOT / "static" / "favicon.svg").read_bytes()
    make_user(db, "ch-thuky", ["secretariat"])
    home = login_as(client, "ch-thuky").get("/")
    assert re.search(r'<link rel="icon" href="/static/favicon\.svg\?v=\w+" type="image/svg\+xml">', home.text)


def test_breadcrumbs_put_one_back_mark_before_the_trail() -> None:
    css = (ROOT / "static" / "css" / "app.css").read_text()
    rules = re.findall(r"(\.crumbs[^{]*)\{([^}]*)\}", css)
    marks = [(selector.strip(), body) for selector, body in rules if "content:" in body]
    assert marks, "no breadcrumb marks"
    for selector, body in marks:
        if '"‹"' in body:
            assert ":first-of-type" in selector or ":first-child" in selector, selector
    templates = "\n".join(p.read_text() for p in (ROOT / "templates").rglob("*.html"))
    for trail in re.findall(r'<nav class="crumbs".*?</nav>', templates, re.S):
        assert "‹" not in trail and "›" not in trail, trail  # the CSS draws the marks
