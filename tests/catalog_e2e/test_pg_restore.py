"""A plain ``pg_dump`` of a real PostgreSQL 15 database restored into our default server with
psql, as a user moving an application's data over would do it.

The dump is PostgreSQL's own: ``SET`` lines, ``set_config``, ``CREATE TYPE ... AS ENUM``,
``CREATE DOMAIN``, tables with schema-qualified user types (``public.mood``), ``CREATE SEQUENCE
... AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1``, ``ALTER ...
OWNER TO``, ``ALTER SEQUENCE ... OWNED BY``, ``ALTER TABLE ONLY ... SET DEFAULT
nextval(...)``, ``COPY`` data, ``SELECT pg_catalog.setval(...)``, then primary keys, indexes
and foreign keys added with ``ALTER TABLE ONLY``.  Afterwards the rows must read back the same
through our server and the serial columns continue after the restored rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg2
import pytest

from tests.catalog_e2e.servers import USER, ServerProcess, run_psql
from tests.catalog_e2e.test_pg_dump import DUMP_SCHEMA, TABLES, dump_real
from tests.pgserver import RealPostgres


@pytest.fixture(scope="module")
def source(real_postgres: RealPostgres) -> str:
    """A real PostgreSQL database holding ``DUMP_SCHEMA`` (and a row more, owned by someone
    else's sequence value); its name."""
    real_postgres.psql("DROP DATABASE IF EXISTS restore_source", dbname="postgres")
    real_postgres.psql("CREATE DATABASE restore_source", dbname="postgres")
    real_postgres.psql(DUMP_SCHEMA, dbname="restore_source")
    real_postgres.psql("DELETE FROM books WHERE id = 2", dbname="restore_source")
    return "restore_source"


@pytest.fixture(scope="module")
def target(psql: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess("default", tmp_path_factory.mktemp("restored"))
    try:
        yield server
    finally:
        server.stop()


def _rows(dsn: str, table: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
            rows = cursor.fetchall()
    finally:
        conn.close()
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]


def test_real_dump_restores_into_the_default_server(
    real_postgres: RealPostgres, source: str, target: ServerProcess
) -> None:
    script = dump_real(real_postgres, source)
    assert "CREATE SEQUENCE public.books_id_seq" in script and "OWNER TO" in script
    restored = run_psql(target.host, target.port, script=script)
    assert restored.returncode == 0, restored.stderr
    assert "ERROR" not in restored.stderr, restored.stderr
    original = real_postgres.dsn(USER, dbname=source)
    for table, columns in TABLES.items():
        expected = _rows(original, table, columns)
        assert expected, table
        assert _rows(target.dsn(), table, columns) == expected
    conn = psycopg2.connect(target.dsn())
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute("INSERT INTO books (title, price) VALUES ('new', 1.5) RETURNING id")
            assert cursor.fetchone() == (4,)
            cursor.execute("SELECT price FROM books WHERE feeling = 'happy'")
            assert cursor.fetchall() == [(Decimal("9.99"),)]
            with pytest.raises(psycopg2.errors.ForeignKeyViolation):
                cursor.execute("INSERT INTO books (author_id, title) VALUES (99, 'x')")
    finally:
        conn.close()
