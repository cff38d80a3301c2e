"""PostgreSQL's casts over stored SQLite values: ``x::int``, ``'2024-01-02'::date`` ….

SQLite's own ``CAST`` is forgiving where PostgreSQL is strict (``CAST('abc' AS INTEGER)`` is 0,
PostgreSQL answers 22P02) and knows nothing of dates, JSON or arrays.  Every cast in client SQL
therefore becomes a call of the user function ``pg_cast(value, 'typname', typmod)`` whose body
is `cast_value`: it reads the value the way PostgreSQL's input function for the target type
would (using the text codecs of ``txpostgres_proto.types``) and returns it in the storage form
of ``typemap.py``.  The same function coerces string literals and untyped parameters that meet
a typed column (``WHERE flag = 't'``, ``INSERT … VALUES ('2024-01-02 10:00+02')``), so that
what is stored is always in storage form.

Invalid input raises `PostgresError` 22P02 (``invalid input syntax for type integer: "abc"``),
out-of-range integers 22003, as PostgreSQL does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.typemap import (
    PgType,
    format_type_name,
    integer_range,
    reader_for,
    storage_timestamp,
    to_storage,
)
from txpostgres_proto.types import DEFAULT_REGISTRY, TEXT, format_interval, oids, parse_interval

_INTEGERS: Final = frozenset({oids.INT2, oids.INT4, oids.INT8, oids.OID})
_STRINGS: Final = frozenset({oids.TEXT, oids.VARCHAR, oids.BPCHAR, oids.NAME, oids.CHAR})


def invalid_input(pg_type: PgType, value: Any) -> PostgresError:
    return PostgresError(
        f'invalid input syntax for type {format_type_name(pg_type)}: "{value}"', "22P02"
    )


def _decode_text(pg_type: PgType, text: str) -> Any:
    try:
        return DEFAULT_REGISTRY.decoder(pg_type.oid, TEXT)(text.strip().encode())
    except (ValueError, TypeError, IndexError, KeyError):
        raise invalid_input(pg_type, text) from None


def _to_integer(value: Any, pg_type: PgType) -> Any:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise PostgresError(f"{format_type_name(pg_type)} out of range", "22003")
        value = round(value)
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise invalid_input(pg_type, value) from None
    elif isinstance(value, bytes):
        raise invalid_input(pg_type, value)
    read = reader_for(pg_type)
    assert read is not None
    return read(value)


def _to_float(value: Any, pg_type: PgType) -> Any:
    try:
        return float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise invalid_input(pg_type, value) from None


def _to_numeric(value: Any, pg_type: PgType) -> Any:
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise invalid_input(pg_type, value) from None
    if pg_type.typmod >= 4 and number.is_finite():
        precision, scale = (pg_type.typmod - 4) >> 16, (pg_type.typmod - 4) & 0xFFFF
        try:
            number = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            pass  # more digits than the decimal context holds: far too large, said below
        if number.adjusted() >= precision - scale:
            raise PostgresError(
                "numeric field overflow",
                "22003",
                detail=f"A field with precision {precision}, scale {scale} must round to an "
                f"absolute value less than 10^{precision - scale}.",
            )
    return to_storage(number)


def _to_bool(value: Any, pg_type: PgType) -> Any:
    if isinstance(value, int | float):
        return int(bool(value))
    read = reader_for(pg_type)
    assert read is not None
    return int(read(value))


def _to_string(value: Any, pg_type: PgType) -> Any:
    read = reader_for(PgType(oids.TEXT))
    assert read is not None
    text = read(value)
    if pg_type.oid in (oids.VARCHAR, oids.BPCHAR) and pg_type.typmod >= 4:
        text = text[: pg_type.typmod - 4]
    return text


def _parse_stamp(value: Any, pg_type: PgType) -> datetime:
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        stamp = _decode_text(pg_type, text)
        if isinstance(stamp, date) and not isinstance(stamp, datetime):
            return datetime(stamp.year, stamp.month, stamp.day)
        return stamp  # type: ignore[no-any-return]


def _to_timestamp(value: Any, pg_type: PgType, zone: tzinfo) -> Any:
    stamp = _parse_stamp(value, pg_type)
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(zone).replace(tzinfo=None)
    return storage_timestamp(stamp)


def _to_timestamptz(value: Any, pg_type: PgType, zone: tzinfo) -> Any:
    stamp = _parse_stamp(value, pg_type)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=zone)
    return storage_timestamp(stamp)


def _to_date(value: Any, pg_type: PgType, zone: tzinfo) -> Any:
    return _parse_stamp(value, pg_type).date().isoformat()


def _to_time(value: Any, pg_type: PgType) -> Any:
    text = str(value).strip()
    try:
        return _decode_text(pg_type, text).isoformat()
    except PostgresError:
        return _parse_stamp(text, PgType(oids.TIMESTAMP)).time().isoformat()


def _to_interval(value: Any, pg_type: PgType) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PostgresError(f"cannot cast type numeric to {format_type_name(pg_type)}", "42846")
    try:
        return format_interval(*parse_interval(str(value).strip()))
    except ValueError:
        raise invalid_input(pg_type, value) from None


def _to_json(value: Any, pg_type: PgType) -> Any:
    if not isinstance(value, str):
        return json.dumps(value)
    try:
        parsed = json.loads(value)
    except ValueError:
        raise invalid_input(pg_type, value) from None
    if pg_type.oid == oids.JSONB:
        return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)
    return value


def _to_uuid(value: Any, pg_type: PgType) -> Any:
    return str(_decode_text(pg_type, str(value)))


def _to_bytea(value: Any, pg_type: PgType) -> Any:
    if isinstance(value, bytes):
        return value
    text = str(value)
    if text.startswith("\\x"):
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            raise invalid_input(pg_type, value) from None
    return text.encode()


def _to_array(value: Any, pg_type: PgType, zone: tzinfo) -> Any:
    element = pg_type.element
    assert element is not None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                raise invalid_input(pg_type, value) from None
        elif text.startswith("{"):
            items = _decode_text(pg_type, text)
        else:
            raise PostgresError(
                f'malformed array literal: "{value}"',
                "22P02",
                detail='Array value must start with "{" or dimension information.',
            )
    else:
        items = [value]
    return to_storage(_cast_items(items, element, zone))


def _cast_items(items: Any, element: PgType, zone: tzinfo) -> Any:
    if isinstance(items, list):
        return [_cast_items(item, element, zone) for item in items]
    stored = to_storage(items)
    if isinstance(stored, str) and element.oid not in _STRINGS:
        stored = cast_value(stored, element, zone)
    return stored


_SIMPLE: Final[dict[int, Callable[[Any, PgType], Any]]] = {
    oids.FLOAT4: _to_float,
    oids.FLOAT8: _to_float,
    oids.NUMERIC: _to_numeric,
    oids.BOOL: _to_bool,
    oids.TIME: _to_time,
    oids.INTERVAL: _to_interval,
    oids.JSON: _to_json,
    oids.JSONB: _to_json,
    oids.UUID: _to_uuid,
    oids.BYTEA: _to_bytea,
}
_ZONED: Final[dict[int, Callable[[Any, PgType, tzinfo], Any]]] = {
    oids.TIMESTAMP: _to_timestamp,
    oids.TIMESTAMPTZ: _to_timestamptz,
    oids.DATE: _to_date,
}


def cast_value(value: Any, pg_type: PgType, zone: tzinfo = UTC) -> Any:
    """``value`` (a stored SQLite value) cast to ``pg_type``, in storage form.  ``zone`` is the
    session time zone, used for zone-less input to ``timestamptz`` and back."""
    if value is None:
        return None
    oid = pg_type.oid
    if pg_type.element is not None:
        return _to_array(value, pg_type, zone)
    if oid in _INTEGERS:
        return _to_integer(value, pg_type)
    if oid in _STRINGS:
        return _to_string(value, pg_type)
    simple = _SIMPLE.get(oid)
    if simple is not None:
        return simple(value, pg_type)
    zoned = _ZONED.get(oid)
    if zoned is not None:
        return zoned(value, pg_type, zone)
    return _to_string(value, pg_type)


#: `cast_value` of a string with the type known in advance (``caster_for``).
Caster = Callable[[str, tzinfo], Any]


def caster_for(pg_type: PgType) -> Caster:
    """`cast_value` for strings of one type, with the choice by type made once: the binding of
    a prepared statement's parameters runs it for every execution."""
    if pg_type.element is None and pg_type.oid in _INTEGERS:
        read = reader_for(pg_type)
        assert read is not None
        low, high = integer_range(pg_type.oid)

        def cast_integer(value: str, zone: tzinfo) -> Any:
            try:
                number = int(value)  # (int skips surrounding whitespace as str.strip does)
            except ValueError:
                raise invalid_input(pg_type, value) from None
            return number if low <= number <= high else read(number)  # read: out of range

        return cast_integer

    def cast(value: str, zone: tzinfo) -> Any:
        return cast_value(value, pg_type, zone)

    return cast
