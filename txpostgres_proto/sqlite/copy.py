"""COPY ... FROM STDIN into SQLite: batches of rows stored with ``executemany``, all or nothing.

PostgreSQL's COPY FROM stores every row or none (SQL reference "COPY": an error aborts the
whole command).  `copy_from_stdin` gives the SQLite default the same behaviour: it opens a
transaction (or, inside the session's transaction block, a savepoint) before the first batch,
stores each batch the protocol hands over (``server/copy_in.py``) in a worker thread while the
next batch is being received, and commits (releases) at CopyDone.  A bad value, a CopyFail, a
cancel or a lost connection rolls everything back.

The cost per row is what limits a bulk load, so a batch is handled a column at a time, never a
row at a time in Python: the parser hands over one flat list of fields (`CopyValues`), each
column is cast with C-level loops (``map(int, ...)``; `_whole_column`), and the INSERT is
widened to `ROWS_PER_INSERT` rows per execution, bound straight from slices of that list
(`_Inserter`).  Anything unusual in a column (other spellings, bad values) falls back to the
value-by-value cast, which gives the same stored values and PostgreSQL's errors.

Values arrive as text (text and CSV formats) and are cast to the columns' types here, or already
decoded (binary format); both are converted to SQLite's storage form the same way a bound
parameter is (``casts.py``, ``typemap.py``).  A value that cannot be cast gets PostgreSQL's
context: ``COPY t, line 3, column a: "x"``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterable, Callable, Sequence
from datetime import datetime, tzinfo
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final

from twisted.internet.defer import Deferred

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.copy import copy_insert_query
from txpostgres_proto.server.copy_in import CopyValues, RawCopyBatch
from txpostgres_proto.sql import CopyStatement
from txpostgres_proto.types import oids

from .casts import cast_value
from .errors import postgres_error
from .reflect import Schema
from .translate import Plan
from .typemap import PgType, to_storage

if TYPE_CHECKING:
    from txpostgres_proto.sqlite_backend import SQLiteBackend

__all__ = ["copy_from_stdin"]

#: Rows one execution of the widened INSERT stores (`_Inserter`).
ROWS_PER_INSERT: Final = 100
_SAVEPOINT: Final = "_txpg_copy"
_TEXT_LIKE: Final = frozenset({oids.TEXT, oids.VARCHAR, oids.BPCHAR, oids.NAME, oids.UNKNOWN})


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


def _converters(plan: Plan, zone: tzinfo, width: int) -> list[Callable[[Any], Any] | None]:
    """Per column: the function turning a received value (never None) into SQLite's storage
    form, or None when the value is stored as it is."""
    converters: list[Callable[[Any], Any] | None] = []
    for index in range(width):
        pg_type = plan.param_types[index] if index < len(plan.param_types) else None
        if pg_type is None or pg_type.oid in _TEXT_LIKE:
            converters.append(None)  # text and binary input both give str here
        elif pg_type.element is None and pg_type.oid in _FAST:
            converters.append(partial(_FAST[pg_type.oid], pg_type=pg_type, zone=zone))
        else:
            converters.append(partial(_cast, pg_type=pg_type, zone=zone))
    return converters


def _cast(value: Any, pg_type: PgType, zone: tzinfo) -> Any:
    if isinstance(value, str):
        return cast_value(value, pg_type, zone)
    return to_storage(value)


def _integer(value: Any, pg_type: PgType, zone: tzinfo) -> Any:
    if isinstance(value, str) and "_" not in value:
        try:
            number = int(value)
        except ValueError:
            return cast_value(value, pg_type, zone)
        low, high = _INTEGER_RANGES[pg_type.oid]
        if low <= number <= high:
            return number
    return _cast(value, pg_type, zone)


def _float(value: Any, pg_type: PgType, zone: tzinfo) -> Any:
    if isinstance(value, str) and "_" not in value:
        try:
            return float(value)
        except ValueError:
            return cast_value(value, pg_type, zone)
    return _cast(value, pg_type, zone)


def _timestamp(value: Any, pg_type: PgType, zone: tzinfo) -> Any:
    """``YYYY-MM-DD HH:MM:SS[.ffffff]`` is stored as it is once it is known to be valid."""
    if isinstance(value, str) and len(value) >= 19 and value[10] == " ":
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            return cast_value(value, pg_type, zone)
        if stamp.tzinfo is None:
            return value if len(value) == 19 or len(value) == 26 else stamp.isoformat(" ")
    return _cast(value, pg_type, zone)


_TZINFO: Final = attrgetter("tzinfo")
_INTEGER_RANGES: Final = {
    oids.INT2: (-(2**15), 2**15 - 1),
    oids.INT4: (-(2**31), 2**31 - 1),
    oids.INT8: (-(2**63), 2**63 - 1),
}
_FAST: Final[dict[int, Callable[..., Any]]] = {
    oids.INT2: _integer,
    oids.INT4: _integer,
    oids.INT8: _integer,
    oids.FLOAT4: _float,
    oids.FLOAT8: _float,
    oids.TIMESTAMP: _timestamp,
}


def _to_storage(
    batch: CopyValues,
    converters: list[Callable[[Any], Any] | None],
    table: str,
    columns: Sequence[str],
) -> None:
    """Convert the batch's values to storage form in place, column by column; a bad value
    raises with COPY's error context."""
    values, width = batch.values, batch.width
    for index, convert in enumerate(converters):
        if convert is None:
            continue
        column = values[index::width]
        fast = _whole_column(convert, column)
        if fast is not None:
            values[index::width] = fast
            continue
        try:
            values[index::width] = [None if value is None else convert(value) for value in column]
        except PostgresError as error:
            row = next(i for i, value in enumerate(column) if _fails(convert, value))
            name = columns[index] if index < len(columns) else str(index + 1)
            line = batch.first_line + row
            error.where = f'COPY {table}, line {line}, column {name}: "{column[row]}"'
            raise


