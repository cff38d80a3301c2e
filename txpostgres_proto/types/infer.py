"""Choosing a PostgreSQL type OID for a Python value.

Used by the server to type result columns from the values an application returns, and by the
client to type query parameters. The rules:

* ``None`` -> ``UNKNOWN`` (705): a NULL says nothing about its type. A client should send
  parameter type 0 ("let the server decide") for it; a server should describe such a column as
  ``text``, which is what PostgreSQL does for ``SELECT NULL``.
* ``bool`` -> ``BOOL`` (checked before ``int``, of which it is a subclass).
* ``int`` -> ``INT8``: Python ints are unbounded, int8 holds nearly all of them, and PostgreSQL
  compares and assigns int8 to int2/int4 columns without complaint; an int4 guess would fail at
  2**31. Values beyond int8 become ``NUMERIC``.
* ``float`` -> ``FLOAT8``; ``Decimal`` -> ``NUMERIC``; ``str`` -> ``TEXT``; bytes-likes ->
  ``BYTEA``; ``dict`` -> ``JSONB``; ``uuid.UUID`` -> ``UUID``.
* ``datetime`` -> ``TIMESTAMPTZ`` when aware, ``TIMESTAMP`` when naive; ``date`` -> ``DATE``;
  ``time`` -> ``TIMETZ`` when aware, ``TIME`` when naive; ``timedelta``/``Interval`` ->
  ``INTERVAL``.
* ``ipaddress`` addresses and interfaces -> ``INET``; networks -> ``CIDR``.
* ``list``/``tuple`` -> the array type of the first non-None element (searched depth first, so
  nested lists give the element's array type); empty or all-None -> ``TEXT_ARRAY``.
* Anything else -> ``TEXT`` (it will be sent as ``str(value)``). Subclasses follow their base
  class (an ``IntEnum`` is an int).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

from txpostgres_proto.types import oids
from txpostgres_proto.types.values import Interval

_INT8_MIN: Final = -(2**63)
_INT8_MAX: Final = 2**63 - 1

# Types whose OID does not depend on the value.
PYTHON_TYPE_OIDS: Final[Mapping[type, int]] = {
    bool: oids.BOOL,
    float: oids.FLOAT8,
    Decimal: oids.NUMERIC,
    str: oids.TEXT,
    bytes: oids.BYTEA,
    bytearray: oids.BYTEA,
    memoryview: oids.BYTEA,
    dict: oids.JSONB,
    UUID: oids.UUID,
    date: oids.DATE,
    timedelta: oids.INTERVAL,
    Interval: oids.INTERVAL,
    ipaddress.IPv4Address: oids.INET,
    ipaddress.IPv6Address: oids.INET,
    ipaddress.IPv4Interface: oids.INET,
    ipaddress.IPv6Interface: oids.INET,
    ipaddress.IPv4Network: oids.CIDR,
    ipaddress.IPv6Network: oids.CIDR,
}


def _first_element(value: list[Any] | tuple[Any, ...]) -> Any:
    for item in value:
        if isinstance(item, list | tuple):
            found = _first_element(item)
            if found is not None:
                return found
        elif item is not None:
            return item
    return None


def oid_for_value(
    value: Any,
    extra: Mapping[type, int] | None = None,
    array_oids: Mapping[int, int] | None = None,
) -> int:
    """The OID of the PostgreSQL type that ``value`` is sent as (rules in the module doc).

    ``extra`` maps further Python classes (a registry's custom types) to OIDs and is consulted
    first; ``array_oids`` maps further element OIDs to their array type OIDs.
    """
    kind = type(value)
    if extra:
        for base in kind.__mro__:
            if base in extra:
                return extra[base]
    oid = PYTHON_TYPE_OIDS.get(kind)
    if oid is not None:
        return oid
    if value is None:
        return oids.UNKNOWN
    if isinstance(value, int):  # bool is final, so only genuine ints get here
        return oids.INT8 if _INT8_MIN <= value <= _INT8_MAX else oids.NUMERIC
    if isinstance(value, datetime):
        return oids.TIMESTAMP if value.tzinfo is None else oids.TIMESTAMPTZ
    if isinstance(value, time):
        return oids.TIME if value.tzinfo is None else oids.TIMETZ
    if isinstance(value, list | tuple):
        element = _first_element(value)
        if element is None:
            return oids.TEXT_ARRAY
        element_oid = oid_for_value(element, extra, array_oids)
        if array_oids and element_oid in array_oids:
            return array_oids[element_oid]
        info = oids.BUILTIN_TYPES.get(element_oid)
        return info.array_oid if info is not None and info.array_oid else oids.TEXT_ARRAY
    for base, base_oid in PYTHON_TYPE_OIDS.items():
        if isinstance(value, base):
            return base_oid
    return oids.TEXT
