"""The Twisted factory of a PostgreSQL server: configuration shared by its connections.

`PostgresServerFactory` builds one `PostgresServerProtocol` per connection and holds what they
share: the backend factory (called once per authenticated connection), TLS, the authentication
method and password store, server settings (``server_version``, ``TimeZone`` …), limits, the
type registry, the registry of cancel keys that routes CancelRequests between connections, the
LISTEN/NOTIFY switchboard, and the `ReadLoop` that reads the plain (non-TLS) sockets of its
connections past the reactor's per-read cost (``txpostgres_proto/readloop.py``).

Listen with any Twisted stream endpoint (``tcp:5432``, ``unix:/tmp/.s.PGSQL.5432``); TLS is
negotiated inside the protocol, so do not use an ``ssl:`` endpoint::

    factory = PostgresServerFactory(MyHandler, tls=load_server_tls("server.crt", "server.key"))
    serverFromString(reactor, "tcp:5432").listen(factory)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from twisted.internet.interfaces import IAddress
from twisted.internet.protocol import Factory

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.framing import DEFAULT_LARGE_MESSAGE_LIMIT
from txpostgres_proto.readloop import ReadLoop
from txpostgres_proto.types import DEFAULT_REGISTRY, TypeRegistry

from .cancel import CancelRegistry
from .credentials import AuthMethod, PasswordStore
from .notifications import NotificationHub
from .protocol import PostgresServerProtocol
from .settings import Settings, server_version_num
from .tls import ServerTLS

__all__ = ["DEFAULT_SERVER_VERSION", "PostgresServerFactory"]

#: What ``server_version`` says unless configured: a plain version number, because clients
#: parse it (asyncpg, JDBC, SQLAlchemy dialects pick features by it).
DEFAULT_SERVER_VERSION = "15.18"


class PostgresServerFactory(Factory):
    """Builds server connections; see the module docstring.

    ``backend_factory`` is called with no arguments once per authenticated connection and
    returns its `QueryBackend` (a `PostgresRequestHandler` subclass is such a callable).
    ``parameters`` overrides settings for every session (``{"TimeZone": "Europe/Paris"}``);
    ``server_version`` is a shortcut for the parameter of that name (``server_version_num``
    follows it).  ``auth`` is ``trust``, ``password``, ``md5``, ``scram-sha-256`` or
    ``reject``; password methods look users up in ``password_store``.  With ``require_tls``
    clients that do not negotiate TLS are refused (FATAL 28000).
    """

    protocol = PostgresServerProtocol  # type: ignore[assignment]

    def __init__(
        self,
        backend_factory: Callable[[], Any],
        *,
        reactor: Any = None,
        tls: ServerTLS | None = None,
        require_tls: bool = False,
        auth: AuthMethod | str = AuthMethod.TRUST,
        password_store: PasswordStore | None = None,
        parameters: Mapping[str, str] | None = None,
        server_version: str = DEFAULT_SERVER_VERSION,
        startup_timeout: float = 60.0,
        max_message_size: int = DEFAULT_LARGE_MESSAGE_LIMIT,
        registry: TypeRegistry = DEFAULT_REGISTRY,
    ) -> None:
        if reactor is None:
            from twisted.internet import reactor as global_reactor

            reactor = global_reactor
        if require_tls and tls is None:
            raise ValueError("require_tls needs a TLS configuration")
        self.backend_factory = backend_factory
        self.reactor = reactor
        self.tls = tls
        self.require_tls = require_tls
        self.auth = AuthMethod(auth)
        self.password_store = password_store
        settings = {"server_version": server_version}
        settings.update(parameters or {})
        settings.setdefault("server_version_num", server_version_num(settings["server_version"]))
        check = Settings()
        for name, value in settings.items():
            try:
                check.set(name, value, source="internal")
            except PostgresError as error:
                raise ValueError(f"bad server parameter {name}={value!r}: {error}") from None
        self.parameters: dict[str, str] = settings
        self.startup_timeout = startup_timeout
        self.max_message_size = max_message_size
        self.registry = registry
        self.cancel_registry = CancelRegistry()
        self.notifications = NotificationHub()
        self.read_loop = ReadLoop(reactor)

    def buildProtocol(self, addr: IAddress | None) -> PostgresServerProtocol:  # type: ignore[override]
        protocol = PostgresServerProtocol()
        protocol.factory = self
        return protocol

    def stopFactory(self) -> None:  # noqa: N802 - Twisted API
        self.read_loop.close()
