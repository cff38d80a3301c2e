"""``twistd pgproto``: run a PostgreSQL-protocol server from the command line.

The options (`Options`) describe one `PostgresServerFactory`: which backend answers queries
(``--handler mod.Cls``, or the built-in SQLite backend on ``--database``), where to listen
(Twisted endpoint strings, repeatable), TLS certificate and key, the authentication method and
the pgbouncer-style users file, and a few server settings.  `makeService` turns them into a
``MultiService`` with one listening endpoint service per ``--listen``; the twistd plugin
(``twisted/plugins/txpostgres_proto_plugin.py``) and ``python -m txpostgres_proto`` both use it.

Examples::

    twistd -n pgproto --handler myapp.handlers:Handler --listen tcp:5432
    twistd -n pgproto --database app.sqlite3 --tls-cert server.crt --tls-key server.key \\
        --auth scram-sha-256 --users users.txt
    twistd -n pgproto --workers 4 --handler myapp.handlers:Handler   # four processes
    twistd -n pgproto --proxy 'postgresql://app:pw@db/app?sslmode=require' --users users.txt \
        --auth scram-sha-256 --pool-mode transaction --pool-size 20   # pooling proxy

With ``--workers N`` the process binds the endpoints and supervises N worker processes that
share them (``server/workers.py``).
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import MultiService
from twisted.internet.endpoints import serverFromString
from twisted.python import usage

from txpostgres_proto.proxy import ProxyFactory
from txpostgres_proto.server.credentials import AuthMethod, load_auth_file
from txpostgres_proto.server.factory import DEFAULT_SERVER_VERSION, PostgresServerFactory
from txpostgres_proto.server.tls import load_server_tls
from txpostgres_proto.server.workers import (
    WorkerSpec,
    WorkerSupervisor,
    shared_temporary_database,
    worker_command,
)
from txpostgres_proto.server.workers_child import WorkerService

__all__ = ["DEFAULT_LISTEN", "Options", "load_handler", "make_factory", "makeService"]

#: Where the server listens without ``--listen`` (the port the seed project used).
DEFAULT_LISTEN = "tcp:55432"
#: The embedded default backend, imported only when no ``--handler`` is given.
SQLITE_BACKEND = "txpostgres_proto.sqlite_backend:SQLiteBackend"
#: The ``--database`` default: a temporary database (shared by the workers of ``--workers``).
MEMORY_DATABASE = ":memory:"
_PASSWORD_METHODS = frozenset({"password", "md5", "scram-sha-256"})


def load_handler(spec: str) -> Callable[..., Any]:
    """The object named ``module.Name`` or ``module:Name`` (a backend class or factory)."""
    module_name, colon, name = spec.partition(":")
    if not colon:
        module_name, _, name = spec.rpartition(".")
    if not module_name or not name:
        raise usage.UsageError(f"--handler must look like module.Class or module:Class: {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise usage.UsageError(f"cannot import {module_name!r} for --handler: {error}") from None
    try:
        handler = getattr(module, name)
    except AttributeError:
        raise usage.UsageError(f"module {module_name!r} has no {name!r}") from None
    if not callable(handler):
        raise usage.UsageError(f"--handler {spec!r} is not callable")
    return handler


def _sqlite_backend(database: str) -> Callable[[], Any]:
    try:
        backend = load_handler(SQLITE_BACKEND)
    except usage.UsageError as error:
        raise usage.UsageError(
            "no --handler given, and the built-in SQLite backend is not available "
            f"({error}); pass --handler module.Class"
        ) from None
    shared = getattr(backend, "factory", None)
    if shared is not None:
        return shared(database)  # type: ignore[no-any-return]
    return functools.partial(backend, database)


class Options(usage.Options):
    """Command-line options of ``twistd pgproto`` and ``python -m txpostgres_proto``."""

    synopsis = "[--handler module.Class | --database PATH] [options]"
    longdesc = (
        "Serve the PostgreSQL frontend/backend protocol: psql, psycopg, asyncpg, JDBC and "
        "other PostgreSQL clients connect unchanged.  Queries are answered by --handler (a "
        "QueryBackend or PostgresRequestHandler class), or by the built-in SQLite backend "
        "when no handler is given."
    )
    optParameters = [
        ["handler", None, None, "Backend answering queries: module.Class or module:Class."],
        ["database", None, MEMORY_DATABASE, "SQLite database file of the built-in backend."],
        ["tls-cert", None, None, "Server certificate (PEM, may include the chain)."],
        ["tls-key", None, None, "Private key of the server certificate (PEM)."],
        ["tls-ca", None, None, "CA certificates (PEM) for verifying client certificates."],
        ["auth", None, "trust", "Authentication: trust, password, md5 or scram-sha-256."],
        ["users", None, None, 'Users file in pgbouncer auth_file format ("user" "secret").'],
        ["startup-timeout", None, 60.0, "Seconds a client has to authenticate.", float],
        ["server-version", None, DEFAULT_SERVER_VERSION, "server_version reported to clients."],
        ["workers", None, 1, "Worker processes sharing the listening sockets.", int],
        ["shutdown-timeout", None, 30.0, "Seconds running queries get to finish on stop.", float],
        ["worker", None, None, "Internal: run as a worker of a --workers supervisor."],
        ["proxy", None, None, "Be a pooling proxy to this upstream PostgreSQL URL/DSN."],
        ["pool-mode", None, "transaction", "--proxy pooling: session or transaction."],
        ["pool-size", None, 20, "--proxy: upstream connections per process.", int],
        [
            "multiplex",
            None,
            0,
            "--proxy transaction pooling: send up to N clients' short "
            "SELECTs down one upstream connection together (0: off).",
            int,
        ],
    ]
    optFlags = [["require-tls", None, "Refuse clients that do not negotiate TLS."]]
    compData = usage.Completions(
        optActions={
            "auth": usage.CompleteList(["trust", "password", "md5", "scram-sha-256"]),
            "tls-cert": usage.CompleteFiles("*.pem *.crt"),
            "tls-key": usage.CompleteFiles("*.pem *.key"),
            "tls-ca": usage.CompleteFiles("*.pem *.crt"),
            "users": usage.CompleteFiles(),
            "database": usage.CompleteFiles(),
        }
    )

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []
        self["set"] = {}
        #: The arguments as given: workers of a ``--workers`` server are started with them.
        self.arguments: list[str] = []

    def parseOptions(self, options: Sequence[str] | None = None) -> None:  # noqa: N802
        self.arguments = list(sys.argv[1:] if options is None else options)
        super().parseOptions(options)

    def opt_listen(self, endpoint: str) -> None:
        """Endpoint to listen on (Twisted syntax, repeatable), default tcp:55432."""
        self["listen"].append(endpoint)

    def opt_set(self, assignment: str) -> None:
        """Server setting reported to every session, NAME=VALUE (e.g. TimeZone=UTC; repeatable)."""
        name, equals, value = assignment.partition("=")
        if not equals or not name:
            raise usage.UsageError(f"--set needs NAME=VALUE, got {assignment!r}")
        self["set"][name] = value

    def postOptions(self) -> None:
        if not self["listen"]:
            self["listen"] = [DEFAULT_LISTEN]
        if bool(self["tls-cert"]) != bool(self["tls-key"]):
            raise usage.UsageError("--tls-cert and --tls-key go together")
        if self["require-tls"] and not self["tls-cert"]:
            raise usage.UsageError("--require-tls needs --tls-cert and --tls-key")
        if self["tls-ca"] and not self["tls-cert"]:
            raise usage.UsageError("--tls-ca needs --tls-cert and --tls-key")
        try:
            AuthMethod(self["auth"])
        except ValueError:
            raise usage.UsageError(f"unknown --auth method {self['auth']!r}") from None
        if self["auth"] in _PASSWORD_METHODS and not self["users"]:
            raise usage.UsageError(f"--auth {self['auth']} needs --users FILE")
        if self["workers"] < 1:
            raise usage.UsageError("--workers must be at least 1")
        if self["pool-mode"] not in ("session", "transaction"):
            raise usage.UsageError("--pool-mode must be session or transaction")
        if self["pool-size"] < 1:
            raise usage.UsageError("--pool-size must be at least 1")
        if self["multiplex"] < 0:
            raise usage.UsageError("--multiplex must be 0 (off) or more")
        if self["multiplex"] and self["pool-mode"] != "transaction":
            raise usage.UsageError("--multiplex needs --pool-mode transaction")
        if self["proxy"] and self["handler"]:
            raise usage.UsageError("--proxy and --handler exclude each other")
        if self["worker"] is not None:
            try:
                self["worker"] = WorkerSpec.decode(self["worker"])
            except ValueError:
                raise usage.UsageError(f"bad --worker {self['worker']!r}") from None


def make_factory(options: Options, reactor: Any = None) -> PostgresServerFactory:
    """The server factory the options describe."""
    if options["proxy"]:
        backend_factory = None
    elif options["handler"]:
        backend_factory = load_handler(options["handler"])
    else:
        backend_factory = _sqlite_backend(options["database"])
    tls = None
    if options["tls-cert"]:
        try:
            tls = load_server_tls(
                options["tls-cert"], options["tls-key"], ca_file=options["tls-ca"]
            )
        except (OSError, ValueError) as error:
            raise usage.UsageError(f"cannot load the TLS certificate or key: {error}") from None
    password_store = None
    if options["users"]:
        try:
            password_store = load_auth_file(options["users"])
        except (OSError, ValueError) as error:
            raise usage.UsageError(f"cannot read --users: {error}") from None
    try:
        if backend_factory is None:  # --proxy (txpostgres_proto/proxy/)
            return ProxyFactory(
                options["proxy"],
                pool_mode=options["pool-mode"],
                pool_size=options["pool-size"],
                multiplex=options["multiplex"],
                reactor=reactor,
                tls=tls,
                require_tls=options["require-tls"],
                auth=options["auth"],
                password_store=password_store,
                startup_timeout=options["startup-timeout"],
            )
        return PostgresServerFactory(
            backend_factory,
            reactor=reactor,
            tls=tls,
            require_tls=options["require-tls"],
            auth=options["auth"],
            password_store=password_store,
            parameters=options["set"],
            server_version=options["server-version"],
            startup_timeout=options["startup-timeout"],
        )
    except ValueError as error:
        raise usage.UsageError(str(error)) from None


def makeService(options: Options, reactor: Any = None) -> MultiService:  # noqa: N802 - twistd API
    """One listening service per ``--listen`` endpoint, sharing one factory."""
    if reactor is None:
        from twisted.internet import reactor as global_reactor

        reactor = global_reactor
    if options["worker"] is not None:
        return _worker_service(options, reactor)
    if options["workers"] > 1:
        return _supervisor_service(options, reactor)
    factory = make_factory(options, reactor)
    service = MultiService()
    for description in options["listen"]:
        try:
            endpoint = serverFromString(reactor, description)
        except ValueError as error:
            raise usage.UsageError(f"bad --listen endpoint {description!r}: {error}") from None
        listener = StreamServerEndpointService(endpoint, factory)
        listener._raiseSynchronously = True  # report "address in use" at startup, as strports
        listener.setServiceParent(service)
    return service


def _supervisor_service(options: Options, reactor: Any) -> MultiService:
    """``--workers N``: this process binds the endpoints and supervises N workers."""
    arguments = list(options.arguments)
    cleanup = None
    embedded = not (options["handler"] or options["proxy"])
    if embedded and options["database"] == MEMORY_DATABASE:
        path, cleanup = shared_temporary_database()
        arguments += ["--database", path]  # the last --database wins in the workers
    service = MultiService()
    supervisor = WorkerSupervisor(
        options["listen"],
        options["workers"],
        worker_command(arguments),
        reactor=reactor,
        drain_timeout=options["shutdown-timeout"],
        cleanup_directory=cleanup,
    )
    supervisor.setServiceParent(service)
    return service


def _worker_service(options: Options, reactor: Any) -> MultiService:
    """``--worker SPEC`` (internal): serve the sockets a supervisor passed to this process."""
    spec: WorkerSpec = options["worker"]
    service = MultiService()
    worker = WorkerService(
        make_factory(options, reactor),
        spec.handoff,
        spec.control_in,
        spec.control_out,
        reactor=reactor,
        drain_timeout=options["shutdown-timeout"],
    )
    worker.setServiceParent(service)
    return service
