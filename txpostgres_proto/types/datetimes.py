"""``date``, ``time``, ``timetz``, ``timestamp`` and ``timestamptz``, text and binary.

Text is PostgreSQL's ``DateStyle=ISO`` output (the setting every driver asks for at startup):
``2024-01-02``, ``03:04:05.5``, ``2024-01-02 03:04:05.123456+01`` — fraction digits without
trailing zeros, UTC offsets as ``+HH``, ``+HH:MM`` or ``+HH:MM:SS``, a `` BC`` suffix for years
before 1 AD, and ``infinity``/``-infinity``. Parsing uses ``fromisoformat`` (C code that reads
exactly this fixed layout, several times faster than slicing it in Python and far faster than
``strptime``) with a slicing fallback for the forms it rejects.

Binary (``date_send``, ``timestamp_send``, ``time_send``, ``timetz_send``): a date is an int32
day count and a timestamp an int64 microsecond count, both from 2000-01-01 (timestamptz counts
from 2000-01-01 00:00 UTC); INT_MAX/INT_MIN mean ±infinity. A time is int64 microseconds since
midnight; timetz adds an int32 zone given in seconds *west* of UTC.

Python mapping: ``date``/naive ``datetime``/``time``; timestamptz and timetz give aware values.
±infinity map to ``date.max``/``date.min`` and ``datetime.max``/``datetime.min`` (and back, so
those two Python values are always sent as infinity). Dates before 1 AD or after 9999 AD have no
Python equivalent and raise ``ValueError``. ``24:00:00`` (a valid PostgreSQL time) decodes to
``time.max``.

timestamptz depends on the session: PostgreSQL prints it in the session ``TimeZone``. Decoders
made with a ``timezone`` convert every value to that zone (text and binary then agree); without
one, text values keep the offset PostgreSQL printed and binary values are in UTC. Encoders made
with a ``timezone`` print in that zone (byte-identical to PostgreSQL); naive datetimes given for
a timestamptz are taken as UTC.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Final, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .memo import RecentValues

TimeZoneSpec = str | tzinfo | None

_DATE_EPOCH_ORDINAL: Final = date(2000, 1, 1).toordinal()
_EPOCH: Final = datetime(2000, 1, 1)
_EPOCH_UTC: Final = datetime(2000, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND: Final = timedelta(microseconds=1)
_INT4: Final = struct.Struct("!i")
_INT8: Final = struct.Struct("!q")
_TIMETZ: Final = struct.Struct("!qi")
_INT4_MAX: Final = 0x7FFFFFFF
_INT4_MIN: Final = -0x80000000
_INT8_MAX: Final = 0x7FFFFFFFFFFFFFFF
_INT8_MIN: Final = -0x8000000000000000
_NAIVE_MAX: Final = datetime.max
_NAIVE_MIN: Final = datetime.min

# --- time zones -------------------------------------------------------------------------------

_POSIX_OFFSET_ZONE: Final = re.compile(r"^<[^>]*>([+-]?)(\d{1,2})(?::(\d\d))?(?::(\d\d))?$")


def resolve_timezone(spec: TimeZoneSpec) -> tzinfo | None:
    """A ``tzinfo`` for a session ``TimeZone`` value (``Europe/Amsterdam``, ``UTC``, or the
    ``<+02>-02`` form PostgreSQL reports after ``SET TIME ZONE 2``); tzinfo objects pass
    through. Raises ``ValueError`` for a name the system's zone database does not know."""
    if spec is None or isinstance(spec, tzinfo):
        return spec
    if spec.upper() in ("UTC", "GMT", "Z", "ETC/UTC", "ZULU", "UCT", "UNIVERSAL"):
        return UTC
    match = _POSIX_OFFSET_ZONE.match(spec)
    if match:
        sign, hours, minutes, seconds = match.groups()
        # POSIX offsets count hours west of Greenwich, the opposite of ISO 8601.
        west = int(hours) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
        return timezone(timedelta(seconds=west if sign == "-" else -west))
    try:
        return ZoneInfo(spec)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {spec!r}") from error


# --- shared text helpers ----------------------------------------------------------------------


