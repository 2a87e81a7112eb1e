"""The click recorder (issue 14, build 15): which buttons and forms the browser tests really click.

`install(context)` adds tests/support/click_keys.js to a Playwright browser context. On each real
click on a button, and on each form submission, the page computes the control's KEY (its route
and form action with ids as {id}, and its data-action, name=value or id; never its text) and hands
it to a binding that appends it to test-output/clicks/<xdist worker>.jsonl. The crawler lists the
controls of each page with the same KEY (`inventory(page)`), and
tests/browser/test_click_coverage.py fails on every listed control no test clicked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
CLICKS = OUTPUT / "clicks"
INVENTORY = OUTPUT / "inventory"
SCRIPT = Path(__file__).with_name("click_keys.js")


def clicks_file() -> Path:
    return CLICKS / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.jsonl"


def _record(_source: Any, key: str) -> None:
    if not isinstance(key, str):
        return
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
    path = clicks_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"key": key, "test": test}, ensure_ascii=False) + "\n")


def install(context: Any) -> None:
    """Record the clicks made in every page of `context` (call before opening its pages)."""
    context.add_init_script(path=str(SCRIPT))
    context.expose_binding("__ecabRecordClick", _record)


def inventory(page: Any) -> list[str]:
    """The KEYs of every button and form on the page as it stands."""
    keys: list[str] = page.evaluate("() => window.__ecabKeys.inventory()")
    return keys


def route(page: Any) -> str:
    found: str = page.evaluate("() => window.__ecabKeys.route()")
    return found


def read_clicks(folder: Path = CLICKS) -> dict[str, set[str]]:
    """KEY -> the tests that clicked it, over every worker's file."""
    clicked: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a line cut short by a killed worker
            clicked.setdefault(row["key"], set()).add(row.get("test", ""))
    return clicked


def write_inventory(role: str, pages: dict[str, list[str]], folder: Path = INVENTORY) -> Path:
    """Write `pages` (KEY -> the paths it was seen on) for `role`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{role}.json"
    path.write_text(json.dumps(pages, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    return path


def read_inventory(folder: Path = INVENTORY) -> dict[str, dict[str, list[str]]]:
    """role -> KEY -> paths."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}
