"""Every button and form on every page, for every role, is clicked by some browser test (issue 14,
build 15).

Reads what the other browser tests left in test-output/: the inventory of the controls on each
page per role (tests/browser/test_a11y.py writes inventory/<role>.json) and the clicks recorded
in every browser context (tests/support/clicks.py writes clicks/<worker>.jsonl). Both name a
control by the same KEY (tests/support/click_keys.js). It therefore runs after the other browser
tests, in its own pytest run with ECAB_CLICK_COVERAGE=1 (`make test` does so last); otherwise, or
without their records, it skips.

A fresh record needs a clean start: `rm -rf test-output/clicks test-output/inventory` before the
browser tests (`make test` does it).
"""

from __future__ import annotations

import os

import pytest

from tests.support import clicks

pytestmark = pytest.mark.browser


def uncovered(inventory: dict[str, dict[str, list[str]]], clicked: dict[str, set[str]]) -> list[str]:
    """One line per control no test clicked: its KEY, the roles that see it, and one page."""
    missing: dict[str, tuple[list[str], str]] = {}
    for role, keys in sorted(inventory.items()):
        for key, paths in keys.items():
            if key in clicked:
                continue
            roles, _page = missing.setdefault(key, ([], paths[0]))
            roles.append(role)
    return [f"{key}  [{', '.join(roles)}] e.g. {page}" for key, (roles, page) in sorted(missing.items())]


def test_uncovered_lists_each_control_nobody_clicked_once() -> None:
    inventory = {
        "member": {"/ | post /logout | button": ["/"], "/ | button | #bell-menu": ["/"]},
        "chair": {
            "/ | post /logout | button": ["/"],
            "/meetings/{id}/console | button | action=start": ["/x"],
        },
    }
    clicked = {"/ | button | #bell-menu": {"tests/browser/test_x.py::test_y"}}
    assert uncovered(inventory, clicked) == [
        "/ | post /logout | button  [chair, member] e.g. /",
        "/meetings/{id}/console | button | action=start  [chair] e.g. /x",
    ]


def test_every_listed_button_and_form_is_clicked_by_a_browser_test() -> None:
    if os.environ.get("ECAB_CLICK_COVERAGE") != "1":
        pytest.skip(
            "the click coverage reads what the whole browser run recorded: run it on its own after "
            "the browser tests, with ECAB_CLICK_COVERAGE=1 (make test does)"
        )
    inventory = clicks.read_inventory()
    clicked = clicks.read_clicks()
    if not inventory or not clicked:
        pytest.skip(
            "no inventory or click records in test-output/: run the browser tests first "
            "(pytest tests/browser), then this file on its own (make test does both)"
        )
    missing = uncovered(inventory, clicked)
    total = len({key for keys in inventory.values() for key in keys})
    assert missing == [], f"{len(missing)} of {total} controls no browser test clicks:\n" + "\n".join(missing)
