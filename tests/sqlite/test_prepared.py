"""Statements run again: the per-statement cache (``sqlite/prepared.py``) and the inline fast
path (``SQLiteBackend._read_known``) answer exactly as a fresh translation on a fresh database
object does, and still see schema changes made by other sessions and other connections.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.defer import Deferred

from tests.sqlite.test_values import ROUND_TRIPS
from txpostgres_proto.catalog import SimpleSession
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.backend import QueryResult
from txpostgres_proto.sqlite.casts import cast_value, caster_for
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite.prepared import PreparedCache, prepare
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.translate import Plan
from txpostgres_proto.sqlite.typemap import pg_type_named
from txpostgres_proto.sqlite_backend import SQLiteBackend

from .conftest import PoolReactor

_INT8 = 20
_INT4 = 23


class CountingDatabase(SQLiteDatabase):
    """A database that counts how often the file's schema version is asked for."""

    def __init__(self, path: str, **options: Any) -> None:
        self.schema_checks = 0
        super().__init__(path, **options)

    def schema(self) -> Schema:
        self.schema_checks += 1
        return super().schema()


@pytest.fixture
def path(tmp_path: Path) -> str:
    """A database file with ``typed``: a key and one column of each type of ROUND_TRIPS, row 1
    holding those values and row 2 only NULLs; and ``items (id, label)``."""
    file = str(tmp_path / "prepared.sqlite3")
    database = SQLiteDatabase(file)
    setup = SQLiteBackend(database, threaded=False)
    setup.connection_made(SimpleSession())
    columns = ", ".join(f"c{index} {declared}" for index, (declared, _) in enumerate(ROUND_TRIPS))
    setup.execute(f"CREATE TABLE typed (id bigint PRIMARY KEY, {columns})", (), ())
    names = ", ".join(f"c{index}" for index in range(len(ROUND_TRIPS)))
    marks = ", ".join(f"${index + 2}" for index in range(len(ROUND_TRIPS)))
    values = tuple(value for _, value in ROUND_TRIPS)
    setup.execute(f"INSERT INTO typed (id, {names}) VALUES ($1, {marks})", (1, *values), ())
    setup.execute("INSERT INTO typed (id) VALUES (2)", (), ())
    setup.execute("CREATE TABLE items (id bigint PRIMARY KEY, label text)", (), ())
    setup.execute("INSERT INTO items VALUES (1, 'one'), (2, 'two')", (), ())
    setup.connection_lost()
    database.close()
    return file


def _session(database: SQLiteDatabase, reactor: PoolReactor | None = None) -> SQLiteBackend:
    backend = SQLiteBackend(database, threaded=reactor is not None, reactor=reactor)
    backend.connection_made(SimpleSession())
    return backend


def _answer(outcome: Any, reactor: PoolReactor) -> tuple[Any, ...]:
    result = reactor.wait(outcome) if isinstance(outcome, Deferred) else outcome
    assert isinstance(result, QueryResult)
    rows = [tuple(row) for row in result.rows]  # type: ignore[union-attr]
    return (result.columns, rows, result.command_tag, result.rowcount)


READS: list[tuple[str, tuple[Any, ...], tuple[int, ...]]] = [
    ("SELECT * FROM typed WHERE id = $1", ("1",), (0,)),
    ("SELECT * FROM typed WHERE id = $1", (2,), (_INT8,)),
    ("SELECT * FROM typed WHERE id = $1", (" 3 ",), (0,)),
    ("SELECT c8, c5, c2 FROM typed WHERE id = $1 OR id = $2 ORDER BY id", ("2", "1"), (0, 0)),
    ("SELECT id, c4 FROM typed WHERE c8 = $1", ("héllo",), (0,)),
    ("SELECT id FROM typed WHERE id >= $1 ORDER BY id DESC", ("1",), (_INT4,)),
    ("SELECT label AS name, id FROM items WHERE label = 'two'", (), ()),
]


