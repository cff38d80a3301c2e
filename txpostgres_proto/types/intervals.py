"""``interval``, text and binary.

Binary (``interval_send``): int64 microseconds, int32 days, int32 months.

Text output follows ``IntervalStyle=postgres`` (PostgreSQL's default and what drivers expect):
``1 year 2 mons 3 days 04:05:06.5``, ``-1 years -2 mons +3 days -04:05:06``, ``00:00:00``.
Each non-zero year/mon/day field prints with its unit (plural unless exactly 1); a field after a
negative one gets an explicit ``+`` when positive; the time of day is printed when non-zero or
when everything is zero, signed as a whole, hours unbounded, seconds with trailing fraction
zeros removed (``EncodeInterval``, src/backend/utils/adt/datetime.c).

The parser reads every ``postgres`` and ``postgres_verbose`` (``@ 1 year 2 mons ago``) output
and ``iso_8601`` output (``P1Y2M3DT4H5M6.5S``). ``sql_standard`` output is not accepted: its
sign rules depend on the whole value and no driver asks for it.

``decode_interval_text``/``decode_interval_binary`` return ``timedelta`` or ``Interval`` as
``values.interval_value`` decides; the ``*_exact`` variants always return ``Interval``.
"""

from __future__ import annotations

import re
import struct
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final

from txpostgres_proto.types.values import Interval, interval_parts, interval_value

_BINARY: Final = struct.Struct("!qii")
_USECS_PER_SECOND: Final = 1_000_000
_USECS_PER_MINUTE: Final = 60 * _USECS_PER_SECOND
_USECS_PER_HOUR: Final = 60 * _USECS_PER_MINUTE

# --- output -----------------------------------------------------------------------------------


def format_interval(months: int, days: int, microseconds: int) -> str:
    """The ``IntervalStyle=postgres`` text of an interval."""
    # C division truncates toward zero, so years and months share the sign of the total.
    years = abs(months) // 12 * (1 if months >= 0 else -1)
    parts: list[str] = []
    before_negative = False
    for value, unit in ((years, "year"), (months - years * 12, "mon"), (days, "day")):
        if value:
            plus = "+" if before_negative and value > 0 else ""
            parts.append(f"{plus}{value} {unit}{'' if value == 1 else 's'}")
            before_negative = value < 0
    if microseconds or not parts:
        sign = "-" if microseconds < 0 else ("+" if before_negative else "")
        minutes, micro = divmod(abs(microseconds), _USECS_PER_MINUTE)
        hours, minute = divmod(minutes, 60)
        second, fraction = divmod(micro, _USECS_PER_SECOND)
        clock = f"{sign}{hours:02d}:{minute:02d}:{second:02d}"
        if fraction:
            clock += f".{fraction:06d}".rstrip("0")
        parts.append(clock)
    return " ".join(parts)


def encode_interval_text(value: Any) -> bytes:
    return format_interval(*interval_parts(value)).encode()


# --- input ------------------------------------------------------------------------------------

_UNIT_MONTHS: Final[dict[str, int]] = {
    "millennium": 12000,
    "millennia": 12000,
    "century": 1200,
    "centuries": 1200,
    "decade": 120,
    "decades": 120,
    "year": 12,
    "years": 12,
    "mon": 1,
    "mons": 1,
    "month": 1,
    "months": 1,
}
_UNIT_DAYS: Final[dict[str, int]] = {"week": 7, "weeks": 7, "day": 1, "days": 1}
_UNIT_MICROSECONDS: Final[dict[str, int]] = {
    "hour": _USECS_PER_HOUR,
    "hours": _USECS_PER_HOUR,
    "min": _USECS_PER_MINUTE,
    "mins": _USECS_PER_MINUTE,
    "minute": _USECS_PER_MINUTE,
    "minutes": _USECS_PER_MINUTE,
    "sec": _USECS_PER_SECOND,
    "secs": _USECS_PER_SECOND,
    "second": _USECS_PER_SECOND,
    "seconds": _USECS_PER_SECOND,
    "msec": 1000,
    "msecs": 1000,
    "millisecond": 1000,
    "milliseconds": 1000,
    "usec": 1,
    "usecs": 1,
    "microsecond": 1,
    "microseconds": 1,
}
_CLOCK: Final = re.compile(r"^([+-]?)(\d+):(\d+)(?::(\d+(?:\.\d*)?))?$")
_NUMBER: Final = re.compile(r"^[+-]?\d+(?:\.\d*)?$")
_ISO: Final = re.compile(
    r"^P(?:([+-]?\d+)Y)?(?:([+-]?\d+)M)?(?:([+-]?\d+)W)?(?:([+-]?\d+)D)?"
    r"(?:T(?:([+-]?\d+)H)?(?:([+-]?\d+)M)?(?:([+-]?\d+(?:\.\d+)?)S)?)?$"
)


