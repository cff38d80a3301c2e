"""The catalog queries of the PostgreSQL JDBC driver, captured live and replayed on the catalog.

``JdbcMetadataProbe.java`` calls the DatabaseMetaData and ResultSetMetaData methods that make
the driver (``tests/java.py``) query the system catalogs.  It runs against the
reference database with ``log_statement=all`` for its session only; the test reads that
session's statements (and their parameter values) from the server log, and checks that every
catalog statement is claimed by the catalog engine, described exactly like PostgreSQL
(columns and parameter types) and runs with the captured parameters.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.catalog.support import Reference, Statement
from tests.java import compile_java, run_java
from tests.pgserver import SUPERUSER, RealPostgres
from txpostgres_proto.catalog import Catalog, SimpleSession

PROBE = Path(__file__).with_name("JdbcMetadataProbe.java")


def _logged_statements(log: str, pid: str) -> list[Statement]:
    statements: list[Statement] = []
    for entry in re.split(r"\n(?=\d{4}-\d\d-\d\d )", log):
        if f"[{pid}]" not in entry.split("LOG:", 1)[0].split("DETAIL:", 1)[0]:
            continue
        logged = re.search(r"LOG:  (?:statement|execute [^:]*): (.*)", entry, re.S)
        if logged is not None:
            statements.append(Statement(logged.group(1).strip()))
        detail = re.search(r"DETAIL:  [Pp]arameters: (.*)", entry, re.S)
        if detail is not None and statements:
            values = re.findall(r"\$\d+ = '((?:[^']|'')*)'", detail.group(1))
            statements[-1].params = [value.replace("''", "'") for value in values]
    return statements


@pytest.fixture(scope="module")
def jdbc_statements(
    reference_server: RealPostgres, tmp_path_factory: pytest.TempPathFactory
) -> list[Statement]:
    classes = compile_java(PROBE, tmp_path_factory.mktemp("jdbc"))
    options = quote("-c log_statement=all")
    url = f"jdbc:postgresql://{reference_server.host}:{reference_server.port}/catref"
    printed = run_java(classes, "JdbcMetadataProbe", f"{url}?options={options}", SUPERUSER)
    pid = printed[0].strip()
    statements = _logged_statements(reference_server.log_file.read_text(), pid)
    unique: dict[str, Statement] = {}
    for statement in statements:
        unique.setdefault(statement.sql, statement)
    return list(unique.values())


def test_jdbc_catalog_statements(
    jdbc_statements: list[Statement],
    catalog: Catalog,
    session: SimpleSession,
    reference: Reference,
) -> None:
    claimed = [s for s in jdbc_statements if catalog.handles(s.sql)]
    others = [s.sql for s in jdbc_statements if not catalog.handles(s.sql)]
    # Only session SETs and the probe's own application query are not catalog statements.
    assert all(sql.upper().startswith("SET ") or "FROM items" in sql for sql in others), others
    assert len(claimed) >= 20
    for statement in claimed:
        columns, params = reference.describe(statement.sql)
        described = [(c.name, c.type_oid, c.typmod) for c in catalog.describe(statement.sql)]
        assert described == columns, statement.sql
        assert catalog.parameter_types(statement.sql) == params, statement.sql
        result = catalog.execute(statement.sql, statement.params, session)
        assert len(result.columns) == len(columns)


def test_jdbc_get_columns_describes_items(
    jdbc_statements: list[Statement], catalog: Catalog, session: SimpleSession
) -> None:
    get_columns = next(
        s for s in jdbc_statements if "c.relname LIKE 'items'" in s.sql and "a.attname" in s.sql
    )
    result = catalog.execute(get_columns.sql, get_columns.params, session)
    names = [c.name for c in result.columns]
    rows = [dict(zip(names, row, strict=True)) for row in result.rows]
    assert [row["attname"] for row in rows] == ["id", "name", "ts", "amount", "tags", "data"]
    assert [row["attnotnull"] for row in rows] == [True, True, False, False, False, False]
    assert rows[0]["adsrc"] == "nextval('items_id_seq'::regclass)"
    assert rows[3]["atttypmod"] == (10 << 16 | 2) + 4
