"""Fixtures of the end-to-end catalog tests: our servers and a real PostgreSQL to compare with.

* ``default_server`` — the embedded SQLite default, loaded with ``DEFAULT_SCHEMA`` through psql;
* ``inventory_server`` — the InventoryHandler example;
* ``server`` — each of them in turn (tests taking it run once per kind);
* ``reference`` — ``DEFAULT_SCHEMA`` in a real PostgreSQL 15 database (the session server of
  ``tests/conftest.py``), for comparing answers.

Each server is one subprocess per test session; every test needing psql skips, with the reason,
only when the psql program is missing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.catalog_e2e.servers import (
    DATABASE,
    DEFAULT_SCHEMA,
    KINDS,
    ServerProcess,
    psql_program,
    run_psql,
)
from tests.pgserver import RealPostgres


def _serve(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(kind, tmp_path_factory.mktemp(kind))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def psql() -> str:
    program = psql_program()
    if program is None:
        pytest.skip("the psql client program is not installed")
    return program


@pytest.fixture(scope="session")
def default_server(psql: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    for server in _serve("default", tmp_path_factory):
        loaded = run_psql(server.host, server.port, script=DEFAULT_SCHEMA)
        assert loaded.returncode == 0 and not loaded.stderr, loaded.stderr
        yield server


@pytest.fixture(scope="session")
def inventory_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from _serve("inventory", tmp_path_factory)


@pytest.fixture(scope="session", params=KINDS)
def server(request: pytest.FixtureRequest) -> ServerProcess:
    found: ServerProcess = request.getfixturevalue(f"{request.param}_server")
    return found


@pytest.fixture(scope="session")
def reference(real_postgres: RealPostgres) -> RealPostgres:
    """The real PostgreSQL server, with database ``e2e`` holding ``DEFAULT_SCHEMA``."""
    real_postgres.psql(f"CREATE DATABASE {DATABASE}", dbname="postgres")
    real_postgres.psql(DEFAULT_SCHEMA, dbname=DATABASE)
    return real_postgres
