"""The order in which `--dist loadscope` hands out modules (tests/support/schedule.py): longest
first, by the seconds kept in tests/support/durations.json."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support import schedule


def test_a_scope_is_its_module_or_class() -> None:
    assert schedule.scope_of("tests/test_a.py::test_x[sqlite]") == "tests/test_a.py"
    assert schedule.scope_of("tests/test_a.py::Things::test_x") == "tests/test_a.py::Things"
    assert schedule.module_of("tests/test_a.py::Things::test_x") == "tests/test_a.py"


def test_the_phases_of_each_test_add_up_per_module() -> None:
    phases = [
        ("tests/test_a.py::test_x[sqlite]", 1.0),
        ("tests/test_a.py::test_x[sqlite]", 0.5),
        ("tests/test_a.py::test_y", 2.0),
        ("tests/browser/test_b.py::test_z", 30.0),
    ]
    assert schedule.totals(phases) == {"tests/test_a.py": 3.5, "tests/browser/test_b.py": 30.0}


def test_the_longest_module_goes_first_whatever_its_number_of_tests() -> None:
    scopes = {"tests/test_api.py": 120, "tests/browser/test_a11y.py": 6, "tests/test_small.py": 3}
    durations = {"tests/test_api.py": 40.0, "tests/browser/test_a11y.py": 90.0, "tests/test_small.py": 1.0}
    assert schedule.longest_first(scopes, durations) == [
        "tests/browser/test_a11y.py",
        "tests/test_api.py",
        "tests/test_small.py",
    ]


def test_an_unknown_module_counts_its_tests_at_the_mean_seconds_per_test() -> None:
    # Known: 10 s over 10 tests, 1 s a test. The new module's 25 tests count 25 s, before the 10 s.
    scopes = {"tests/test_known.py": 10, "tests/test_new.py": 25, "tests/test_tiny.py": 2}
    durations = {"tests/test_known.py": 10.0}
    assert schedule.longest_first(scopes, durations) == [
        "tests/test_new.py",
        "tests/test_known.py",
        "tests/test_tiny.py",
    ]
    assert schedule.mean_per_test(durations, {"tests/test_known.py": 10, "tests/test_new.py": 25}) == 1.0


def test_without_durations_the_order_is_by_number_of_tests_ties_in_collection_order() -> None:
    scopes = {"tests/test_a.py": 2, "tests/test_b.py": 5, "tests/test_c.py": 2}
    assert schedule.longest_first(scopes, {}) == ["tests/test_b.py", "tests/test_a.py", "tests/test_c.py"]


def test_classes_of_one_module_share_its_seconds_by_their_tests() -> None:
    scopes = {"tests/test_m.py::Big": 3, "tests/test_m.py::Small": 1, "tests/test_o.py": 4}
    durations = {"tests/test_m.py": 40.0, "tests/test_o.py": 20.0}
    # Big: 30 s, Small: 10 s.
    assert schedule.longest_first(scopes, durations) == [
        "tests/test_m.py::Big",
        "tests/test_o.py",
        "tests/test_m.py::Small",
    ]


def test_store_merges_this_run_into_the_file_and_drops_modules_that_are_gone(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    assert schedule.load(path) == {}
    for name in ("test_a.py", "test_b.py", "test_c.py"):
        (tmp_path / name).touch()
    kept = {"test_a.py": 3.0, "test_b.py": 9.0, "test_gone.py": 7.0}
    path.write_text(json.dumps(kept), encoding="utf-8")
    merged = schedule.store({"test_b.py": 4.04, "test_c.py": 1.0}, path, root=tmp_path)
    assert merged == {"test_a.py": 3.0, "test_b.py": 4.0, "test_c.py": 1.0}
    assert schedule.load(path) == merged
    path.write_text("not json", encoding="utf-8")
    assert schedule.load(path) == {}


def test_the_repository_keeps_the_durations() -> None:
    assert schedule.load(), "tests/support/durations.json is missing: run the suite with --store-durations"


class FakeNode:
    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.sent: list[list[int]] = []

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.append(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


class FakeConfig:
    """What LoadScopeScheduling reads of pytest's config: `-n 2`, the default reordering."""

    option = SimpleNamespace(loadscopereorder=True)

    def getvalue(self, name: str) -> Any:
        return {"tx": ["2*popen"], "dist": "loadscope"}[name]


def test_the_scheduler_hands_out_the_longest_modules_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """xdist's own LoadScopeScheduling, driven as its DSession does, with two fake workers."""
    collection = [
        "tests/test_many.py::test_1",
        "tests/test_many.py::test_2",
        "tests/test_many.py::test_3",
        "tests/test_many.py::test_4",
        "tests/browser/test_long.py::test_1",
        "tests/browser/test_long.py::test_2",
        "tests/test_mid.py::test_1",
    ]
    durations = {"tests/test_many.py": 2.0, "tests/browser/test_long.py": 60.0, "tests/test_mid.py": 5.0}
    monkeypatch.setattr(schedule, "load", lambda path=schedule.DURATIONS: durations)
    config = FakeConfig()
    scheduler = schedule.make_scheduler(config, log=None)
    first, second = FakeNode("gw0"), FakeNode("gw1")
    for node in (first, second):
        scheduler.add_node(node)
        scheduler.add_node_collection(node, collection)
    scheduler.schedule()
    # The browser module (60 s, 2 tests) first, then test_mid (5 s); test_many (2 s, the most
    # tests, which xdist would have sent first) last.
    assert first.sent[0] == [4, 5]
    assert second.sent[0] == [6]
