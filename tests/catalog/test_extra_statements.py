"""Catalog queries in the style of other tools (``extra_statements.sql``) against real PostgreSQL.

For each statement the emulated catalog must report the same columns (names, type OIDs,
typmods) as PostgreSQL 15; for statements marked ``rows`` it must also return the same rows,
compared in PostgreSQL's text output format.  OIDs of application objects differ between the
two databases, so only statements whose results do not show such OIDs are marked ``rows``.
"""

from __future__ import annotations

import pytest

from tests.catalog.support import Reference, Statement, extra_statements, pg_text
from txpostgres_proto.catalog import Catalog, SimpleSession

STATEMENTS = extra_statements()
IDS = [f"{i:02d}-" + " ".join(s.sql.split())[:60] for i, s in enumerate(STATEMENTS)]


def test_every_extra_statement_is_routed_to_the_catalog(catalog: Catalog) -> None:
    assert len(STATEMENTS) >= 60
    assert [s.sql for s in STATEMENTS if not catalog.handles(s.sql)] == []


@pytest.mark.parametrize("statement", STATEMENTS, ids=IDS)
def test_same_columns_and_rows_as_postgresql(
    statement: Statement, catalog: Catalog, session: SimpleSession, reference: Reference
) -> None:
    columns, _ = reference.describe(statement.sql)
    result = catalog.execute(statement.sql, [], session)
    assert [(c.name, c.type_oid, c.typmod) for c in result.columns] == columns
    if statement.compare_rows:
        types = [c.type_oid for c in result.columns]
        mine = [
            tuple(pg_text(v, oid) for v, oid in zip(row, types, strict=True)) for row in result.rows
        ]
        assert mine == reference.rows(statement.sql)
