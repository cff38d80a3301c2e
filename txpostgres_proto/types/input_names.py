"""How PostgreSQL names a type, and which SQLSTATE it uses, when a value fails its input function.

``invalid input syntax for type <name>: "<text>"`` names the type as its input function does:
mostly the SQL spelling (``boolean``, ``integer``, ``double precision``), but ``timestamp`` and
``time`` without their ``without time zone``.  The date and time types report 22007
(invalid_datetime_format); the others 22P02 (invalid_text_representation).  Used wherever a
value in text form is refused: Bind parameters (``server/extended_query.py``) and literals
in catalog queries (``catalog/literals.py``).
"""

from __future__ import annotations

from typing import Final

from . import oids

__all__ = ["input_sqlstate", "input_type_name"]

_NAMES: Final = {
    **oids.SQL_NAMES,
    oids.DATE: "date",
    oids.TIME: "time",
    oids.TIMETZ: "time with time zone",
    oids.TIMESTAMP: "timestamp",
    oids.TIMESTAMPTZ: "timestamp with time zone",
    oids.UUID: "uuid",
}
_DATETIME: Final = frozenset(
    {oids.DATE, oids.TIME, oids.TIMETZ, oids.TIMESTAMP, oids.TIMESTAMPTZ, oids.INTERVAL}
)


def input_type_name(oid: int, fallback: str) -> str:
    """The name PostgreSQL's input error for type ``oid`` uses (``fallback`` for types whose
    input function names them by their catalog name, such as ``oid`` or ``inet``)."""
    return _NAMES.get(oid, fallback)


def input_sqlstate(oid: int) -> str:
    """The SQLSTATE of a value type ``oid`` cannot read."""
    return "22007" if oid in _DATETIME else "22P02"
