"""Counters, a histogram and the Prometheus text format (0.0.4), by hand. See docs/deployment.md.

Each process counts for itself: every worker answers `/metrics` with its own figures, and
Prometheus adds them up (`sum(rate(...))`). `meeting_app/ops/monitoring.py` gathers the app's figures
and serves them; this module knows nothing of the app beyond the domain's errors.
"""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_left
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from agenda.errors import DomainError

T = TypeVar("T")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Seconds, from a fraction of a millisecond (a few tablets) to seconds (thousands, or a stall).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Counter:
    """A number that only goes up. `inc` may be called from any thread."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def inc(self, amount: int = 1) -> None:
        with self._lock:
            self.value += amount


class Histogram:
    """Observations counted into buckets (upper bounds, `le`), with their sum and count.

    `observe` is cheap (one bisect, two additions) and is called on the event loop only, so it
    takes no lock.
    """

    def __init__(self, bounds: Sequence[float] = LATENCY_BUCKETS) -> None:
        self.bounds = tuple(sorted(bounds))
        self.counts = [0] * (len(self.bounds) + 1)  # the last one is +Inf
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def cumulative(self) -> list[tuple[float, int]]:
        """(upper bound, observations at or under it), ending with (+Inf, count)."""
        found: list[tuple[float, int]] = []
        running = 0
        for bound, count in zip((*self.bounds, math.inf), self.counts, strict=True):
            running += count
            found.append((bound, running))
        return found


@dataclass
class Ballots:
    """Ballots answered by the ballot box of this process: acknowledged, or refused by a rule
    (not eligible, vote not open, a reused Idempotency-Key)."""

    acknowledged: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)

    async def counted(self, answer: Awaitable[T]) -> T:
        """Await a ballot's answer and count it: acknowledged when it comes, refused when a rule
        refuses it (the DomainError goes on to the caller). Other failures are not counted."""
        try:
            found = await answer
        except DomainError:
            self.refused.inc()
            raise
        self.acknowledged.inc()
        return found


@dataclass
class Metrics:
    """What the app counts itself, beside what it reads from the hub and the pools at scrape
    time. One per running app (AppContext.metrics)."""

    started: float = field(default_factory=time.time)  # Unix time
    ballots: Ballots = field(default_factory=Ballots)


# --- the text format ------------------------------------------------------------------------------

Labels = dict[str, str]


@dataclass(frozen=True)
class Sample:
    labels: Labels
    value: float


@dataclass(frozen=True)
class Family:
    """One metric: its name, type, help and samples (a histogram's are rendered from it)."""

    name: str
    kind: str  # counter, gauge or histogram
    help: str
    samples: tuple[Sample, ...] = ()
    histogram: Histogram | None = None


def counter(name: str, help: str, value: float, labels: Labels | None = None) -> Family:
    return Family(name, "counter", help, (Sample(labels or {}, value),))


def gauge(name: str, help: str, value: float, labels: Labels | None = None) -> Family:
    return Family(name, "gauge", help, (Sample(labels or {}, value),))


def gauges(name: str, help: str, samples: Iterable[tuple[Labels, float]]) -> Family:
    return Family(name, "gauge", help, tuple(Sample(labels, value) for labels, value in samples))


def histogram(name: str, help: str, found: Histogram) -> Family:
    return Family(name, "histogram", help, histogram=found)


def number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if float(value).is_integer() and abs(value) < 1 << 53:
        return str(int(value))
    return repr(float(value))


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _line(name: str, labels: Labels, value: float) -> str:
    if labels:
        inner = ",".join(f'{key}="{_label_value(text)}"' for key, text in labels.items())
        return f"{name}{{{inner}}} {number(value)}"
    return f"{name} {number(value)}"


def render(families: Iterable[Family]) -> str:
    """The exposition text: `# HELP`, `# TYPE`, then the samples of each family."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        lines.extend(_line(family.name, sample.labels, sample.value) for sample in family.samples)
        if family.histogram is not None:
            found = family.histogram
            for bound, count in found.cumulative():
                lines.append(_line(f"{family.name}_bucket", {"le": number(bound)}, count))
            lines.append(_line(f"{family.name}_sum", {}, found.sum))
            lines.append(_line(f"{family.name}_count", {}, found.count))
    return "\n".join(lines) + "\n"
