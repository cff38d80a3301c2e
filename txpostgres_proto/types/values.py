"""Python value types for PostgreSQL values that have no exact standard-library equivalent.

``Interval`` is PostgreSQL's interval exactly as stored: months, days and microseconds are three
independent fields (``interval '1 mon'`` is not ``interval '30 days'``, and a day is not always
24 hours across a DST change). ``datetime.timedelta`` has no months, so the default decoders
return a ``timedelta`` when the months field is zero and an ``Interval`` otherwise; encoders accept
both. A ``timedelta`` is an exact duration but Python normalises it (``1 day -00:00:01`` becomes
``23:59:59``, which PostgreSQL compares as equal but applies differently across a DST change); an
application that needs the stored fields untouched registers the ``*_exact`` interval decoders
from ``intervals.py``, which always return ``Interval``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

_USECS_PER_DAY: Final = 86_400_000_000


@dataclass(frozen=True, slots=True)
class Interval:
    """A PostgreSQL interval: ``months``, ``days`` and ``microseconds`` kept apart."""

    months: int = 0
    days: int = 0
    microseconds: int = 0

    @classmethod
    def from_timedelta(cls, value: timedelta) -> Interval:
        """``value`` as days and microseconds of the same sign (see ``interval_parts``)."""
        return cls(*interval_parts(value))

    def to_timedelta(self) -> timedelta:
        """Approximate as a ``timedelta``, counting a month as 30 days like PostgreSQL's
        ``justify_days`` and interval comparison do. Exact when ``months`` is 0."""
        return timedelta(days=self.months * 30 + self.days, microseconds=self.microseconds)

    def __str__(self) -> str:
        from txpostgres_proto.types.intervals import format_interval

        return format_interval(self.months, self.days, self.microseconds)


def interval_parts(value: Interval | timedelta) -> tuple[int, int, int]:
    """(months, days, microseconds) of an ``Interval`` or ``timedelta``.

    A ``timedelta`` keeps its whole days as days; for a negative one the days and the time
    share the sign, so ``-timedelta(seconds=1)`` is ``-00:00:01`` (not Python's normalised
    ``-1 days +23:59:59``) and ``timedelta(days=-3)`` is ``-3 days``, as one would write them.
    """
    if isinstance(value, timedelta):
        days = value.days
        microseconds = value.seconds * 1_000_000 + value.microseconds
        if days < 0 and microseconds:
            days += 1
            microseconds -= _USECS_PER_DAY
        return 0, days, microseconds
    return value.months, value.days, value.microseconds


def interval_value(months: int, days: int, microseconds: int) -> Interval | timedelta:
    """The default decoded value: a ``timedelta`` when there are no months (and it fits), else an
    ``Interval``."""
    if months == 0:
        try:
            return timedelta(days=days, microseconds=microseconds)
        except OverflowError:
            pass
    return Interval(months, days, microseconds)
