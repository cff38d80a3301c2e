"""A DB-API-shaped cursor over a `Connection`, for ``ConnectionPool.runInteraction``.

``twisted.enterprise.adbapi`` hands interaction functions a cursor-like ``Transaction`` with
PEP 249's ``execute`` / ``executemany`` / ``fetchone`` / ``fetchmany`` / ``fetchall`` /
``rowcount`` / ``description``.  `InteractionCursor` offers the same names with one difference
forced by running in the reactor instead of a thread: ``execute`` and ``executemany`` return
a Deferred (``await cursor.execute(...)``), fired once the whole result is buffered; the fetch
methods then read that buffer synchronously.

SQL uses the DB-API ``%s`` / ``%(name)s`` placeholders (see ``paramstyle.py``) when parameters
are given.  ``description`` holds PEP 249's 7-tuples: (name, type OID, None, type size or None,
None, None, None); ``rowcount`` is the number of rows a query returned or a command affected,
-1 when unknown; ``statusmessage`` is the server's command tag (a psycopg2 extension).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from twisted.internet.defer import Deferred

from ..protocol.client_rows import Row
from ..protocol.messages import FieldDescription
from .connection import Connection
from .operations import ExtendedQuery, Result
from .paramstyle import convert

__all__ = ["InteractionCursor", "fetch_result"]

Params = Sequence[Any] | Mapping[str, Any] | None
Description = tuple[str, int, None, int | None, None, None, None]


class _ResultQuery(ExtendedQuery):
    """An extended query answered with columns, rows and command tag together."""

    def result(self) -> Result:
        columns = self.statement.fields if self.statement is not None else ()
        return Result(columns, self.rows, self.tag)


def fetch_result(connection: Connection, sql: str, params: Sequence[Any] = ()) -> Deferred[Result]:
    """Run ``sql`` (``$n`` placeholders) and fire with its `Result` (columns, rows, tag).

    Without parameters the simple protocol runs it (several statements allowed; the last
    result counts, as in psycopg2).  With parameters it is an extended query.

    This needs one thing `Connection` does not offer publicly yet — a parameterised query that
    reports rows *and* the command tag — so it enqueues an `ExtendedQuery` subclass on the
    connection's protocol (the seam asked of the client core: ``Connection.fetch(sql, *params)
    -> Deferred[Result]``).
    """
    if not params:
        results = connection.simple_query(sql)
        return results.addCallback(lambda found: found[-1] if found else Result())
    protocol = connection._protocol
    return protocol.enqueue(_ResultQuery(protocol, sql, tuple(params)))


def _description(columns: Sequence[FieldDescription]) -> tuple[Description, ...] | None:
    if not columns:
        return None
    return tuple(
        (
            column.name,
            column.type_oid,
            None,
            column.type_size if column.type_size >= 0 else None,
            None,
            None,
            None,
        )
        for column in columns
    )


class InteractionCursor:
    """PEP 249 cursor methods over one connection (see the module docstring)."""

    arraysize: int = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: tuple[Description, ...] | None = None
        self.rowcount = -1
        self.statusmessage: str | None = None
        self.query: str | None = None
        self._rows: list[Row] = []
        self._position = 0

    async def _run(self, sql: str, params: Params) -> InteractionCursor:
        converted, values = convert(sql, params)
        self.query = converted
        result = await fetch_result(self.connection, converted, values)
        self._set_result(result)
        return self

    def _set_result(self, result: Result) -> None:
        self.description = _description(result.columns)
        self._rows = list(result.rows)
        self._position = 0
        self.statusmessage = result.tag or None
        count = result.rowcount
        if count is None:
            count = len(self._rows) if self.description is not None else -1
        self.rowcount = count

    def execute(self, sql: str, params: Params = None) -> Deferred[InteractionCursor]:
        """Run ``sql`` with DB-API ``params``; fires with this cursor once results are in."""
        return Deferred.fromCoroutine(self._run(sql, params))

    def executemany(
        self, sql: str, param_sets: Iterable[Sequence[Any] | Mapping[str, Any]]
    ) -> Deferred[InteractionCursor]:
        """Run ``sql`` once per parameter set (pipelined); ``rowcount`` is the total."""
        return Deferred.fromCoroutine(self._run_many(sql, list(param_sets)))

    async def _run_many(
        self, sql: str, param_sets: list[Sequence[Any] | Mapping[str, Any]]
    ) -> InteractionCursor:
        converted = [convert(sql, params) for params in param_sets]
        shapes = {text for text, _ in converted}
        if len(shapes) == 1:
            (text,) = shapes
            total = await self.connection.executemany(text, [values for _, values in converted])
        else:  # tuple expansion made the statements differ: run them one by one
            total = 0
            for text, values in converted:
                result = await fetch_result(self.connection, text, values)
                total += result.rowcount or 0
        self.description = None
        self._rows = []
        self.rowcount = total
        self.statusmessage = None
        return self

    def fetchone(self) -> Row | None:
        if self._position >= len(self._rows):
            return None
        row = self._rows[self._position]
        self._position += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[Row]:
        count = self.arraysize if size is None else size
        rows = self._rows[self._position : self._position + count]
        self._position += len(rows)
        return rows

    def fetchall(self) -> list[Row]:
        rows = self._rows[self._position :]
        self._position = len(self._rows)
        return rows

    def __iter__(self) -> Iterator[Row]:
        while (row := self.fetchone()) is not None:
            yield row

    def close(self) -> None:
        self._rows = []
        self._position = 0

    def setinputsizes(self, sizes: Any) -> None:
        """PEP 249 no-op."""

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        """PEP 249 no-op."""
