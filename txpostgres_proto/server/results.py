"""Turning what an application returns into a `QueryResult` the protocol can send.

``query_tables``, statement handlers and ``execute_query`` may return:

* ``(rows, columns)``: rows are dicts, tuples or lists — a list, any iterable, or an async
  iterable (streamed under backpressure); columns are names, `Column` objects or
  `ResultColumn` objects (None with dict rows: the first row's keys);
* ``None``: no rows (the command tag counts 0);
* an ``int``: the number of rows affected, no rows;
* a `QueryResult`, used as is (its columns may also be names or `Column` objects).

Then, in this order:

* Dict rows are reordered to the column order (a missing key is NULL).
* When the statement was described before (extended protocol), the result is conformed to that
  description: the client already holds the RowDescription, so the same columns, in the same
  order, with the same types must follow.  Columns are matched by name (or by position when the
  names differ but the count agrees); a value that is not a ``str`` in a column described as
  ``text`` is printed with its own type's text form.
* Otherwise, when the application returned more or other columns than a plain select list asks
  for (``SELECT title FROM t`` answered with all of ``t``'s columns), the result is projected
  onto the select list, by name, following aliases.
* Columns given by name take their type from the application table they come straight from (if
  it declared one) or from the values: a list is sampled over its first `SAMPLE_ROWS` rows; an
  iterator is read ahead only until each such column has shown a non-NULL value (at most
  `SAMPLE_ROWS` rows), so a stream's first rows are not held back.
* Table OID and column number are filled for columns that come straight from a table.
* The command tag is derived from the statement type and the row count when the count is known
  (``INSERT 0 n``, ``UPDATE n``, ``SELECT n``); for a stream the protocol counts the rows sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import chain, islice
from typing import Any, Final

from txpostgres_proto.server.backend import QueryResult, ResultColumn
from txpostgres_proto.server.columns import (
    ColumnSpec,
    declared_column,
    infer_column_type,
    named_column,
    spec_name,
)
from txpostgres_proto.server.targets import Target
from txpostgres_proto.sql import command_tag
from txpostgres_proto.types import DEFAULT_REGISTRY, TEXT, oids

#: How many rows type inference looks at, at most.
SAMPLE_ROWS: Final = 100

_TEXT_TYPES: Final = frozenset({oids.TEXT, oids.VARCHAR, oids.BPCHAR, oids.NAME})

Converter = Callable[[Any], Any]


class NormalizedResult(QueryResult):
    """A `QueryResult` already in final form (ResultColumns, tuple rows, tag): passed through
    unchanged when it is normalised again."""


@dataclass(frozen=True)
class ResultContext:
    """What is known about a statement before its result arrives."""

    stmt_type: str = ""
    #: The statement's output columns as resolved from its text (None: unknown / no rows).
    targets: tuple[Target, ...] | None = None
    #: The columns an earlier Describe promised for the same SQL.
    described: tuple[ResultColumn, ...] | None = None

    @property
    def returns_rows(self) -> bool:
        return self.stmt_type == "SELECT" or self.described is not None


@dataclass
class _Output:
    """One output column being planned: where its values come from and what is known."""

    index: int
    name: str
    column: ResultColumn | None = None  # None: infer from the values
    target: Target | None = None
    convert_to_text: bool = False


def _text_of(value: Any) -> Any:
    """A non-str value in a text column, printed the way its own type prints."""
    if value is None or type(value) is str:
        return value
    encode = DEFAULT_REGISTRY.encoder(DEFAULT_REGISTRY.infer_oid(value), TEXT)
    return encode(value).decode()


def _find(name: str, names: Sequence[str], targets: Sequence[Target]) -> int | None:
    """Where output column ``name`` is among the application's columns: by name, else by the
    source column of the target of that name (an alias), each exactly then case-insensitively."""
    wanted = [name] + [t.source for t in targets if t.column.name == name and t.source]
    for candidate in wanted:
        if candidate in names:
            return names.index(candidate)
    folded = [n.lower() for n in names]
    for candidate in wanted:
        if candidate.lower() in folded:
            return folded.index(candidate.lower())
    return None


def _match_all(
    wanted: Sequence[str], names: Sequence[str], targets: Sequence[Target]
) -> list[int] | None:
    if len(set(names)) != len(names) or len(set(wanted)) != len(wanted):
        return None  # duplicate names: only positions can tell the columns apart
    indices = [_find(name, names, targets) for name in wanted]
    return None if None in indices else indices  # type: ignore[return-value]


def _conformed(
    names: list[str], declared: list[ResultColumn | None], context: ResultContext
) -> list[_Output]:
    described = context.described or ()
    targets = context.targets or ()
    indices = _match_all([column.name for column in described], names, targets)
    if indices is None:
        if len(described) != len(names):
            raise ValueError(
                f"the result has columns {names}, but the statement was described with "
                f"{[column.name for column in described]}"
            )
        indices = list(range(len(names)))
    outputs = []
    for column, index in zip(described, indices, strict=True):
        own = declared[index]
        text_mismatch = own is None or own.type_oid not in _TEXT_TYPES
        convert = column.type_oid in _TEXT_TYPES and text_mismatch
        outputs.append(_Output(index, column.name, column, convert_to_text=convert))
    return outputs


def _planned(
    names: list[str], declared: list[ResultColumn | None], context: ResultContext
) -> list[_Output]:
    if context.described is not None:
        return _conformed(names, declared, context)
    targets = context.targets or ()
    by_name = {target.column.name: target for target in targets}
    indices = _match_all([target.column.name for target in targets], names, targets)
    if not targets or indices is None:
        return [
            _Output(i, name, declared[i], by_name.get(name) or _source_target(name, targets))
            for i, name in enumerate(names)
        ]
    return [
        _Output(index, target.column.name, declared[index], target)
        for index, target in zip(indices, targets, strict=True)
    ]


def _source_target(name: str, targets: Sequence[Target]) -> Target | None:
    for target in targets:
        if target.source == name:
            return target
    return None


def _finish(output: _Output) -> None:
    """Settle a planned column whose type is known without looking at values."""
    target = output.target
    column = output.column
    if column is None:
        if target is not None and target.declared:
            output.column = _renamed(target.column, output.name)
        return
    if target is not None and target.source and column.table_oid == 0:
        same_type = (column.type_oid, column.type_modifier) == (
            target.column.type_oid,
            target.column.type_modifier,
        )
        column = target.column if same_type else _from_table(column, target)
    output.column = _renamed(column, output.name)


def _renamed(column: ResultColumn, name: str) -> ResultColumn:
    return column if column.name == name else replace(column, name=name)


def _from_table(column: ResultColumn, target: Target) -> ResultColumn:
    """``column`` marked as coming from the table column ``target`` resolved to."""
    return replace(
        column, table_oid=target.column.table_oid, column_attnum=target.column.column_attnum
    )


def _infer(output: _Output, values: list[Any]) -> None:
    type_oid = infer_column_type(values)
    column = named_column(output.name, type_oid)
    target = output.target
    output.column = _from_table(column, target) if target is not None and target.source else column
    output.convert_to_text = type_oid in _TEXT_TYPES and any(
        type(value) is not str for value in values if value is not None
    )


def _row_mapper(
    names: Sequence[str], outputs: Sequence[_Output], converters: dict[int, Converter]
) -> Callable[[Any], tuple[Any, ...]]:
    """A function from an application row (dict or sequence) to a tuple in output order."""
    keys = [names[output.index] for output in outputs]
    indices = [output.index for output in outputs]
    width = len(names)
    plain = not converters
    in_order = indices == list(range(width))

    def map_row(row: Any) -> tuple[Any, ...]:
        if type(row) is tuple and in_order and len(row) == width:
            values = row  # the common case: a tuple already in output order
        elif isinstance(row, Mapping):
            values = tuple([row.get(key) for key in keys])
        else:
            if len(row) != width:
                raise ValueError(f"a row has {len(row)} values for {width} columns: {row!r}")
            values = tuple([row[index] for index in indices])
        if plain:
            return values
        return tuple(
            [
                converters[position](value) if position in converters else value
                for position, value in enumerate(values)
            ]
        )

    return map_row


def _plain_tuples(rows: Sequence[Any], width: int) -> bool:
    """Whether every row is a ``tuple`` of ``width`` values (checked in C, no call per row)."""
    return {*map(type, rows)} == {tuple} and {*map(len, rows)} == {width}


class _RowSource:
    """The application's rows, with a few of them read ahead for type inference."""

    def __init__(self, rows: Any) -> None:
        self.head: list[Any] = []
        self._rows: Any = () if rows is None else rows
        self._sequence = isinstance(self._rows, Sequence) and not isinstance(self._rows, str)
        self._iterator: Any = None

    def _start(self) -> None:
        if self._iterator is None:
            rows = self._rows
            self._iterator = rows.__aiter__() if isinstance(rows, AsyncIterable) else iter(rows)

    async def read_ahead(self, wanted: Callable[[list[Any]], bool]) -> list[Any]:
        """The first rows: a list's first `SAMPLE_ROWS`; an iterator's until ``wanted(head)``
        says enough (or `SAMPLE_ROWS`).  ``wanted`` is asked after each row read."""
        if self._sequence:
            return list(islice(self._rows, SAMPLE_ROWS))
        self._start()
        while len(self.head) < SAMPLE_ROWS and not (self.head and wanted(self.head)):
            try:
                if isinstance(self._iterator, AsyncIterator):
                    row = await self._iterator.__anext__()
                else:
                    row = next(self._iterator)
            except (StopIteration, StopAsyncIteration):
                break
            self.head.append(row)
        return self.head

    def mapped(self, map_row: Callable[[Any], tuple[Any, ...]], width: int | None = None) -> Any:
        """All rows through ``map_row``: a list for a list, else a (async) iterator.

        With ``width`` (``map_row`` returns a tuple of that many values in order unchanged), a
        list of such tuples is copied as it is, without a call per row."""
        if self._sequence:
            if width is not None and _plain_tuples(self._rows, width):
                return list(self._rows)
            return [map_row(row) for row in self._rows]
        self._start()
        if isinstance(self._iterator, AsyncIterator):
            return _map_async(self.head, self._iterator, map_row)
        return map(map_row, chain(self.head, self._iterator))