@pytest.mark.parametrize(("sql", "params", "param_oids"), READS)
def test_reads_run_again_answer_as_a_fresh_translation(
    path: str, reactor: PoolReactor, sql: str, params: tuple[Any, ...], param_oids: tuple[int, ...]
) -> None:
    fresh = SQLiteDatabase(path)
    expected = _answer(_session(fresh).execute(sql, params, param_oids), reactor)
    fresh.close()
    database = CountingDatabase(path)
    backend = _session(database, reactor)
    first = backend.execute(sql, params, param_oids)
    assert isinstance(first, QueryResult)  # inline, translated and prepared now
    assert _answer(first, reactor) == expected
    # The fast path reads the schema version once after a statement was compiled (here the
    # read itself, by the first run; then a statement of another path), and then no more.
    for compile_first in (None, "SELECT count(*) FROM typed"):
        if compile_first is not None:
            _answer(backend.execute(compile_first, (), ()), reactor)
        checks = database.schema_checks
        for _ in range(3):
            again = backend.execute(sql, params, param_oids)
            assert isinstance(again, QueryResult)
            assert _answer(again, reactor) == expected
            assert database.schema_checks == checks + 1
    backend.connection_lost()
    database.close()


def test_bad_parameters_fail_the_same_way_when_run_again(path: str, reactor: PoolReactor) -> None:
    database = SQLiteDatabase(path)
    backend = _session(database, reactor)
    sql = "SELECT c8 FROM typed WHERE id = $1"
    assert _answer(backend.execute(sql, ("1",), (0,)), reactor)[1] == [("héllo",)]
    messages = []
    for _ in range(2):
        with pytest.raises(PostgresError) as raised:
            backend.execute(sql, ("abc",), (0,))
        messages.append((raised.value.sqlstate, str(raised.value)))
    assert messages[0] == messages[1] and messages[0][0] == "22P02"
    assert 'invalid input syntax for type bigint: "abc"' in messages[0][1]
    backend.connection_lost()
    database.close()


