"""The PostgreSQL JDBC driver's metadata API against our servers.

``CatalogProbe.java`` (compiled once per session with javac into a temporary directory) calls
``DatabaseMetaData.getTables/getSchemas/getTypeInfo/getColumns/getPrimaryKeys`` and
``ResultSetMetaData`` (table name, nullability, type name) on a query result, and prints one line
per fact.  The lines are asserted for both servers; for the embedded default, the probe's whole
output must also equal what it prints against a real PostgreSQL 15 holding the same schema.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.catalog_e2e.servers import DATABASE, USER, ServerProcess
from tests.java import compile_java, run_java
from tests.pgserver import RealPostgres

PROBE = Path(__file__).with_name("CatalogProbe.java")

EXPECTED_LINES = {
    "default": [
        "table public feelings TABLE",
        "table public items TABLE",
        "table public cheap_items VIEW",
        "column items 1 id serial 4 10 0 NO YES nextval('items_id_seq'::regclass)",
        "column items 2 name varchar 12 20 0 NO NO 'x'::character varying",
        "column items 3 price numeric 2 10 2 YES NO NULL",
        "column items 4 created timestamptz 93 35 6 YES NO NULL",
        "column items 5 active bool -7 1 0 YES NO NULL",
        "column items 6 qty int4 4 10 0 NO NO 0",
        "column items 7 note text 12 2147483647 0 YES NO NULL",
        "pk items id 1 items_pkey",
        "result items id items 0 serial",
        "result items name items 0 varchar",
        "result items price items 1 numeric",
        "result items created items 1 timestamptz",
        "result items active items 1 bool",
        "result items qty items 0 int4",
        "result items note items 1 text",
        "column feelings 2 feeling mood 12 2147483647 0 NO NO NULL",
        "result feelings feeling feelings 0 mood",
    ],
    "inventory": [
        "table public items TABLE",
        "table public numbers VIEW",
        "column items 1 id serial 4 10 0 NO YES nextval('items_id_seq'::regclass)",
        "column items 2 name text 12 2147483647 0 NO NO NULL",
        "column items 3 price numeric 2 10 2 YES NO NULL",
        "column items 4 quantity int4 4 10 0 NO NO 0",
        "column items 5 active bool -7 1 0 NO NO true",
        "column items 6 updated_at timestamptz 93 35 6 YES NO NULL",
        "pk items id 1 items_pkey",
        "result items id items 0 serial",
        "result items name items 0 text",
        "result items price items 1 numeric",
        "result items quantity items 0 int4",
        "result items active items 0 bool",
        "result items updated_at items 1 timestamptz",
    ],
}
COMMON_LINES = [
    "schema information_schema",
    "schema pg_catalog",
    "schema public",
    "typeinfo many numeric=2 int4=4 text=12",
]
TABLES = {"default": ("items", "feelings"), "inventory": ("items",)}


@pytest.fixture(scope="session")
def probe_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_java(PROBE, tmp_path_factory.mktemp("jdbc-probe"))


def _probe(classes: Path, host: str, port: int, tables: tuple[str, ...]) -> list[str]:
    url = f"jdbc:postgresql://{host}:{port}/{DATABASE}?sslmode=disable"
    return run_java(classes, "CatalogProbe", url, USER, *tables)


def test_jdbc_metadata(server: ServerProcess, probe_classes: Path) -> None:
    lines = _probe(probe_classes, server.host, server.port, TABLES[server.kind])
    missing = [line for line in EXPECTED_LINES[server.kind] + COMMON_LINES if line not in lines]
    assert missing == [], "\n".join(lines)
    tables = [line for line in lines if line.startswith("table ")]
    assert tables == [line for line in EXPECTED_LINES[server.kind] if line.startswith("table ")]


def test_jdbc_metadata_is_postgresql_s(
    default_server: ServerProcess, reference: RealPostgres, probe_classes: Path
) -> None:
    ours = _probe(probe_classes, default_server.host, default_server.port, TABLES["default"])
    theirs = _probe(probe_classes, reference.host, reference.port, TABLES["default"])
    assert ours == theirs
