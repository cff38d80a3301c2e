"""The backends our server runs in the server benchmarks (``python -m txpostgres_proto --handler``).

Two flavours of each, because they cost differently and both matter:

* a raw `QueryBackend` (``server/backend.py``) answering ``describe``/``execute`` directly:
  what the protocol layer alone costs — the floor for any application;
* a `PostgresRequestHandler` subclass (the seed API, ``query_tables``): what an application
  written the documented way costs, statement parsing and result normalising included.

`SmallQuery*` answer ``SELECT $1`` (pgbench's ``SELECT :aid``) and ``SELECT 1`` with one row,
echoing the parameter, like PostgreSQL does; `FetchRows*` answer any SELECT with the same
1,000 mixed-type rows the PostgreSQL peer holds in a table (``bench/data.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from bench.data import COLUMNS, python_rows
from txpostgres_proto.catalog.schema import Column, Table
from txpostgres_proto.server.backend import QueryResult, ResultColumn, StatementDescription
from txpostgres_proto.server.columns import named_column, type_size
from txpostgres_proto.server.handler import PostgresRequestHandler
from txpostgres_proto.sql.splitter import count_parameters
from txpostgres_proto.types import oids

#: How many rows the fetch backends return (and the PostgreSQL peer's table holds).
FETCH_ROWS: Final = 1000
#: The table name both sides of the fetch benchmark use.
FETCH_TABLE: Final = "bench_rows"

_ROWS: Final = python_rows(FETCH_ROWS)


class _RawBackend:
    """No per-connection state, no transactions: the parts of `QueryBackend` that do nothing."""

    def connection_made(self, session: Any) -> None:
        pass

    def transaction(self, command: str, savepoint: str | None = None) -> None:
        pass

    def connection_lost(self) -> None:
        pass


class SmallQueryBackend(_RawBackend):
    """``SELECT $1`` echoes its parameter (typed as the client said, else text); anything else
    answers the integer 1."""

    def describe(self, sql: str, param_oids: Sequence[int]) -> StatementDescription:
        count = count_parameters(sql)
        types = tuple(
            (param_oids[n] if n < len(param_oids) and param_oids[n] else oids.TEXT)
            for n in range(count)
        )
        column_type = types[0] if types else oids.INT4
        return StatementDescription(types, (named_column("?column?", column_type),))

    def execute(self, sql: str, params: Sequence[Any], param_oids: Sequence[int]) -> QueryResult:
        if params:
            column = named_column("?column?", param_oids[0] if param_oids[0] else oids.TEXT)
            return QueryResult((column,), [(params[0],)])
        return QueryResult((named_column("?column?", oids.INT4),), [(1,)])


class SmallQueryHandler(PostgresRequestHandler):
    """The same answers through the seed API."""

    def query_tables(self, stmt_info: Any) -> tuple[list[tuple[Any]], list[str]]:
        value = stmt_info.param_values[0] if stmt_info.param_values else 1
        return [(value,)], ["?column?"]


_FETCH_COLUMNS: Final = tuple(Column(name, type_) for name, type_ in COLUMNS)
_FETCH_RESULT_COLUMNS: Final = tuple(
    ResultColumn(c.name, c.type_oid, c.typmod, type_size=type_size(c.type_oid))
    for c in _FETCH_COLUMNS
)


class FetchRowsBackend(_RawBackend):
    """Every statement returns the 1,000 mixed-type rows."""

    def describe(self, sql: str, param_oids: Sequence[int]) -> StatementDescription:
        return StatementDescription(tuple(param_oids), _FETCH_RESULT_COLUMNS)

    def execute(self, sql: str, params: Sequence[Any], param_oids: Sequence[int]) -> QueryResult:
        return QueryResult(_FETCH_RESULT_COLUMNS, _ROWS)


class FetchRowsHandler(PostgresRequestHandler):
    """A table ``bench_rows`` with typed columns, served through the seed API."""

    def list_tables(self) -> list[Table]:
        return [Table(FETCH_TABLE, _FETCH_COLUMNS)]

    def query_tables(self, stmt_info: Any) -> tuple[list[tuple[Any, ...]], tuple[Column, ...]]:
        return _ROWS, _FETCH_COLUMNS
