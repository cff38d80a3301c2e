"""asyncpg (pure asyncio, extended protocol, binary everywhere).

asyncpg prepares every statement (Parse + Describe + Flush, without Sync), binds parameters and
asks for results in binary, introspects unknown types from pg_type, runs cursors as portals with
row-limited Execute (PortalSuspended), negotiates TLS itself and, on a client-side timeout,
cancels the query with a CancelRequest and keeps the connection.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from tests.interop.targets import CONNECT_TIMEOUT, Login, TargetServer
from tests.interop.typecases import TYPE_CASES, assert_same_values, select_list

pytestmark = pytest.mark.timeout(60)


async def _connect(
    target: TargetServer, login: Login | None = None, tls: ssl.SSLContext | bool = False
) -> asyncpg.Connection:
    login = login or target.default_login
    return await asyncpg.connect(
        host=target.host,
        port=target.port_of(login),
        user=login.user,
        password=login.password,
        database=target.database,
        ssl=tls,
        timeout=CONNECT_TIMEOUT,
    )


def _run(
    target: TargetServer,
    body: Callable[[asyncpg.Connection], Awaitable[Any]],
    **connect_options: Any,
) -> Any:
    async def session() -> Any:
        conn = await _connect(target, **connect_options)
        try:
            return await body(conn)
        finally:
            await conn.close(timeout=CONNECT_TIMEOUT)

    return asyncio.run(session())


def test_binary_type_round_trip(target_server: TargetServer) -> None:
    parameters = [json.dumps(case.value) if case.is_json else case.value for case in TYPE_CASES]

    async def body(conn: asyncpg.Connection) -> asyncpg.Record:
        return await conn.fetchrow(select_list("${n}"), *parameters)

    row = _run(target_server, body)
    assert_same_values(tuple(row), json_as_text=True)


def test_prepared_statement(target_server: TargetServer) -> None:
    async def body(conn: asyncpg.Connection) -> None:
        statement = await conn.prepare("SELECT $1::int4 * 2 AS doubled, $2::text AS label")
        assert [parameter.name for parameter in statement.get_parameters()] == ["int4", "text"]
        assert [(a.name, a.type.name) for a in statement.get_attributes()] == [
            ("doubled", "int4"),
            ("label", "text"),
        ]
        rows = [tuple(await statement.fetchrow(n, f"n{n}")) for n in range(6)]
        assert rows == [(n * 2, f"n{n}") for n in range(6)]
        assert await statement.fetchval(21, "x") == 42
        assert await conn.fetchval("SELECT $1::text || $2::text", "a", "b") == "ab"

    _run(target_server, body)


def test_executemany(target_server: TargetServer, table_name: str) -> None:
    async def body(conn: asyncpg.Connection) -> None:
        await conn.execute(f"CREATE TABLE {table_name} (id integer PRIMARY KEY, label text)")
        await conn.executemany(
            f"INSERT INTO {table_name} VALUES ($1, $2)",
            [(number, f"label {number}") for number in range(1, 31)],
        )
        assert await conn.fetchrow(f"SELECT count(*), sum(id) FROM {table_name}") == (30, 465)
        status = await conn.execute(f"UPDATE {table_name} SET label = 'x' WHERE id <= 5")
        assert status == "UPDATE 5"

    _run(target_server, body)


def test_cursor_in_transaction(target_server: TargetServer) -> None:
    query = "SELECT g, 'row ' || g AS label FROM generate_series(1, 25) AS g"

    async def body(conn: asyncpg.Connection) -> None:
        async with conn.transaction():
            cursor = await conn.cursor(query)
            chunks = [await cursor.fetch(10) for _ in range(3)]
            assert [len(chunk) for chunk in chunks] == [10, 10, 5]
            assert [tuple(row) for chunk in chunks for row in chunk] == [
                (n, f"row {n}") for n in range(1, 26)
            ]
            assert await cursor.fetch(10) == []

            iterated = [row["g"] async for row in conn.cursor(query, prefetch=4)]
            assert iterated == list(range(1, 26))

    _run(target_server, body)


def test_errors(target_server: TargetServer) -> None:
    async def body(conn: asyncpg.Connection) -> None:
        with pytest.raises(asyncpg.DivisionByZeroError) as division:
            await conn.fetchval("SELECT 1 / $1::int4", 0)
        assert division.value.sqlstate == "22012"
        with pytest.raises(asyncpg.UndefinedTableError):
            await conn.fetch("SELECT * FROM interop_no_such_table")
        assert await conn.fetchval("SELECT 'usable'") == "usable"

    _run(target_server, body)


@pytest.mark.needs_tls
def test_tls_with_test_ca(target_server: TargetServer) -> None:
    async def body(conn: asyncpg.Connection) -> str:
        assert conn._transport.get_extra_info("ssl_object") is not None
        return await conn.fetchval("SELECT current_user")

    user = _run(target_server, body, tls=target_server.ssl_context())
    assert user == target_server.user


@pytest.mark.needs_tls
def test_tls_rejects_unknown_ca(target_server: TargetServer) -> None:
    async def attempt() -> None:
        await _connect(target_server, tls=ssl.create_default_context())

    with pytest.raises(ssl.SSLCertVerificationError):
        asyncio.run(attempt())


def test_scram_user(target_server: TargetServer) -> None:
    if "scram-sha-256" not in target_server.logins:
        raise AssertionError("every target must accept SCRAM-SHA-256")
    login = target_server.logins["scram-sha-256"]

    async def body(conn: asyncpg.Connection) -> str:
        return await conn.fetchval("SELECT current_user")

    assert _run(target_server, body, login=login) == login.user


def test_timeout_cancels_sleep(target_server: TargetServer) -> None:
    async def body(conn: asyncpg.Connection) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(asyncio.TimeoutError):
            await conn.fetchval("SELECT pg_sleep(10)", timeout=0.5)
        assert loop.time() - started < 5
        assert await conn.fetchval("SELECT 'usable'", timeout=5) == "usable"

    _run(target_server, body)
