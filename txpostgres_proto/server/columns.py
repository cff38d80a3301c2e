"""Result columns as applications write them, and the types of columns given by name only.

An application names the columns of a result in one of three ways:

* a plain name (``"id"``): the type is inferred from the Python values of the rows
  (`infer_column_type`);
* a `Column` (the catalog's schema class, ``Column("id", "int4")``): the type is given as an
  OID or any SQL spelling, with its type modifier (``varchar(20)``);
* a `ResultColumn` (the backend contract): everything RowDescription carries, as is.

Inference follows ``types.infer_oid`` value by value (bool before int, every int is int8, …)
and widens when a column mixes kinds: int8 with float8 gives float8, with numeric gives numeric;
any other mix gives text, which can print every value.  A column whose values are all NULL is
text, as PostgreSQL describes ``SELECT NULL``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Final, TypeAlias

from txpostgres_proto.catalog import ResultColumn as CatalogColumn
from txpostgres_proto.catalog.schema import Column
from txpostgres_proto.server.backend import ResultColumn
from txpostgres_proto.types import DEFAULT_REGISTRY, oids

#: What an application may put in a column list.
ColumnSpec: TypeAlias = "str | Column | ResultColumn"

_NUMBERS: Final = frozenset({oids.INT8, oids.FLOAT8, oids.NUMERIC})


def spec_name(spec: ColumnSpec) -> str:
    """The result column name of a column spec."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, Column | ResultColumn):
        return spec.name
    raise TypeError(f"a result column must be a name, Column or ResultColumn, not {spec!r}")


@lru_cache(maxsize=4096)
def column_result(column: Column) -> ResultColumn:
    """The `ResultColumn` of a `Column` (cached: resolving a type spelling is not free)."""
    type_oid = column.type_oid
    return ResultColumn(column.name, type_oid, column.typmod, type_size=type_size(type_oid))


def declared_column(spec: ColumnSpec) -> ResultColumn | None:
    """The `ResultColumn` of a typed spec; None for a plain name (its type is inferred)."""
    if isinstance(spec, ResultColumn):
        return spec
    if isinstance(spec, Column):
        return column_result(spec)
    spec_name(spec)  # rejects anything that is not a name
    return None


def type_size(type_oid: int) -> int:
    """``pg_type.typlen`` of a type as RowDescription reports it (-1 for variable length)."""
    info = DEFAULT_REGISTRY.type_info(type_oid)
    return info.typlen if info is not None else -1


def from_catalog(column: CatalogColumn) -> ResultColumn:
    """A catalog engine's result column as the protocol's `ResultColumn`."""
    return ResultColumn(
        column.name,
        column.type_oid,
        column.typmod,
        column.table_oid,
        column.attnum,
        type_size(column.type_oid),
    )


def named_column(name: str, type_oid: int) -> ResultColumn:
    """A result column of a built-in or registered type, without a source table.

    Columns are immutable, so the ones of known types are made once per (name, type) and
    shared: handlers describe the same few result columns on every query.
    """
    key = (name, type_oid)
    column = _NAMED_COLUMNS.get(key)
    if column is None:
        column = ResultColumn(name, type_oid, type_size=type_size(type_oid))
        if DEFAULT_REGISTRY.type_info(type_oid) is not None:  # a size that cannot change
            if len(_NAMED_COLUMNS) >= _NAMED_COLUMN_ENTRIES:
                _NAMED_COLUMNS.clear()
            _NAMED_COLUMNS[key] = column
    return column


#: `named_column`'s columns by (name, type OID); emptied when it reaches the limit.
_NAMED_COLUMNS: Final[dict[tuple[str, int], ResultColumn]] = {}
_NAMED_COLUMN_ENTRIES: Final = 1024


def _widen(found: set[int]) -> int:
    if len(found) == 1:
        return next(iter(found))
    if found <= _NUMBERS:
        return oids.NUMERIC if oids.NUMERIC in found else oids.FLOAT8
    return oids.TEXT


def infer_column_type(values: Iterable[Any]) -> int:
    """The type OID of a column holding ``values`` (see the module docstring)."""
    found = {DEFAULT_REGISTRY.infer_oid(value) for value in values if value is not None}
    return _widen(found) if found else oids.TEXT
