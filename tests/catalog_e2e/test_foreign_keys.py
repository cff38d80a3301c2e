"""Foreign keys in the catalog: the embedded default reflects SQLite's REFERENCES clauses into
``pg_constraint`` (contype 'f') and ``information_schema``, and clients read them as they read
PostgreSQL's.

The same DDL goes into the default server and into a database of the real PostgreSQL 15; psql's
describe output and the catalog queries must print the same, and SQLAlchemy's reflection must
find the same foreign keys (through two drivers), enough for ``automap`` to build the
relationships.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.ext.automap import automap_base

from tests.catalog_e2e.servers import USER, ServerProcess, run_psql
from tests.pgserver import RealPostgres

DATABASE = "fkeys"
SCHEMA = """
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (
    id serial PRIMARY KEY,
    customer_id integer REFERENCES customers ON DELETE CASCADE,
    note text
);
CREATE TABLE order_lines (
    order_id integer,
    n integer,
    sku text,
    PRIMARY KEY (order_id, n),
    CONSTRAINT order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id)
        ON UPDATE SET NULL ON DELETE RESTRICT
);
CREATE TABLE pairs (a integer, b integer, UNIQUE (a, b));
CREATE TABLE pair_refs (x integer, y integer, FOREIGN KEY (y, x) REFERENCES pairs (b, a));
"""
CATALOG_QUERIES = (
    "SELECT conname, contype, conrelid::regclass, confrelid::regclass, conkey, confkey, "
    "confupdtype, confdeltype, confmatchtype, pg_get_constraintdef(oid, true) "
    "FROM pg_constraint WHERE contype = 'f' ORDER BY conname",
    "SELECT c.conname, i.relname FROM pg_constraint c JOIN pg_class i ON i.oid = c.conindid "
    "WHERE c.contype = 'f' ORDER BY 1",
    "SELECT relname, relhastriggers FROM pg_class WHERE relkind = 'r' "
    "AND relnamespace = 'public'::regnamespace ORDER BY 1",
    "SELECT * FROM information_schema.referential_constraints ORDER BY constraint_name",
    "SELECT constraint_name, table_name, constraint_type FROM information_schema.table_constraints"
    " WHERE table_schema = 'public' AND constraint_type <> 'CHECK' ORDER BY 1",
    "SELECT constraint_name, table_name, column_name, ordinal_position, "
    "position_in_unique_constraint FROM information_schema.key_column_usage "
    "WHERE table_schema = 'public' ORDER BY 1, 4",
    "SELECT constraint_name, table_name, column_name "
    "FROM information_schema.constraint_column_usage WHERE table_schema = 'public' ORDER BY 1, 3",
)


@pytest.fixture(scope="module")
def ours(psql: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess("default", tmp_path_factory.mktemp("fkeys"))
    try:
        loaded = run_psql(server.host, server.port, script=SCHEMA, database=DATABASE)
        assert (loaded.returncode, loaded.stderr) == (0, "")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def theirs(real_postgres: RealPostgres) -> RealPostgres:
    real_postgres.psql(f"CREATE DATABASE {DATABASE}", dbname="postgres")
    real_postgres.psql(SCHEMA, dbname=DATABASE)
    return real_postgres


def _both(ours: ServerProcess, theirs: RealPostgres, command: str) -> tuple[str, str]:
    mine = run_psql(ours.host, ours.port, command, database=DATABASE)
    reference = run_psql(theirs.host, theirs.port, command, database=DATABASE)
    assert reference.returncode == 0, reference.stderr
    assert (mine.returncode, mine.stderr) == (0, "")
    return mine.stdout, reference.stdout


@pytest.mark.parametrize(
    "command", [r"\d orders", r"\d+ orders", r"\d customers", r"\d order_lines", r"\d pair_refs"]
)
def test_psql_describe_prints_what_postgresql_prints(
    ours: ServerProcess, theirs: RealPostgres, command: str
) -> None:
    mine, reference = _both(ours, theirs, command)
    assert "Foreign-key constraints:" in reference or "Referenced by:" in reference
    assert mine == reference


@pytest.mark.parametrize("query", CATALOG_QUERIES)
def test_catalog_queries_answer_what_postgresql_answers(
    ours: ServerProcess, theirs: RealPostgres, query: str
) -> None:
    mine, reference = _both(ours, theirs, query)
    assert mine == reference


def _reflected(host: str, port: int, driver: str) -> dict[str, Any]:
    engine = create_engine(f"postgresql+{driver}://{USER}@{host}:{port}/{DATABASE}")
    try:
        inspector = inspect(engine)
        keys = {table: inspector.get_foreign_keys(table) for table in inspector.get_table_names()}
        base: Any = automap_base()
        base.prepare(autoload_with=engine)
        relationships = sorted(base.classes.orders.__mapper__.relationships.keys())
        return {"keys": keys, "relationships": relationships}
    finally:
        engine.dispose()


@pytest.mark.parametrize("driver", ["psycopg", "pg8000"])
def test_sqlalchemy_reflects_the_same_foreign_keys(
    ours: ServerProcess, theirs: RealPostgres, driver: str
) -> None:
    mine = _reflected(ours.host, ours.port, driver)
    reference = _reflected(theirs.host, theirs.port, driver)
    assert mine["keys"]["orders"][0]["referred_table"] == "customers"
    assert mine["relationships"] == ["customers", "order_lines_collection"]
    assert mine == reference


def test_a_reference_to_a_missing_row_is_23503(ours: ServerProcess) -> None:
    run = run_psql(
        ours.host, ours.port, "INSERT INTO orders (customer_id) VALUES (4242)", database=DATABASE
    )
    assert run.returncode != 0
    assert 'violates foreign key constraint "orders_customer_id_fkey"' in run.stderr
