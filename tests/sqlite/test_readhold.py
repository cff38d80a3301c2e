"""The read transaction a session keeps open between plain reads (``sqlite/readhold.py``).

It must never serve an old snapshot: whatever another session, another connection of this
process or another process commits is seen by the next read.  It is let go before the session
writes, opens a transaction or goes, and when the session is idle (so SQLite's checkpoints can
restart the WAL again).  Reads in it answer exactly as reads outside it.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.defer import Deferred

from txpostgres_proto.catalog import SimpleSession
from txpostgres_proto.server.backend import QueryResult
from txpostgres_proto.sqlite.database import MMAP_SIZE, SQLiteDatabase
from txpostgres_proto.sqlite.readhold import IDLE_SECONDS, QUIET_READS, wal_index_header
from txpostgres_proto.sqlite_backend import SQLiteBackend

from .conftest import PoolReactor

_READ = "SELECT n FROM t WHERE id = $1"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SQLiteDatabase]:
    shared = SQLiteDatabase(str(tmp_path / "hold.sqlite3"), busy_timeout=2.0)
    yield shared
    shared.close()


def _session(database: SQLiteDatabase, reactor: PoolReactor | None) -> SQLiteBackend:
    backend = SQLiteBackend(database, threaded=reactor is not None, reactor=reactor)
    backend.connection_made(SimpleSession())
    return backend


def _run(reactor: PoolReactor, backend: SQLiteBackend, sql: str, *params: Any) -> QueryResult:
    outcome = backend.execute(sql, params, (0,) * len(params))
    result = reactor.wait(outcome) if isinstance(outcome, Deferred) else outcome
    assert isinstance(result, QueryResult)
    return result


def _rows(result: QueryResult) -> list[tuple[Any, ...]]:
    assert isinstance(result.rows, list)
    return [tuple(row) for row in result.rows]


def _read(reactor: PoolReactor, backend: SQLiteBackend, key: int = 1) -> tuple[Any, bool]:
    """(the value of ``n`` in row ``key``, whether the read was answered at once)."""
    outcome = backend.execute(_READ, (str(key),), (0,))
    inline = isinstance(outcome, QueryResult)
    rows = _rows(outcome if inline else reactor.wait(outcome))
    assert len(rows) == 1
    return rows[0][0], inline


@pytest.fixture
def sessions(
    database: SQLiteDatabase, reactor: PoolReactor
) -> Iterator[tuple[SQLiteBackend, SQLiteBackend]]:
    """(reader, writer): two threaded sessions on a table ``t (id, n)`` of rows 1..3, n = 0."""
    reader, writer = _session(database, reactor), _session(database, reactor)
    _run(reactor, writer, "CREATE TABLE t (id bigint PRIMARY KEY, n bigint)")
    _run(reactor, writer, "INSERT INTO t SELECT g, 0 FROM generate_series(1, 3) AS g")
    yield reader, writer
    for backend in (reader, writer):
        closed = backend.connection_lost()
        if isinstance(closed, Deferred):
            reactor.wait(closed)


def _truncate_checkpoint(path: str) -> int:
    """``PRAGMA wal_checkpoint(TRUNCATE)`` on a connection of its own: 1 when a reader's
    snapshot kept it from restarting the WAL, else 0."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        other.close()
    return int(busy)


def _held_reads(reactor: PoolReactor, reader: SQLiteBackend, expected: int) -> None:
    """Reads of row 1 answered at once, enough for the session to hold (nothing is committed
    in between)."""
    for _ in range(QUIET_READS + 2):  # (a session's first read is not a known one)
        assert _read(reactor, reader) == (expected, True)


def test_commits_of_another_session_are_seen(
    reactor: PoolReactor, sessions: tuple[SQLiteBackend, SQLiteBackend]
) -> None:
    reader, writer = sessions
    _held_reads(reactor, reader, 0)
    for value in range(1, 30):
        assert _run(reactor, writer, "UPDATE t SET n = $1 WHERE id = 1", str(value)).rowcount == 1
        assert _read(reactor, reader) == (value, True)
        assert _read(reactor, reader) == (value, True)