def _whole_column(convert: Callable[[Any], Any], values: list[Any]) -> list[Any] | None:
    """A column of well-formed text converted with C-level loops (``map``), NULLs kept; None
    when it is not that simple (other spellings, bad values: the value-by-value path decides)."""
    kind = getattr(convert, "func", None)
    if kind not in (_integer, _float, _timestamp):
        return None
    pg_type: PgType = convert.keywords["pg_type"]  # type: ignore[attr-defined]
    converted = _converted(kind, pg_type, values)
    if converted is not None or None not in values:
        return converted
    converted = _converted(kind, pg_type, [value for value in values if value is not None])
    if converted is None:
        return None
    remaining = iter(converted)
    return [None if value is None else next(remaining) for value in values]


def _converted(kind: Callable[..., Any], pg_type: PgType, values: list[Any]) -> list[Any] | None:
    """`_whole_column` for a column without NULLs (with one, None at once: ``join`` fails)."""
    try:
        joined = "".join(values)
        if kind is _timestamp:
            stamps = list(map(datetime.fromisoformat, values))
            if any(map(_TZINFO, stamps)):
                return None
            if (
                len(joined) == 19 * len(values)
                and min(map(len, values), default=19) == 19
                and set(joined[10::19]) <= {" "}
            ):
                return values  # all already in the stored form, YYYY-MM-DD HH:MM:SS
            return [
                value if len(value) == 19 and value[10] == " " else stamp.isoformat(" ")
                for value, stamp in zip(values, stamps, strict=True)
            ]
        if "_" in joined:  # Python's int() and float() allow 1_000; PostgreSQL does not
            return None
        if kind is _float:
            return list(map(float, values))
        numbers = list(map(int, values))
    except (ValueError, TypeError):
        return None
    low, high = _INTEGER_RANGES[pg_type.oid]
    if numbers and (min(numbers) < low or max(numbers) > high):
        return None
    return numbers


def _fails(convert: Callable[[Any], Any], value: Any) -> bool:
    if value is None:
        return False
    try:
        convert(value)
    except PostgresError:
        return True
    return False


