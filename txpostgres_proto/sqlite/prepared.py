"""What running the same statement again needs, worked out once per statement and schema.

Drivers with a statement cache, and ``pgbench -M prepared``, send the same SQL text for every
execution.  `templates.TranslationCache` keeps its translation; `PreparedCache` keeps what the
backend derives from that translation: the columns RowDescription describes (their table OIDs
come from the catalog), the function turning SQLite's rows into PostgreSQL's Python values, how
each parameter is bound, and whether the statement may be tried in the reactor thread
(``inline.py``, ``inline_writes.py``).  Running a statement again is then a dictionary lookup,
the binding, SQLite and the row conversion.

Entries are keyed like plans (SQL text, the client's parameter types, schema version) and keep
the `Schema` they were made for: a session whose transaction holds uncommitted DDL has its own
schema object and version, and never gets an entry made for another schema.  The catalog keeps
table and type OIDs stable when it is reloaded (``Catalog.set_tables``), so cached result
columns stay right.  Catalog queries are not kept here: they are answered by the catalog.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from txpostgres_proto.sqlite.casts import caster_for
from txpostgres_proto.sqlite.inline import is_inline_read
from txpostgres_proto.sqlite.inline_writes import is_write_candidate
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.rowconvert import compile_converter
from txpostgres_proto.sqlite.translate import OutputColumn, Plan
from txpostgres_proto.sqlite.typemap import PgType, reader_for, to_storage
from txpostgres_proto.types import oids

if TYPE_CHECKING:
    from txpostgres_proto.server.backend import ResultColumn

__all__ = ["Binder", "Prepared", "PreparedCache", "RowConverter", "parameter_binder", "prepare"]

#: Binds decoded parameter values, in the session's time zone, to what SQLite is given.
Binder = Callable[[Sequence[Any], tzinfo], list[Any]]
#: Turns the rows SQLite returned into rows of PostgreSQL's Python values.
RowConverter = Callable[[list[Any]], list[Any]]

#: Wider results are converted reader by reader (one generated function stays readable).
_MAX_GENERATED_COLUMNS = 64
_TEXT_LIKE = frozenset({oids.TEXT, oids.VARCHAR, oids.BPCHAR, oids.NAME, oids.UNKNOWN})


@dataclass(frozen=True, slots=True)
class Prepared:
    """A translated statement with everything running it needs (module docstring).

    ``convert`` is None when the rows are not converted (no result columns, or EXPLAIN);
    ``inline`` says whether it may be tried in the reactor thread first (`is_inline_read`);
    ``write`` whether it is a single INSERT, UPDATE or DELETE that may be, if its compiled
    program is bounded (``inline_writes.py``).
    """

    plan: Plan
    schema: Schema
    columns: tuple[ResultColumn, ...] | None
    bind: Binder
    convert: RowConverter | None
    inline: bool
    write: bool


def prepare(plan: Plan, schema: Schema, columns: tuple[ResultColumn, ...] | None) -> Prepared:
    """The `Prepared` statement of ``plan`` on ``schema`` (``columns``: its RowDescription)."""
    convert = None
    if plan.columns is not None and not plan.explain:
        convert = row_converter(plan.columns)
    return Prepared(
        plan,
        schema,
        columns,
        parameter_binder(plan.param_types),
        convert,
        is_inline_read(plan, schema),
        is_write_candidate(plan),
    )


def parameter_binder(param_types: Sequence[PgType]) -> Binder:
    """How parameters of these types are bound: a string given for a parameter of a non-text
    type is read the way PostgreSQL's input function for the type reads it (``casts.py``: bad
    input is 22P02), anything else is stored as it is (`to_storage`)."""
    casts = tuple(
        None if pg_type.oid in _TEXT_LIKE else caster_for(pg_type) for pg_type in param_types
    )
    count = len(casts)

    def bind(params: Sequence[Any], zone: tzinfo) -> list[Any]:
        bound = []
        for index, value in enumerate(params):
            cast = casts[index] if index < count else None
            if cast is not None and isinstance(value, str):
                bound.append(cast(value, zone))
            else:
                bound.append(to_storage(value))
        return bound

    if count != 1:
        return bind
    (only,) = casts

    def bind_one(params: Sequence[Any], zone: tzinfo) -> list[Any]:
        """`bind` for the most common case, one parameter (as `bind` does it)."""
        if len(params) != 1:
            return bind(params, zone)
        value = params[0]
        if only is not None and isinstance(value, str):
            return [only(value, zone)]
        return [to_storage(value)]

    return bind_one


def row_converter(columns: Sequence[OutputColumn]) -> RowConverter:
    """The converter of rows with these result columns, each value read as its column's type
    (``typemap.reader_for``; NULL stays None): one generated function per shape of columns
    (``rowconvert.py``), or reader by reader when a row's width is not the columns' count.
    Made once per list of types: statements that differ only in their literals (the simple
    protocol's) are prepared one by one, and share it."""
    return _row_converter(tuple(column.pg_type for column in columns))


@functools.lru_cache(maxsize=256)
def _row_converter(types: tuple[PgType, ...]) -> RowConverter:
    readers = [reader_for(pg_type) for pg_type in types]
    width = len(readers)
    if 0 < width <= _MAX_GENERATED_COLUMNS:
        convert_all = compile_converter(list(types))
    else:
        convert_all = None

    def convert_each(rows: list[Any]) -> list[Any]:
        return [
            tuple(
                None if value is None or read is None else read(value)
                for read, value in zip(readers, row, strict=False)
            )
            for row in rows
        ]

    if convert_all is None:
        return convert_each

    def convert(rows: list[Any]) -> list[Any]:
        try:
            return convert_all(rows)
        except ValueError:
            # A row of another width (unpacking failed), or a reader's own error, which
            # reading value by value raises again.
            return convert_each(rows)

    return convert


class PreparedCache:
    """`Prepared` statements by (SQL text, client parameter types, schema version), least
    recently used out."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, tuple[int, ...], int], Prepared] = OrderedDict()

    def get(self, sql: str, given: Sequence[int], version: int, schema: Schema) -> Prepared | None:
        """The entry for this statement made on ``schema`` itself, else None."""
        key = (sql, tuple(given), version)
        found = self._entries.get(key)
        if found is None or found.schema is not schema:
            return None
        self._entries.move_to_end(key)
        return found

    def put(self, sql: str, given: Sequence[int], version: int, prepared: Prepared) -> None:
        self._entries[(sql, tuple(given), version)] = prepared
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
