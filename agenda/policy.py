"""The Government's rules in one configurable object. See docs/rules.md.

Defaults follow DESIGN.md. A deployment overrides them with `DATA_DIR/policy.json`, e.g.
`{"readiness": {"decree": ["submission", "draft"]}, "quorum_fraction": [2, 3]}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

PROGRAMME_KINDS = ("law", "ordinance", "decree", "resolution", "report", "scheme", "other")
DOCUMENT_KINDS = ("submission", "draft", "appraisal", "synthesis", "annex", "other")

DEFAULT_READINESS: dict[str, tuple[str, ...]] = {
    "law": ("submission", "draft", "appraisal", "synthesis"),
    "ordinance": ("submission", "draft", "appraisal", "synthesis"),
    "decree": ("submission", "draft", "appraisal"),
    "resolution": ("submission", "draft"),
    "scheme": ("submission", "draft"),
    "report": ("submission",),
    "other": ("submission",),
}


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class Policy:
    readiness: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_READINESS))
    quorum_fraction: Fraction = Fraction(2, 3)
    decision_fraction: Fraction = Fraction(1, 2)
    submission_day: int = 25  # papers for a regular session are due by this day of the month before

    def required_documents(self, programme_kind: str) -> tuple[str, ...]:
        return self.readiness.get(programme_kind, ("submission",))

    def missing_documents(self, programme_kind: str, present: set[str]) -> list[str]:
        return [kind for kind in self.required_documents(programme_kind) if kind not in present]

    @classmethod
    def load(cls, path: Path) -> Policy:
        if not path.exists():
            return cls()
        try:
            raw: dict[str, Any] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise PolicyError(f"{path}: {exc}") from exc
        readiness = dict(DEFAULT_READINESS)
        for kind, docs in raw.get("readiness", {}).items():
            if kind not in PROGRAMME_KINDS or not all(d in DOCUMENT_KINDS for d in docs):
                raise PolicyError(f"{path}: bad readiness rule for {kind!r}")
            readiness[kind] = tuple(docs)
        quorum = Fraction(*raw.get("quorum_fraction", (2, 3)))
        decision = Fraction(*raw.get("decision_fraction", (1, 2)))
        return cls(readiness=readiness, quorum_fraction=quorum, decision_fraction=decision)


DEFAULT_POLICY = Policy()
