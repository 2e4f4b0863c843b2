"""Time: stored as naive UTC, shown and counted in Asia/Jakarta (WIB).

Jakarta has kept UTC+7 without daylight saving since 1964, so a fixed
offset is exact and needs no time-zone database on the server.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

JAKARTA = timezone(timedelta(hours=7), "WIB")


def utcnow() -> datetime:
    """The current time as a naive UTC datetime (how the database stores it)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_jakarta(moment: datetime) -> datetime:
    """A stored naive-UTC datetime as an aware Jakarta datetime."""
    return moment.replace(tzinfo=timezone.utc).astimezone(JAKARTA)


def jakarta_today(now: datetime | None = None) -> date:
    return to_jakarta(now or utcnow()).date()


def jakarta_day_bounds_utc(day: date) -> tuple[datetime, datetime]:
    """The naive-UTC [start, end) of a Jakarta calendar day."""
    start = datetime.combine(day, time(0, 0), JAKARTA).astimezone(timezone.utc).replace(tzinfo=None)
    return start, start + timedelta(days=1)


def iso_utc(moment: datetime) -> str:
    """``2024-12-28T10:30:00Z`` for JSON answers."""
    return moment.replace(microsecond=0).isoformat() + "Z"


@dataclass(frozen=True)
class DayRange:
    """Jakarta calendar days from ``first`` to ``last``, both included."""
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds_utc(self) -> tuple[datetime, datetime]:
        """The naive-UTC [start, end) of these days, for queries on stored datetimes."""
        return jakarta_day_bounds_utc(self.first)[0], jakarta_day_bounds_utc(self.last)[1]

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]
