"""The simple query protocol: a Query message, possibly several statements, text results.

Protocol section 55.2.2.  The query string is split the way PostgreSQL splits it (quotes,
dollar quotes, comments; ``standard_conforming_strings`` decides what a backslash means); each
statement runs in turn and gets its RowDescription, DataRows and CommandComplete; an empty
string gets EmptyQueryResponse; the first error ends the query (the rest is skipped, a syntax
error's position counted from the start of the whole string); ReadyForQuery closes the cycle.
FunctionCall (55.2.4, the fast-path interface) is refused.
"""

from __future__ import annotations

import functools
from typing import Final

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sql import SqlSyntaxError, split_statements_with_offsets

from .backend import QueryResult
from .extended import row_description_bytes, utility_statement
from .rows import is_short
from .statements import StatementRunner

__all__ = ["SimpleQueryFlow"]

_FAILED: Final = m.TransactionStatus.FAILED
_EMPTY_QUERY: Final = m.EmptyQueryResponse().encode()


#: Queries up to this length are split once and remembered (clients repeat their queries).
_REMEMBERED_QUERY: Final = 2048


@functools.lru_cache(maxsize=256)
def _split(query: str, scs: bool) -> tuple[tuple[int, str], ...]:
    return tuple(split_statements_with_offsets(query, standard_conforming_strings=scs))


class SimpleQueryFlow(StatementRunner):
    """The simple-query part of `PostgresServerProtocol`."""

    async def _on_query(self, query: m.Query) -> None:
        session = self.session
        assert session is not None
        scs = session.settings.get("standard_conforming_strings") == "on"
        text = query.query
        if len(text) <= _REMEMBERED_QUERY:
            statements = _split(text, scs)
        else:
            statements = tuple(split_statements_with_offsets(text, standard_conforming_strings=scs))
        if not statements:
            self._send_encoded(m.EmptyQueryResponse, _EMPTY_QUERY)
        for offset, sql in statements:
            try:
                await self._simple_statement(sql, scs)
            except SqlSyntaxError as error:
                self._report_error(SqlSyntaxError(error.message, error.position + offset))
                break
            except Exception as error:  # noqa: BLE001 - reported to the client
                self._report_error(error)
                break
        if not self._stopped:
            self._ready_for_query()

    async def _simple_statement(self, sql: str, scs: bool) -> None:
        session = self.session
        assert session is not None
        utility = utility_statement(sql, scs)
        if session.transaction_status is _FAILED:
            self._check_not_failed(utility)
        result = self._execute_now(sql, utility)
        if not isinstance(result, QueryResult):
            result = await result
        columns = result.columns
        if columns is not None and is_short(result):
            plan = self._simple_rows_plan(tuple(columns))
            self._send_encoded(m.RowDescription, plan.row_description)
            self._send_short_result(plan, result, sql)
            return
        stream = self._stream(result, None, ())
        if stream.columns is not None:
            self._send_encoded(
                m.RowDescription, row_description_bytes(stream.columns, stream.formats)
            )
            count, _ = await self._send_rows(stream, 0)
        else:
            count = 0
        self._send_command_complete(stream.tag(sql, count))

    def _on_function_call(self, _: m.FunctionCall) -> None:
        self._report_error(PostgresError("function call messages are not supported", "0A000"))
        self._ready_for_query()
