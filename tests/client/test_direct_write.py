"""Requests leave at once on plain TCP connections (``direct_write.py``).

Twisted's socket transports buffer every ``write`` until the next reactor iteration; the client
sends a request straight away when nothing is queued before it, and keeps using the buffer
while a producer (COPY FROM STDIN) is registered.
"""

from __future__ import annotations

from typing import Any

from tests.client.conftest import Database, ReactorThread
from txpostgres_proto.direct_write import can_write_now


def buffered(transport: Any) -> int:
    """Bytes waiting in a Twisted socket transport's buffers."""
    return int(transport._tempDataLen) + len(transport.dataBuffer) - int(transport.offset)


def test_a_query_is_sent_before_the_reactor_runs_again(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await db.connect()
        protocol = db.opened[-1]._protocol
        transport = protocol.transport
        outcomes: list[Any] = [can_write_now(transport)]
        for number in range(3):
            pending = connection.query("SELECT $1::int", number)
            outcomes.append(buffered(transport))
            outcomes.append((await pending)[0][0])
        return outcomes

    assert run(body) == [True, 0, 0, 0, 1, 0, 2]


def test_copy_from_a_pulled_source_still_uses_the_buffer(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await db.connect()
        await connection.execute("CREATE TEMP TABLE t (n int)")
        rows = ((n,) for n in range(200_000))  # several pulled chunks
        copied = await connection.copy_from("t", rows)
        total = await connection.query("SELECT count(*), sum(n) FROM t")
        return [copied, tuple(total[0])]

    assert run(body, timeout=60) == [200_000, (200_000, 200_000 * 199_999 // 2)]


def test_tls_transports_are_not_written_directly() -> None:
    class NotASocket:
        TLS = False

        def write(self, data: bytes) -> None:
            pass

    assert not can_write_now(NotASocket())
