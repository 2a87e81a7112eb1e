"""Who is looking: the one input every visibility rule takes. See docs/security.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Viewer:
    user_id: int
    roles: frozenset[str]
    member_id: int | None = None
    locale: str = "vi"
    agency_id: int | None = None  # an `agency` account's agency (docs/follow-through.md)

    def has(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_staff(self) -> bool:
        """The secretariat and the presiding officer see every meeting and every item."""
        return self.has("secretariat", "chair")
