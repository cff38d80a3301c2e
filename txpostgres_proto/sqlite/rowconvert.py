"""Turning a whole SQLite result into PostgreSQL's Python values with one generated function.

The general conversion (``typemap.reader_for``) calls a Python reader for every value: for a
1,000-row result of six columns that is 6,000 calls, as much CPU as encoding the DataRows.
Most stored values need no reading at all (an ``int4`` column holds Python ints in range, a
``text`` column strs, a ``float8`` column floats), and the others repeat across rows and
fetches (flags, timestamps, prices).  So `compile_converter` generates, once per shape of
result columns, one list comprehension over the rows whose per-column expression is:

* *pass-through* — integers, floats and text: the value itself when it already has the
  column's Python type (and, for integers, is within the type's range), else the reader;
* *remembered* — ``bool``, ``timestamp`` and ``numeric``: a lookup in a bounded dict of values
  read before (`ReadValues`, keyed only by values whose reading depends on nothing else), else
  the reader, which then remembers the value;
* anything else: the reader.

NULL stays None in every case, and every value is exactly what its reader returns (the reader
itself computed it, now or earlier), so the result is identical to the general path's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Final

from txpostgres_proto.codegen import compile_factory
from txpostgres_proto.sqlite.typemap import PgType, Reader, integer_range, reader_for
from txpostgres_proto.types import oids
from txpostgres_proto.types.memo import RecentValues

__all__ = ["ReadValues", "compile_converter"]

#: Turns the rows SQLite returned into rows (tuples) of PostgreSQL's Python values.
Converter = Callable[[list[Any]], list[Any]]

_PASS_THROUGH: Final[dict[int, str]] = {
    oids.FLOAT4: "float",
    oids.FLOAT8: "float",
    oids.TEXT: "str",
    oids.VARCHAR: "str",
    oids.BPCHAR: "str",
    oids.NAME: "str",
    oids.CHAR: "str",
    oids.UNKNOWN: "str",
}
_INTEGERS: Final = frozenset({oids.INT2, oids.INT4, oids.INT8, oids.OID})


class ReadValues(RecentValues[Any]):
    """Values read before, by stored value (a `RecentValues`, whose C ``get`` the generated
    code calls); only keys of ``key_type`` other than zero (``0.0`` and ``-0.0`` are equal keys
    but read differently) are stored."""

    __slots__ = ("key_type",)

    def __init__(self, key_type: type) -> None:
        super().__init__()
        self.key_type = key_type

    def remembering(self, read: Reader) -> Reader:
        """``read``, storing what it returns for a storable key."""
        key_type = self.key_type
        remember = self.remember

        def read_and_remember(value: Any) -> Any:
            result = read(value)
            if type(value) is key_type and value:
                remember(value, result)
            return result

        return read_and_remember


#: The values ``bool`` columns hold as we store them (typemap: 0/1); never emptied.
_BOOLS: Final = {0: False, 1: True}
_TIMESTAMPS: Final = ReadValues(str)


@lru_cache(maxsize=256)
def _numerics(typmod: int) -> ReadValues:
    """Numerics read before for a numeric modifier (their scale depends on it), float keys
    only (``1`` and ``1.0`` are equal keys but read differently without a scale)."""
    return ReadValues(float)


def _column(pg_type: PgType, index: int) -> tuple[str, dict[str, Any]]:
    """The expression converting value ``v<index>`` and the objects it names (``r<index>``:
    the reader, ``g<index>``: a dict's ``get``)."""
    v, r, g, x = f"v{index}", f"r{index}", f"g{index}", f"x{index}"
    read = reader_for(pg_type)
    fallback = f"None if {v} is None else {r}({v})"
    if read is None:
        return v, {}
    oid = pg_type.oid
    if pg_type.element is not None:
        return fallback, {r: read}
    if oid in _INTEGERS:
        low, high = integer_range(oid)
        return f"{v} if type({v}) is int and {low} <= {v} <= {high} else {fallback}", {r: read}
    kind = _PASS_THROUGH.get(oid)
    if kind is not None and not (oid == oids.BPCHAR and pg_type.typmod > 4):  # padded: read
        return f"{v} if type({v}) is {kind} else {fallback}", {r: read}
    if oid == oids.BOOL:
        return f"{x} if ({x} := {g}({v})) is not None else {fallback}", {r: read, g: _BOOLS.get}
    if oid == oids.TIMESTAMP:
        known = _TIMESTAMPS
        guard = ""
    elif oid == oids.NUMERIC:
        known = _numerics(pg_type.typmod)
        guard = f"type({v}) is float and "
    else:
        return fallback, {r: read}
    expression = f"{x} if {guard}({x} := {g}({v})) is not None else {fallback}"
    return expression, {r: known.remembering(read), g: known.get}


def compile_converter(types: Sequence[PgType]) -> Converter:
    """The converter of results whose columns have these types: rows must have exactly
    ``len(types)`` values (unpacking raises ``ValueError`` otherwise)."""
    expressions = []
    objects: dict[str, Any] = {}
    for index, pg_type in enumerate(types):
        expression, named = _column(pg_type, index)
        expressions.append(f"({expression})")
        objects.update(named)
    return _factory(tuple(expressions), tuple(objects))(*objects.values())


@lru_cache(maxsize=256)
def _factory(expressions: tuple[str, ...], names: tuple[str, ...]) -> Callable[..., Converter]:
    count = len(expressions)
    fields = "".join(f"v{i}, " for i in range(count))
    lines = ("def convert(rows):", f"    return [({', '.join(expressions)},) for {fields}in rows]")
    return compile_factory(", ".join(names), lines, "convert", {}, f"sqlite_rows_{count}")
