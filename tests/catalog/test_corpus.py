"""Every catalog statement real clients sent (the shared capture files) against the catalog.

Three levels, each a separate test per statement so a failure names the statement:

* it runs without error on the emulated catalog (no server needed);
* its result columns (names, type OIDs, typmods) and the types of its ``$n`` parameters are
  exactly what a real PostgreSQL 15 reports for the same statement (live comparison);
* statements the capture ran against ``items`` return rows that mention ``items``.

The captured statements carry the OID ``items`` had in the recording (16385); it is replaced
by the OID each side assigned before running.
"""

from __future__ import annotations

import pytest

from tests.catalog.support import (
    CORPUS_ITEMS_OID,
    Reference,
    Statement,
    catalog_statements,
    corpus_statements,
)
from txpostgres_proto.catalog import Catalog, SimpleSession

_CATALOG = Catalog()
STATEMENTS = list(catalog_statements(_CATALOG))
IDS = [f"{i:02d}-" + " ".join(s.sql.split())[:60] for i, s in enumerate(STATEMENTS)]


def test_corpus_has_the_expected_catalog_statements() -> None:
    every = corpus_statements()
    assert len(every) >= 130
    # psql \d items (14 queries), \d+ items, \l, \dn, \df, \du, \dT, JDBC, SQLAlchemy, asyncpg
    assert len(STATEMENTS) >= 70
    unhandled_catalog = [
        s.sql for s in every
        if ("pg_catalog" in s.sql or "information_schema" in s.sql)
        and not _CATALOG.handles(s.sql)
    ]  # fmt: skip
    assert unhandled_catalog == []


@pytest.mark.parametrize("statement", STATEMENTS, ids=IDS)
def test_runs_on_the_emulated_catalog(
    statement: Statement, catalog: Catalog, session: SimpleSession
) -> None:
    oid = str(catalog.table_oid("public", "items"))
    sql = statement.sql.replace(CORPUS_ITEMS_OID, oid)
    params = [value.replace(CORPUS_ITEMS_OID, oid) for value in statement.params]
    result = catalog.execute(sql, params, session)
    assert [c.name for c in result.columns] == [c.name for c in catalog.describe(sql)]
    assert all(len(row) == len(result.columns) for row in result.rows)
    if f"'{CORPUS_ITEMS_OID}'" in statement.sql and "pg_attribute a" in statement.sql:
        assert [row[0] for row in result.rows] == ["id", "name", "ts", "amount", "tags", "data"]


@pytest.mark.parametrize("statement", STATEMENTS, ids=IDS)
def test_describes_like_postgresql(
    statement: Statement, catalog: Catalog, reference: Reference
) -> None:
    columns, params = reference.describe(statement.sql)
    mine = [(c.name, c.type_oid, c.typmod) for c in catalog.describe(statement.sql)]
    assert mine == columns
    assert catalog.parameter_types(statement.sql) == params