def test_values_a_type_cannot_hold_fail_the_same_way_when_run_again(
    path: str, reactor: PoolReactor
) -> None:
    """A smallint column holding 100000 (written by another SQLite program) is an error when
    read, whichever path reads it."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("INSERT INTO typed (id, c2) VALUES (5, 100000)")
    other.close()
    sql = "SELECT c2 FROM typed WHERE id = $1"
    fresh = SQLiteDatabase(path)
    with pytest.raises(PostgresError) as cold:
        _session(fresh).execute(sql, ("5",), (0,))
    fresh.close()
    database = SQLiteDatabase(path)
    backend = _session(database, reactor)
    assert _answer(backend.execute(sql, ("1",), (0,)), reactor)[1] == [(-5,)]
    for _ in range(2):
        with pytest.raises(PostgresError) as warm:
            backend.execute(sql, ("5",), (0,))
        assert (warm.value.sqlstate, str(warm.value)) == (cold.value.sqlstate, str(cold.value))
    assert cold.value.sqlstate == "22003"
    backend.connection_lost()
    database.close()


def test_schema_changed_by_another_connection_is_seen(path: str, reactor: PoolReactor) -> None:
    """Another process (here: another sqlite3 connection to the file) changes a table a
    cached read uses; the next read is translated for the new table."""
    database = CountingDatabase(path)
    backend = _session(database, reactor)
    sql = "SELECT * FROM items WHERE id = $1"
    for _ in range(2):
        columns, rows, _, _ = _answer(backend.execute(sql, (1,), (_INT8,)), reactor)
    assert [column.name for column in columns] == ["id", "label"] and rows == [(1, "one")]
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("ALTER TABLE items ADD COLUMN note text")
    other.execute("UPDATE items SET note = 'added'")
    columns, rows, _, _ = _answer(backend.execute(sql, (1,), (_INT8,)), reactor)
    assert [column.name for column in columns] == ["id", "label", "note"]
    assert rows == [(1, "one", "added")]
    # Replaced by a table of the same name whose label is an integer now.
    other.execute("DROP TABLE items")
    other.execute("CREATE TABLE items (id bigint PRIMARY KEY, label integer)")
    other.execute("INSERT INTO items VALUES (1, 42)")
    other.close()
    columns, rows, _, _ = _answer(backend.execute(sql, (1,), (_INT8,)), reactor)
    # (A plain SQLite ``integer`` column reads as bigint.)
    assert [(column.name, column.type_oid) for column in columns] == [
        ("id", _INT8),
        ("label", _INT8),
    ]
    assert rows == [(1, 42)]
    checks = database.schema_checks
    for _ in range(3):  # compiled again by the last run: checked once more, then no more
        assert _answer(backend.execute(sql, (1,), (_INT8,)), reactor)[1] == [(1, 42)]
    assert database.schema_checks == checks + 1
    backend.connection_lost()
    database.close()


def test_schema_changed_by_another_session_is_seen(path: str, reactor: PoolReactor) -> None:
    database = SQLiteDatabase(path)
    reader, writer = _session(database, reactor), _session(database, reactor)
    sql = "SELECT * FROM items WHERE id = $1"
    for _ in range(2):
        assert _answer(reader.execute(sql, (2,), (_INT8,)), reactor)[1] == [(2, "two")]
    reactor.wait(writer.execute("ALTER TABLE items ADD COLUMN rank integer DEFAULT 7", (), ()))
    assert _answer(reader.execute(sql, (2,), (_INT8,)), reactor)[1] == [(2, "two", 7)]
    reader.connection_lost()
    writer.connection_lost()
    database.close()


def test_pool_statements_wait_for_locks_after_inline_reads(
    tmp_path: Path, reactor: PoolReactor
) -> None:
    """An inline read leaves the busy timeout off; a write in the pool still waits for it."""
    database = SQLiteDatabase(str(tmp_path / "busy.sqlite3"), busy_timeout=0.5)
    holder, waiter = _session(database, reactor), _session(database, reactor)
    reactor.wait(holder.execute("CREATE TABLE t (id bigint PRIMARY KEY, n bigint)", (), ()))
    reactor.wait(holder.execute("INSERT INTO t VALUES (1, 0)", (), ()))
    reactor.wait(holder.transaction("BEGIN"))
    reactor.wait(holder.execute("UPDATE t SET n = 1 WHERE id = 1", (), ()))
    for _ in range(2):
        read = waiter.execute("SELECT n FROM t WHERE id = $1", (1,), (_INT8,))
        assert isinstance(read, QueryResult) and _answer(read, reactor)[1] == [(0,)]
    started = time.monotonic()
    with pytest.raises(PostgresError) as raised:
        reactor.wait(waiter.execute("UPDATE t SET n = 2 WHERE id = 1", (), ()))
    assert raised.value.sqlstate == "55P03"
    assert time.monotonic() - started >= 0.4
    reactor.wait(holder.transaction("ROLLBACK"))
    holder.connection_lost()
    waiter.connection_lost()
    database.close()


def test_prepared_cache_is_per_schema_and_bounded() -> None:
    cache = PreparedCache(size=2)
    old, new = Schema(), Schema()
    entry = prepare(Plan("SELECT"), old, None)
    cache.put("q1", (0,), 1, entry)
    assert cache.get("q1", [0], 1, old) is entry
    assert cache.get("q1", (0,), 1, new) is None
    assert cache.get("q1", (0,), 2, old) is None
    assert cache.get("q1", (), 1, old) is None
    cache.put("q2", (), 1, prepare(Plan("SELECT"), old, None))
    assert cache.get("q1", (0,), 1, old) is entry  # now the most recently used
    cache.put("q3", (), 1, prepare(Plan("SELECT"), old, None))
    assert cache.get("q2", (), 1, old) is None
    assert cache.get("q1", (0,), 1, old) is entry


def _names(outcome: Any, reactor: PoolReactor) -> tuple[list[str], list[tuple[Any, ...]]]:
    columns, rows, _, _ = _answer(outcome, reactor)
    return [column.name for column in columns], rows


def test_remembered_reads_follow_this_sessions_ddl(path: str, reactor: PoolReactor) -> None:
    """A read the session remembers (run twice) sees the session's own ALTER, DROP and CREATE
    between executions of the same SQL text, and is remembered anew for the new table."""
    database = CountingDatabase(path)
    backend = _session(database, reactor)
    sql = "SELECT * FROM items WHERE id = $1"
    for _ in range(3):
        assert _names(backend.execute(sql, ("1",), (0,)), reactor) == (
            ["id", "label"],
            [(1, "one")],
        )
    reactor.wait(backend.execute("ALTER TABLE items ADD COLUMN note text DEFAULT 'n'", (), ()))
    for _ in range(2):
        assert _names(backend.execute(sql, ("1",), (0,)), reactor) == (
            ["id", "label", "note"],
            [(1, "one", "n")],
        )
    reactor.wait(backend.execute("DROP TABLE items", (), ()))
    for _ in range(2):
        with pytest.raises(PostgresError) as raised:
            reactor.wait(backend.execute(sql, ("1",), (0,)))
        assert raised.value.sqlstate == "42P01"
    reactor.wait(backend.execute("CREATE TABLE items (id integer PRIMARY KEY, size real)", (), ()))
    reactor.wait(backend.execute("INSERT INTO items VALUES (1, 2.5)", (), ()))
    for _ in range(2):
        columns, rows, _, _ = _answer(backend.execute(sql, ("1",), (0,)), reactor)
        assert [(column.name, column.type_oid) for column in columns] == [
            ("id", _INT4),
            ("size", 700),
        ]
        assert rows == [(1, 2.5)]
    checks = database.schema_checks
    for _ in range(3):
        assert _answer(backend.execute(sql, ("1",), (0,)), reactor)[1] == [(1, 2.5)]
    assert database.schema_checks == checks
    backend.connection_lost()
    database.close()


def test_remembered_reads_see_ddl_of_the_open_transaction(path: str, reactor: PoolReactor) -> None:
    """Uncommitted DDL of the session's transaction is seen by a remembered read, and is gone
    again after ROLLBACK."""
    database = SQLiteDatabase(path)
    backend = _session(database, reactor)
    sql = "SELECT * FROM items WHERE id = $1"
    plain = (["id", "label"], [(2, "two")])
    for _ in range(2):
        assert _names(backend.execute(sql, ("2",), (0,)), reactor) == plain
    reactor.wait(backend.transaction("BEGIN"))
    reactor.wait(backend.execute("ALTER TABLE items ADD COLUMN extra bigint DEFAULT 5", (), ()))
    for _ in range(2):
        assert _names(backend.execute(sql, ("2",), (0,)), reactor) == (
            ["id", "label", "extra"],
            [(2, "two", 5)],
        )
    reactor.wait(backend.transaction("ROLLBACK"))
    for _ in range(2):
        assert _names(backend.execute(sql, ("2",), (0,)), reactor) == plain
    backend.connection_lost()
    database.close()


def test_remembered_reads_keep_parameter_types_apart(path: str, reactor: PoolReactor) -> None:
    """The same SQL text with other parameter types is not answered as the one remembered."""
    database = SQLiteDatabase(path)
    backend = _session(database, reactor)
    sql = "SELECT id, $1 AS x FROM items WHERE id = 1"
    expected = {_INT4: (_INT4, [(1, 7)]), 25: (25, [(1, "7")])}
    for _ in range(3):
        for given, (oid, rows) in expected.items():
            columns, found, _, _ = _answer(backend.execute(sql, ("7",), (given,)), reactor)
            assert (columns[1].type_oid, found) == (oid, rows)
    backend.connection_lost()
    database.close()


def test_remembered_reads_are_bounded_and_forgotten_when_the_client_goes(
    path: str, reactor: PoolReactor
) -> None:
    database = SQLiteDatabase(path)
    backend = _session(database, reactor)
    statements = [f"SELECT id, label AS l{number} FROM items WHERE id = $1" for number in range(80)]
    for _ in range(2):
        for number, sql in enumerate(statements):
            columns, rows, _, _ = _answer(backend.execute(sql, ("1",), (0,)), reactor)
            assert columns[1].name == f"l{number}" and rows == [(1, "one")]
    assert 0 < len(backend._reads) <= 64
    reactor.wait(backend.connection_lost())  # the connection closed in the pool
    with pytest.raises(PostgresError) as raised:
        backend.execute(statements[-1], ("1",), (0,))
    assert raised.value.sqlstate == "08003"
    database.close()


def _outcome(function: Any, *args: Any) -> Any:
    try:
        value = function(*args)
    except PostgresError as error:
        return (error.sqlstate, str(error))
    return (type(value), value)


@pytest.mark.parametrize(
    "declared", ["smallint", "integer", "bigint", "oid", "numeric(5,1)", "date", "boolean"]
)
@pytest.mark.parametrize(
    "text", ["42", " -7 ", "+3", "1_000", "abc", "", "1.5", "40000", "3000000000", "1e400", "t"]
)
def test_casters_cast_as_cast_value(declared: str, text: str) -> None:
    pg_type = pg_type_named(declared)
    assert pg_type is not None
    expected = _outcome(cast_value, text, pg_type, UTC)
    assert _outcome(caster_for(pg_type), text, UTC) == expected
