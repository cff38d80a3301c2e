"""Fixtures for the catalog tests.

* ``catalog`` — a :class:`Catalog` loaded with the sample schema (one per module: building one
  takes a few milliseconds once the process-wide template exists);
* ``session`` — a fresh :class:`SimpleSession` for database ``catref``;
* ``reference`` — the same schema in a real PostgreSQL 15 database, in the session-wide server
  of ``tests/conftest.py`` (skipped only when the server programs are missing).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.catalog.support import REFERENCE_DDL, Reference, sample_tables
from tests.pgserver import SUPERUSER, RealPostgres
from txpostgres_proto.catalog import Catalog, SimpleSession

REFERENCE_DATABASE = "catref"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    catalog = Catalog(database=REFERENCE_DATABASE)
    catalog.set_tables(sample_tables())
    return catalog


@pytest.fixture
def session() -> SimpleSession:
    return SimpleSession(user=SUPERUSER, database=REFERENCE_DATABASE, backend_pid=4242)


@pytest.fixture(scope="session")
def reference_server(real_postgres: RealPostgres) -> RealPostgres:
    real_postgres.psql(f"CREATE DATABASE {REFERENCE_DATABASE}", dbname="postgres")
    real_postgres.psql(REFERENCE_DDL, dbname=REFERENCE_DATABASE)
    return real_postgres


@pytest.fixture(scope="module")
def reference(reference_server: RealPostgres) -> Iterator[Reference]:
    ref = Reference(reference_server.dsn(SUPERUSER, dbname=REFERENCE_DATABASE))
    yield ref
    ref.close()
