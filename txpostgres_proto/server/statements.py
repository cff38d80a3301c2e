"""Running one statement: the session's own, a cursor command, COPY, or the backend's.

`StatementRunner._run_sql` decides who answers a statement (protocol chapter 55 leaves that to
the server; these are the rules of PostgreSQL's utility commands): SET/SHOW/transaction control
and the other `SESSION_STATEMENTS` go to the `Session`; DECLARE/FETCH/MOVE/CLOSE work on
cursors kept here as portals over a result of ``backend.execute``; EXECUTE runs a statement
made by PREPARE (or Parse) with literal arguments; COPY goes to ``copy_flow.py``; everything
else is the backend's.  Both the simple and the extended query flows run statements this way.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from twisted.internet.defer import Deferred

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sql import (
    CloseStatement,
    CopyStatement,
    DeclareCursorStatement,
    ExecuteStatement,
    FetchStatement,
    Parameter,
    UtilityStatement,
)

from .backend import QueryResult
from .copy_flow import CopyFlow
from .extended import Portal, PreparedStatement
from .session import SESSION_STATEMENTS

__all__ = ["StatementRunner"]


class StatementRunner(CopyFlow):
    """The statement-running part of `PostgresServerProtocol`."""

    def _execute_now(
        self,
        sql: str,
        utility: UtilityStatement | None,
        params: tuple[Any, ...] = (),
        param_oids: tuple[int, ...] = (),
    ) -> QueryResult | Coroutine[Any, Any, QueryResult]:
        """`_run_sql` without a coroutine when the backend answers at once: its result, or
        (for the session's statements, or a backend still working) what gives it."""
        if utility is not None or self._cancel_requested:
            return self._run_sql(sql, utility, params, param_oids)
        session = self.session
        assert session is not None
        session.start_implicit_transaction()
        returned = self.backend.execute(sql, params, param_oids)
        if isinstance(returned, QueryResult):
            return returned
        if (
            isinstance(returned, Deferred)
            and returned.called
            and isinstance(returned.result, QueryResult)
        ):
            return returned.result  # fired already (as an ``async def`` that never waited)
        return self._execute_outcome(returned)

    async def _run_sql(
        self,
        sql: str,
        utility: UtilityStatement | None,
        params: tuple[Any, ...] = (),
        param_oids: tuple[int, ...] = (),
    ) -> QueryResult:
        """Run one statement: the session's own, a cursor command, or the backend's."""
        session = self.session
        assert session is not None
        session.start_implicit_transaction()
        if isinstance(utility, SESSION_STATEMENTS):
            return await session.execute_utility(utility)
        if isinstance(utility, DeclareCursorStatement):
            return await self._declare_cursor(utility, params, param_oids)
        if isinstance(utility, FetchStatement):
            return await self._fetch(utility)
        if isinstance(utility, CloseStatement):
            return self._close_cursor(utility)
        if isinstance(utility, ExecuteStatement):
            return await self._execute_prepared(utility, params)
        if isinstance(utility, CopyStatement):
            return await self._copy(sql, utility, params, param_oids)
        return await self._backend_execute(sql, params, param_oids)

    # -- cursors and SQL-level prepared statements -----------------------------------------

    def _cursor(self, name: str) -> Portal:
        session = self.session
        assert session is not None
        return session.portal(name, "cursor")

    async def _declare_cursor(
        self, declare: DeclareCursorStatement, params: tuple[Any, ...], param_oids: tuple[int, ...]
    ) -> QueryResult:
        """DECLARE: run the query now, keep its rows in a portal FETCH reads from."""
        session = self.session
        assert session is not None
        if not declare.hold and not session.in_transaction_block:
            raise PostgresError("DECLARE CURSOR can only be used in transaction blocks", "25P01")
        if declare.name in session.portals:
            raise PostgresError(f'cursor "{declare.name}" already exists', "42P03")
        inner = PreparedStatement.create("", declare.query, param_oids, session)
        if inner.utility is not None:
            raise PostgresError("cannot open a cursor for a utility statement", "42601")
        result = await self._run_sql(inner.sql, None, params, param_oids)
        if result.columns is None:
            raise PostgresError("cursor query does not return rows", "42P11")
        formats = (1,) if declare.binary else ()
        portal = Portal(declare.name, inner, params, formats, hold=declare.hold)
        portal.stream = self._stream(result, None, formats)
        session.portals[declare.name] = portal
        return QueryResult(command_tag="DECLARE CURSOR")

    async def _fetch(self, fetch: FetchStatement) -> QueryResult:
        """FETCH/MOVE forward through a cursor (backward needs SCROLL, which is not kept)."""
        cursor = self._cursor(fetch.cursor)
        stream = cursor.stream
        assert stream is not None
        count = fetch.count
        if fetch.direction in ("ABSOLUTE", "RELATIVE") and count is not None:
            target = count if fetch.direction == "ABSOLUTE" else cursor.position + count
            if target <= cursor.position:
                raise PostgresError(
                    "cursor can only scan forward",
                    "55000",
                    hint="Declare it with SCROLL option to enable backward scan.",
                )
            await self._skip(cursor, target - cursor.position - 1)
            count = 1
        elif fetch.direction != "FORWARD" or (count is not None and count < 0):
            raise PostgresError(
                "cursor can only scan forward",
                "55000",
                hint="Declare it with SCROLL option to enable backward scan.",
            )
        if fetch.kind == "MOVE":
            moved = await self._skip(cursor, count)
            return QueryResult(command_tag="MOVE", rowcount=moved)
        rows = self._cursor_rows(cursor, count)
        return QueryResult(columns=stream.columns, rows=rows, command_tag="FETCH")

    async def _skip(self, cursor: Portal, count: int | None) -> int:
        stream = cursor.stream
        assert stream is not None
        moved = 0
        while not stream.finished and (count is None or moved < count):
            try:
                if stream.is_async:
                    await stream.next_async_row()
                else:
                    stream.next_sync_row()
            except (StopIteration, StopAsyncIteration):
                stream.finished = True
                break
            moved += 1
        cursor.position += moved
        return moved

    def _cursor_rows(self, cursor: Portal, count: int | None) -> Any:
        stream = cursor.stream
        assert stream is not None
        if stream.is_async:

            async def async_rows() -> Any:
                taken = 0
                while not stream.finished and (count is None or taken < count):
                    try:
                        row = await stream.next_async_row()
                    except StopAsyncIteration:
                        stream.finished = True
                        return
                    taken += 1
                    cursor.position += 1
                    yield row

            return async_rows()

        def rows() -> Any:
            taken = 0
            while not stream.finished and (count is None or taken < count):
                try:
                    row = stream.next_sync_row()
                except StopIteration:
                    stream.finished = True
                    return
                taken += 1
                cursor.position += 1
                yield row

        return rows()

    def _close_cursor(self, close: CloseStatement) -> QueryResult:
        session = self.session
        assert session is not None
        if close.name is None:
            self._close_portals(False)
        else:
            self._cursor(close.name)
            session.portals.pop(close.name).close()
        return QueryResult(command_tag="CLOSE CURSOR" if close.name else "CLOSE CURSOR ALL")

    async def _execute_prepared(
        self, execute: ExecuteStatement, outer_params: tuple[Any, ...]
    ) -> QueryResult:
        """EXECUTE name(args): run a statement made by PREPARE (or Parse) with literal args."""
        prepared = self._statement(execute.name)
        expected = len(prepared.param_oids)
        if len(execute.args) != expected:
            raise PostgresError(
                f'wrong number of parameters for prepared statement "{execute.name}"',
                "42601",
                detail=f"Expected {expected} parameters but got {len(execute.args)}.",
            )
        args: list[Any] = []
        for arg in execute.args:
            if isinstance(arg, Parameter):
                args.append(outer_params[arg.number - 1])
            elif arg is None or isinstance(arg, int | float | str | bool):
                args.append(arg)
            else:
                raise PostgresError("EXECUTE arguments must be constants", "0A000")
        return await self._run_sql(prepared.sql, prepared.utility, tuple(args), prepared.param_oids)
