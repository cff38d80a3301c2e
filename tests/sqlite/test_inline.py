"""The inline path of the SQLite backend: cheap reads skip the thread pool, the rest do not.

The backend runs threaded here, on a real Twisted thread pool; the test itself plays the
reactor (``conftest.PoolReactor``).  A statement answered inline comes back as a plain
`QueryResult`; one sent to the pool comes back as a Deferred.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.defer import Deferred

from txpostgres_proto.catalog import SimpleSession
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.backend import QueryResult
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite.errors import postgres_error
from txpostgres_proto.sqlite.inline import InlineGuard
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite_backend import SQLiteBackend

from .conftest import PoolReactor

_INT8 = 20


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SQLiteDatabase]:
    # A long busy timeout: an inline statement that waited for it would make a test slow.
    shared = SQLiteDatabase(str(tmp_path / "inline.sqlite3"), busy_timeout=5.0)
    yield shared
    shared.close()


@pytest.fixture
def backend(database: SQLiteDatabase, reactor: PoolReactor) -> Iterator[SQLiteBackend]:
    session = SQLiteBackend(database, threaded=True, reactor=reactor)
    session.connection_made(SimpleSession())
    ddl = session.execute(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text UNIQUE, balance bigint)", (), ()
    )
    reactor.wait(ddl)
    fill = session.execute(
        "INSERT INTO accounts SELECT g, 'user' || g, g * 10 FROM generate_series(1, 20000) AS g",
        (),
        (),
    )
    reactor.wait(fill)
    yield session
    closed = session.connection_lost()
    if isinstance(closed, Deferred):
        reactor.wait(closed)


def _run(reactor: PoolReactor, backend: SQLiteBackend, sql: str, *params: Any) -> tuple[Any, bool]:
    """(rows, whether it ran inline)."""
    outcome = backend.execute(sql, params, (_INT8,) * len(params))
    inline = isinstance(outcome, QueryResult)
    result = outcome if inline else reactor.wait(outcome)
    return [tuple(row) for row in result.rows or []], inline


def test_point_lookup_runs_inline(reactor: PoolReactor, backend: SQLiteBackend) -> None:
    rows, inline = _run(reactor, backend, "SELECT balance FROM accounts WHERE id = $1", 42)
    assert (rows, inline) == ([(420,)], True)
    rows, inline = _run(reactor, backend, "SELECT id FROM accounts WHERE email = 'user7'")
    assert (rows, inline) == ([(7,)], True)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT pg_sleep(0.01)", [("",)]),
        ("SELECT count(*) FROM accounts", [(20000,)]),
        ("SELECT id FROM accounts WHERE id IN (SELECT 3)", [(3,)]),
        ("SELECT id FROM accounts WHERE email ~ '^user1234$'", [(1234,)]),
        ("UPDATE accounts SET balance = 0 WHERE id = 5", []),
    ],
)
def test_other_statements_use_the_pool(
    reactor: PoolReactor, backend: SQLiteBackend, sql: str, expected: list[Any]
) -> None:
    assert _run(reactor, backend, sql) == (expected, False)


def test_reads_through_views_that_call_functions_use_the_pool(
    reactor: PoolReactor, backend: SQLiteBackend
) -> None:
    for ddl in (
        "CREATE VIEW slow AS SELECT id, pg_sleep(0) AS pause FROM accounts",
        "CREATE VIEW over_slow AS SELECT id FROM slow",
        'CREATE VIEW "Plain View" AS SELECT id, email FROM accounts',
    ):
        _run(reactor, backend, ddl)
    # Reflection compiles the view with our functions installed: it is seen, typed.
    slow = backend.database.schema().table("slow")
    assert slow is not None and [column.name for column in slow.columns] == ["id", "pause"]
    assert _run(reactor, backend, "SELECT id FROM slow WHERE id = 3") == ([(3,)], False)
    assert _run(reactor, backend, "SELECT id FROM over_slow WHERE id = 4") == ([(4,)], False)
    assert _run(reactor, backend, 'SELECT email FROM "Plain View" WHERE id = 5') == (
        [("user5",)],
        True,
    )


def test_long_scan_gives_up_inline_and_finishes_in_the_pool(
    reactor: PoolReactor, backend: SQLiteBackend
) -> None:
    for _ in range(3):  # translated and run; then the fast path of a statement run again
        rows, inline = _run(reactor, backend, "SELECT id, email FROM accounts ORDER BY email DESC")
        assert inline is False
        assert len(rows) == 20000 and rows[0] == (9999, "user9999")
        assert backend._guard is not None and backend._guard.gave_up
    # The budget was lifted again: the next cheap read is inline, and what runs in the pool
    # after it has its busy timeout back.
    assert _run(reactor, backend, "SELECT balance FROM accounts WHERE id = 1") == ([(10,)], True)
    conn = backend._conn
    assert conn is not None
    in_pool = backend._call(lambda: conn.execute("PRAGMA busy_timeout").fetchone())
    assert reactor.wait(in_pool) == (5000,)


def test_busy_database_gives_up_without_waiting(tmp_path: Path) -> None:
    """A reader is refused at once under the guard, where the busy timeout would wait.

    (A WAL reader is only busy when another connection holds the file in exclusive locking
    mode, which SQLite grants only while no other connection is open, so this is shown on
    the guard itself rather than through a backend, whose schema reflection would wait.)
    """
    path = str(tmp_path / "busy.sqlite3")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("PRAGMA journal_mode=WAL")
    locker.execute("CREATE TABLE t (id integer PRIMARY KEY)")
    locker.execute("PRAGMA locking_mode=EXCLUSIVE")
    locker.execute("BEGIN EXCLUSIVE")
    locker.execute("INSERT INTO t VALUES (1)")
    reader = sqlite3.connect(path, isolation_level=None, timeout=5.0)
    guard = InlineGuard(reader, 5.0)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as raised, guard:
        reader.execute("SELECT id FROM t WHERE id = 1").fetchall()
    assert time.monotonic() - started < 1.0
    error = postgres_error(raised.value, "SELECT", None, Schema())
    assert error.sqlstate == "55P03" and guard.should_retry(error)
    # Left off for the next inline read, until the connection's user restores it.
    assert reader.execute("PRAGMA busy_timeout").fetchone() == (0,)
    guard.restore_busy_timeout()
    assert reader.execute("PRAGMA busy_timeout").fetchone() == (5000,)
    locker.execute("COMMIT")
    locker.close()
    assert reader.execute("SELECT id FROM t").fetchall() == [(1,)]
    reader.close()


def test_inline_errors_are_postgres_errors(reactor: PoolReactor, backend: SQLiteBackend) -> None:
    with pytest.raises(PostgresError) as raised:
        backend.execute("SELECT nope FROM accounts WHERE id = 1", (), ())
    assert raised.value.sqlstate == "42703"


def test_inline_read_inside_a_transaction_sees_its_own_writes(
    reactor: PoolReactor, backend: SQLiteBackend
) -> None:
    reactor.wait(backend.transaction("BEGIN"))
    _run(reactor, backend, "UPDATE accounts SET balance = 99 WHERE id = 3")
    assert _run(reactor, backend, "SELECT balance FROM accounts WHERE id = 3") == ([(99,)], True)
    reactor.wait(backend.transaction("ROLLBACK"))
    assert _run(reactor, backend, "SELECT balance FROM accounts WHERE id = 3") == ([(30,)], True)


def test_reads_wait_for_what_the_session_has_in_the_pool(database: SQLiteDatabase) -> None:
    """A read sent while an UPDATE of the same session is still in the pool is not run inline
    ahead of it: it queues behind it (one worker thread: in order) and sees its change."""
    reactor = PoolReactor(threads=1)
    session = SQLiteBackend(database, threaded=True, reactor=reactor)
    session.connection_made(SimpleSession())
    try:
        reactor.wait(session.execute("CREATE TABLE t (id bigint PRIMARY KEY, n bigint)", (), ()))
        reactor.wait(session.execute("INSERT INTO t VALUES (9, 90)", (), ()))
        assert _run(reactor, session, "SELECT n FROM t WHERE id = 9") == ([(90,)], True)
        update = session.execute("UPDATE t SET n = 7 WHERE id = 9", (), ())
        read = session.execute("SELECT n FROM t WHERE id = $1", (9,), (_INT8,))
        assert isinstance(update, Deferred) and isinstance(read, Deferred)
        assert [tuple(row) for row in reactor.wait(read).rows] == [(7,)]
        assert reactor.wait(update).command_tag == "UPDATE 1"
        assert _run(reactor, session, "SELECT n FROM t WHERE id = 9") == ([(7,)], True)
    finally:
        reactor.wait(session.connection_lost())
        reactor.pool.stop()
