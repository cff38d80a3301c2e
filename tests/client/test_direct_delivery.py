"""After ``connect()`` settles TLS, reads go straight to the client protocol.

`tls.SSLNegotiator` points the transport (plaintext) or the TLS layer (after ``startTLS``)
at the `ClientProtocol` once the stream is ready; these tests check the wiring on real
connections and that the end of the connection still reaches the protocol exactly once.
"""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.task import deferLater

from tests.client.conftest import Database, ReactorThread
from tests.pgserver import TRUST_USER, RealPostgres
from txpostgres_proto.client.connect import connect
from txpostgres_proto.client.connection import Connection


def _dsn(server: RealPostgres, tls: bool) -> str:
    if not tls:
        return server.dsn(TRUST_USER, sslmode="disable")
    return server.dsn(
        TRUST_USER,
        sslmode="verify-full",
        sslrootcert=str(server.pki.ca_cert),
        host="localhost",
    )


def _receiver(connection: Connection, tls: bool) -> Any:
    """The protocol the transport hands reads to (inside the TLS layer when TLS is on)."""
    top = connection._protocol.transport.protocol
    return top.wrappedProtocol if tls else top


@pytest.mark.parametrize("tls", [False, True])
def test_reads_reach_the_client_protocol_directly(
    run: ReactorThread, db: Database, real_postgres: RealPostgres, tls: bool
) -> None:
    async def body() -> list[Any]:
        connection = await connect(db.reactor, _dsn(real_postgres, tls))
        db.opened.append(connection)
        receiver = _receiver(connection, tls)
        rows = await connection.query("SELECT g FROM generate_series(1, 3) g")
        return [receiver is connection._protocol, rows]

    direct, rows = run(body)
    assert direct
    assert rows == [(1,), (2,), (3,)]


@pytest.mark.parametrize("tls", [False, True])
def test_server_side_close_is_reported_once(
    run: ReactorThread, db: Database, real_postgres: RealPostgres, tls: bool
) -> None:
    async def body() -> list[Any]:
        victim = await connect(db.reactor, _dsn(real_postgres, tls))
        killer = await connect(db.reactor, _dsn(real_postgres, False))
        db.opened.extend([victim, killer])
        protocol = victim._protocol
        lost: list[Any] = []
        original = protocol.connectionLost

        def counting(reason: Any) -> None:
            lost.append(reason)
            original(reason)

        protocol.connectionLost = counting  # type: ignore[method-assign]
        waiting = victim.query("SELECT pg_sleep(5)")
        await killer.query("SELECT pg_terminate_backend($1)", victim.backend_pid)
        try:
            await waiting
        except Exception as error:
            outcome: Any = error
        else:
            outcome = None
        while not lost:  # the FATAL message may arrive before the socket closes
            await _tick(db.reactor)
        await _tick(db.reactor)
        return [len(lost), outcome, victim.closed]

    count, outcome, closed = run(body)
    assert count == 1
    assert outcome is not None
    assert closed


async def _tick(reactor: Any) -> None:
    await deferLater(reactor, 0.05, lambda: None)