def test_commits_of_another_connection_are_seen(
    database: SQLiteDatabase, reactor: PoolReactor, sessions: tuple[SQLiteBackend, SQLiteBackend]
) -> None:
    reader, _ = sessions
    _held_reads(reactor, reader, 0)
    other = sqlite3.connect(database.path, isolation_level=None)
    try:
        for value in range(1, 30):
            other.execute("UPDATE t SET n = ? WHERE id = 1", (value,))
            assert _read(reactor, reader) == (value, True)
        # A checkpoint that restarts the WAL in between changes nothing either.
        reactor.clock.pump([IDLE_SECONDS] * 2)
        assert _truncate_checkpoint(database.path) == 0
        other.execute("UPDATE t SET n = 99 WHERE id = 1")
        assert _read(reactor, reader) == (99, True)
    finally:
        other.close()


def test_commits_of_another_process_are_seen(
    database: SQLiteDatabase, reactor: PoolReactor, sessions: tuple[SQLiteBackend, SQLiteBackend]
) -> None:
    reader, _ = sessions
    _held_reads(reactor, reader, 0)
    script = (
        "import sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('UPDATE t SET n = n + 1 WHERE id = 1')\n"
        "conn.close()\n"
    )
    for value in range(1, 4):
        subprocess.run([sys.executable, "-c", script, database.path], check=True, timeout=60)
        assert _read(reactor, reader) == (value, True)


def test_the_sessions_own_writes_follow_held_reads(
    reactor: PoolReactor, sessions: tuple[SQLiteBackend, SQLiteBackend]
) -> None:
    """Held reads on a snapshot another session's commit made old: the reader's write does
    not fail as a write on an old snapshot would (40001), and commits at once."""
    reader, writer = sessions
    _held_reads(reactor, reader, 0)
    _run(reactor, writer, "UPDATE t SET n = 5 WHERE id = 2")
    assert _run(reactor, reader, "UPDATE t SET n = n + 1 WHERE id = 2").command_tag == "UPDATE 1"
    assert _read(reactor, writer, 2) == (6, True)
    assert _read(reactor, reader, 2) == (6, True)


def test_a_transaction_after_held_reads_starts_from_the_latest_commit(
    reactor: PoolReactor, sessions: tuple[SQLiteBackend, SQLiteBackend]
) -> None:
    reader, writer = sessions
    _held_reads(reactor, reader, 0)
    _run(reactor, writer, "UPDATE t SET n = 7 WHERE id = 1")
    reactor.wait(reader.transaction("BEGIN"))
    assert _read(reactor, reader) == (7, True)
    _run(reactor, writer, "UPDATE t SET n = 8 WHERE id = 1")
    assert _read(reactor, reader) == (7, True)  # the transaction's snapshot
    reactor.wait(reader.transaction("COMMIT"))
    assert _read(reactor, reader) == (8, True)
    # BEGIN sent as SQL lets go as well.
    _held_reads(reactor, reader, 8)
    _run(reactor, writer, "UPDATE t SET n = 9 WHERE id = 1")
    _run(reactor, reader, "BEGIN")
    assert _read(reactor, reader) == (9, True)
    _run(reactor, reader, "UPDATE t SET n = 10 WHERE id = 1")
    _run(reactor, reader, "COMMIT")
    assert _read(reactor, writer) == (10, True)


def test_an_idle_session_lets_go_so_the_wal_can_restart(
    database: SQLiteDatabase, reactor: PoolReactor, sessions: tuple[SQLiteBackend, SQLiteBackend]
) -> None:
    reader, writer = sessions
    _run(reactor, writer, "UPDATE t SET n = 1 WHERE id = 1")
    _held_reads(reactor, reader, 1)
    assert _truncate_checkpoint(database.path) == 1  # held: the snapshot is in use
    reactor.clock.advance(IDLE_SECONDS)  # used since the last tick: kept
    assert _truncate_checkpoint(database.path) == 1
    reactor.clock.advance(IDLE_SECONDS)  # unused for a whole tick: let go
    assert _truncate_checkpoint(database.path) == 0
    _run(reactor, writer, "UPDATE t SET n = 2 WHERE id = 1")
    assert _read(reactor, reader) == (2, True)
    assert _truncate_checkpoint(database.path) == 0  # the first read after a commit: not held
    _run(reactor, writer, "UPDATE t SET n = 3 WHERE id = 1")
    _held_reads(reactor, reader, 3)
    assert _truncate_checkpoint(database.path) == 1
    closed = reader.connection_lost()
    if isinstance(closed, Deferred):
        reactor.wait(closed)
    assert _truncate_checkpoint(database.path) == 0  # the session went: let go