def _format_offset(offset: timedelta | None) -> str:
    seconds = 0 if offset is None else offset.days * 86400 + offset.seconds
    sign = "-" if seconds < 0 else "+"
    minutes, second = divmod(abs(seconds), 60)
    hour, minute = divmod(minutes, 60)
    if second:
        return f"{sign}{hour:02d}:{minute:02d}:{second:02d}"
    if minute:
        return f"{sign}{hour:02d}:{minute:02d}"
    return f"{sign}{hour:02d}"


_offset_zones: dict[str, timezone] = {}  # PostgreSQL's offset text -> tzinfo
_offset_suffixes: dict[str, str] = {}  # isoformat's offset text -> PostgreSQL's


def _parse_offset(text: str) -> timezone:
    zone = _offset_zones.get(text)
    if zone is None:
        parts = [int(part) for part in text[1:].split(":")] + [0, 0]
        seconds = parts[0] * 3600 + parts[1] * 60 + parts[2]
        zone = timezone(timedelta(seconds=-seconds if text[0] == "-" else seconds))
        _offset_zones[text] = zone
    return zone


_ISO_LAYOUT: Final = re.compile(
    r"^(\d{4,})-(\d\d)-(\d\d)"
    r"(?: (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-]\d\d(?::\d\d){0,2})?)?( BC)?$"
)


def _reject(text: str, kind: str) -> NoReturn:
    """Explain why ``fromisoformat`` refused ``text``: out of Python's range, or malformed."""
    match = _ISO_LAYOUT.match(text)
    if match is None:
        raise ValueError(f"invalid input syntax for type {kind}: {text!r}")
    if match.group(9):
        raise ValueError(f"{kind} {text!r} is before 1 AD; Python's datetime cannot hold it")
    if int(match.group(1)) > 9999:
        raise ValueError(f"{kind} {text!r} is after 9999 AD; Python's datetime cannot hold it")
    raise ValueError(f"invalid {kind} value {text!r}")


# --- date -------------------------------------------------------------------------------------


def decode_date_text(data: bytes) -> date:
    text = data.decode()
    try:
        return date.fromisoformat(text)
    except ValueError:
        if text == "infinity":
            return date.max
        if text == "-infinity":
            return date.min
        _reject(text, "date")


def encode_date_text(value: Any) -> bytes:
    if isinstance(value, datetime):
        value = value.date()
    if value == date.max:
        return b"infinity"
    if value == date.min:
        return b"-infinity"
    return value.isoformat().encode()


def decode_date_binary(data: bytes) -> date:
    days = _INT4.unpack(data)[0]
    try:
        return date.fromordinal(days + _DATE_EPOCH_ORDINAL)
    except (ValueError, OverflowError):
        if days == _INT4_MAX:
            return date.max
        if days == _INT4_MIN:
            return date.min
        raise ValueError(f"date {days} days from 2000-01-01 is outside Python's range") from None


def encode_date_binary(value: Any) -> bytes:
    if isinstance(value, datetime):
        value = value.date()
    if value == date.max:
        return _INT4.pack(_INT4_MAX)
    if value == date.min:
        return _INT4.pack(_INT4_MIN)
    return _INT4.pack(value.toordinal() - _DATE_EPOCH_ORDINAL)


# --- timestamp (naive) ------------------------------------------------------------------------


def _out_of_range(microseconds: int) -> ValueError:
    return ValueError(f"timestamp {microseconds}us from 2000-01-01 is outside Python's range")


def decode_timestamp_text(data: bytes) -> datetime:
    text = data.decode()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        if text == "infinity":
            return _NAIVE_MAX
        if text == "-infinity":
            return _NAIVE_MIN
        _reject(text, "timestamp")


def _naive_text(value: datetime) -> str:
    text = value.isoformat(" ")
    return text.rstrip("0") if value.microsecond else text


def _infinity(value: datetime) -> bytes | None:
    """``infinity``/``-infinity`` for ``datetime.max``/``datetime.min`` (in any zone)."""
    if 1 < value.year < 9999:
        return None
    naive = value.replace(tzinfo=None) if value.tzinfo is not None else value
    if naive == _NAIVE_MAX:
        return b"infinity"
    if naive == _NAIVE_MIN:
        return b"-infinity"
    return None


