"""Typed string literals (``'42'::int4``, ``'2024-01-02'::date``) checked as PostgreSQL checks
them, when a catalog query is compiled.

SQLite would take any text where a number or a date is expected and answer something (NULL,
the text itself, an error message about a column named ``inf``); PostgreSQL refuses the
literal with a precise error.  These checks give PostgreSQL's SQLSTATEs and messages: 22P02
for a malformed number, boolean or UUID, 22003 for a number out of its type's range, 22007 for
a malformed date or time, 22008 for a date whose fields are out of range.  Values PostgreSQL
accepts pass unchanged (the special date words such as ``now`` and ``infinity`` included).
"""

from __future__ import annotations

import math
import re
from typing import Final

from txpostgres_proto.catalog import pgtypes as t
from txpostgres_proto.catalog.pgtypes import Ty
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import oids
from txpostgres_proto.types.input_names import input_sqlstate, input_type_name
from txpostgres_proto.types.registry import DEFAULT_REGISTRY

__all__ = ["check_literal", "checked_integer", "numeric_literal", "parse_number"]

_INTEGER_RANGES: Final = {
    oids.INT2: (-(2**15), 2**15 - 1),
    oids.INT4: (-(2**31), 2**31 - 1),
    oids.INT8: (-(2**63), 2**63 - 1),
}
_NUMBER: Final = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
_SPECIAL_NUMBERS: Final = {
    "nan": math.nan,
    **{spelling: math.inf for spelling in ("infinity", "+infinity", "inf", "+inf")},
    **{spelling: -math.inf for spelling in ("-infinity", "-inf")},
}
_DATE_WORDS: Final = frozenset(
    {"now", "today", "tomorrow", "yesterday", "epoch", "infinity", "-infinity", "allballs"}
)
_LOOKS_LIKE_A_DATE: Final = re.compile(r"\s*\d{4}-\d{1,2}-\d{1,2}")
_FLOAT4_MAX: Final = 3.4028234663852886e38


def _invalid(text: str, target: Ty) -> PostgresError:
    name = input_type_name(target.oid, "?")
    return PostgresError(
        f'invalid input syntax for type {name}: "{text}"', input_sqlstate(target.oid)
    )


def checked_integer(value: int, text: str, target: Ty) -> int:
    """``value`` (spelled ``text``) if it fits the integer type ``target``, else 22003."""
    low, high = _INTEGER_RANGES.get(target.oid, (-(2**63), 2**63 - 1))
    if not low <= value <= high:
        name = input_type_name(target.oid, "bigint")
        raise PostgresError(f'value "{text}" is out of range for type {name}', "22003")
    return value


def parse_number(text: str, target: Ty) -> int | float:
    """``text`` as a value of the integer or floating type ``target`` (what a bound
    ``$1::int`` or ``$1::float8`` holds, or a typed literal), with PostgreSQL's errors;
    ``numeric`` is held as a float, so it has no range to check."""
    stripped = text.strip()
    if t.is_integer_like(target):
        if not stripped.lstrip("+-").isdigit():
            raise _invalid(text, target)
        return checked_integer(int(stripped), text, target)
    special = _SPECIAL_NUMBERS.get(stripped.lower())
    if special is not None:
        return special
    if not _NUMBER.fullmatch(text):
        raise _invalid(text, target)
    value = float(stripped)
    limit = _FLOAT4_MAX if target.oid == oids.FLOAT4 else math.inf
    if target.oid != oids.NUMERIC and (math.isinf(value) or abs(value) > limit):
        raise PostgresError(
            f'"{text}" is out of range for type {input_type_name(target.oid, "?")}', "22003"
        )
    return value


def numeric_literal(text: str, target: Ty) -> str:
    """The SQL value of ``text`` cast to real, double precision or numeric."""
    value = parse_number(text, target)
    if math.isnan(value):
        return "'NaN'"
    if math.isinf(value):
        return "9e999" if value > 0 else "-9e999"  # SQLite reads these as infinities
    stripped = text.strip()
    return stripped if stripped.lstrip("+-").isdigit() else repr(value)


def check_literal(text: str, target: Ty) -> None:
    """Raise PostgreSQL's error when ``text`` is no valid date, time, timestamp or UUID."""
    if target.oid not in (oids.DATE, oids.TIME, oids.TIMESTAMP, oids.TIMESTAMPTZ, oids.UUID):
        return
    if text.strip().lower() in _DATE_WORDS:
        return
    try:
        DEFAULT_REGISTRY.decoder(target.oid, 0)(text.encode("utf-8"))
    except (ValueError, OverflowError):
        if target.oid == oids.UUID:
            raise _invalid(text, target) from None
        if _LOOKS_LIKE_A_DATE.match(text):
            raise PostgresError(f'date/time field value out of range: "{text}"', "22008") from None
        raise _invalid(text, target) from None
