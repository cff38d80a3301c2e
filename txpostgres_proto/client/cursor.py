"""`Cursor`: iterate over a huge result in chunks, with memory bounded by the chunk size.

The statement is bound to a named portal and executed with a row limit (Execute ``max_rows``,
protocol section 55.2.3): the server sends ``chunk`` rows, then PortalSuspended, and waits for
the next Execute.  A portal only outlives its Sync inside a transaction block, so a cursor
opened outside one begins its own (``BEGIN`` pipelined with the first Execute) and ends it when
the rows run out or the cursor is closed.  While the caller works through one chunk the next
one is already being fetched, so at most two chunks are held.

Use it as ``async with conn.cursor(sql, *params, chunk=1000) as cursor: async for row in
cursor: ...``; plain ``async for`` works too, and cleans up when the rows run out — a loop left
early without the ``async with`` should ``await cursor.close()``, or its own transaction stays
open.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from ..protocol.client_rows import Row
from ..protocol.messages import Close, Execute, FrontendMessage, Sync
from .operations import ExtendedQuery, Operation
from .transaction import Transaction

if TYPE_CHECKING:
    from ..protocol.client_events import DataRows
    from ..protocol.client_rows import RunDecoder
    from ..protocol.messages import CommandComplete, PortalSuspended
    from .connection import Connection

__all__ = ["Cursor"]

_portal_names = itertools.count(1)

Chunk = tuple[list[Row], bool]


class FetchPortal(Operation):
    """Execute (with a row limit) + Sync on an open portal; fires with (rows, more)."""

    def __init__(self, connection: Connection, portal: str, chunk: int, decoder: Any) -> None:
        super().__init__(connection._protocol)
        self.portal = portal
        self.chunk = chunk
        self.row_decoder: RunDecoder | None = decoder
        self.rows: list[Row] = []
        self.suspended = False

    def messages(self) -> Sequence[FrontendMessage]:
        return (Execute(self.portal, self.chunk), Sync())

    def on_rows(self, event: DataRows) -> None:
        self.rows.extend(event.rows)

    def on_portal_suspended(self, message: PortalSuspended) -> None:
        self.suspended = True

    def on_command_complete(self, message: CommandComplete) -> None:
        self.suspended = False

    def result(self) -> Chunk:
        return self.rows, self.suspended


class _OpenPortal(ExtendedQuery):
    def result(self) -> Chunk:
        return self.rows, self.suspended


class ClosePortal(Operation):
    """Close + Sync of a portal."""

    def __init__(self, connection: Connection, portal: str) -> None:
        super().__init__(connection._protocol)
        self.portal = portal

    def messages(self) -> Sequence[FrontendMessage]:
        return (Close("P", self.portal), Sync())


class Cursor:
    """Rows of one query, fetched ``chunk`` at a time (see the module docstring)."""

    def __init__(
        self, connection: Connection, sql: str, params: Sequence[Any], chunk: int = 1000
    ) -> None:
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        self.connection = connection
        self.sql = sql
        self.params = params
        self.chunk = chunk
        self.portal = f"txpg_cursor_{next(_portal_names)}"
        self._rows: deque[Row] = deque()
        self._pending: Deferred[Chunk] | None = None
        self._decoder: Any = None
        self._opened = False
        self._more = True
        self._closed = False
        self._transaction: Transaction | None = None

    def _fetch(self) -> None:
        connection = self.connection
        protocol = connection._protocol
        if not self._opened:
            self._opened = True
            if not connection.in_transaction:
                self._transaction = connection.transaction()
                # A failed BEGIN shows up as the failure of the Execute that follows it.
                self._transaction.start().addErrback(lambda _: None)
            opening = _OpenPortal(
                protocol, self.sql, self.params, portal=self.portal, max_rows=self.chunk
            )
            self._pending = protocol.enqueue(opening)
            self._pending.addCallback(self._remember_decoder, opening)
        else:
            fetch = FetchPortal(connection, self.portal, self.chunk, self._decoder)
            self._pending = protocol.enqueue(fetch)

    def _remember_decoder(self, chunk: Chunk, opening: _OpenPortal) -> Chunk:
        self._decoder = opening.row_decoder
        return chunk

    def __aiter__(self) -> Cursor:
        return self

    async def __anext__(self) -> Row:
        rows = self._rows
        while not rows:
            if self._closed:
                raise StopAsyncIteration
            if self._pending is None:
                if not self._more:
                    await self.close()
                    raise StopAsyncIteration
                self._fetch()
            pending = self._pending
            assert pending is not None
            try:
                batch, self._more = await pending
            except BaseException:
                self._pending = None
                self._closed = True
                await self._rollback_own()
                raise
            self._pending = None
            rows.extend(batch)
            if self._more:
                self._fetch()  # the next chunk travels while the caller works on this one
        return rows.popleft()

    async def close(self) -> None:
        """Release the portal (or end the cursor's own transaction)."""
        if self._closed:
            return
        self._closed = True
        self._rows.clear()
        if self._pending is not None:
            pending, self._pending = self._pending, None
            try:
                await pending
            except Exception:
                await self._rollback_own()
                return
        if self._transaction is not None:
            await self._transaction.commit()
        elif self._opened:
            await self.connection._protocol.enqueue(ClosePortal(self.connection, self.portal))

    async def _rollback_own(self) -> None:
        if self._transaction is not None and self._transaction.state == "started":
            await self._transaction.rollback()

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None and self._transaction is not None:
            self._closed = True
            await self._rollback_own()
        else:
            await self.close()
