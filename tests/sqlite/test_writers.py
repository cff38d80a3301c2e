"""The writer gate (``sqlite/writers.py``) and transaction control in the reactor thread.

A writer waiting for another session of the same process resumes as soon as that session's
transaction ends (not after SQLite's busy handler's next sleep); the busy timeout still ends
the wait with 55P03 and a cancel with 57014.  BEGIN, ROLLBACK and a COMMIT after reads only
need no worker thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.defer import CancelledError, Deferred

from txpostgres_proto.catalog import SimpleSession
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.backend import QueryResult
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite.writers import WriterGate
from txpostgres_proto.sqlite_backend import SQLiteBackend

from .conftest import PoolReactor


def test_gate_is_reentrant_and_times_out() -> None:
    gate, one, other = WriterGate(), object(), object()
    assert gate.enter(one, 0) and gate.enter(one, 0) and gate.holds(one)
    started = time.monotonic()
    assert not gate.enter(other, 0.2)
    assert time.monotonic() - started >= 0.15
    gate.leave(other)  # not the holder: nothing happens
    assert gate.holds(one)
    gate.leave(one)
    assert gate.enter(other, 0) and gate.holds(other)


def test_gate_wakes_a_waiter_at_once_and_stops_on_cancel() -> None:
    gate, one, other = WriterGate(), object(), object()
    gate.enter(one, 0)
    woke: list[float] = []

    def wait() -> None:
        assert gate.enter(other, 10)
        woke.append(time.monotonic())

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.1)
    left = time.monotonic()
    gate.leave(one)
    waiter.join(5)
    assert woke and woke[0] - left < 0.5 and gate.holds(other)
    cancelled = threading.Event()
    threading.Timer(0.1, cancelled.set).start()
    assert not gate.enter(one, 10, cancelled.is_set)


@pytest.fixture
def sessions(tmp_path: Path, reactor: PoolReactor) -> Iterator[tuple[Any, ...]]:
    database = SQLiteDatabase(str(tmp_path / "w.sqlite3"), busy_timeout=5.0)
    made = []
    for _ in range(2):
        backend = SQLiteBackend(database, threaded=True, reactor=reactor)
        backend.connection_made(SimpleSession())
        made.append(backend)
    holder, waiter = made
    reactor.wait(holder.execute("CREATE TABLE t (id bigint PRIMARY KEY, n bigint)", (), ()))
    reactor.wait(holder.execute("INSERT INTO t VALUES (1, 0)", (), ()))
    yield database, holder, waiter, reactor
    for backend in made:
        closed = backend.connection_lost()
        if isinstance(closed, Deferred):
            reactor.wait(closed)
    database.close()


def _value(outcome: Any, reactor: PoolReactor) -> Any:
    result = reactor.wait(outcome) if isinstance(outcome, Deferred) else outcome
    assert isinstance(result, QueryResult)
    return list(result.rows)  # type: ignore[arg-type]


def test_a_waiting_writer_goes_on_when_the_holder_commits(sessions: tuple[Any, ...]) -> None:
    database, holder, waiter, reactor = sessions
    reactor.wait(holder.transaction("BEGIN"))
    reactor.wait(holder.execute("UPDATE t SET n = 1 WHERE id = 1", (), ()))
    assert database.writers.holds(holder)
    waiting = waiter.execute("UPDATE t SET n = n + 10 WHERE id = 1 RETURNING n", (), ())
    time.sleep(0.2)
    assert not waiting.called
    committed = time.monotonic()
    reactor.wait(holder.transaction("COMMIT"))
    assert not database.writers.holds(holder)
    assert _value(waiting, reactor) == [(11,)]
    # SQLite's busy handler sleeps up to 100 ms at a time; the gate hands over at once.
    assert time.monotonic() - committed < 0.5
    assert not database.writers.holds(waiter)  # autocommit: let go after the statement


def test_errors_keep_or_let_go_of_the_gate(sessions: tuple[Any, ...]) -> None:
    database, holder, waiter, reactor = sessions
    reactor.wait(holder.transaction("BEGIN"))
    with pytest.raises(PostgresError) as duplicate:
        reactor.wait(holder.execute("INSERT INTO t VALUES (1, 5)", (), ()))
    assert duplicate.value.sqlstate == "23505"
    assert database.writers.holds(holder)  # the transaction may hold SQLite's lock
    reactor.wait(holder.transaction("ROLLBACK"))
    assert not database.writers.holds(holder)
    assert _value(waiter.execute("UPDATE t SET n = 3 RETURNING n", (), ()), reactor) == [(3,)]


def test_a_cancelled_waiter_stops_waiting(sessions: tuple[Any, ...]) -> None:
    database, holder, waiter, reactor = sessions
    reactor.wait(holder.transaction("BEGIN"))
    reactor.wait(holder.execute("UPDATE t SET n = 1", (), ()))
    waiting = waiter.execute("UPDATE t SET n = 2", (), ())
    time.sleep(0.1)
    started = time.monotonic()
    waiting.cancel()
    with pytest.raises(CancelledError):
        reactor.wait(waiting)
    # The worker thread stopped waiting (else the busy timeout, 5 s): the next statement of
    # the session, queued behind it, runs at once.
    assert _value(waiter.execute("SELECT n FROM t", (), ()), reactor) == [(0,)]
    assert time.monotonic() - started < 2.0
    assert database.writers.holds(holder)
    reactor.wait(holder.transaction("ROLLBACK"))


def test_transaction_control_without_a_worker_thread(sessions: tuple[Any, ...]) -> None:
    _, holder, _, reactor = sessions
    for _ in range(2):  # reads only: BEGIN, the read and COMMIT all answered at once
        begun = holder.transaction("BEGIN")
        assert isinstance(begun, Deferred) and begun.called
        read = holder.execute("SELECT n FROM t WHERE id = 1", (), ())
        assert isinstance(read, QueryResult)
        committed = holder.transaction("COMMIT")
        assert committed.called
    reactor.wait(holder.transaction("BEGIN"))
    reactor.wait(holder.execute("UPDATE t SET n = 7", (), ()))
    committed = holder.transaction("COMMIT")  # a write to commit: in the pool
    assert not committed.called
    reactor.wait(committed)
    assert holder.transaction("ROLLBACK").called  # no transaction: nothing to do
    assert _value(holder.execute("SELECT n FROM t", (), ()), reactor) == [(7,)]
    reactor.wait(holder.transaction("BEGIN"))
    reactor.wait(holder.execute("UPDATE t SET n = 8", (), ()))
    rolled_back = holder.transaction("ROLLBACK")
    assert rolled_back.called
    assert _value(holder.execute("SELECT n FROM t", (), ()), reactor) == [(7,)]
