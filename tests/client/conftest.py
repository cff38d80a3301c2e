"""Fixtures for the client tests: a private reactor in a thread, and connections to PostgreSQL.

The tests are plain synchronous pytest functions.  ``run(fn, *args)`` runs the coroutine
function ``fn`` on a reactor that lives in a daemon thread for the whole session and returns
its result (or raises its exception) in the test's thread.  The reactor is a private
``EPollReactor`` instance — not the global one — so the client code under test gets it as its
``reactor`` argument, as the client API requires, and nothing here interferes with tests that
use the global reactor.

``db.connect(user=..., password=..., **protocol_options)`` (inside the coroutine) opens a
connection to the session's real PostgreSQL (the shared ``real_postgres`` fixture) with the
client's own ``ClientProtocol`` over a TCP endpoint; connections still open at the end of a
test are closed.  For tests of `connect()`: ``libpq_home`` hides the ``PG*`` variables and
the user's home directory, ``query_once`` connects, reads one row and closes, and
``connect_failure`` returns the exception of a connection attempt that must fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.epollreactor import EPollReactor
from twisted.internet.threads import blockingCallFromThread

from tests.pgserver import TRUST_USER, RealPostgres
from txpostgres_proto.client.cancel import endpoint_cancel_connector
from txpostgres_proto.client.connect import connect
from txpostgres_proto.client.connection import Connection
from txpostgres_proto.client.protocol import ClientProtocol

DEFAULT_TIMEOUT = 60.0


class ReactorThread:
    """A reactor running in a daemon thread; `__call__` runs a coroutine function on it."""

    def __init__(self) -> None:
        self.reactor = EPollReactor()
        self._thread = threading.Thread(
            target=self.reactor.run,
            kwargs={"installSignalHandlers": False},
            name="client-tests-reactor",
            daemon=True,
        )
        self._thread.start()

    def __call__(
        self,
        fn: Callable[..., Coroutine[Any, Any, Any]],
        *args: Any,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Any:
        def start() -> Deferred[Any]:
            return Deferred.fromCoroutine(fn(*args)).addTimeout(timeout, self.reactor)

        return blockingCallFromThread(self.reactor, start)

    def stop(self) -> None:
        self.reactor.callFromThread(self.reactor.stop)
        self._thread.join(10)


def query_once(run: ReactorThread, sql: str, dsn: str | None, **params: Any) -> tuple[Any, ...]:
    """``connect(dsn, **params)``, the first row of ``sql``, close."""

    async def go() -> tuple[Any, ...]:
        connection = await connect(run.reactor, dsn, **params)
        try:
            return tuple((await connection.query(sql))[0])
        finally:
            await connection.close()

    return run(go)  # type: ignore[no-any-return]


def connect_failure(run: ReactorThread, dsn: str | None = None, **params: Any) -> BaseException:
    """``connect(dsn, **params)``, expecting it to fail: the exception."""

    async def go() -> BaseException:
        try:
            connection = await connect(run.reactor, dsn, **params)
        except BaseException as error:
            return error
        await connection.close()
        raise AssertionError("the connection succeeded")

    return run(go)  # type: ignore[no-any-return]


@pytest.fixture
def libpq_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ``PG*`` variables and an empty home directory (returned), so only what a test passes
    counts: no ~/.pgpass, ~/.pg_service.conf or ~/.postgresql files unless it writes them."""
    for name in list(os.environ):
        if name.startswith("PG"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture(scope="session")
def reactor_thread() -> Iterator[ReactorThread]:
    runner = ReactorThread()
    yield runner
    runner.stop()


@pytest.fixture
def run(reactor_thread: ReactorThread) -> ReactorThread:
    return reactor_thread


class Database:
    """Opens client connections to the test server; closes leftovers at the end of a test."""

    def __init__(self, server: RealPostgres, runner: ReactorThread) -> None:
        self.server = server
        self.runner = runner
        self.reactor = runner.reactor
        self.opened: list[Connection] = []

    def endpoint(self) -> TCP4ClientEndpoint:
        return TCP4ClientEndpoint(self.reactor, self.server.host, self.server.port, timeout=10)

    def protocol(
        self, user: str = TRUST_USER, password: str | None = None, **options: Any
    ) -> ClientProtocol:
        options.setdefault("cancel_connector", endpoint_cancel_connector(self.endpoint()))
        database = options.pop("database", self.server.database)
        return ClientProtocol(user, database, password, reactor=self.reactor, **options)

    async def connect(
        self, user: str = TRUST_USER, password: str | None = None, **options: Any
    ) -> Connection:
        protocol = self.protocol(user, password, **options)
        await connectProtocol(self.endpoint(), protocol)
        connection = await protocol.when_ready()
        self.opened.append(connection)
        return connection

    def close_all(self) -> None:
        async def close() -> None:
            for connection in self.opened:
                if not connection.closed:
                    connection.abort()

        self.runner(close)


@pytest.fixture
def db(real_postgres: RealPostgres, reactor_thread: ReactorThread) -> Iterator[Database]:
    database = Database(real_postgres, reactor_thread)
    yield database
    database.close_all()
