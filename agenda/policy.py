"""The Government's rules in one configurable object. See docs/rules.md.

Defaults follow ../shared/DESIGN.md. A deployment overrides them with `DATA_DIR/policy.json`, e.g.
`{"readiness": {"decree": ["submission", "draft"]}, "quorum_fraction": [2, 3]}`.
"""

from __future__ import annotations

import json
import math
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


RULE = "yes_over_half_of_membership"


@dataclass(frozen=True)
class Decision:
    yes: int
    no: int
    abstain: int
    total_membership: int
    adopted: bool
    tie_broken_by_chair: bool = False
    rule: str = RULE

    def as_dict(self) -> dict[str, Any]:
        return {
            "yes": self.yes,
            "no": self.no,
            "abstain": self.abstain,
            "total_membership": self.total_membership,
            "adopted": self.adopted,
            "rule": self.rule,
            "tie_broken_by_chair": self.tie_broken_by_chair,
        }


@dataclass(frozen=True)
class Policy:
    readiness: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_READINESS))
    quorum_fraction: Fraction = Fraction(2, 3)
    decision_fraction: Fraction = Fraction(1, 2)
    submission_day: int = 25  # papers for a regular session are due by this day of the month before

    speaker_warning_seconds: int = 300  # the console warns when a speaker passes this
    start_tolerance_minutes: int = 30  # the console warns when a session starts further off its time
    # Opinion ballots: reminders this many hours before the deadline (docs/opinion-polls.md).
    poll_reminder_hours: tuple[int, ...] = (24, 2)
    # Follow-through (docs/follow-through.md): task reminders this many days before the due date
    # (and on it), then every `task_overdue_every_days` while overdue; dossier reminders this many
    # days before the submission deadline while the dossier is incomplete.
    task_reminder_days: int = 7
    task_overdue_every_days: int = 7
    dossier_reminder_days: tuple[int, ...] = (7, 2)
    # Digital signatures (docs/signatures.md): the roles that sign the finalized minutes.
    minutes_signers: tuple[str, ...] = ("secretariat",)
    # Offline reading (docs/offline.md): a device that has not reached the server for this many
    # hours wipes its cached papers when the app next opens; a meeting's papers leave the cache
    # this many days after the meeting adjourns.
    offline_expiry_hours: int = 72
    offline_purge_days: int = 7

    def quorum_required(self, total: int) -> int:
        """Members present (in the room or remote) needed for quorum out of `total`."""
        return math.ceil(total * self.quorum_fraction)

    def decide(self, *, yes: int, no: int, abstain: int, total: int, chair_choice: str | None) -> Decision:
        """The decision rule of ../shared/DESIGN.md: adopted when yes exceeds the fraction of the total
        membership. When yes and no are each exactly half of the total membership, the side the
        chair voted on prevails (a secret vote has no known side, so the tie is not broken)."""
        tie = total > 0 and yes * 2 == total and no * 2 == total
        if tie and chair_choice in ("yes", "no"):
            return Decision(yes, no, abstain, total, adopted=chair_choice == "yes", tie_broken_by_chair=True)
        return Decision(yes, no, abstain, total, adopted=yes > total * self.decision_fraction)

    def adopted_by_opinion(self, agree: int, total: int) -> bool:
        """The opinion-ballot rule: adopted when those who agree exceed the decision fraction of
        the total membership (the ballot's recipients). Non-responders count against; there is
        no tie rule, since no chair takes a side in writing."""
        return total > 0 and agree > total * self.decision_fraction

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
        warning = raw.get("speaker_warning_seconds", 300)
        if not isinstance(warning, int) or warning < 10:
            raise PolicyError(f"{path}: speaker_warning_seconds must be a whole number of seconds >= 10")
        tolerance = raw.get("start_tolerance_minutes", 30)
        if not isinstance(tolerance, int) or isinstance(tolerance, bool) or not 1 <= tolerance <= 1440:
            raise PolicyError(
                f"{path}: start_tolerance_minutes must be a whole number of minutes from 1 to 1440"
            )
        reminders = raw.get("poll_reminder_hours", [24, 2])
        if (
            not isinstance(reminders, list)
            or len(reminders) > 10
            or not all(
                isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= 24 * 30 for h in reminders
            )
        ):
            raise PolicyError(f"{path}: poll_reminder_hours must be a list of whole hours from 1 to 720")
        follow = {}
        for name, low, high in (("task_reminder_days", 1, 90), ("task_overdue_every_days", 1, 90)):
            value = raw.get(name, getattr(cls, name))
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise PolicyError(f"{path}: {name} must be a whole number of days from {low} to {high}")
            follow[name] = value
        dossier = raw.get("dossier_reminder_days", [7, 2])
        if (
            not isinstance(dossier, list)
            or len(dossier) > 10
            or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 60 for d in dossier)
        ):
            raise PolicyError(f"{path}: dossier_reminder_days must be a list of whole days from 0 to 60")
        day = raw.get("submission_day", 25)
        if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 28:
            raise PolicyError(f"{path}: submission_day must be a day of the month from 1 to 28")
        offline = {}
        for name, low, high in (("offline_expiry_hours", 1, 24 * 30), ("offline_purge_days", 0, 90)):
            value = raw.get(name, getattr(cls, name))
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise PolicyError(f"{path}: {name} must be a whole number from {low} to {high}")
            offline[name] = value
        signers = raw.get("minutes_signers", ["secretariat"])
        if (
            not isinstance(signers, list)
            or not signers
            or not all(role in ("secretariat", "chair") for role in signers)
        ):
            raise PolicyError(f"{path}: minutes_signers must list roles among secretariat and chair")
        return cls(
            minutes_signers=tuple(dict.fromkeys(signers)),
            submission_day=day,
            dossier_reminder_days=tuple(sorted(set(dossier), reverse=True)),
            **follow,
            **offline,
            readiness=readiness,
            quorum_fraction=quorum,
            decision_fraction=decision,
            speaker_warning_seconds=warning,
            start_tolerance_minutes=tolerance,
            poll_reminder_hours=tuple(sorted(set(reminders), reverse=True)),
        )


DEFAULT_POLICY = Policy()