class _Inserter:
    """Stores a batch's rows with the plan's INSERT.  A plain ``INSERT ... VALUES (?1, ...,
    ?n)`` is widened to `ROWS_PER_INSERT` rows per execution: SQLite then steps one statement
    per hundred rows, and the values are bound from one flat list, with no tuple per row."""

    def __init__(self, sql: str, width: int, variable_limit: int) -> None:
        self.width = width
        self.single = sql
        self.rows = min(ROWS_PER_INSERT, variable_limit // width) if width else 1
        placeholders = ", ".join(f"?{number}" for number in range(1, width + 1))
        self.multi: str | None = None
        if self.rows > 1 and sql.endswith(f" VALUES ({placeholders})"):
            more = (
                ", ".join(f"?{row * width + number}" for number in range(1, width + 1))
                for row in range(1, self.rows)
            )
            self.multi = sql + "".join(f", ({group})" for group in more)

    def run(self, conn: sqlite3.Connection, values: list[Any]) -> None:
        """Store ``values``: rows of `width` fields one after the other."""
        width = self.width
        total = len(values)
        whole = 0
        if self.multi is not None:
            step = self.rows * width
            whole = total - total % step
            conn.executemany(self.multi, [values[i : i + step] for i in range(0, whole, step)])
        if whole < total:
            rest = [values[i : i + width] for i in range(whole, total, width)]
            conn.executemany(self.single, rest)


def _values_of(item: Any, width: int) -> CopyValues:
    """A received batch (raw data, or a list of rows) as one flat list of fields."""
    if isinstance(item, RawCopyBatch):
        if item.width == width:
            return item.parse_values()
        item = item.parse()
    rows: Sequence[Sequence[Any]] = item
    for row in rows:
        if len(row) != width:
            raise PostgresError(f"COPY row has {len(row)} fields, expected {width}", "22P04")
    values = [field for row in rows for field in row]
    return CopyValues(values, width, len(rows), getattr(item, "first_line", 1))


async def copy_from_stdin(
    backend: SQLiteBackend, statement: CopyStatement, rows: AsyncIterable[Sequence[Any]]
) -> int:
    """Store the rows of ``COPY table FROM STDIN`` (batches from ``rows``); the row count.

    When ``rows`` offers ``raw_batches()`` (the protocol's `CopyInStream`), the data is parsed
    in the worker thread too, so that the reactor thread, which receives it, and the worker
    thread, which stores it, do not contend for the GIL on every row.
    """
    conn = backend._connection()
    schema: Schema = backend._schema()
    assert statement.table is not None
    table = statement.table.name
    columns: Sequence[str] = statement.columns
    if not columns:
        found = schema.table(table)
        if found is None:
            raise PostgresError(f'relation "{table}" does not exist', "42P01")
        columns = [column.name for column in found.columns]
    width = len(columns)
    sql = copy_insert_query(statement, width)
    plan = backend._plan(sql, (0,) * width, schema)
    converters = _converters(plan, backend._zone(), width)
    with backend._lock:
        limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    inserter = _Inserter(plan.statements[-1], width, limit)
    transaction = _CopyTransaction(conn, backend._lock)
    count = 0

    def store(item: Any) -> int:
        batch = _values_of(item, width)
        if not batch.count:
            return 0
        _to_storage(batch, converters, table, columns)
        context = backend._prepare_context()
        context.owners = schema.sequences
        context.owner_types = schema.sequence_types
        with backend._lock:
            try:
                for statement_sql in plan.statements[:-1]:
                    conn.execute(statement_sql)
                inserter.run(conn, batch.values)
            except sqlite3.Error as error:
                raise postgres_error(error, sql, plan, schema, context.error) from None
            except OverflowError:
                raise PostgresError("value out of range for a 64-bit integer", "22003") from None
        return batch.count

    raw = getattr(rows, "raw_batches", None)
    source: AsyncIterable[Any] = raw() if raw is not None else rows
    await _maybe_await(backend._call(transaction.open))
    # The batch being stored in the worker thread while the next one is received.
    storing: Any = None
    try:
        async for item in source:
            count += await _maybe_await(storing) or 0
            storing = backend._call(store, item)
        count += await _maybe_await(storing) or 0
    except BaseException:
        if isinstance(storing, Deferred):
            storing.addErrback(lambda _: None)  # superseded by the error being raised
        transaction.close(commit=False)
        raise
    await _maybe_await(backend._call(transaction.close, True))
    return count


async def _maybe_await(value: Any) -> Any:
    if isinstance(value, Deferred):
        return await value
    return value
