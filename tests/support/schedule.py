"""Longest modules first: the order in which `pytest -n 2 --dist loadscope` hands out modules.

xdist's loadscope sends each worker whole modules, by default the modules with the most tests
first. A module's cost is not its number of tests: one browser module (a server, Chromium, a
crawl) outweighs fifty API tests. Handed out in the wrong order, the last long module starts
when the other worker is nearly done, and the run waits for it alone. Handing out the longest
first (the classic LPT rule) lets the short modules fill the gaps at the end, so that both
workers finish together.

The seconds each module took (setup, call and teardown of its tests, both engines) are kept in
tests/support/durations.json. `pytest --store-durations` (tests/conftest.py) updates the modules
of that run there; a module missing from the file counts as its number of tests times the mean
seconds per test of the modules that are in it.

`DurationScheduling` is xdist's LoadScopeScheduling with that order; tests/conftest.py registers
`LongestFirst`, whose `pytest_xdist_make_scheduler` hook uses it when the run has `--dist loadscope`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

DURATIONS = Path(__file__).with_name("durations.json")
ROOT = Path(__file__).resolve().parent.parent.parent


def scope_of(nodeid: str) -> str:
    """The module (or class) of a test, as loadscope groups them: everything before the last `::`."""
    return nodeid.rsplit("::", 1)[0]


def module_of(nodeid: str) -> str:
    """The test file of a node id (the key of the durations file)."""
    return nodeid.split("::", 1)[0]


def load(path: Path = DURATIONS) -> dict[str, float]:
    """module -> seconds; empty when the file is missing or unreadable (the order then falls back
    to the number of tests)."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): float(v) for k, v in found.items() if isinstance(v, int | float)}


def totals(durations: Iterable[tuple[str, float]]) -> dict[str, float]:
    """(node id, seconds) of each test phase -> module -> seconds."""
    found: dict[str, float] = {}
    for nodeid, seconds in durations:
        module = module_of(nodeid)
        found[module] = found.get(module, 0.0) + seconds
    return found


def store(measured: Mapping[str, float], path: Path = DURATIONS, root: Path = ROOT) -> dict[str, float]:
    """Merge the modules of this run into the file (the others keep their figure, unless their
    file is gone from `root`); returns what the file now holds."""
    kept = {module: seconds for module, seconds in load(path).items() if (root / module).is_file()}
    kept.update({module: round(seconds, 1) for module, seconds in measured.items()})
    merged = dict(sorted(kept.items()))
    path.write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
    return merged


def mean_per_test(durations: Mapping[str, float], counts: Mapping[str, int]) -> float:
    """Mean seconds per test over the modules of this run whose duration is known (1 s if none)."""
    seconds = tests = 0.0
    for module, count in counts.items():
        if module in durations:
            seconds += durations[module]
            tests += count
    return seconds / tests if tests else 1.0


def longest_first(scopes: Mapping[str, int], durations: Mapping[str, float]) -> list[str]:
    """The scopes (scope -> its number of tests) in the order to hand them out: expected seconds
    descending, ties in the collection order. A module split into classes shares its recorded
    seconds among them by number of tests."""
    counts: dict[str, int] = {}
    for scope, tests in scopes.items():
        counts[module_of(scope)] = counts.get(module_of(scope), 0) + tests
    per_test = mean_per_test(durations, counts)

    def expected(scope: str) -> float:
        tests, module = scopes[scope], module_of(scope)
        if module in durations:
            return durations[module] * tests / counts[module]
        return tests * per_test

    return sorted(scopes, key=lambda scope: -expected(scope))


def make_scheduler(config: Any, log: Any) -> Any:
    """xdist's LoadScopeScheduling, handing out the longest modules first."""
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class DurationScheduling(LoadScopeScheduling):  # type: ignore[misc]
        ordered = False

        def _assign_work_unit(self, node: Any) -> None:
            # The first call comes from schedule(), once the work queue holds every scope.
            if not self.ordered:
                self.ordered = True
                queue = self.workqueue
                order = longest_first({scope: len(tests) for scope, tests in queue.items()}, load())
                reordered = {scope: queue[scope] for scope in order}
                queue.clear()
                queue.update(reordered)
            super()._assign_work_unit(node)

    return DurationScheduling(config, log)


class LongestFirst:
    """The pytest plugin (registered only when xdist is installed) that makes the scheduler."""

    def pytest_xdist_make_scheduler(self, config: Any, log: Any) -> Any:
        if config.getvalue("dist") != "loadscope":
            return None
        return make_scheduler(config, log)