async def _map_async(
    head: list[Any], rest: AsyncIterator[Any], map_row: Callable[[Any], tuple[Any, ...]]
) -> AsyncIterator[tuple[Any, ...]]:
    for row in head:
        yield map_row(row)
    async for row in rest:
        yield map_row(row)


def _tag(stmt_type: str, rowcount: int | None) -> str | None:
    if not stmt_type or rowcount is None:
        return None
    return command_tag(stmt_type, rowcount)


def _no_rows(context: ResultContext, rowcount: int, result: QueryResult | None) -> NormalizedResult:
    columns: tuple[ResultColumn, ...] | None = None
    if context.returns_rows:
        targets = context.targets or ()
        columns = context.described or tuple(target.column for target in targets)
        rowcount = 0
    tag = result.command_tag if result is not None and result.command_tag else None
    extra = dict(result.extra) if result is not None else {}
    extra.setdefault("stmt_type", context.stmt_type)
    return NormalizedResult(columns, (), tag or _tag(context.stmt_type, rowcount), rowcount, extra)


def _unpack(value: Any) -> tuple[Any, Sequence[ColumnSpec] | None, QueryResult | None]:
    """(rows, column specs, the QueryResult it came in) of a return value with rows."""
    if isinstance(value, QueryResult):
        return value.rows, value.columns, value
    if isinstance(value, tuple | list) and len(value) == 2:
        rows, columns = value
        return rows, (None if columns is None else list(columns)), None
    raise TypeError(
        f"a handler must return (rows, columns), None, a row count or a QueryResult, not {value!r}"
    )


