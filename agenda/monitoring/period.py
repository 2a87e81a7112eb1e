"""The board's period: a range of months `from`..`to` (YYYY-MM, both included). See
docs/monitoring.md "The period"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from agenda.clock import local_today
from agenda.errors import InvalidInput
from agenda.text import N_

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_MONTHS = 120  # ten years: the board's widest range


@dataclass(frozen=True)
class Period:
    first: str  # YYYY-MM
    last: str  # YYYY-MM

    @property
    def months(self) -> list[str]:
        found: list[str] = []
        year, month = int(self.first[:4]), int(self.first[5:])
        while f"{year:04d}-{month:02d}" <= self.last:
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    def as_dict(self) -> dict[str, str]:
        return {"from": self.first, "to": self.last}


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def check_month(value: str, name: str) -> str:
    if not MONTH_RE.match(value):
        raise InvalidInput(N_("Tháng phải có dạng YYYY-MM."), code="bad_month", field=name)
    return value


def parse_period(first: str | None, last: str | None, *, today: date | None = None) -> Period:
    """The period asked for; by default the current year, January to December."""
    day = today or local_today()
    first = check_month(first.strip(), "from") if first and first.strip() else f"{day.year:04d}-01"
    last = check_month(last.strip(), "to") if last and last.strip() else f"{day.year:04d}-12"
    if last < first:
        raise InvalidInput(N_("Tháng kết thúc phải sau tháng bắt đầu."), code="bad_period")
    span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    if span > MAX_MONTHS:
        raise InvalidInput(N_("Khoảng thời gian tối đa là 120 tháng."), code="bad_period")
    return Period(first, last)
