"""Fixtures for the embedded SQLite backend: a fresh database file per test and sessions on it.

The backend runs inline (``threaded=False``) so tests need no reactor, and with no busy
timeout, so a lock conflict between two sessions fails at once instead of waiting.  Tests of
the threaded backend use `PoolReactor`: a real Twisted thread pool, the test playing the
reactor.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from txpostgres_proto.catalog import SimpleSession
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.backend import QueryResult
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite_backend import SQLiteBackend


class Client:
    """A backend with a fake session, and shortcuts to run SQL on it."""

    def __init__(self, database: SQLiteDatabase) -> None:
        self.session = SimpleSession()
        self.backend = SQLiteBackend(database, threaded=False)
        self.backend.connection_made(self.session)

    def run(self, sql: str, *params: Any, oids: tuple[int, ...] = ()) -> QueryResult:
        result = self.backend.execute(sql, params, oids)
        assert isinstance(result, QueryResult)
        result.rows = list(result.rows)  # type: ignore[arg-type]
        return result

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.run(sql, *params).rows]  # type: ignore[union-attr]

    def value(self, sql: str, *params: Any) -> Any:
        rows = self.rows(sql, *params)
        assert len(rows) == 1 and len(rows[0]) == 1, rows
        return rows[0][0]

    def transaction(self, command: str, savepoint: str | None = None) -> None:
        self.backend.transaction(command, savepoint)


def fails(client: Client, sql: str, *params: Any, oids: tuple[int, ...] = ()) -> PostgresError:
    """The error ``sql`` must end with on ``client``."""
    with pytest.raises(PostgresError) as raised:
        client.run(sql, *params, oids=oids)
    return raised.value


class PoolReactor:
    """The two reactor methods ``deferToThreadPool`` uses, over a real thread pool, and
    ``callLater`` on a clock the test moves (``clock.advance``)."""

    def __init__(self, threads: int = 2) -> None:
        self.pool = ThreadPool(minthreads=1, maxthreads=threads)
        self.pool.start()
        self._delivered: queue.Queue[Callable[[], Any]] = queue.Queue()
        self.clock = Clock()
        self.callLater = self.clock.callLater  # noqa: N815 - Twisted's reactor API

    def getThreadPool(self) -> ThreadPool:  # noqa: N802 - Twisted's reactor API
        return self.pool

    def callFromThread(self, function: Callable[..., Any], *args: Any) -> None:  # noqa: N802
        self._delivered.put(lambda: function(*args))

    def deliver(self, timeout: float) -> None:
        """Run one callback a worker thread delivered, if one comes within ``timeout``."""
        try:
            self._delivered.get(timeout=timeout)()
        except queue.Empty:
            pass

    def wait(self, deferred: Deferred[Any], timeout: float = 10.0) -> Any:
        """Run delivered callbacks until ``deferred`` fires; its result (or raise its error)."""
        outcome: list[Any] = []
        deferred.addBoth(outcome.append)
        deadline = time.monotonic() + timeout
        while not outcome:
            self._delivered.get(timeout=max(deadline - time.monotonic(), 0.01))()
        if isinstance(outcome[0], Failure):
            outcome[0].raiseException()
        return outcome[0]


@pytest.fixture
def reactor() -> Iterator[PoolReactor]:
    """A stand-in reactor whose thread pool really runs the backend's statements."""
    running = PoolReactor()
    yield running
    running.pool.stop()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SQLiteDatabase]:
    shared = SQLiteDatabase(str(tmp_path / "test.sqlite3"), busy_timeout=0)
    yield shared
    shared.close()


@pytest.fixture
def connect(database: SQLiteDatabase) -> Iterator[Callable[[], Client]]:
    clients: list[Client] = []

    def make() -> Client:
        client = Client(database)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.backend.connection_lost()


@pytest.fixture
def client(connect: Callable[[], Client]) -> Client:
    return connect()


@pytest.fixture(scope="module")
def module_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One session on one database for a whole module (DDL reloads the catalog: ~0.2 s)."""
    shared = SQLiteDatabase(str(tmp_path_factory.mktemp("sqlite") / "module.sqlite3"))
    client = Client(shared)
    yield client
    client.backend.connection_lost()
    shared.close()
