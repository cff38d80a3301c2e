"""Cancelling running statements on a real PostgreSQL: Deferred.cancel and timeout=."""

from __future__ import annotations

import time
from typing import Any

import pytest
from twisted.internet.defer import Deferred, gatherResults

from tests.client.conftest import Database, ReactorThread
from txpostgres_proto.protocol.sqlstates import QueryCanceled


def test_cancel_a_long_statement(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await db.connect()
        started = time.monotonic()
        sleeping = connection.query("SELECT pg_sleep(10)")
        db.reactor.callLater(0.3, sleeping.cancel)
        with pytest.raises(QueryCanceled) as caught:
            await sleeping
        after = await connection.query("SELECT 'usable' AS state")
        return [time.monotonic() - started, caught.value.sqlstate, after]

    elapsed, sqlstate, after = run(body)
    assert elapsed < 3 and sqlstate == "57014"
    assert after == [("usable",)]


def test_timeout_cancels_on_the_server(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await db.connect()
        observer = await db.connect()
        started = time.monotonic()
        with pytest.raises(QueryCanceled, match="timeout"):
            await connection.query("SELECT pg_sleep(10)", timeout=0.3)
        # The next statement runs once the server stopped the sleep: well before 10 s.
        fast = await connection.query("SELECT 1", timeout=5)
        elapsed = time.monotonic() - started
        activity = await observer.query(
            "SELECT state FROM pg_stat_activity WHERE pid = $1", connection.backend_pid
        )
        return [elapsed, activity, fast]

    elapsed, activity, fast = run(body)
    assert elapsed < 3 and activity == [("idle",)] and fast == [(1,)]


def test_cancel_in_a_pipeline(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await db.connect()
        before = connection.query("SELECT 'before' AS v")
        sleeping = connection.query("SELECT pg_sleep(10)")
        queued = connection.query("SELECT pg_sleep(10)")
        after = connection.query("SELECT 'after' AS v")
        queued.cancel()  # not running yet: cancelled when it starts
        db.reactor.callLater(0.3, sleeping.cancel)
        outcomes: list[Any] = []
        for call in (before, sleeping, queued, after):
            try:
                outcomes.append(await call)
            except QueryCanceled as error:
                outcomes.append(error.sqlstate)
        return outcomes

    started = time.monotonic()
    outcomes = run(body)
    assert time.monotonic() - started < 5
    assert outcomes == [[("before",)], "57014", "57014", [("after",)]]


def test_cancel_before_it_is_sent_and_after_it_finished(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await db.connect()
        done = await connection.query("SELECT 1")
        finished = connection.query("SELECT 2")
        await finished
        finished.cancel()  # nothing happens: it already fired
        calls = [connection.query("SELECT pg_sleep(0.05)") for _ in range(5)]
        results = await gatherResults(calls)
        waiter: Deferred[None] = Deferred()
        db.reactor.callLater(0.1, waiter.callback, None)
        await waiter
        return [done, results, await connection.query("SELECT 3")]

    done, results, last = run(body)
    assert done == [(1,)] and len(results) == 5 and last == [(3,)]