async def to_query_result(value: Any, context: ResultContext) -> NormalizedResult:
    """Normalise an application's return value (see the module docstring)."""
    if isinstance(value, NormalizedResult):
        return value
    if value is None:
        return _no_rows(context, 0, None)
    if isinstance(value, int) and not isinstance(value, bool):
        return _no_rows(context, value, None)
    if isinstance(value, QueryResult) and value.columns is None:
        return _no_rows(context, value.rowcount or 0, value)
    rows, specs, original = _unpack(value)
    source = _RowSource(rows)
    if specs is None:
        head = await source.read_ahead(lambda head: True)
        if not head:
            return _no_rows(context, 0, original)
        if not isinstance(head[0], Mapping):
            raise TypeError("rows that are not dicts need a list of columns")
        specs = list(head[0].keys())
    names = [spec_name(spec) for spec in specs]
    declared = [declared_column(spec) for spec in specs]
    outputs = _planned(names, declared, context)
    for output in outputs:
        _finish(output)
    pending = [position for position, output in enumerate(outputs) if output.column is None]
    if pending:
        plain = _row_mapper(names, outputs, {})
        unseen = set(pending)

        def seen_all(head: list[Any]) -> bool:  # called once per row read, with that row last
            row = plain(head[-1])
            unseen.difference_update([p for p in unseen if row[p] is not None])
            return not unseen

        sample = [plain(row) for row in await source.read_ahead(seen_all)]
        for position in pending:
            _infer(outputs[position], [row[position] for row in sample])
    converters: dict[int, Converter] = {
        position: _text_of for position, output in enumerate(outputs) if output.convert_to_text
    }
    in_order = [output.index for output in outputs] == list(range(len(names)))
    width = len(names) if in_order and not converters else None
    result_rows = source.mapped(_row_mapper(names, outputs, converters), width)
    rowcount = original.rowcount if original is not None else None
    if rowcount is None and isinstance(result_rows, list):
        rowcount = len(result_rows)
    tag = original.command_tag if original is not None else None
    extra = dict(original.extra) if original is not None else {}
    extra.setdefault("stmt_type", context.stmt_type)
    columns = tuple(output.column for output in outputs if output.column is not None)
    return NormalizedResult(
        columns, result_rows, tag or _tag(context.stmt_type, rowcount), rowcount, extra
    )
