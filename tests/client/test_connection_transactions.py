"""Transactions, savepoints and run_interaction against a real PostgreSQL."""

from __future__ import annotations

import pytest
from twisted.internet.defer import CancelledError, Deferred

from tests.client.conftest import Database, ReactorThread
from txpostgres_proto.client.connection import Connection
from txpostgres_proto.client.errors import InterfaceError
from txpostgres_proto.protocol.client_rows import Row
from txpostgres_proto.protocol.messages import TransactionStatus
from txpostgres_proto.protocol.sqlstates import (
    DivisionByZero,
    InFailedSqlTransaction,
    ReadOnlySqlTransaction,
)


async def names(connection: Connection) -> list[str]:
    return [row[0] for row in await connection.query("SELECT name FROM tx ORDER BY name")]


async def fresh(db: Database) -> Connection:
    connection = await db.connect()
    await connection.execute("CREATE TEMP TABLE tx (name text)")
    return connection


def test_commit_and_rollback(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await fresh(db)
        async with connection.transaction() as transaction:
            await connection.execute("INSERT INTO tx VALUES ('kept')")
            inside = connection.transaction_status
        with pytest.raises(ValueError):
            async with connection.transaction():
                await connection.execute("INSERT INTO tx VALUES ('dropped')")
                raise ValueError("undo")
        return [inside, transaction.state, await names(connection), connection.transaction_status]

    inside, state, rows, after = run(body)
    assert inside is TransactionStatus.IN_TRANSACTION and state == "committed"
    assert rows == ["kept"] and after is TransactionStatus.IDLE


def test_nested_blocks_are_savepoints(run: ReactorThread, db: Database) -> None:
    async def body() -> list[str]:
        connection = await fresh(db)
        async with connection.transaction():
            await connection.execute("INSERT INTO tx VALUES ('outer')")
            with pytest.raises(DivisionByZero):
                async with connection.transaction() as inner:
                    assert inner.savepoint is not None
                    await connection.execute("INSERT INTO tx VALUES ('inner')")
                    await connection.query("SELECT 1/0")
            async with connection.transaction():
                await connection.execute("INSERT INTO tx VALUES ('second inner')")
                async with connection.transaction():
                    await connection.execute("INSERT INTO tx VALUES ('deepest')")
        return await names(connection)

    assert run(body) == ["deepest", "outer", "second inner"]


def test_isolation_and_read_only(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await fresh(db)
        with pytest.raises(ReadOnlySqlTransaction):
            async with connection.transaction("serializable", readonly=True, deferrable=True):
                settings = await connection.query(
                    "SELECT current_setting('transaction_isolation'),"
                    " current_setting('transaction_read_only'),"
                    " current_setting('transaction_deferrable')"
                )
                await connection.execute("CREATE TABLE not_in_read_only (a int)")
        async with connection.transaction(isolation="REPEATABLE_READ"):
            level = await connection.query("SELECT current_setting('transaction_isolation')")
        with pytest.raises(ValueError):
            connection.transaction(isolation="chaotic").start()
        async with connection.transaction():
            with pytest.raises(InterfaceError):
                await connection.transaction(readonly=True).start()
        return [settings, level]

    settings, level = run(body)
    assert settings == [("serializable", "on", "on")]
    assert level == [("repeatable read",)]


def test_commit_after_an_error_is_reported(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await fresh(db)
        transaction = await connection.transaction().start()
        await connection.execute("INSERT INTO tx VALUES ('lost')")
        with pytest.raises(DivisionByZero):
            await connection.query("SELECT 1/0")
        with pytest.raises(InFailedSqlTransaction):
            await connection.query("SELECT 1")
        with pytest.raises(InterfaceError, match="rolled it back"):
            await transaction.commit()
        return [transaction.state, await names(connection)]

    assert run(body) == ["rolled back", []]


def test_cancelling_the_coroutine_rolls_back(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await fresh(db)

        async def work() -> None:
            async with connection.transaction():
                await connection.execute("INSERT INTO tx VALUES ('cancelled')")
                await Deferred()  # never fires: wait to be cancelled

        task = Deferred.fromCoroutine(work())
        db.reactor.callLater(0.05, task.cancel)
        with pytest.raises(CancelledError):
            await task
        return [await names(connection), connection.transaction_status]

    assert run(body) == [[], TransactionStatus.IDLE]


def test_run_interaction(run: ReactorThread, db: Database) -> None:
    async def body() -> list[object]:
        connection = await fresh(db)

        async def add(conn: Connection, name: str) -> list[Row]:
            await conn.execute("INSERT INTO tx VALUES ($1)", name)
            return await conn.query("SELECT count(*) FROM tx")

        def fail(conn: Connection) -> Deferred[str]:
            conn.execute("INSERT INTO tx VALUES ('rolled back')")
            return conn.execute("SELECT 1/0")

        counted = await connection.run_interaction(add, "first")
        with pytest.raises(DivisionByZero):
            await connection.run_interaction(fail)
        plain = await connection.run_interaction(lambda conn, value: value * 2, 21)
        return [counted, plain, await names(connection)]

    assert run(body) == [[(1,)], 42, ["first"]]