# Text of recently printed naive timestamps: a datetime caches its hash, so a hit costs one
# dict lookup (a third of printing). Naive values that compare equal print alike (``fold`` is
# not printed). Emptied when full.
_timestamp_texts: RecentValues[bytes] = RecentValues()


def encode_timestamp_text(value: Any) -> bytes:
    """The wall-clock fields of ``value`` (an aware value's offset is dropped, as PostgreSQL
    does when it reads ``'... +05'::timestamp``)."""
    if type(value) is datetime and value.tzinfo is None and 1 < value.year < 9999:
        # The common case, inlined: a naive value that is not an infinity.
        encoded = _timestamp_texts.get(value)
        if encoded is None:
            text = value.isoformat(" ")
            encoded = _timestamp_texts.remember(
                value, (text.rstrip("0") if value.microsecond else text).encode()
            )
        return encoded
    if type(value) is date:
        value = datetime(value.year, value.month, value.day)
    special = _infinity(value)
    if special is not None:
        return special
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return _naive_text(value).encode()


def decode_timestamp_binary(data: bytes) -> datetime:
    microseconds = _INT8.unpack(data)[0]
    try:
        return _EPOCH + timedelta(0, 0, microseconds)
    except OverflowError:
        if microseconds == _INT8_MAX:
            return _NAIVE_MAX
        if microseconds == _INT8_MIN:
            return _NAIVE_MIN
        raise _out_of_range(microseconds) from None


# Binary form of recently sent naive timestamps (see ``_timestamp_texts``). Emptied when full.
_timestamp_binaries: RecentValues[bytes] = RecentValues()


def encode_timestamp_binary(value: Any) -> bytes:
    if type(value) is datetime and value.tzinfo is None:
        encoded = _timestamp_binaries.get(value)
        if encoded is None:
            encoded = _timestamp_binaries.remember(value, _encode_timestamp_binary(value))
        return encoded
    return _encode_timestamp_binary(value)


