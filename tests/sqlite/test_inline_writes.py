"""Bounded writes in the reactor thread (``sqlite/inline_writes.py``): what qualifies, and that
running them there changes nothing but the thread.

The backend runs threaded on a real Twisted thread pool, the test playing the reactor
(``conftest.PoolReactor``); ``SQLiteBackend._pool_calls`` counts the statements handed to the
pool.  Lock conflicts come from a plain ``sqlite3`` connection to the same file, as another
process (a ``--workers`` sibling) would hold SQLite's write lock: the writer gate does not
know about it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.defer import CancelledError, Deferred

from txpostgres_proto.catalog import SimpleSession
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite.inline_writes import WriteVerdicts, bounded_program, shape_of
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.writers import WriterGate
from txpostgres_proto.sqlite_backend import SQLiteBackend

from .conftest import PoolReactor

_INT8 = 20


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SQLiteDatabase]:
    shared = SQLiteDatabase(str(tmp_path / "writes.sqlite3"), busy_timeout=5.0)
    yield shared
    shared.close()


def _session(database: SQLiteDatabase, reactor: PoolReactor) -> SQLiteBackend:
    session = SQLiteBackend(database, threaded=True, reactor=reactor)
    session.connection_made(SimpleSession())
    return session


@pytest.fixture
def sessions(database: SQLiteDatabase, reactor: PoolReactor) -> Iterator[list[SQLiteBackend]]:
    made = [_session(database, reactor) for _ in range(2)]
    first = made[0]
    for ddl in (
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text UNIQUE, balance bigint)",
        "CREATE TABLE history (account bigint, delta bigint, at timestamp)",
        "INSERT INTO accounts SELECT g, 'user' || g, 100 FROM generate_series(1, 50) AS g",
    ):
        reactor.wait(first.execute(ddl, (), ()))
    yield made
    for session in made:
        closed = session.connection_lost()
        if isinstance(closed, Deferred):
            reactor.wait(closed)


def _do(reactor: PoolReactor, session: SQLiteBackend, sql: str, *params: Any) -> Any:
    """Run ``sql``; its QueryResult (waiting for the pool when it went there)."""
    outcome = session.execute(sql, params, (_INT8,) * len(params))
    return reactor.wait(outcome) if isinstance(outcome, Deferred) else outcome


def _control(reactor: PoolReactor, session: SQLiteBackend, command: str) -> None:
    done = session.transaction(command)
    if isinstance(done, Deferred):
        reactor.wait(done)


def _hand_offs(reactor: PoolReactor, session: SQLiteBackend, *statements: str) -> int:
    """Pool hand-offs while ``statements`` run (BEGIN/COMMIT/ROLLBACK as transaction control)."""
    before = session._pool_calls
    for sql in statements:
        if sql in ("BEGIN", "COMMIT", "ROLLBACK"):
            _control(reactor, session, sql)
        else:
            _do(reactor, session, sql)
    return session._pool_calls - before


def _balance(reactor: PoolReactor, session: SQLiteBackend, account: int) -> Any:
    return _do(reactor, session, "SELECT balance FROM accounts WHERE id = $1", account).rows[0][0]


def test_tpcb_like_transaction_needs_no_worker_thread(
    reactor: PoolReactor, sessions: list[SQLiteBackend]
) -> None:
    one, other = sessions
    transaction = (
        "BEGIN",
        "UPDATE accounts SET balance = balance + 5 WHERE id = 3",
        "SELECT balance FROM accounts WHERE id = 3",
        "INSERT INTO history (account, delta, at) VALUES (3, 5, CURRENT_TIMESTAMP)",
        "DELETE FROM accounts WHERE id = 50",
        "COMMIT",
    )
    _hand_offs(reactor, one, *transaction)  # translated, prepared, verdicts made
    assert _hand_offs(reactor, one, *transaction) == 0
    assert _balance(reactor, other, 3) == 110  # committed: another session sees it
    assert _do(reactor, other, "SELECT count(*) FROM history").rows == [(2,)]
    with sqlite3.connect(one.database.path) as fresh:  # and so does a new connection
        assert fresh.execute("SELECT balance FROM accounts WHERE id = 3").fetchone() == (110,)
    # Prepared, with parameters, too; and a ROLLBACK undoes inline writes.
    before = one._pool_calls
    _control(reactor, one, "BEGIN")
    for _ in range(2):
        update = "UPDATE accounts SET balance = balance + $1 WHERE id = $2"
        assert _do(reactor, one, update, 7, 4).command_tag == "UPDATE 1"
    assert _balance(reactor, one, 4) == 114
    _control(reactor, one, "ROLLBACK")
    assert one._pool_calls == before
    assert _balance(reactor, other, 4) == 100


def test_writes_outside_a_transaction_still_use_the_pool(
    reactor: PoolReactor, sessions: list[SQLiteBackend]
) -> None:
    one = sessions[0]
    sql = "UPDATE accounts SET balance = 1 WHERE id = 2"
    assert _hand_offs(reactor, one, sql, sql) == 2


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE accounts SET balance = 0 WHERE balance > 1000",  # no key: a scan
        "UPDATE accounts SET balance = 0 WHERE id IN (1, 2)",  # a loop over the list
        "DELETE FROM history",  # SQLite clears the whole table at once
        "INSERT INTO history SELECT id, 1, NULL FROM accounts",  # as many rows as selected
        "UPDATE accounts SET balance = 0 WHERE id = 1 RETURNING id",
        "SELECT pg_sleep(0)",  # not a write at all, and not a plain read
    ],
)
def test_unbounded_writes_use_the_pool(
    reactor: PoolReactor, sessions: list[SQLiteBackend], statement: str
) -> None:
    one = sessions[0]
    assert _hand_offs(reactor, one, "BEGIN", statement, statement) == 2
    _control(reactor, one, "ROLLBACK")


def test_triggers_cascades_and_sequences_make_a_write_unbounded(
    reactor: PoolReactor, sessions: list[SQLiteBackend]
) -> None:
    one = sessions[0]
    for ddl in (
        "CREATE TABLE parents (id bigint PRIMARY KEY)",
        "CREATE TABLE children (id bigint PRIMARY KEY, "
        "parent bigint REFERENCES parents (id) ON DELETE CASCADE)",
        "CREATE TABLE serials (id serial PRIMARY KEY, name text)",
        "CREATE TABLE audited (id bigint PRIMARY KEY, n bigint)",
        "INSERT INTO parents VALUES (1), (2)",
        "INSERT INTO audited VALUES (1, 0)",
    ):
        _do(reactor, one, ddl)
    update = ("BEGIN", "UPDATE audited SET n = n + 1 WHERE id = 1", "COMMIT")
    assert _hand_offs(reactor, one, *update) == 0
    # Another program adds a trigger (this server's SQL has no CREATE TRIGGER): the sessions'
    # connections still have the schema without it, but the next write is judged anew.
    with sqlite3.connect(one.database.path) as other_program:
        other_program.execute(
            "CREATE TRIGGER audit AFTER UPDATE ON audited "
            "BEGIN UPDATE accounts SET balance = balance + 1; END"
        )
    for statement in (
        "DELETE FROM parents WHERE id = 1",  # cascades into children
        "INSERT INTO serials (name) VALUES ('x')",  # nextval() in the default
        "UPDATE audited SET n = n + 1 WHERE id = 1",  # the trigger updates every account
    ):
        assert _hand_offs(reactor, one, "BEGIN", statement) == 1, statement
        _control(reactor, one, "COMMIT")
    assert _balance(reactor, one, 1) == 101  # the trigger ran
    assert _do(reactor, one, "SELECT n FROM audited").rows == [(2,)]
    # Bounded: a child row checked against its parent by key.
    insert = ("BEGIN", "INSERT INTO children VALUES (1, 2)", "INSERT INTO children VALUES (2, 2)")
    assert _hand_offs(reactor, one, *insert, "COMMIT") == 0


def test_a_write_meeting_a_held_lock_waits_in_the_pool(
    reactor: PoolReactor, sessions: list[SQLiteBackend]
) -> None:
    """Another process holds SQLite's write lock: the inline attempt fails at once with
    SQLITE_BUSY having changed nothing, and the statement runs again in the pool, which waits
    until that process commits; the transaction around it is intact."""
    one = sessions[0]
    update = "UPDATE accounts SET balance = balance + $1 WHERE id = $2"
    _control(reactor, one, "BEGIN")
    _do(reactor, one, update, 1, 9)  # prepared and judged bounded
    _control(reactor, one, "ROLLBACK")
    other_process = sqlite3.connect(
        one.database.path, isolation_level=None, check_same_thread=False
    )
    other_process.execute("BEGIN IMMEDIATE")
    other_process.execute("UPDATE accounts SET balance = 500 WHERE id = 8")
    released = threading.Timer(0.3, other_process.execute, ("COMMIT",))
    _control(reactor, one, "BEGIN")
    before = one._pool_calls
    started = time.monotonic()
    released.start()
    try:
        assert _do(reactor, one, update, 10, 8).command_tag == "UPDATE 1"
    finally:
        released.join()
        other_process.close()
    assert time.monotonic() - started >= 0.25  # it waited for the other commit
    assert one._pool_calls == before + 1
    assert _do(reactor, one, update, 1, 7).command_tag == "UPDATE 1"  # inline again
    assert one._pool_calls == before + 1
    _control(reactor, one, "COMMIT")
    assert [_balance(reactor, one, account) for account in (7, 8)] == [101, 510]


def test_a_write_that_cannot_wait_leaves_its_transaction_as_it_was(
    reactor: PoolReactor, database: SQLiteDatabase, sessions: list[SQLiteBackend]
) -> None:
    """The inline attempt's SQLITE_BUSY undoes nothing of the transaction: with a busy
    timeout too short to wait out the other process, the pool's retry fails with 55P03 and
    the transaction is still open, on the snapshot it read; a failing write after inline
    writes takes nothing else with it, and ROLLBACK takes all of them back."""
    database.busy_timeout = 0.2  # for sessions opened from now on
    one = _session(database, reactor)
    sessions.append(one)
    update = "UPDATE accounts SET balance = balance + $1 WHERE id = $2"
    _control(reactor, one, "BEGIN")
    _do(reactor, one, update, 1, 1)
    _control(reactor, one, "COMMIT")
    other_process = sqlite3.connect(database.path, isolation_level=None)
    try:
        _control(reactor, one, "BEGIN")
        assert _balance(reactor, one, 1) == 101  # the snapshot is taken
        other_process.execute("BEGIN IMMEDIATE")
        before = one._pool_calls
        with pytest.raises(PostgresError) as raised:
            _do(reactor, one, update, 5, 2)
        assert raised.value.sqlstate == "55P03" and one._pool_calls == before + 1
        assert one._conn is not None and one._conn.in_transaction
        other_process.execute("UPDATE accounts SET balance = 0 WHERE id = 1")
        other_process.execute("COMMIT")
        assert _balance(reactor, one, 1) == 101  # still the snapshot of before
    finally:
        other_process.close()
    _control(reactor, one, "ROLLBACK")
    _do(reactor, one, "UPDATE accounts SET balance = 101 WHERE id = 1")
    _control(reactor, one, "BEGIN")
    _do(reactor, one, update, 5, 2)
    _do(reactor, one, update, 5, 3)
    with pytest.raises(PostgresError) as raised:
        _do(reactor, one, "INSERT INTO accounts (id, email) VALUES ($1, 'user4')", 99)
    assert raised.value.sqlstate == "23505"
    assert _balance(reactor, one, 2) == 105  # the failed INSERT took nothing else with it
    _control(reactor, one, "ROLLBACK")
    assert [_balance(reactor, one, account) for account in (1, 2, 3)] == [101, 100, 100]
    assert _do(reactor, one, "SELECT count(*) FROM accounts").rows == [(50,)]


def test_errors_are_the_pools_errors(reactor: PoolReactor, sessions: list[SQLiteBackend]) -> None:
    """A constraint error of an inline write is worded by the pool, with its detail, as it
    was before; an error SQLite raises while writing (a range check) is raised inline."""
    one = sessions[0]
    duplicate = "INSERT INTO accounts (id, email, balance) VALUES ($1, 'user9', 0)"
    too_big = "UPDATE accounts SET balance = balance * $1 WHERE id = $2"
    errors, hand_offs = [], []
    for transaction in (False, True):
        if transaction:
            _control(reactor, one, "BEGIN")
        found = []
        for sql, params in ((duplicate, (200,)), (too_big, (2**62, 5))):
            before = one._pool_calls
            with pytest.raises(PostgresError) as raised:
                _do(reactor, one, sql, *params)
            hand_offs.append(one._pool_calls - before)
            found.append((raised.value.sqlstate, str(raised.value), raised.value.detail))
        errors.append(found)
        if transaction:
            _control(reactor, one, "ROLLBACK")
    assert errors[0] == errors[1]
    assert hand_offs == [1, 1, 1, 0]  # in a transaction: the duplicate is retried in the pool
    assert errors[0][0][0] == "23505" and errors[0][0][2] == "Key (email)=(user9) already exists."
    assert errors[0][1][0] == "22003"


def test_a_writer_waits_for_another_session_without_a_thread(
    reactor: PoolReactor, sessions: list[SQLiteBackend]
) -> None:
    """A bounded write that finds another session's transaction holding the writer gate
    waits in the gate's queue, not in a worker thread, and runs (inline) the moment that
    transaction commits."""
    one, other = sessions
    update = "UPDATE accounts SET balance = balance + $1 WHERE id = $2"
    _control(reactor, one, "BEGIN")
    _do(reactor, one, update, 1, 1)
    _control(reactor, other, "BEGIN")
    before = other._pool_calls
    waiting = other.execute(update, (1, 2), (_INT8, _INT8))
    assert isinstance(waiting, Deferred) and not waiting.called
    committed = one._pool_calls
    _control(reactor, one, "COMMIT")
    assert one._pool_calls == committed  # a COMMIT after bounded writes runs inline
    assert reactor.wait(waiting).command_tag == "UPDATE 1"
    assert one.database.writers.holds(other)
    _control(reactor, other, "COMMIT")
    assert other._pool_calls == before
    assert [_balance(reactor, one, account) for account in (1, 2)] == [101, 101]


def test_a_queued_writer_times_out_or_is_cancelled_as_in_a_thread(
    reactor: PoolReactor, sessions: list[SQLiteBackend]
) -> None:
    one, other = sessions
    gate = one.database.writers
    update = "UPDATE accounts SET balance = balance + $1 WHERE id = $2"
    _control(reactor, one, "BEGIN")
    _do(reactor, one, update, 1, 1)
    _control(reactor, other, "BEGIN")
    waiting = other.execute(update, (1, 2), (_INT8, _INT8))
    reactor.clock.advance(one.database.busy_timeout)
    with pytest.raises(PostgresError) as raised:
        reactor.wait(waiting)
    assert raised.value.sqlstate == "55P03"
    waiting = other.execute(update, (1, 2), (_INT8, _INT8))
    waiting.cancel()
    with pytest.raises(CancelledError):
        reactor.wait(waiting)
    # A writer in a worker thread queued behind neither: it gets the gate next.
    third = _session(one.database, reactor)
    sessions.append(third)
    _control(reactor, third, "BEGIN")
    in_thread = third.execute("UPDATE accounts SET balance = 0 WHERE balance = 100", (), ())
    time.sleep(0.1)
    _control(reactor, one, "COMMIT")
    assert reactor.wait(in_thread).command_tag == "UPDATE 49"  # all but account 1: 2 is untouched
    assert gate.holds(third)
    _control(reactor, third, "ROLLBACK")
    _control(reactor, other, "ROLLBACK")
    assert _balance(reactor, one, 1) == 101 and not gate.holds(other)


def test_gate_try_enter_never_waits_and_never_overtakes() -> None:
    gate, one, other = WriterGate(), object(), object()
    assert gate.try_enter(one) and gate.try_enter(one) and gate.holds(one)
    assert not gate.try_enter(other)
    entered = threading.Event()

    def wait() -> None:
        if gate.enter(other, 5):
            entered.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.1)
    third = object()
    gate.leave(one)
    assert not gate.try_enter(third)  # the waiter has it, or is about to take it
    waiter.join(5)
    assert entered.is_set() and gate.holds(other)
    assert not gate.try_enter(third)
    gate.leave(other)
    assert gate.try_enter(third)


def _program(conn: sqlite3.Connection, statement: str) -> list[Any]:
    return conn.execute("EXPLAIN " + statement, [None] * statement.count("?")).fetchall()


def test_bounded_program_reads_sqlites_bytecode() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.create_function("pg_int_range", 2, lambda value, _: value)
    conn.create_function("pg_sleep", 1, lambda _: None)
    conn.executescript(
        "CREATE TABLE t (id int PRIMARY KEY, email text UNIQUE, n int CHECK (n > -5));"
        "CREATE TABLE r (id integer PRIMARY KEY, n int);"
        "CREATE TABLE c (id int PRIMARY KEY, r int REFERENCES r (id));"
    )
    bounded = {
        "UPDATE t SET n = pg_int_range(n + ?, 23) WHERE id = ?": True,
        "UPDATE t SET n = 1 WHERE email = ?": True,
        "DELETE FROM t WHERE id = ?": True,
        "INSERT INTO t VALUES (?, ?, ?)": True,
        "INSERT INTO c VALUES (?, ?)": True,  # the parent is looked up by its key
        "UPDATE r SET n = 1 WHERE id = ?": True,
        "DELETE FROM r WHERE id = ?": False,  # c.r has no index: a scan of c
        "UPDATE t SET n = 1 WHERE n = ?": False,
        "UPDATE t SET n = pg_sleep(?) WHERE id = ?": False,
        "INSERT INTO t SELECT * FROM t": False,
        "DELETE FROM t": False,
    }
    assert {sql: bounded_program(_program(conn, sql)) for sql in bounded} == bounded
    assert not bounded_program([])


def test_verdicts_are_per_shape_and_schema_and_can_be_withdrawn(tmp_path: Path) -> None:
    path = str(tmp_path / "verdicts.sqlite3")
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE t (id int PRIMARY KEY, n int)")
    verdicts = WriteVerdicts(lambda: sqlite3.connect(path, cached_statements=0))
    schema = Schema()
    assert shape_of("UPDATE t SET n = 'a''b' WHERE id = 12") == "UPDATE t SET n = ? WHERE id = ?"
    assert verdicts.bounded("UPDATE t SET n = 1 WHERE id = 2", schema)
    assert verdicts.known("UPDATE t SET n = 3 WHERE id = 4", schema)
    assert not verdicts.known("UPDATE t SET n = 3 WHERE id = 4", Schema())
    assert not verdicts.bounded("UPDATE t SET n = 1 WHERE n = 2", schema)
    assert not verdicts.bounded("UPDATE nowhere SET n = 1 WHERE id = 2", schema)
    with sqlite3.connect(path) as other_program:
        other_program.execute("CREATE TRIGGER t_t AFTER UPDATE ON t BEGIN SELECT 1; END")
    assert verdicts.bounded("UPDATE t SET n = 1 WHERE id = 2", schema)  # kept for ``schema``
    assert not verdicts.bounded("UPDATE t SET n = 1 WHERE id = 2", Schema())  # compiled anew
    verdicts.outgrown("UPDATE t SET n = 5 WHERE id = 6", schema)
    assert not verdicts.bounded("UPDATE t SET n = 1 WHERE id = 2", schema)
    verdicts.close()


def test_a_commit_failing_its_deferred_checks_fails_as_from_the_pool(
    reactor: PoolReactor, sessions: list[SQLiteBackend]
) -> None:
    one = sessions[0]
    _do(
        reactor,
        one,
        "CREATE TABLE later (id bigint PRIMARY KEY, account bigint "
        "REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED)",
    )
    assert _hand_offs(reactor, one, "BEGIN", "INSERT INTO later VALUES (1, 999)") == 0
    before = one._pool_calls
    committed = one.transaction("COMMIT")
    assert isinstance(committed, Deferred) and one._pool_calls == before  # inline
    with pytest.raises(PostgresError) as raised:
        reactor.wait(committed)
    assert raised.value.sqlstate == "23503"
    assert one._conn is not None and not one._conn.in_transaction
    assert _do(reactor, one, "SELECT count(*) FROM later").rows == [(0,)]


def test_a_constraint_error_keeps_the_gate_while_its_transaction_holds_the_lock(
    reactor: PoolReactor, sessions: list[SQLiteBackend]
) -> None:
    """A write that failed on a constraint may have taken SQLite's lock for its transaction:
    the writer queued behind it must not be handed the gate (it would wait for that lock in
    SQLite's busy handler while the pool's retry of the failed write waited for the gate)."""
    holder, failing = sessions
    queued = _session(holder.database, reactor)
    sessions.append(queued)
    update = "UPDATE accounts SET balance = balance + $1 WHERE id = $2"
    _control(reactor, holder, "BEGIN")
    _do(reactor, holder, update, 1, 1)
    _control(reactor, failing, "BEGIN")
    duplicate = failing.execute(
        "INSERT INTO accounts (id, email, balance) VALUES ($1, 'new', 0)", (2,), (_INT8,)
    )
    _control(reactor, queued, "BEGIN")
    # Not bounded (no key lookup): it waits for the gate in a worker thread, then for
    # SQLite's lock in SQLite's busy handler.
    waiting = queued.execute("UPDATE accounts SET balance = balance + 1 WHERE id + 0 = 3", (), ())
    time.sleep(0.1)
    started = time.monotonic()
    _control(reactor, holder, "COMMIT")
    with pytest.raises(PostgresError) as raised:
        reactor.wait(duplicate)
    assert raised.value.sqlstate == "23505"
    assert time.monotonic() - started < 2.0  # not after the busy timeout (5 s)
    assert holder.database.writers.holds(failing) and not waiting.called
    _control(reactor, failing, "ROLLBACK")
    assert reactor.wait(waiting).command_tag == "UPDATE 1"
    _control(reactor, queued, "COMMIT")
    assert [_balance(reactor, holder, account) for account in (1, 2, 3)] == [101, 100, 101]


def test_inline_answers_are_the_general_paths(tmp_path: Path, reactor: PoolReactor) -> None:
    """The same statements answered inline (threaded, in a transaction) and by the general
    path (``threaded=False``) give equal results and leave equal tables."""
    statements: list[tuple[str, tuple[Any, ...]]] = [
        ("INSERT INTO t (id, name, n) VALUES ($1, $2, $3)", (1, "a", 10)),
        ("INSERT INTO t (id, name, n) VALUES (2, 'b', 20)", ()),
        ("INSERT INTO t (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING", (2, "c")),
        ("UPDATE t SET n = n * 2 WHERE id = $1", (1,)),
        ("UPDATE t SET n = 5 WHERE id = $1", (99,)),
        ("UPDATE t SET name = $1 WHERE name = 'b'", ("bb",)),
        ("DELETE FROM t WHERE id = $1", (1,)),
        ("DELETE FROM t WHERE id = 98", ()),
        ("INSERT INTO t (id, name, at) VALUES (3, 'x', now())", ()),
    ]
    answers = []
    for threaded in (True, False):
        database = SQLiteDatabase(str(tmp_path / f"same-{threaded}.sqlite3"))
        session = SQLiteBackend(database, threaded=threaded, reactor=reactor)
        session.connection_made(SimpleSession())
        ddl = "CREATE TABLE t (id bigint PRIMARY KEY, name text UNIQUE, n int, at timestamptz)"
        _do(reactor, session, ddl)
        _control(reactor, session, "BEGIN")
        before = session._pool_calls
        found: list[Any] = []
        for sql, params in statements:
            outcome = session.execute(sql, params, (0,) * len(params))  # types inferred
            result = reactor.wait(outcome) if isinstance(outcome, Deferred) else outcome
            found.append((result.columns, list(result.rows or []), result.command_tag))
        assert not threaded or session._pool_calls == before  # all of them inline
        _control(reactor, session, "COMMIT")
        rows = _do(reactor, session, "SELECT id, name, n, at IS NOT NULL FROM t ORDER BY id")
        found.append(list(rows.rows))
        answers.append(found)
        closed = session.connection_lost()
        if isinstance(closed, Deferred):
            reactor.wait(closed)
        database.close()
    assert answers[0] == answers[1]
    assert answers[0][-1] == [(2, "bb", 20, False), (3, "x", None, True)]
