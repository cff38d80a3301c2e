"""`ProxyFactory`: the server factory of a pooling PostgreSQL proxy.

It is a `PostgresServerFactory` (TLS towards clients, authentication method and users file,
startup timeout, cancel-key registry all work as for any server built with this library)
whose connections are `ProxyServerProtocol` sessions relaying to an upstream server through
an `UpstreamPool`.  The upstream is given as a libpq connection string or URI; its
``sslmode`` and other TLS keywords apply to the proxy's upstream connections::

    factory = ProxyFactory("postgresql://app:secret@db:5432/app?sslmode=require",
                           pool_mode="transaction", pool_size=20, multiplex=0,
                           auth="scram-sha-256", password_store=load_auth_file("users.txt"))
    serverFromString(reactor, "tcp:6432").listen(factory)
"""

from __future__ import annotations

import enum
from typing import Any

from twisted.internet.interfaces import IAddress

from txpostgres_proto.client.dsn import parse_dsn
from txpostgres_proto.server.factory import PostgresServerFactory

from .multiplex import Multiplexer
from .pool import UpstreamPool
from .session import ProxyServerProtocol

__all__ = ["DEFAULT_POOL_SIZE", "PoolMode", "ProxyFactory"]

#: Upstream connections per proxy unless configured (pgbouncer's default_pool_size).
DEFAULT_POOL_SIZE = 20


class PoolMode(enum.StrEnum):
    """When a client session gives its upstream connection back."""

    SESSION = "session"
    TRANSACTION = "transaction"


def _no_backend() -> None:
    raise AssertionError("a proxy session never builds a query backend")


class ProxyFactory(PostgresServerFactory):
    """Client connections relayed to a pool of upstream connections (module docstring)."""

    protocol = ProxyServerProtocol  # type: ignore[assignment]

    def __init__(
        self,
        upstream: str,
        *,
        pool_mode: PoolMode | str = PoolMode.TRANSACTION,
        pool_size: int = DEFAULT_POOL_SIZE,
        multiplex: int = 0,
        reactor: Any = None,
        **server_options: Any,
    ) -> None:
        super().__init__(_no_backend, reactor=reactor, **server_options)
        self.pool_mode = PoolMode(pool_mode)
        # The server's read loop reads the upstream sockets too (``txpostgres_proto/readloop.py``).
        self.pool = UpstreamPool(self.reactor, parse_dsn(upstream), pool_size, self.read_loop)
        if multiplex < 0:
            raise ValueError("the multiplexing depth cannot be negative")
        if multiplex and self.pool_mode is not PoolMode.TRANSACTION:
            raise ValueError("multiplexing needs transaction pooling")
        #: Combines clients' short units per read batch (``multiplex.py``); None when off.
        self.multiplexer: Multiplexer | None = None
        if multiplex:
            self.multiplexer = Multiplexer(self.pool, multiplex, self.read_loop)

    @property
    def session_pooling(self) -> bool:
        return self.pool_mode is PoolMode.SESSION

    def buildProtocol(self, addr: IAddress | None) -> ProxyServerProtocol:  # type: ignore[override]
        protocol = ProxyServerProtocol()
        protocol.factory = self
        return protocol

    def stopFactory(self) -> None:  # noqa: N802 - Twisted API
        self.pool.close()
        super().stopFactory()