def _microseconds(number: str, scale: int) -> int:
    """``number`` (maybe fractional) units of ``scale`` microseconds, rounded like PostgreSQL."""
    if "." not in number:
        return int(number) * scale
    return int((Decimal(number) * scale).to_integral_value())


def _whole(number: str, text: str) -> int:
    if "." in number:
        raise ValueError(f"fractional years, months or days are not supported: {text!r}")
    return int(number)


def _parse_iso(text: str) -> tuple[int, int, int]:
    match = _ISO.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"invalid input syntax for type interval: {text!r}")
    years, months, weeks, days, hours, minutes, seconds = (g or "0" for g in match.groups())
    return (
        int(years) * 12 + int(months),
        int(weeks) * 7 + int(days),
        int(hours) * _USECS_PER_HOUR
        + int(minutes) * _USECS_PER_MINUTE
        + _microseconds(seconds, _USECS_PER_SECOND),
    )


def parse_interval(text: str) -> tuple[int, int, int]:
    """(months, days, microseconds) from PostgreSQL's postgres, postgres_verbose or iso_8601
    interval output."""
    if text.startswith("P"):
        return _parse_iso(text)
    tokens = text.split()
    if tokens and tokens[0] == "@":
        del tokens[0]
    ago = bool(tokens) and tokens[-1] == "ago"
    if ago:
        del tokens[-1]
    if not tokens:
        raise ValueError(f"invalid input syntax for type interval: {text!r}")
    months = days = microseconds = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        clock = _CLOCK.match(token)
        if clock:
            sign, hours, minutes, seconds = clock.groups()
            amount = (
                int(hours) * _USECS_PER_HOUR
                + int(minutes) * _USECS_PER_MINUTE
                + _microseconds(seconds or "0", _USECS_PER_SECOND)
            )
            microseconds += -amount if sign == "-" else amount
            index += 1
            continue
        if not _NUMBER.match(token):
            raise ValueError(f"invalid input syntax for type interval: {text!r}")
        unit = tokens[index + 1].lower() if index + 1 < len(tokens) else ""
        if not unit or _NUMBER.match(unit) or _CLOCK.match(unit):
            # A number without a unit counts seconds (``@ 0`` in postgres_verbose style).
            microseconds += _microseconds(token, _USECS_PER_SECOND)
            index += 1
            continue
        if unit in _UNIT_MICROSECONDS:
            microseconds += _microseconds(token, _UNIT_MICROSECONDS[unit])
        elif unit in _UNIT_DAYS:
            days += _whole(token, text) * _UNIT_DAYS[unit]
        elif unit in _UNIT_MONTHS:
            months += _whole(token, text) * _UNIT_MONTHS[unit]
        else:
            raise ValueError(f"invalid interval unit {unit!r} in {text!r}")
        index += 2
    if ago:
        return -months, -days, -microseconds
    return months, days, microseconds


def decode_interval_text(data: bytes) -> Interval | timedelta:
    return interval_value(*parse_interval(data.decode()))


def decode_interval_text_exact(data: bytes) -> Interval:
    return Interval(*parse_interval(data.decode()))


# --- binary -----------------------------------------------------------------------------------


def decode_interval_binary(data: bytes) -> Interval | timedelta:
    microseconds, days, months = _BINARY.unpack(data)
    return interval_value(months, days, microseconds)


def decode_interval_binary_exact(data: bytes) -> Interval:
    microseconds, days, months = _BINARY.unpack(data)
    return Interval(months, days, microseconds)


def encode_interval_binary(value: Any) -> bytes:
    months, days, microseconds = interval_parts(value)
    return _BINARY.pack(microseconds, days, months)
