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

Clients that write their values into the SQL text (``pgbench`` in its default simple mode,
psycopg2) send a new text every time, so the cache also keeps a `Shaped` entry per *shape* of
text (``literals.shape``: the text with its plain literals taken out) whose translation has an
exact template (``templates.py``): the `Prepared` of the template's plan, made once, serves
every statement of the shape.  When the template binds its literals (`Template.bound`) that
`Prepared` runs every statement of the shape as it is, the literals' values being its
parameters; otherwise each statement gets its own plan, the template filled with its literals.
What a `Prepared` holds besides the plan does not depend on the literals: the template's plan
equals each statement's own translation but for its SQLite text (``templates.py``), and the
catalog claims or leaves statements by their form, not their literals' values (a shape the
catalog claims, or one without an exact template, gets no entry: its statements go the general
way, text by text).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from txpostgres_proto.sqlite.casts import caster_for
from txpostgres_proto.sqlite.inline import is_inline_read
from txpostgres_proto.sqlite.inline_writes import is_write_candidate
from txpostgres_proto.sqlite.literals import Literal
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.rowconvert import compile_converter
from txpostgres_proto.sqlite.templates import Template
from txpostgres_proto.sqlite.translate import OutputColumn, Plan
from txpostgres_proto.sqlite.typemap import PgType, reader_for, to_storage
from txpostgres_proto.types import oids

if TYPE_CHECKING:
    from txpostgres_proto.server.backend import ResultColumn

__all__ = [
    "Binder",
    "Prepared",
    "PreparedCache",
    "RowConverter",
    "Shaped",
    "parameter_binder",
    "prepare",
    "prepare_shape",
]

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


@dataclass(frozen=True, slots=True)
class Shaped:
    """What the statements of one shape share (module docstring): ``prepared`` made from the
    template's plan (with the bound SQLite statement when the template binds its literals)."""

    prepared: Prepared
    template: Template

    def statement(
        self, literals: tuple[Literal, ...]
    ) -> tuple[Prepared, list[Any], Mapping[str, Any]]:
        """The statement of this shape with ``literals``: its `Prepared`, the parameters to
        give its ``bind`` (the literals' values when they are bound, else none) and the
        values its single-row INSERT gives its columns (``inserted``, for a unique violation's
        detail: as the general path derives them from its plan with no parameters)."""
        template = self.template
        prepared = self.prepared
        if template.bound is not None:
            values = [literal.value for literal in literals]
            if not template.plan.inserted:
                return prepared, values, _NOTHING_INSERTED
            return prepared, values, InsertedValues(template, literals)
        plan = template.fill(literals)
        filled = Prepared(
            plan,
            prepared.schema,
            prepared.columns,
            prepared.bind,
            prepared.convert,
            prepared.inline,
            prepared.write,
        )
        inserted = {column: None if number else value for column, number, value in plan.inserted}
        return filled, [], inserted


_NOTHING_INSERTED: Mapping[str, Any] = MappingProxyType({})


class InsertedValues(Mapping[str, Any]):
    """The values the single-row INSERT of a bound shape gives its columns, by column (as
    `Shaped.statement` says), worked out when first asked for: only the error of a failed
    statement reads them."""

    __slots__ = ("_template", "_literals", "_values")

    def __init__(self, template: Template, literals: tuple[Literal, ...]) -> None:
        self._template = template
        self._literals = literals
        self._values: dict[str, Any] | None = None

    def _computed(self) -> dict[str, Any]:
        if self._values is None:
            self._values = {
                column: None if number else value
                for column, number, value in self._template.inserted_values(self._literals)
            }
        return self._values

    def __getitem__(self, column: str) -> Any:
        return self._computed()[column]

    def __iter__(self) -> Iterator[str]:
        return iter(self._computed())

    def __len__(self) -> int:
        return len(self._computed())


def _literal_values(values: Sequence[Any], zone: tzinfo) -> list[Any]:
    """The binder of a bound shape: its literals' values (ints and strs) as they are."""
    return list(values)


def prepare_shape(
    template: Template, schema: Schema, columns: tuple[ResultColumn, ...] | None
) -> Shaped:
    """The `Shaped` entry of ``template`` on ``schema`` (``columns``: its RowDescription)."""
    plan = template.plan
    if template.bound is None:
        return Shaped(prepare(plan, schema, columns), template)
    plan = replace(plan, statements=(template.bound,), inserted=())
    prepared = prepare(plan, schema, columns)
    return Shaped(replace(prepared, bind=_literal_values), template)


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


#: `PreparedCache.shape`: the shape is not known on the schema yet.
UNKNOWN_SHAPE: Any = object()


class PreparedCache:
    """`Prepared` statements by (SQL text, client parameter types, schema version), and
    `Shaped` entries by (shape, client parameter types, schema version); least recently used
    out."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, tuple[int, ...], int], Prepared] = OrderedDict()
        #: None: statements of the shape go the general way.
        self._shapes: OrderedDict[
            tuple[str, tuple[int, ...], int], tuple[Schema, Shaped | None]
        ] = OrderedDict()

    def shape(self, form: str, given: Sequence[int], version: int, schema: Schema) -> Any:
        """The `Shaped` entry of the shape ``form`` made on ``schema`` itself, None when its
        statements go the general way, else `UNKNOWN_SHAPE`."""
        key = (form, tuple(given), version)
        found = self._shapes.get(key)
        if found is None or found[0] is not schema:
            return UNKNOWN_SHAPE
        self._shapes.move_to_end(key)
        return found[1]

    def put_shape(
        self, form: str, given: Sequence[int], version: int, schema: Schema, entry: Shaped | None
    ) -> None:
        self._shapes[(form, tuple(given), version)] = (schema, entry)
        if len(self._shapes) > self._size:
            self._shapes.popitem(last=False)

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
