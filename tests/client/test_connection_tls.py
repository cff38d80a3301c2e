"""The client core over TLS (negotiated by ``connect()``): SCRAM-SHA-256-PLUS channel binding,
and cancellation through a TLS cancel connection."""

from __future__ import annotations

from typing import Any

import pytest

from tests.client.conftest import Database, ReactorThread
from tests.pgserver import SCRAM_USER, SSL_ONLY_USER, TRUST_USER, RealPostgres
from txpostgres_proto.client.connect import connect
from txpostgres_proto.client.connection import Connection
from txpostgres_proto.protocol.sqlstates import QueryCanceled


async def tls_connect(server: RealPostgres, reactor: Any, user: str, **params: Any) -> Connection:
    dsn = server.dsn(
        user,
        server.password(user),
        sslmode="verify-full",
        sslrootcert=str(server.pki.ca_cert),
        host="localhost",
        **params,
    )
    return await connect(reactor, dsn)


@pytest.mark.parametrize("user", [SCRAM_USER, SSL_ONLY_USER])
def test_scram_with_channel_binding(
    run: ReactorThread, db: Database, real_postgres: RealPostgres, user: str
) -> None:
    async def body() -> list[Any]:
        connection = await tls_connect(real_postgres, db.reactor, user, channel_binding="require")
        db.opened.append(connection)
        method = connection._protocol.client.authentication_method
        rows = await connection.query(
            "SELECT ssl, current_user FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)"
            " WHERE pid = pg_backend_pid()"
        )
        return [method, rows]

    method, rows = run(body)
    assert method == "SCRAM-SHA-256-PLUS"
    assert rows == [(True, user)]


def test_cancel_over_tls(run: ReactorThread, db: Database, real_postgres: RealPostgres) -> None:
    async def body() -> list[Any]:
        connection = await tls_connect(real_postgres, db.reactor, TRUST_USER)
        db.opened.append(connection)
        sleeping = connection.query("SELECT pg_sleep(10)")
        db.reactor.callLater(0.3, sleeping.cancel)
        with pytest.raises(QueryCanceled):
            await sleeping
        return await connection.query("SELECT 'after' AS v")

    assert run(body) == [("after",)]
