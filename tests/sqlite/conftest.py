"""Fixtures for the embedded SQLite backend: a fresh database file per test and sessions on it.

The backend runs inline (``threaded=False``) so tests need no reactor, and with no busy
timeout, so a lock conflict between two sessions fails at once instead of waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from txpostgres_proto.catalog import SimpleSession
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
