"""The Twisted client against a real PostgreSQL: authentication, queries, rows, pipelining,
prepared statements and the statement cache, errors."""

from __future__ import annotations

import gc

import pytest
from twisted.internet.defer import Deferred, gatherResults

from tests.client.conftest import Database, ReactorThread
from tests.pgserver import MD5_USER, PASSWORD_USER, SCRAM_USER, SUPERUSER, TRUST_USER
from txpostgres_proto.client.codecs import ParameterError
from txpostgres_proto.client.errors import ConnectionClosedError, InterfaceError
from txpostgres_proto.client.protocol import ClientProtocol
from txpostgres_proto.protocol.client_rows import Row
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.messages import TransactionStatus
from txpostgres_proto.protocol.sqlstates import (
    InvalidPassword,
    QueryCanceled,
    SqlSyntaxError,
    UndefinedTable,
    UniqueViolation,
)


@pytest.mark.parametrize("user", [TRUST_USER, PASSWORD_USER, MD5_USER, SCRAM_USER])
def test_every_authentication_method(run: ReactorThread, db: Database, user: str) -> None:
    async def body() -> tuple[str, object, object]:
        connection = await db.connect(user, f"{user}_pw")
        (row,) = await connection.query("SELECT current_user AS who")
        return row["who"], connection.backend_pid, connection.parameters.get("server_version")

    who, pid, version = run(body)
    assert who == user
    assert isinstance(pid, int) and pid > 0
    assert isinstance(version, str) and version.startswith("15")


@pytest.mark.parametrize("user", [PASSWORD_USER, MD5_USER, SCRAM_USER])
def test_wrong_password_fails_with_the_servers_error(
    run: ReactorThread, db: Database, user: str
) -> None:
    with pytest.raises(InvalidPassword) as caught:
        run(db.connect, user, "wrong")
    assert caught.value.sqlstate == "28P01"
    assert caught.value.severity == "FATAL"


def test_missing_password_fails_clearly(run: ReactorThread, db: Database) -> None:
    with pytest.raises(ConnectionClosedError, match="no password was supplied"):
        run(db.connect, SCRAM_USER, None)


def test_query_parameters_and_rows(run: ReactorThread, db: Database) -> None:
    async def body() -> list[list[Row]]:
        connection = await db.connect()
        sql = "SELECT $1::int + 1 AS n, $2::text AS s, $3::float8 AS f, NULL::int AS z"
        first = await connection.query(sql, 41, "x", 2.5)  # parsed and described: text results
        second = await connection.query(sql, 1, "y", -1.0)  # cached: binary results
        none = await connection.query("SELECT 1 WHERE false")
        return [first, second, none]

    first, second, none = run(body)
    assert first == [(42, "x", 2.5, None)]
    assert second == [(2, "y", -1.0, None)]
    assert none == []
    row = first[0]
    assert row["n"] == 42 and row["s"] == "x" and row.keys() == ("n", "s", "f", "z")
    assert dict(row) == {"n": 42, "s": "x", "f": 2.5, "z": None}


def test_rows_of_scalars_are_not_tracked_by_the_garbage_collector(
    run: ReactorThread, db: Database
) -> None:
    async def body() -> list[list[Row]]:
        connection = await db.connect()
        sql = "SELECT 1 AS i, 'a' AS t, now() AS ts, 1.5::numeric AS n"
        containers = "SELECT 1 AS i, ARRAY[1, 2] AS a, '{}'::jsonb AS j"
        return [
            await connection.query(sql),
            await connection.query(sql),  # binary this time
            await connection.query(containers),
            await connection.query(containers),
        ]

    scalars_text, scalars_binary, containers_text, containers_binary = run(body)
    assert not gc.is_tracked(scalars_text[0]) and not gc.is_tracked(scalars_binary[0])
    assert gc.is_tracked(containers_text[0]) and gc.is_tracked(containers_binary[0])
    assert containers_binary[0] == (1, [1, 2], {})


