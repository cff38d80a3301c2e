"""LISTEN/NOTIFY across two connections of a real PostgreSQL."""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from tests.client.conftest import Database, ReactorThread
from txpostgres_proto.protocol.messages import NotificationResponse


async def settle(db: Database, seconds: float = 0.1) -> None:
    waiter: Deferred[None] = Deferred()
    db.reactor.callLater(seconds, waiter.callback, None)
    await waiter


async def until(db: Database, condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await settle(db, 0.02)


def test_notifications_reach_the_listeners(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        listener = await db.connect()
        sender = await db.connect()
        received: list[NotificationResponse] = []
        other: list[NotificationResponse] = []
        await listener.listen("jobs", received.append)
        await listener.listen("Mixed Case", other.append)
        await sender.execute("NOTIFY jobs, 'first'")
        await sender.execute("SELECT pg_notify('jobs', $1)", "second")
        await sender.execute('NOTIFY "Mixed Case"')
        async with sender.transaction():  # delivered at commit, in order
            await sender.execute("NOTIFY jobs, 'third'")
            await sender.execute("NOTIFY jobs, 'fourth'")
        await until(db, lambda: len(received) == 4 and other)
        return [received, other, sender.backend_pid]

    received, other, sender_pid = run(body)
    assert [n.payload for n in received] == ["first", "second", "third", "fourth"]
    assert all(n.channel == "jobs" and n.process_id == sender_pid for n in received)
    assert [(n.channel, n.payload) for n in other] == [("Mixed Case", "")]


def test_notifications_arrive_while_queries_run(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        listener = await db.connect()
        sender = await db.connect()
        received: list[str] = []
        await listener.listen("busy", lambda n: received.append(n.payload))
        await sender.execute("NOTIFY busy, 'while idle'")
        rows = await listener.query("SELECT pg_sleep(0.2), 1 AS one")
        await sender.execute("NOTIFY busy, 'after'")
        await until(db, lambda: len(received) == 2)
        return [rows, received]

    rows, received = run(body)
    assert rows == [(None, 1)] and received == ["while idle", "after"]


def test_unlisten_and_failing_callbacks(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        listener = await db.connect()
        sender = await db.connect()
        first: list[str] = []
        second: list[str] = []

        def broken(notification: NotificationResponse) -> None:
            raise RuntimeError("callback bug")

        def record_first(n: NotificationResponse) -> None:
            first.append(n.payload)

        await listener.listen("chan", broken)
        await listener.listen("chan", record_first)
        await listener.listen("chan", lambda n: second.append(n.payload))
        await sender.execute("NOTIFY chan, 'one'")
        await until(db, lambda: first and second)
        await listener.unlisten("chan", record_first)
        await sender.execute("NOTIFY chan, 'two'")
        await until(db, lambda: len(second) == 2)
        await listener.unlisten("chan")
        channels = await listener.query("SELECT pg_listening_channels()")
        await sender.execute("NOTIFY chan, 'three'")
        await settle(db, 0.2)
        return [first, second, channels]

    first, second, channels = run(body)
    assert first == ["one"] and second == ["one", "two"] and channels == []
