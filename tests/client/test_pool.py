"""`ConnectionPool` against the real PostgreSQL: limits, FIFO waiting, adbapi methods, recovery.

Recovery is tested the hard way: a pooled connection's server process is killed with
``pg_terminate_backend``, and the whole server is restarted (``real_postgres.restart()``)
under the pool.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet.defer import Deferred, DeferredList, gatherResults

from tests.client.conftest import ReactorThread
from tests.pgserver import RealPostgres
from txpostgres_proto.client.connection import Connection
from txpostgres_proto.client.dbapi_cursor import InteractionCursor
from txpostgres_proto.client.pool import ConnectionPool, PoolClosedError, PoolTimeoutError
from txpostgres_proto.protocol.sqlstates import UniqueViolation

pytestmark = pytest.mark.usefixtures("libpq_home")


@pytest.fixture
def make_pool(run: ReactorThread, real_postgres: RealPostgres) -> Iterator[Any]:
    """``make_pool(**options)`` -> a started pool on the test server, closed after the test."""
    pools: list[ConnectionPool] = []

    def make(user: str = "scram_user", **options: Any) -> ConnectionPool:
        dsn = real_postgres.dsn(user, real_postgres.password(user), sslmode="disable")
        pool = ConnectionPool(run.reactor, dsn, **options)
        pools.append(pool)

        async def start() -> None:
            await pool.start()

        run(start)
        return pool

    yield make

    async def close() -> None:
        for pool in pools:
            await pool.close()

    run(close)


@pytest.fixture
def table(real_postgres: RealPostgres) -> Iterator[str]:
    name = "pool_items"
    real_postgres.psql(
        f"DROP TABLE IF EXISTS {name}; CREATE TABLE {name} (id int PRIMARY KEY, label text);"
        f"GRANT ALL ON {name} TO PUBLIC;"
    )
    yield name
    real_postgres.psql(f"DROP TABLE IF EXISTS {name};")


def test_concurrency_is_limited_to_max_size(run: ReactorThread, make_pool: Any) -> None:
    pool = make_pool(min_size=1, max_size=3)
    sizes: list[int] = []

    async def go() -> set[int]:
        def one(_: int) -> Deferred[Any]:
            sizes.append(pool.size)
            return pool.runQuery("SELECT pg_backend_pid() FROM pg_sleep(0.1)")

        results = await gatherResults([one(i) for i in range(9)])
        sizes.append(pool.size)
        return {rows[0][0] for rows in results}

    started = time.monotonic()
    pids = run(go)
    elapsed = time.monotonic() - started
    assert len(pids) == 3
    assert max(sizes) <= 3
    assert pool.in_use == 0 and pool.idle == 3
    assert 0.29 < elapsed < 3  # three rounds of three


def test_waiters_are_served_first_come_first_served(run: ReactorThread, make_pool: Any) -> None:
    pool = make_pool(min_size=1, max_size=1)

    async def go() -> list[str]:
        order: list[str] = []
        first = await pool.acquire()
        waiters = [pool.acquire() for _ in range(4)]
        assert pool.waiting == 4

        def served(connection: Connection, name: str) -> Connection:
            order.append(name)
            pool.release(connection)
            return connection

        for index, waiter in enumerate(waiters):
            waiter.addCallback(served, f"waiter{index}")
        order.append("first")
        pool.release(first)
        await DeferredList(waiters)
        return order

    assert run(go) == ["first", "waiter0", "waiter1", "waiter2", "waiter3"]


def test_connection_context_manager_and_shortcuts(run: ReactorThread, make_pool: Any) -> None:
    pool = make_pool(max_size=2)

    async def go() -> tuple[Any, ...]:
        async with pool.connection() as connection:
            inside = pool.in_use
            value = (await connection.query("SELECT $1::int + 1", 41))[0][0]
        rows = await pool.query("SELECT $1::text AS greeting", "hi")
        tag = await pool.execute("SELECT 1")
        return inside, pool.in_use, value, rows[0]["greeting"], tag

    assert run(go) == (1, 0, 42, "hi", "SELECT 1")


def test_run_query_and_run_operation_take_dbapi_parameters(
    run: ReactorThread, make_pool: Any, table: str
) -> None:
    pool = make_pool()

    async def go() -> tuple[Any, ...]:
        nothing = await pool.runOperation(
            f"INSERT INTO {table} VALUES (%s, %s), (%s, %s)", (1, "one", 2, "two%")
        )
        rows = await pool.runQuery(
            f"SELECT id, label FROM {table} WHERE label LIKE 'two%%' OR id IN %s ORDER BY id",
            ((1,),),
        )
        named = await pool.runQuery(f"SELECT label FROM {table} WHERE id = %(id)s", {"id": 2})
        plain = await pool.runQuery(f"SELECT count(*) FROM {table} WHERE label LIKE 'o%'")
        return nothing, rows, named, plain

    nothing, rows, named, plain = run(go)
    assert nothing is None
    assert [tuple(row) for row in rows] == [(1, "one"), (2, "two%")]
    assert isinstance(rows[0], tuple)
    assert named[0][0] == "two%"
    assert plain[0][0] == 1


def test_run_interaction_commits(run: ReactorThread, make_pool: Any, table: str) -> None:
    pool = make_pool()

    async def interaction(cursor: InteractionCursor, start: int, *, label: str) -> int:
        await cursor.execute(f"INSERT INTO {table} VALUES (%s, %s)", (start, label))
        await cursor.executemany(
            f"INSERT INTO {table} VALUES (%s, %s)", [(start + 1, "b"), (start + 2, "c")]
        )
        assert cursor.rowcount == 2
        await cursor.execute(f"UPDATE {table} SET label = upper(label) WHERE id > %s", (start,))
        assert cursor.rowcount == 2
        assert cursor.statusmessage == "UPDATE 2"
        await cursor.execute(f"SELECT id, label FROM {table} ORDER BY id")
        assert cursor.rowcount == 3
        assert [column[0] for column in cursor.description or ()] == ["id", "label"]
        assert cursor.description is not None and cursor.description[0][1] == 23  # int4
        assert tuple(cursor.fetchone() or ()) == (start, label)
        assert [tuple(row) for row in cursor.fetchmany(1)] == [(start + 1, "B")]
        assert [tuple(row) for row in cursor.fetchall()] == [(start + 2, "C")]
        assert cursor.fetchone() is None
        return start * 10

    def with_deferred(cursor: InteractionCursor) -> Deferred[Any]:
        # The Deferred style, without async def.
        done = cursor.execute(f"SELECT count(*) FROM {table}")
        return done.addCallback(lambda c: c.fetchone()[0])

    async def go() -> tuple[Any, ...]:
        result = await pool.runInteraction(interaction, 10, label="a")
        count = await pool.runInteraction(with_deferred)
        rows = await pool.runQuery(f"SELECT count(*) FROM {table}")
        return result, count, rows[0][0]

    assert run(go) == (100, 3, 3)


def test_run_interaction_rolls_back_on_error(
    run: ReactorThread, make_pool: Any, table: str
) -> None:
    pool = make_pool(max_size=1)

    async def failing(cursor: InteractionCursor) -> None:
        await cursor.execute(f"INSERT INTO {table} VALUES (1, 'kept?')")
        raise RuntimeError("changed my mind")

    async def violating(cursor: InteractionCursor) -> None:
        await cursor.execute(f"INSERT INTO {table} VALUES (2, 'x')")
        await cursor.execute(f"INSERT INTO {table} VALUES (2, 'duplicate')")

    async def go() -> tuple[Any, ...]:
        errors = []
        for interaction in (failing, violating):
            try:
                await pool.runInteraction(interaction)
            except Exception as error:
                errors.append(error)
        rows = await pool.runQuery(f"SELECT count(*) FROM {table}")
        async with pool.connection() as connection:
            status = connection.transaction_status.name
        return errors, rows[0][0], status

    errors, count, status = run(go)
    assert isinstance(errors[0], RuntimeError)
    assert isinstance(errors[1], UniqueViolation)
    assert count == 0
    assert status == "IDLE"


def test_release_inside_a_transaction_rolls_back(
    run: ReactorThread, make_pool: Any, table: str
) -> None:
    pool = make_pool(max_size=1)

    async def go() -> tuple[Any, ...]:
        connection = await pool.acquire()
        await connection.execute("BEGIN")
        await connection.execute(f"INSERT INTO {table} VALUES (1, 'uncommitted')")
        pool.release(connection)
        again = await pool.acquire()
        status = again.transaction_status.name
        count = (await again.query(f"SELECT count(*) FROM {table}"))[0][0]
        pool.release(again)
        return again is connection, status, count

    assert run(go) == (True, "IDLE", 0)


def test_acquire_timeout_and_close(run: ReactorThread, make_pool: Any) -> None:
    pool = make_pool(max_size=1, acquire_timeout=0.2)

    async def go() -> tuple[Any, ...]:
        held = await pool.acquire()
        started = time.monotonic()
        try:
            await pool.acquire()
        except PoolTimeoutError as error:
            timeout_error: Exception = error
        waited = time.monotonic() - started
        pending = pool.acquire()
        pending.addErrback(lambda failure: failure.value)
        await pool.close()
        closed_waiter = await pending
        try:
            await pool.acquire()
        except PoolClosedError as error:
            after_close: Exception = error
        pool.release(held)
        return timeout_error, waited, closed_waiter, after_close, held.closed

    timeout_error, waited, closed_waiter, after_close, held_closed = run(go)
    assert isinstance(timeout_error, PoolTimeoutError)
    assert 0.15 < waited < 2
    assert isinstance(closed_waiter, PoolClosedError)
    assert isinstance(after_close, PoolClosedError)


def test_idle_connections_above_min_size_are_closed(run: ReactorThread, make_pool: Any) -> None:
    pool = make_pool(min_size=1, max_size=4, max_idle=0.2)

    async def go() -> tuple[int, int]:
        await gatherResults([pool.runQuery("SELECT pg_sleep(0.05)") for _ in range(4)])
        busy_size = pool.size
        await _sleep(run, 0.6)
        return busy_size, pool.size

    assert run(go) == (4, 1)


def test_failed_health_check_replaces_the_connection(run: ReactorThread, make_pool: Any) -> None:
    pool = make_pool(max_size=1, health_check_after=0.0)

    async def go() -> tuple[int, int, int]:
        first = (await pool.query("SELECT pg_backend_pid()"))[0][0]
        second = (await pool.query("SELECT pg_backend_pid()"))[0][0]  # health check passed
        pool.health_check = "SELECT 1/0"
        third = (await pool.query("SELECT pg_backend_pid()"))[0][0]
        return first, second, third

    first, second, third = run(go)
    assert first == second
    assert third != second


def test_adbapi_constructor_options(run: ReactorThread, make_pool: Any) -> None:
    opened: list[Connection] = []

    async def openfun(connection: Connection) -> None:
        opened.append(connection)
        await connection.execute("SET application_name = 'from-openfun'")

    pool = make_pool(cp_min=2, cp_max=3, cp_openfun=openfun, cp_noisy=True, cp_reconnect=True)

    async def go() -> Any:
        return await pool.runQuery("SELECT current_setting('application_name')")

    assert (pool.min, pool.max) == (2, 3)
    assert run(go)[0][0] == "from-openfun"
    assert len(opened) == 2


async def _sleep(run: ReactorThread, seconds: float) -> None:
    done: Deferred[None] = Deferred()
    run.reactor.callLater(seconds, done.callback, None)
    await done


def test_terminated_connection_is_replaced(
    run: ReactorThread, make_pool: Any, real_postgres: RealPostgres
) -> None:
    pool = make_pool(min_size=2, max_size=2)

    async def pids() -> list[int]:
        rows = await gatherResults(
            [pool.runQuery("SELECT pg_backend_pid() FROM pg_sleep(0.05)") for _ in range(2)]
        )
        return sorted(result[0][0] for result in rows)

    before = run(pids)
    real_postgres.psql(f"SELECT pg_terminate_backend({before[0]})")

    async def after() -> tuple[list[int], int]:
        await _sleep(run, 0.2)
        return await pids(), pool.size

    now, size = run(after)
    assert before[0] not in now
    assert before[1] in now
    assert size == 2


def test_pool_survives_a_server_restart(
    run: ReactorThread, make_pool: Any, real_postgres: RealPostgres
) -> None:
    pool = make_pool(min_size=2, max_size=3, reconnect_delay=0.05, reconnect_max_delay=0.5)

    async def query() -> int:
        return int((await pool.runQuery("SELECT 7"))[0][0])

    assert run(query) == 7
    real_postgres.restart()
    deadline = time.monotonic() + 10

    async def eventually() -> int:
        while True:
            try:
                return await query()
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await _sleep(run, 0.1)

    assert run(eventually) == 7
    assert run(query) == 7

    async def settle() -> int:
        await _sleep(run, 0.3)
        return pool.size

    assert run(settle) >= 2