def test_execute_returns_command_tags(run: ReactorThread, db: Database) -> None:
    async def body() -> list[str]:
        connection = await db.connect()
        return [
            await connection.execute("CREATE TEMP TABLE tags (id int, name text)"),
            await connection.execute("INSERT INTO tags VALUES ($1, $2), ($3, $4)", 1, "a", 2, "b"),
            await connection.execute("UPDATE tags SET name = $1", "c"),
            await connection.execute("DELETE FROM tags WHERE id = 1; DELETE FROM tags"),
            await connection.execute(""),
        ]

    assert run(body) == ["CREATE TABLE", "INSERT 0 2", "UPDATE 2", "DELETE 1", ""]


def test_simple_query_returns_every_result_set(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await db.connect()
        return await connection.simple_query(
            "CREATE TEMP TABLE multi (v int);"
            "INSERT INTO multi VALUES (1), (2);"
            "SELECT v FROM multi ORDER BY v;"
            "SELECT 'x' AS a, NULL AS b;"
            "SELECT v FROM multi WHERE false"
        )

    results = run(body)
    assert [result.tag for result in results] == [
        "CREATE TABLE",
        "INSERT 0 2",
        "SELECT 2",
        "SELECT 1",
        "SELECT 0",
    ]
    assert results[1].rowcount == 2
    assert results[2].rows == [(1,), (2,)] and results[2].columns[0].name == "v"
    assert results[3].rows == [("x", None)]
    assert results[4].rows == [] and [c.name for c in results[4].columns] == ["v"]


def test_errors_carry_every_field_and_the_connection_survives(
    run: ReactorThread, db: Database
) -> None:
    async def body() -> tuple[list[PostgresError], list[Row]]:
        connection = await db.connect()
        await connection.execute("CREATE TEMP TABLE uniq (id int PRIMARY KEY)")
        errors = []
        for call in (
            connection.query("SELEC 1"),
            connection.simple_query("SELECT * FROM no_such_table"),
            connection.execute("INSERT INTO uniq VALUES ($1), ($1)", 1),
        ):
            try:
                await call
            except PostgresError as error:
                errors.append(error)
        return errors, await connection.query("SELECT 'still here' AS s")

    (syntax, missing, duplicate), after = run(body)
    assert isinstance(syntax, SqlSyntaxError) and syntax.sqlstate == "42601"
    assert syntax.position == "1" and syntax.severity == "ERROR" and syntax.file
    assert isinstance(missing, UndefinedTable)
    assert isinstance(duplicate, UniqueViolation)
    assert duplicate.constraint_name == "uniq_pkey" and duplicate.table_name == "uniq"
    assert duplicate.detail == "Key (id)=(1) already exists."
    assert after == [("still here",)]


def test_pipelined_calls_complete_in_order(run: ReactorThread, db: Database) -> None:
    async def body() -> tuple[list[object], list[Row]]:
        connection = await db.connect()
        await connection.execute("CREATE TEMP TABLE log (seq serial, v int)")
        calls = []
        for i in range(300):
            if i % 3 == 0:
                calls.append(connection.execute("INSERT INTO log (v) VALUES ($1)", i))
            elif i % 3 == 1:
                calls.append(connection.query("SELECT $1::int AS v", i))
            else:
                calls.append(connection.simple_query(f"SELECT {i} AS v"))
        order: list[int] = []
        for index, call in enumerate(calls):
            call.addCallback(lambda result, index=index: order.append(index) or result)
        results = await gatherResults(calls)
        logged = await connection.query("SELECT v FROM log ORDER BY seq")
        return [order, results], logged

    (order, results), logged = run(body)
    assert order == list(range(300))
    assert results[1] == [(1,)] and results[2][0].rows == [(2,)] and results[3] == "INSERT 0 1"
    assert [row[0] for row in logged] == list(range(0, 300, 3))


def test_pipelined_errors_stay_with_their_call(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await db.connect()
        calls = [
            connection.query("SELECT 1 AS a"),
            connection.query("SELECT 1/0"),
            connection.query("SELECT $1::int AS b", 2),
            connection.simple_query("SELECT 1/0; SELECT 3"),
            connection.query("SELECT 4 AS c"),
        ]
        outcomes: list[object] = []
        for call in calls:
            try:
                outcomes.append(await call)
            except PostgresError as error:
                outcomes.append(error.sqlstate)
        return outcomes

    assert run(body) == [[(1,)], "22012", [(2,)], "22012", [(4,)]]


def test_statement_cache_parses_once(run: ReactorThread, db: Database) -> None:
    async def body() -> tuple[list[Row], list[Row]]:
        connection = await db.connect()
        for i in range(20):
            await connection.query("SELECT $1::int * 2 AS double", i)
        await gatherResults([connection.query("SELECT $1::int * 3", i) for i in range(20)])
        prepared = await connection.query(
            "SELECT statement FROM pg_prepared_statements ORDER BY statement"
        )
        return prepared, await connection.query("SELECT $1::int * 2 AS double", 21)

    prepared, last = run(body)
    statements = [row[0] for row in prepared]
    assert statements.count("SELECT $1::int * 2 AS double") == 1
    assert statements.count("SELECT $1::int * 3") == 1
    assert last == [(42,)]


def test_statement_cache_is_least_recently_used(run: ReactorThread, db: Database) -> None:
    async def body() -> list[str]:
        connection = await db.connect(statement_cache_size=3)
        for i in range(6):
            await connection.query(f"SELECT {i} AS v")
        await connection.query("SELECT 4 AS v")  # touch: stays
        await connection.query("SELECT 6 AS v")  # evicts "SELECT 3"
        rows = await connection.query("SELECT statement FROM pg_prepared_statements")
        return sorted(row[0] for row in rows)

    # The query reading pg_prepared_statements is cached too, and evicted "SELECT 5 AS v".
    assert run(body) == [
        "SELECT 4 AS v",
        "SELECT 6 AS v",
        "SELECT statement FROM pg_prepared_statements",
    ]


def test_no_statement_cache_uses_the_unnamed_statement(run: ReactorThread, db: Database) -> None:
    async def body() -> tuple[list[Row], list[Row]]:
        connection = await db.connect(statement_cache_size=0)
        values = [await connection.query("SELECT $1::int AS v", i) for i in range(3)]
        named = await connection.query("SELECT count(*) FROM pg_prepared_statements")
        return [row for rows in values for row in rows], named

    values, named = run(body)
    assert values == [(0,), (1,), (2,)] and named == [(0,)]


def test_stale_statements_are_reprepared(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await db.connect()
        await connection.execute("CREATE TEMP TABLE grows (a int); INSERT INTO grows VALUES (1)")
        before = await connection.query("SELECT * FROM grows")
        await connection.execute("ALTER TABLE grows ADD COLUMN b text DEFAULT 'new'")
        after_alter = await connection.query("SELECT * FROM grows")  # 0A000, retried
        await connection.execute("DEALLOCATE ALL")
        after_deallocate = await connection.query("SELECT * FROM grows")
        await connection.execute("DISCARD ALL")
        after_discard = await connection.query("SELECT 7 AS seven")
        return [before, after_alter, after_deallocate, after_discard]

    before, after_alter, after_deallocate, after_discard = run(body)
    assert before == [(1,)]
    assert after_alter == [(1, "new")] and after_alter[0]["b"] == "new"
    assert after_deallocate == [(1, "new")]
    assert after_discard == [(7,)]


def test_parameter_types_follow_the_values(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await db.connect()
        values: list[object] = [5, "five", 5.5, None, True, 2**40, [1, 2], ["a", None], []]
        results = [await connection.query("SELECT $1 AS v", value) for value in values]
        results.append(await connection.query("SELECT substr('abcdef', $1, $2) AS s", 2, 3))
        results.append(await connection.query("SELECT $1 + 1 AS n", 2**40))
        return [rows[0][0] for rows in results]

    assert run(body) == [
        5,
        "five",
        5.5,
        None,
        True,
        2**40,
        [1, 2],
        ["a", None],
        "{}",
        "bcd",
        2**40 + 1,
    ]


def test_parameter_errors_are_local_and_clear(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Row]:
        connection = await db.connect()
        statement = await connection.prepare("SELECT $1::int4 AS v")
        with pytest.raises(ParameterError, match=r"parameter \$1"):
            await statement.query(object())
        with pytest.raises(ParameterError, match="takes 1 parameter"):
            await statement.query(1, 2)
        return await statement.query("7")

    assert run(body) == [(7,)]


def test_prepared_statements(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await db.connect()
        await connection.execute("CREATE TEMP TABLE items (id int, name text)")
        insert = await connection.prepare("INSERT INTO items VALUES ($1, $2)")
        select = await connection.prepare("SELECT name, id FROM items WHERE id > $1 ORDER BY id")
        tags = [await insert.execute(i, f"item {i}") for i in range(3)]
        count = await insert.executemany([(i, f"bulk {i}") for i in range(3, 6)])
        rows = await select.query(3)
        columns = [(field.name, field.type_oid) for field in select.columns]
        await select.close()
        named = await connection.query(
            "SELECT name FROM pg_prepared_statements WHERE name LIKE 'txpg_prepared_%'"
        )
        return [tags, count, rows, columns, select.param_types, insert.columns, named]

    tags, count, rows, columns, param_types, insert_columns, named = run(body)
    assert tags == ["INSERT 0 1"] * 3 and count == 3
    assert rows == [("bulk 4", 4), ("bulk 5", 5)]
    assert columns == [("name", 25), ("id", 23)] and param_types == (23,)
    assert insert_columns == ()
    assert len(named) == 1


def test_executemany_is_one_atomic_batch(run: ReactorThread, db: Database) -> None:
    async def body() -> tuple[int, list[Row], str]:
        connection = await db.connect()
        await connection.execute("CREATE TEMP TABLE batch (id int PRIMARY KEY, v text)")
        count = await connection.executemany(
            "INSERT INTO batch VALUES ($1, $2)", [(i, str(i)) for i in range(2000)]
        )
        try:
            await connection.executemany(
                "INSERT INTO batch VALUES ($1, $2)", [(5000, "new"), (1, "duplicate")]
            )
        except UniqueViolation as error:
            state = error.sqlstate
        rows = await connection.query("SELECT count(*), sum(id), max(v) FROM batch")
        return count, rows, state

    count, rows, state = run(body)
    assert count == 2000 and state == "23505"
    assert rows == [(2000, sum(range(2000)), "999")]


def test_stream_with_backpressure(run: ReactorThread, db: Database) -> None:
    async def body() -> tuple[str, list[int], int]:
        connection = await db.connect()
        seen: list[int] = []
        paused = [0]

        def callback(row: Row) -> object:
            seen.append(row[0])
            if row[0] % 5000 == 0:
                paused[0] += 1
                waiter: Deferred[None] = Deferred()
                db.reactor.callLater(0.01, waiter.callback, None)
                return waiter
            return None

        tag = await connection.stream(
            "SELECT g, repeat('x', 100) FROM generate_series(1, $1) g", 30000, callback=callback
        )
        return tag, seen, paused[0]

    tag, seen, paused = run(body)
    assert tag == "SELECT 30000" and seen == list(range(1, 30001)) and paused == 6


def test_stream_callback_error_fails_the_call(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Row]:
        connection = await db.connect()

        def callback(row: Row) -> None:
            if row[0] == 3:
                raise RuntimeError("no thanks")

        with pytest.raises(RuntimeError, match="no thanks"):
            await connection.stream("SELECT generate_series(1, 100)", callback=callback)
        return await connection.query("SELECT 1")

    assert run(body) == [(1,)]


def test_cursor_iterates_in_chunks(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await db.connect()
        total = 0
        count = 0
        async with connection.cursor(
            "SELECT g FROM generate_series(1, $1) g", 10_000, chunk=700
        ) as cursor:
            async for row in cursor:
                total += row[0]
                count += 1
        status_after = connection.transaction_status
        early = []
        async with connection.cursor("SELECT generate_series(1, 100)", chunk=10) as cursor:
            async for row in cursor:
                early.append(row[0])
                if len(early) == 15:
                    break
        async with connection.transaction():
            inside = [
                row[0] async for row in connection.cursor("SELECT generate_series(1, 5)", chunk=2)
            ]
        return [total, count, status_after, early, inside, connection.transaction_status]

    total, count, status_after, early, inside, final_status = run(body)
    assert (total, count) == (sum(range(1, 10_001)), 10_000)
    assert status_after is TransactionStatus.IDLE
    assert early == list(range(1, 16))
    assert inside == [1, 2, 3, 4, 5]
    assert final_status is TransactionStatus.IDLE


def test_server_settings_and_time_zone(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await db.connect(parameters={"TimeZone": "Asia/Tokyo"})
        first = (await connection.query("SELECT '2020-01-01 00:00:00+00'::timestamptz AS t"))[0][0]
        await connection.execute("SET TIME ZONE 'America/New_York'")
        second = (await connection.query("SELECT '2020-01-01 00:00:00+00'::timestamptz AS t"))[0][0]
        return [first, second, connection.parameters["TimeZone"]]

    first, second, zone = run(body)
    assert first.isoformat() == "2020-01-01T09:00:00+09:00"
    assert second.isoformat() == "2019-12-31T19:00:00-05:00"
    assert zone == "America/New_York"


def test_notices_reach_callbacks(run: ReactorThread, db: Database) -> None:
    async def body() -> list[PostgresError]:
        connection = await db.connect()
        notices: list[PostgresError] = []
        connection.notice_callbacks.append(notices.append)
        await connection.execute("DO $$ BEGIN RAISE WARNING 'careful: %', 42; END $$")
        return notices

    (notice,) = run(body)
    assert notice.severity == "WARNING" and notice.message == "careful: 42"
    assert notice.sqlstate == "01000"


def test_close_waits_for_pending_calls(run: ReactorThread, db: Database) -> None:
    async def body() -> tuple[list[Row], bool]:
        connection = await db.connect()
        pending = connection.query("SELECT pg_sleep(0.2), 1 AS one")
        closed = connection.close()
        with pytest.raises(InterfaceError, match="closing"):
            await connection.query("SELECT 2")
        await closed
        with pytest.raises(ConnectionClosedError):
            await connection.query("SELECT 3")
        return await pending, connection.closed

    rows, closed = run(body)
    assert rows == [(None, 1)] and closed


def test_server_killing_the_connection_fails_pending_calls(
    run: ReactorThread, db: Database
) -> None:
    async def body() -> list[object]:
        victim = await db.connect()
        killer = await db.connect(SUPERUSER)
        running = victim.query("SELECT g, pg_sleep(0.001) FROM generate_series(1, 5000) g")
        queued = victim.query("SELECT 1")
        await waiting_for(killer, victim.backend_pid)
        await killer.query("SELECT pg_terminate_backend($1)", victim.backend_pid)
        outcomes = []
        for call in (running, queued):
            try:
                await call
            except Exception as error:
                outcomes.append(error)
        try:
            await victim.query("SELECT 2")
        except Exception as error:
            outcomes.append(error)
        return [*outcomes, victim.closed]

    running, queued, later, closed = run(body)
    assert isinstance(running, PostgresError) and running.sqlstate == "57P01"
    assert isinstance(queued, PostgresError | ConnectionClosedError)
    assert isinstance(later, ConnectionClosedError)
    assert closed


async def waiting_for(observer: object, pid: object) -> None:
    """Wait until the backend ``pid`` is running a statement."""
    for _ in range(200):
        rows = await observer.query(  # type: ignore[attr-defined]
            "SELECT state FROM pg_stat_activity WHERE pid = $1", pid
        )
        if rows and rows[0][0] == "active":
            return
    raise AssertionError("the statement never started")


def test_protocol_can_be_built_for_connect(run: ReactorThread, db: Database) -> None:
    """The seam connect() uses: a protocol, any transport, and when_ready()."""

    async def body() -> tuple[object, object]:
        protocol = db.protocol(SCRAM_USER, "scram_user_pw", application_name="seam-test")
        assert isinstance(protocol, ClientProtocol)
        from twisted.internet.endpoints import connectProtocol

        await connectProtocol(db.endpoint(), protocol)
        connection = await protocol.when_ready()
        db.opened.append(connection)
        again = await protocol.when_ready()
        rows = await connection.query("SELECT current_setting('application_name')")
        return again is connection, rows

    same, rows = run(body)
    assert same and rows == [("seam-test",)]


def test_executemany_in_chunks(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await db.connect()
        await connection.execute("CREATE TEMP TABLE chunks (id int PRIMARY KEY, n int, v text)")
        sets: list[tuple[object, ...]] = [(i, i, f"v{i}") for i in range(5500)]
        sets[4200] = (4200, "4200", "a str where an int goes")  # that chunk goes as text
        sets[4300] = (4300, None, None)
        running = connection.executemany("INSERT INTO chunks VALUES ($1, $2, $3)", sets)
        behind = connection.query("SELECT count(*) FROM chunks")  # waits for the whole batch
        count = await running
        seen_behind = await behind
        stats = await connection.query("SELECT count(*), sum(n), count(v) FROM chunks")

        bad = [(i + 10_000, i, "x") for i in range(3000)]
        bad[2500] = (12_500, object(), "x")  # fails while encoding the third chunk
        with pytest.raises(ParameterError, match=r"parameter \$2"):
            await connection.executemany("INSERT INTO chunks VALUES ($1, $2, $3)", bad)
        cancelled = connection.executemany(
            "INSERT INTO chunks VALUES ($1, $2, $3)", [(i + 20_000, i, "y") for i in range(50_000)]
        )
        db.reactor.callLater(0, cancelled.cancel)
        with pytest.raises(QueryCanceled):
            await cancelled
        returning = await connection.executemany(
            "UPDATE chunks SET n = n + 1 WHERE id = $1 RETURNING id", [(1,), (2,), (-1,)]
        )
        empty = await connection.executemany("INSERT INTO chunks VALUES ($1, $2, $3)", [])
        with pytest.raises(ParameterError, match="has 2 values"):
            await connection.executemany(
                "INSERT INTO chunks VALUES ($1, $2, $3)", [(1, 2, 3), (4, 5)]
            )
        final = await connection.query("SELECT count(*) FROM chunks")
        return [count, seen_behind, stats, returning, empty, final]

    count, behind, stats, returning, empty, final = run(body)
    expected_sum = sum(range(5500)) - 4300
    assert count == 5500 and behind == [(5500,)]
    assert stats == [(5500, expected_sum, 5499)]
    assert returning == 2 and empty == 0
    assert final == [(5500,)]  # nothing of the failed or cancelled batches was committed


def test_a_call_that_cannot_be_sent_leaves_no_stale_statement(
    run: ReactorThread, db: Database
) -> None:
    async def body() -> list[Row]:
        connection = await db.connect()
        async with connection.transaction():
            with pytest.raises(ParameterError):
                await connection.executemany("SELECT $1::int", [(1,), (2, 3)])
            with pytest.raises(ParameterError):  # not JSON serialisable
                await connection.query("SELECT $1::int4, $2::jsonb", 1, {"a": object()})
            first = await connection.executemany("SELECT $1::int", [(1,), (2,)])
            second = await connection.query("SELECT $1::int4, $2::jsonb", 1, {"a": 2})
        return [first, second]

    assert run(body) == [2, [(1, {"a": 2})]]  # "SELECT 1" twice


def test_prepared_runs_take_the_fast_and_the_general_path_alike(
    run: ReactorThread, db: Database
) -> None:
    # Values the compiled encoder sends itself (ints, str for text) and values it leaves to
    # the general path (None, a str for an int parameter) alternate on one statement.
    async def body() -> list[object]:
        connection = await db.connect()
        select = await connection.prepare("SELECT $1::int4 AS n, $2::text AS t, $3::int8 AS b")
        results: list[object] = []
        for params in [(1, "a", 2**40), (None, "b", 3), ("7", None, -1), (2, "c", None)]:
            results.append(list(await select.query(*params)))
        await connection.execute("BEGIN")
        results.append(list(await select.query(3, "d", 4)))
        results.append(connection.transaction_status)
        try:
            await select.query(2**40, "e", 1)
        except ParameterError as error:
            results.append(str(error))
        results.append(list(await connection.query("SELECT $1::int AS x", 5)))
        await connection.execute("ROLLBACK")
        results.append(connection.transaction_status)
        return results

    results = run(body)
    assert results[:5] == [
        [(1, "a", 2**40)],
        [(None, "b", 3)],
        [(7, None, -1)],
        [(2, "c", None)],
        [(3, "d", 4)],
    ]
    assert results[5] is TransactionStatus.IN_TRANSACTION
    assert "$1" in results[6]  # type: ignore[operator]
    assert results[7] == [(5,)] and results[8] is TransactionStatus.IDLE


def test_serial_queries_keep_errors_and_tags(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await db.connect()
        divide = await connection.prepare("SELECT 10 / $1::int AS q")
        seen: list[object] = []
        for divisor in (5, 0, 2):
            try:
                seen.append(list(await divide.query(divisor)))
            except PostgresError as error:
                seen.append((error.sqlstate, error.message, error.routine))
        await connection.execute("CREATE TEMP TABLE tagged (i int)")
        insert = await connection.prepare("INSERT INTO tagged VALUES ($1)")
        seen.append(await insert.execute(1))
        seen.append(await connection.execute("UPDATE tagged SET i = $1", 2))
        return seen

    seen = run(body)
    assert seen[0] == [(2,)] and seen[2] == [(5,)]
    assert seen[1] == ("22012", "division by zero", "int4div")
    assert seen[3:] == ["INSERT 0 1", "UPDATE 1"]


def test_executemany_counts_rows_of_differing_tags(run: ReactorThread, db: Database) -> None:
    # Runs of identical answers are skipped in bulk; the odd ones in between must count too.
    async def body() -> tuple[int, int, int]:
        connection = await db.connect()
        await connection.execute("CREATE TEMP TABLE uniq (i int PRIMARY KEY)")
        thirds = [(i,) for i in range(0, 3000, 3)]
        await connection.executemany("INSERT INTO uniq VALUES ($1)", thirds)
        inserted = await connection.executemany(
            "INSERT INTO uniq VALUES ($1) ON CONFLICT DO NOTHING", [(i,) for i in range(3000)]
        )
        updated = await connection.executemany(
            "UPDATE uniq SET i = i WHERE i < $1", [(n,) for n in (0, 5, 5, 0, 3000)]
        )
        (row,) = await connection.query("SELECT count(*) AS c FROM uniq")
        return inserted, updated, row["c"]

    assert run(body) == (2000, 0 + 5 + 5 + 0 + 3000, 3000)


def test_small_stream_fires_after_its_last_row(run: ReactorThread, db: Database) -> None:
    # A small result arrives in one piece; the call must still wait for the callback's
    # Deferreds before it fires, as with a large one.
    async def body() -> tuple[str, list[int], list[int]]:
        connection = await db.connect()
        await connection.query("SELECT $1::int AS g", 1)  # the statement is described
        seen: list[int] = []
        seen_when_done: list[int] = []

        def callback(row: Row) -> object:
            seen.append(row[0])
            waiter: Deferred[None] = Deferred()
            db.reactor.callLater(0.01, waiter.callback, None)
            return waiter

        sql = "SELECT g FROM generate_series(1, $1) g"
        await connection.query(sql, 1)
        done = connection.stream(sql, 3, callback=callback)
        done.addCallback(lambda tag: seen_when_done.extend(seen) or tag)
        return await done, seen, seen_when_done

    tag, seen, seen_when_done = run(body)
    assert tag == "SELECT 3" and seen == seen_when_done == [1, 2, 3]