def test_held_reads_answer_as_reads_outside_a_hold(
    database: SQLiteDatabase, reactor: PoolReactor, sessions: tuple[SQLiteBackend, SQLiteBackend]
) -> None:
    reader, _ = sessions
    plain = _session(database, None)
    _held_reads(reactor, reader, 0)
    try:
        for key in (1, 2, 3):
            held = [_run(reactor, reader, _READ, str(key)) for _ in range(3)]
            fresh = _run(reactor, plain, _READ, str(key))
            for result in held:
                assert (result.columns, _rows(result), result.command_tag) == (
                    fresh.columns,
                    _rows(fresh),
                    fresh.command_tag,
                )
                assert result.rowcount == fresh.rowcount == 1
    finally:
        plain.connection_lost()


def test_no_wal_index_no_mapping(tmp_path: Path) -> None:
    path = str(tmp_path / "rollback.sqlite3")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (a)")
    assert wal_index_header(path) is None  # a rollback-journal database has no -shm file
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("INSERT INTO t VALUES (1)")
    header = wal_index_header(path)
    assert header is not None
    before = header[:48]
    conn.execute("INSERT INTO t VALUES (2)")
    assert header[:48] != before  # a commit rewrites it
    header.close()
    conn.close()


def test_connections_read_through_a_memory_map_that_follows_the_file(
    database: SQLiteDatabase,
) -> None:
    """Sessions map the database file (``PRAGMA mmap_size``); a reader whose map was made
    before another connection grew the file past it, then shrank it, still reads right."""
    reader, writer = database.connect(), database.connect()
    try:
        assert reader.execute("PRAGMA mmap_size").fetchone()[0] == MMAP_SIZE
        writer.execute("CREATE TABLE big (n INTEGER PRIMARY KEY, pad TEXT)")
        writer.execute("INSERT INTO big VALUES (1, 'x')")
        assert reader.execute("SELECT count(*) FROM big").fetchone()[0] == 1
        pad = "y" * 2000
        writer.executemany("INSERT INTO big VALUES (?, ?)", [(n, pad) for n in range(2, 3000)])
        writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert reader.execute("SELECT count(*), max(n) FROM big").fetchone() == (2999, 2999)
        writer.execute("DELETE FROM big WHERE n > 10")
        writer.execute("VACUUM")
        assert reader.execute("SELECT count(*), sum(n) FROM big").fetchone() == (10, 55)
    finally:
        reader.close()
        writer.close()


def test_a_quiet_database_with_a_long_wal_gets_it_emptied_and_reads_hold_again(
    database: SQLiteDatabase, reactor: PoolReactor, sessions: tuple[SQLiteBackend, SQLiteBackend]
) -> None:
    """From SQLite's checkpoint size on (1,000 WAL frames), reads do not hold: a held
    snapshot would keep the WAL from restarting.  After a bulk load the WAL is that long and
    nobody writes to restart it: a session that finds it so has it emptied (by a checkpoint
    in a worker thread), then holds its reads again."""
    reader, _ = sessions
    loader = sqlite3.connect(database.path, isolation_level=None)
    try:
        loader.execute("PRAGMA wal_autocheckpoint=0")  # leave the whole load in the WAL
        loader.execute("CREATE TABLE bulk (pad TEXT)")
        loader.executemany("INSERT INTO bulk VALUES (?)", [("z" * 3000,) for _ in range(1500)])
    finally:
        loader.close()
    wal = Path(database.path + "-wal")
    assert wal.stat().st_size > 1000 * 4096
    for _ in range(QUIET_READS + 2):
        assert _read(reactor, reader) == (0, True)
    assert reader._hold is not None and not reader._hold.held  # noqa: SLF001 - the WAL is long
    deadline = time.monotonic() + 10
    while wal.stat().st_size and time.monotonic() < deadline:
        reactor.deliver(0.05)  # the checkpoint's end
    assert wal.stat().st_size == 0
    _held_reads(reactor, reader, 0)
    assert reader._hold.held  # noqa: SLF001
