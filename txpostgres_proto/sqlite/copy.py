"""COPY ... FROM STDIN into SQLite: batches of rows stored with ``executemany``, all or nothing.

PostgreSQL's COPY FROM stores every row or none (SQL reference "COPY": an error aborts the
whole command).  `copy_from_stdin` gives the SQLite default the same behaviour: it opens a
transaction (or, inside the session's transaction block, a savepoint) before the first batch,
stores each batch the protocol hands over (``server/copy_in.py``) with one ``executemany`` in a
worker thread while the next batch is being received, and commits (releases) at CopyDone.  A
bad value, a CopyFail, a cancel or a lost connection rolls everything back.

Values arrive as text (text and CSV formats) and are cast to the columns' types here, or already
decoded (binary format); both are converted to SQLite's storage form the same way a bound
parameter is (``casts.py``, ``typemap.py``).  A value that cannot be cast gets PostgreSQL's
context: ``COPY t, line 3, column a: "x"``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterable, Callable, Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.copy import copy_insert_query
from txpostgres_proto.sql import CopyStatement
from txpostgres_proto.types import oids

from .casts import cast_value
from .errors import postgres_error
from .reflect import Schema
from .translate import Plan
from .typemap import to_storage

if TYPE_CHECKING:
    from txpostgres_proto.sqlite_backend import SQLiteBackend

__all__ = ["copy_from_stdin"]

_SAVEPOINT: Final = "_txpg_copy"
_TEXT_LIKE: Final = frozenset({oids.TEXT, oids.VARCHAR, oids.BPCHAR, oids.NAME, oids.UNKNOWN})
_INTEGERS: Final = frozenset({oids.INT2, oids.INT4, oids.INT8})


class _CopyTransaction:
    """The transaction or savepoint one COPY runs in (used from worker threads)."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self.conn = conn
        self.lock = lock
        self.opened: str | None = None

    def open(self) -> None:
        with self.lock:
            if self.conn.in_transaction:
                self.conn.execute(f'SAVEPOINT "{_SAVEPOINT}"')
                self.opened = "savepoint"
            else:
                self.conn.execute("BEGIN")
                self.opened = "transaction"

    def close(self, commit: bool) -> None:
        with self.lock:
            opened, self.opened = self.opened, None
            if opened == "savepoint":
                if not commit:
                    self.conn.execute(f'ROLLBACK TO SAVEPOINT "{_SAVEPOINT}"')
                self.conn.execute(f'RELEASE SAVEPOINT "{_SAVEPOINT}"')
            elif opened == "transaction" and self.conn.in_transaction:
                self.conn.execute("COMMIT" if commit else "ROLLBACK")


def _converters(plan: Plan, zone: tzinfo, width: int) -> list[Callable[[Any], Any]]:
    """Per column: the function turning a received value into SQLite's storage form."""
    converters: list[Callable[[Any], Any]] = []
    for index in range(width):
        pg_type = plan.param_types[index] if index < len(plan.param_types) else None
        if pg_type is None or pg_type.oid in _TEXT_LIKE:
            converters.append(to_storage)
        elif pg_type.oid in _INTEGERS and pg_type.element is None:

            def integer(value: Any, pg_type: Any = pg_type) -> Any:
                if isinstance(value, str):
                    try:
                        number = int(value)
                    except ValueError:
                        return cast_value(value, pg_type, zone)
                    if -(2**31) <= number < 2**31:
                        return number
                    return cast_value(value, pg_type, zone)
                return to_storage(value)

            converters.append(integer)
        else:

            def cast(value: Any, pg_type: Any = pg_type) -> Any:
                if isinstance(value, str):
                    return cast_value(value, pg_type, zone)
                return to_storage(value)

            converters.append(cast)
    return converters


def _bind_batch(
    batch: Sequence[Sequence[Any]],
    converters: list[Callable[[Any], Any]],
    table: str,
    columns: Sequence[str],
    first_line: int,
) -> list[list[Any]]:
    """The batch's rows in storage form; a bad value raises with COPY's error context."""
    bound: list[list[Any]] = []
    append = bound.append
    pairs = list(enumerate(converters))
    for row in batch:
        try:
            append([None if row[i] is None else convert(row[i]) for i, convert in pairs])
        except PostgresError as error:
            line = first_line + len(bound)
            index = next((i for i, convert in pairs if _fails(convert, row[i])), 0)
            name = columns[index] if index < len(columns) else str(index + 1)
            error.where = f'COPY {table}, line {line}, column {name}: "{row[index]}"'
            raise
    return bound


def _fails(convert: Callable[[Any], Any], value: Any) -> bool:
    if value is None:
        return False
    try:
        convert(value)
    except PostgresError:
        return True
    return False


async def copy_from_stdin(
    backend: SQLiteBackend, statement: CopyStatement, rows: AsyncIterable[Sequence[Any]]
) -> int:
    """Store the rows of ``COPY table FROM STDIN`` (batches from ``rows``); the row count."""
    conn = backend._connection()
    schema: Schema = backend._schema()
    assert statement.table is not None
    table = statement.table.name
    transaction = _CopyTransaction(conn, backend._lock)
    count = 0
    plan: Plan | None = None
    sql = ""
    converters: list[Callable[[Any], Any]] = []
    columns: Sequence[str] = statement.columns
    zone = backend._zone()

    def store(batch: Sequence[Sequence[Any]], first_line: int) -> None:
        assert plan is not None
        bound = _bind_batch(batch, converters, table, columns, first_line)
        context = backend._prepare_context()
        context.owners = schema.sequences
        with backend._lock:
            try:
                for statement_sql in plan.statements[:-1]:
                    conn.execute(statement_sql)
                conn.executemany(plan.statements[-1], bound)
            except sqlite3.Error as error:
                raise postgres_error(error, sql, plan, schema, context.error) from None
            except OverflowError:
                raise PostgresError("value out of range for a 64-bit integer", "22003") from None

    opened = False
    try:
        async for batch in rows:
            if not batch:
                continue
            if plan is None:
                width = len(batch[0])
                sql = copy_insert_query(statement, width)
                plan = backend._plan(sql, (0,) * width, schema)
                converters = _converters(plan, zone, width)
                if not columns:
                    found = schema.table(table)
                    columns = [column.name for column in found.columns] if found else []
                await _maybe_await(backend._call(transaction.open))
                opened = True
            await _maybe_await(backend._call(store, batch, getattr(batch, "first_line", 1)))
            count += len(batch)
    except BaseException:
        if opened:
            transaction.close(commit=False)
        raise
    if opened:
        await _maybe_await(backend._call(transaction.close, True))
    return count


async def _maybe_await(value: Any) -> Any:
    if hasattr(value, "addCallback"):
        return await value
    return value
