"""The contract between the wire protocol and whatever answers queries.

`server/protocol.py` speaks the protocol: startup, TLS, authentication, message order, the
extended-query bookkeeping (statements, portals, error-until-Sync), transaction status,
session settings, result encoding and streaming.  It never interprets application SQL itself.
For that it calls a `QueryBackend`, one instance per connection, created by the factory.

`PostgresRequestHandler` (server/handler.py) is the backend most applications use (the seed
API: query_tables, list_tables, describe_table, stmt_handler); an application that wants full
control implements `QueryBackend` directly.

Every backend method may return a plain value, a Deferred, or be ``async def``; the protocol
calls them through ``maybeDeferred``/``ensureDeferred`` and cancels the Deferred when the
client disconnects or sends a CancelRequest.

The protocol answers some statements itself and never passes them on: SET/SHOW/RESET, SET
TRANSACTION, DISCARD, DEALLOCATE, PREPARE/EXECUTE, DECLARE/FETCH/MOVE/CLOSE (cursors over a
result of ``execute``), LISTEN/UNLISTEN/NOTIFY and transaction control (reported through
``transaction``).  COPY ... TO STDOUT runs the table's ``SELECT`` (or the COPY's query)
through ``execute`` and streams its rows (an iterator or async iterator keeps memory flat).

COPY ... FROM STDIN first describes ``SELECT <columns> FROM <table>`` (the target columns:
their number, names, and types for the binary format), then streams: an optional
``copy_in(statement, rows)`` method receives ``rows``, a `server.copy_in.CopyInStream`, while
the data is still arriving.  ``async for batch in rows`` yields lists of row tuples (text and
CSV fields as ``str``/None for the backend to cast; binary fields decoded by the type registry;
``batch.first_line`` numbers the first row for error messages); ``rows.raw_batches()`` yields
the same data unparsed, for a backend that parses in a worker thread.  The client is not read
while the backend is behind (TCP backpressure).  A malformed row (22P04), CopyFail (57014), a
cancel (57014) or a lost connection is raised from the next pull: the backend should then undo
what it stored (PostgreSQL's COPY is all or nothing) and let the error propagate.  ``copy_in``
returns the row count (or None: the rows read, or a QueryResult).  A backend without
``copy_in`` gets one ``INSERT ... VALUES ($1, ...)`` per row through ``execute``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .session import Session


@dataclass(frozen=True, slots=True)
class ResultColumn:
    """One column of a result: what RowDescription says about it."""

    name: str
    type_oid: int
    type_modifier: int = -1
    table_oid: int = 0
    column_attnum: int = 0
    type_size: int = -1


@dataclass(frozen=True, slots=True)
class StatementDescription:
    """What Describe answers for a statement: parameter types, and result columns (None: NoData)."""

    param_oids: tuple[int, ...]
    columns: tuple[ResultColumn, ...] | None


Row = Sequence[Any]


@dataclass
class QueryResult:
    """The outcome of one statement.

    ``columns`` None means the statement returns no rows (INSERT without RETURNING, DDL …).
    ``rows`` are Python values in column order; an iterator or async iterator streams (it is
    consumed under TCP backpressure, so memory stays flat).  ``command_tag`` None means the
    protocol derives it (``SELECT n`` with n the rows sent, or from the statement type); a
    bare ``SELECT``/``INSERT``/``UPDATE``/``DELETE``/``MERGE``/``FETCH``/``MOVE``/``COPY`` gets
    the row count added (``rowcount``, else the rows sent).
    """

    columns: Sequence[ResultColumn] | None = None
    rows: Iterable[Row] | AsyncIterable[Row] = ()
    command_tag: str | None = None
    #: Rows affected for tags such as ``INSERT 0 n`` / ``UPDATE n`` when command_tag is None.
    rowcount: int | None = None
    #: Extra info the backend wants to pass along (e.g. the statement type it recognised).
    extra: dict[str, Any] = field(default_factory=dict)


class QueryBackend(Protocol):
    """Answers the SQL of one connection."""

    def connection_made(self, session: Session) -> Any:
        """Called once after authentication, before the first query."""

    def describe(self, sql: str, param_oids: Sequence[int]) -> Any:
        """-> StatementDescription: parameter types and result columns, without executing.

        ``param_oids`` are the types the client gave in Parse (0 = unspecified).
        """

    def execute(self, sql: str, params: Sequence[Any], param_oids: Sequence[int]) -> Any:
        """-> QueryResult for one statement with decoded parameter values."""

    def transaction(self, command: str, savepoint: str | None = None) -> Any:
        """Told about BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, ROLLBACK TO (the protocol
        has already tracked the transaction status); a backend with real transactions maps them.
        """

    def connection_lost(self) -> Any:
        """The connection is gone; release resources."""