def _encode_timestamp_binary(value: Any) -> bytes:
    if type(value) is date:
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    if value == _NAIVE_MAX:
        return _INT8.pack(_INT8_MAX)
    if value == _NAIVE_MIN:
        return _INT8.pack(_INT8_MIN)
    return _INT8.pack((value - _EPOCH) // _ONE_MICROSECOND)


# --- timestamptz ------------------------------------------------------------------------------


def make_timestamptz_text_decoder(zone: tzinfo | None) -> Callable[[bytes], datetime]:
    """Decoder for timestamptz text; values are converted to ``zone`` when one is given."""

    def decode_timestamptz_text(data: bytes) -> datetime:
        text = data.decode()
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            if text == "infinity":
                return _NAIVE_MAX.replace(tzinfo=zone or UTC)
            if text == "-infinity":
                return _NAIVE_MIN.replace(tzinfo=zone or UTC)
            _reject(text, "timestamp with time zone")
        return value if zone is None else value.astimezone(zone)

    return decode_timestamptz_text


def _decode_timestamptz_binary_utc(data: bytes) -> datetime:
    microseconds = _INT8.unpack(data)[0]
    try:
        return _EPOCH_UTC + timedelta(0, 0, microseconds)
    except OverflowError:
        if microseconds == _INT8_MAX:
            return _NAIVE_MAX.replace(tzinfo=UTC)
        if microseconds == _INT8_MIN:
            return _NAIVE_MIN.replace(tzinfo=UTC)
        raise _out_of_range(microseconds) from None


def make_timestamptz_binary_decoder(zone: tzinfo | None) -> Callable[[bytes], datetime]:
    """Decoder for timestamptz binary; values are in ``zone`` when one is given, else UTC."""
    target = zone or UTC
    if target is UTC:
        # Already in the session zone: no astimezone (the common case, and a third of the cost).
        return _decode_timestamptz_binary_utc

    def decode_timestamptz_binary(data: bytes) -> datetime:
        microseconds = _INT8.unpack(data)[0]
        try:
            value = _EPOCH_UTC + timedelta(0, 0, microseconds)
        except OverflowError:
            if microseconds == _INT8_MAX:
                return _NAIVE_MAX.replace(tzinfo=target)
            if microseconds == _INT8_MIN:
                return _NAIVE_MIN.replace(tzinfo=target)
            raise _out_of_range(microseconds) from None
        try:
            return value.astimezone(zone)
        except OverflowError:
            return value

    return decode_timestamptz_binary


def make_timestamptz_text_encoder(zone: tzinfo | None) -> Callable[[Any], bytes]:
    """Encoder printing timestamptz in ``zone`` (as PostgreSQL does for the session TimeZone);
    without a zone each value keeps its own offset."""

    def encode_timestamptz_text(value: Any) -> bytes:
        if type(value) is date:
            value = datetime(value.year, value.month, value.day)
        special = _infinity(value)
        if special is not None:
            return special
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if zone is not None:
            value = value.astimezone(zone)
        text = value.isoformat(" ")
        # isoformat: 19 characters, ".ffffff" when there are microseconds, then ±HH:MM[:SS].
        if value.microsecond:
            stamp, offset = text[:26].rstrip("0"), text[26:]
        else:
            stamp, offset = text[:19], text[19:]
        suffix = _offset_suffixes.get(offset)
        if suffix is None:
            suffix = _offset_suffixes[offset] = _format_offset(value.utcoffset())
        return (stamp + suffix).encode()

    return encode_timestamptz_text


def encode_timestamptz_binary(value: Any) -> bytes:
    if type(value) is date:
        value = datetime(value.year, value.month, value.day)
    special = _infinity(value)
    if special is not None:
        return _INT8.pack(_INT8_MAX if special == b"infinity" else _INT8_MIN)
    if value.tzinfo is None:
        return _INT8.pack((value - _EPOCH) // _ONE_MICROSECOND)
    return _INT8.pack((value - _EPOCH_UTC) // _ONE_MICROSECOND)


# --- time and timetz --------------------------------------------------------------------------


def decode_time_text(data: bytes) -> time:
    text = data.decode()
    try:
        return time.fromisoformat(text)
    except ValueError:
        if text.startswith("24:00:00"):
            zone_at = max(text.find("+"), text.find("-"))
            if zone_at < 0:
                return time.max
            return time.max.replace(tzinfo=_parse_offset(text[zone_at:]))
        raise ValueError(f"invalid input syntax for type time: {text!r}") from None


def _time_text(value: time) -> str:
    text = value.replace(tzinfo=None).isoformat()
    return text.rstrip("0") if value.microsecond else text


def encode_time_text(value: Any) -> bytes:
    if isinstance(value, datetime):
        value = value.time()
    return _time_text(value).encode()


def encode_timetz_text(value: Any) -> bytes:
    """A ``time`` with its UTC offset; a naive ``time`` is taken as UTC."""
    if isinstance(value, datetime):
        value = value.timetz()
    return (_time_text(value) + _format_offset(value.utcoffset())).encode()


def _time_from_microseconds(microseconds: int, zone: tzinfo | None = None) -> time:
    seconds, micro = divmod(microseconds, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    if hour == 24:
        return time.max.replace(tzinfo=zone)
    return time(hour, minute, second, micro, zone)


def _microseconds_of(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def decode_time_binary(data: bytes) -> time:
    return _time_from_microseconds(_INT8.unpack(data)[0])


def encode_time_binary(value: Any) -> bytes:
    if isinstance(value, datetime):
        value = value.time()
    return _INT8.pack(_microseconds_of(value))


_zones_west: dict[int, timezone] = {}


def decode_timetz_binary(data: bytes) -> time:
    microseconds, west = _TIMETZ.unpack(data)
    zone = _zones_west.get(west)
    if zone is None:
        zone = _zones_west[west] = timezone(timedelta(seconds=-west))
    return _time_from_microseconds(microseconds, zone)


def encode_timetz_binary(value: Any) -> bytes:
    if isinstance(value, datetime):
        value = value.timetz()
    offset = value.utcoffset()
    east = 0 if offset is None else offset.days * 86400 + offset.seconds
    return _TIMETZ.pack(_microseconds_of(value), -east)
