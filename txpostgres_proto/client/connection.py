"""`Connection`: the Deferred-returning API of one client connection.

Every method returns a Deferred (await it from ``async def`` code run with
``Deferred.fromCoroutine`` / ``ensureDeferred``).  Calls made without waiting for the previous
ones are pipelined: their messages go out at once and their Deferreds fire in call order.

* `query` / `query_one` / `execute` — the extended protocol with ``$1`` parameters, through the
  automatic prepared-statement cache (``statements.py``); binary results where the type
  registry can decode them;
* `simple_query` — the simple protocol, every result set of a multi-statement string;
* `prepare`, `executemany`, `stream`, `cursor` — explicit statements, pipelined batches,
  row streaming with backpressure, chunked iteration over huge results;
* `transaction`, `run_interaction` — ``transaction.py``; `copy_to` / `copy_from` —
  ``copy.py``; `listen` / `unlisten` and `notice_callbacks` — ``notify.py``;
* ``timeout=`` cancels a call after that many seconds; cancelling a call's Deferred sends a
  cancel request to the server and fails the call with ``QueryCanceled`` (57014).

A Connection is made by ``ClientProtocol`` once start-up finished (``connect()`` returns it).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, Final

from twisted.internet.defer import Deferred, succeed

from ..protocol.client_rows import Row
from ..protocol.messages import NotificationResponse, TransactionStatus
from ..types import BINARY, TypeRegistry
from .copy import CopyIn, CopyOut
from .copy_formats import binary_chunks, csv_chunks, text_chunks
from .cursor import Cursor
from .notify import NoticeCallback, quote_identifier
from .operations import (
    CommandQuery,
    ExecuteMany,
    ExecuteQuery,
    ExtendedQuery,
    Prepare,
    Result,
    SimpleQuery,
    StreamQuery,
)
from .prepared import PreparedStatement
from .statements import Statement
from .transaction import Transaction, run_interaction

if TYPE_CHECKING:
    from .protocol import ClientProtocol

__all__ = ["COPY_FORMATS", "Connection"]

COPY_FORMATS: Final = ("text", "csv", "binary")
_COPY_STATEMENT: Final = re.compile(r"^\s*copy\b", re.IGNORECASE)
_prepared_names = itertools.count(1)


def _table_reference(table: str | Sequence[str]) -> str:
    """``schema.table`` (or a (schema, table) pair) as quoted identifiers."""
    parts = table.split(".") if isinstance(table, str) else list(table)
    return ".".join(quote_identifier(part) for part in parts)


def _copy_sql(
    table_or_sql: str | Sequence[str],
    direction: str,
    columns: Sequence[str] | None,
    format: str,
) -> str:
    if isinstance(table_or_sql, str) and _COPY_STATEMENT.match(table_or_sql):
        return table_or_sql
    if format not in COPY_FORMATS:
        raise ValueError(f"format must be one of {', '.join(COPY_FORMATS)}")
    sql = "COPY " + _table_reference(table_or_sql)
    if columns:
        sql += " (" + ", ".join(quote_identifier(column) for column in columns) + ")"
    sql += " TO STDOUT" if direction == "to" else " FROM STDIN"
    if format != "text":
        sql += f" (FORMAT {format})"
    return sql


class Connection:
    """One session with a PostgreSQL server (see the module docstring)."""

    def __init__(self, protocol: ClientProtocol) -> None:
        self._protocol = protocol
        self._transactions: list[Transaction] = []

    # ------------------------------------------------------------------ state

    @property
    def parameters(self) -> dict[str, str]:
        """The server's run-time parameters (server_version, TimeZone, ...)."""
        return self._protocol.client.server_parameters

    @property
    def backend_pid(self) -> int | None:
        """The server process serving this connection."""
        key = self._protocol.client.backend_key
        return None if key is None else key[0]

    @property
    def transaction_status(self) -> TransactionStatus:
        """The status of the last ReadyForQuery (idle, in a transaction, failed)."""
        return self._protocol.client.transaction_status

    @property
    def in_transaction(self) -> bool:
        """True inside a `transaction` block or an explicit BEGIN."""
        return bool(self._transactions) or self.transaction_status is not TransactionStatus.IDLE

    @property
    def timezone(self) -> tzinfo | None:
        """The session time zone; timestamptz values are returned in it."""
        return self._protocol.codecs.timezone

    @property
    def registry(self) -> TypeRegistry:
        """The type registry used for parameters and results."""
        return self._protocol.codecs.registry

    @property
    def notice_callbacks(self) -> list[NoticeCallback]:
        """Callables receiving each notice (a ``PostgresError`` built from its fields)."""
        return self._protocol.notices.callbacks

    @property
    def closed(self) -> bool:
        return self._protocol.ended

    # ------------------------------------------------------------------ queries

    def query(self, sql: str, *params: Any, timeout: float | None = None) -> Deferred[list[Row]]:
        """Run ``sql`` with ``$1``-style ``params``; fires with the rows (`Row` objects)."""
        operation = ExtendedQuery(self._protocol, sql, params)
        return self._protocol.enqueue(operation, timeout)

    def query_one(self, sql: str, *params: Any, timeout: float | None = None) -> Deferred[Any]:
        """Like `query`; fires with the first row, or None when there is none."""
        rows = self.query(sql, *params, timeout=timeout)
        return rows.addCallback(lambda result: result[0] if result else None)

    def execute(self, sql: str, *params: Any, timeout: float | None = None) -> Deferred[str]:
        """Run ``sql``; fires with the command tag (``INSERT 0 1``, ``CREATE TABLE``, ...).

        Without parameters it is a simple query (several statements allowed; the last tag is
        returned), with parameters an extended one.
        """
        if params:
            operation: SimpleQuery | ExtendedQuery = ExecuteQuery(self._protocol, sql, params)
        else:
            operation = CommandQuery(self._protocol, sql)
        return self._protocol.enqueue(operation, timeout)

    def simple_query(self, sql: str, timeout: float | None = None) -> Deferred[list[Result]]:
        """Run ``sql`` (any number of statements) with the simple protocol; fires with one
        `Result` (columns, rows, tag) per statement."""
        return self._protocol.enqueue(SimpleQuery(self._protocol, sql), timeout)

    def executemany(
        self, sql: str, param_sets: Iterable[Sequence[Any]], timeout: float | None = None
    ) -> Deferred[int]:
        """Run ``sql`` once per parameter set: every Bind/Execute pipelined before one Sync,
        so the batch is atomic.  Fires with the total row count."""
        operation = ExecuteMany(self._protocol, sql, param_sets)
        return self._protocol.enqueue(operation, timeout)

    def prepare(self, sql: str) -> Deferred[PreparedStatement]:
        """Prepare ``sql`` as a named statement; fires with a `PreparedStatement`."""
        statement = Statement(f"txpg_prepared_{next(_prepared_names)}", sql)
        prepared = self._protocol.enqueue(Prepare(self._protocol, statement))
        return prepared.addCallback(lambda described: PreparedStatement(self._protocol, described))

    def stream(
        self,
        sql: str,
        *params: Any,
        callback: Callable[[Row], Any],
        timeout: float | None = None,
    ) -> Deferred[str]:
        """Call ``callback(row)`` for each row as it arrives; fires with the command tag.

        If the callback returns a Deferred, reading from the server pauses until it fires.
        """
        operation = StreamQuery(self._protocol, sql, params, callback)
        return self._protocol.enqueue(operation, timeout)

    def cursor(self, sql: str, *params: Any, chunk: int = 1000) -> Cursor:
        """An async iterator over the rows, fetched ``chunk`` at a time (``cursor.py``)."""
        return Cursor(self, sql, params, chunk)

    # ------------------------------------------------------------------ transactions

    def transaction(
        self, isolation: str | None = None, readonly: bool = False, deferrable: bool = False
    ) -> Transaction:
        """A transaction (a savepoint when one is active): ``async with conn.transaction():``."""
        return Transaction(self, isolation, readonly, deferrable)

    def run_interaction(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Deferred[Any]:
        """``fn(connection, *args, **kwargs)`` in a transaction, committed when it succeeds."""
        return run_interaction(self, fn, *args, **kwargs)

    # ------------------------------------------------------------------ COPY

    def copy_to(
        self,
        table_or_sql: str | Sequence[str],
        target: Any,
        *,
        columns: Sequence[str] | None = None,
        format: str = "text",
        timeout: float | None = None,
    ) -> Deferred[int]:
        """COPY a table (or the COPY ... TO STDOUT statement given) into ``target``: a
        callable, an IConsumer or a file.  Fires with the number of rows."""
        sql = _copy_sql(table_or_sql, "to", columns, format)
        return self._protocol.enqueue(CopyOut(self._protocol, sql, target), timeout)

    def copy_from(
        self,
        table_or_sql: str | Sequence[str],
        source: Any,
        *,
        columns: Sequence[str] | None = None,
        format: str = "text",
        types: Sequence[int] | None = None,
        timeout: float | None = None,
    ) -> Deferred[int]:
        """COPY ``source`` into a table (or run the COPY ... FROM STDIN statement given).

        ``source`` is bytes, a file, an iterable of byte chunks or of rows, an IBodyProducer
        or a callable taking an IConsumer (``copy.py``).  Rows are encoded in ``format``; the
        binary format needs the column types, from ``types`` or asked from the server.
        Fires with the number of rows.
        """
        sql = _copy_sql(table_or_sql, "from", columns, format)
        codecs = self._protocol.codecs
        if format == "csv":

            def encode_rows(rows: Iterable[Any]) -> Iterator[bytes]:
                return csv_chunks(rows, codecs.registry, codecs.timezone)

        elif format == "binary":
            return Deferred.fromCoroutine(
                self._copy_binary(table_or_sql, sql, source, columns, types, timeout)
            )
        else:

            def encode_rows(rows: Iterable[Any]) -> Iterator[bytes]:
                return text_chunks(rows, codecs.registry, codecs.timezone)

        operation = CopyIn(self._protocol, sql, source, encode_rows)
        return self._protocol.enqueue(operation, timeout)

    async def _copy_binary(
        self,
        table: str | Sequence[str],
        sql: str,
        source: Any,
        columns: Sequence[str] | None,
        types: Sequence[int] | None,
        timeout: float | None,
    ) -> int:
        if types is None and not isinstance(source, bytes | bytearray | memoryview):
            selected = ", ".join(map(quote_identifier, columns)) if columns else "*"
            probe = Statement("", f"SELECT {selected} FROM {_table_reference(table)} LIMIT 0")
            described = await self._protocol.enqueue(Prepare(self._protocol, probe))
            types = [field.type_oid for field in described.fields]
        registry = self.registry
        zone = self._protocol.codecs.timezone
        encoders = [registry.encoder(oid, BINARY, timezone=zone) for oid in types or ()]

        def encode_rows(rows: Iterable[Any]) -> Iterator[bytes]:
            return binary_chunks(rows, encoders)

        operation = CopyIn(self._protocol, sql, source, encode_rows)
        return await self._protocol.enqueue(operation, timeout)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ LISTEN / NOTIFY

    def listen(
        self, channel: str, callback: Callable[[NotificationResponse], Any]
    ) -> Deferred[None]:
        """Call ``callback(notification)`` for each NOTIFY on ``channel``; fires once the
        server listens."""
        if self._protocol.notifications.add(channel, callback):
            done = self.execute("LISTEN " + quote_identifier(channel))
            return done.addCallback(lambda _: None)
        return succeed(None)

    def unlisten(
        self, channel: str, callback: Callable[[NotificationResponse], Any] | None = None
    ) -> Deferred[None]:
        """Stop calling ``callback`` (every callback of the channel when None)."""
        if self._protocol.notifications.remove(channel, callback):
            done = self.execute("UNLISTEN " + quote_identifier(channel))
            return done.addCallback(lambda _: None)
        return succeed(None)

    # ------------------------------------------------------------------ the end

    def close(self) -> Deferred[None]:
        """Finish pending calls, send Terminate, and fire once the connection closed."""
        return self._protocol.close()

    def abort(self) -> None:
        """Drop the connection at once; pending calls fail."""
        if self._protocol.transport is not None:
            self._protocol.transport.abortConnection()

    def detach_for_relay(self, receiver: Any) -> ClientProtocol:
        """Proxy seam: switch an idle connection to relay mode (`ClientProtocol.relay_to`).

        Returns the protocol: write raw frontend messages to its ``transport``; its
        ``client.backend_key`` and ``cancel_connector`` still serve for CancelRequests.
        """
        self._protocol.relay_to(receiver)
        return self._protocol

    def __repr__(self) -> str:
        state = "closed" if self.closed else self.transaction_status.name.lower()
        return f"<Connection pid={self.backend_pid} {state}>"
