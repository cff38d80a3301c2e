"""Columns named alike keep their own values (``scopes.keyed``), and naming one of them is
ambiguous as in PostgreSQL (42702).

``SELECT 1, 2`` has two columns called ``?column?``; a query reading such a subquery, derived
table or CTE must get 1 and 2, not the first column twice.  Every statement runs on the
emulated catalog and on a real PostgreSQL 15 (``reference``), which must give the same rows or
the same error."""

from __future__ import annotations

import pytest

from tests.catalog.support import Reference, catalog_outcome
from txpostgres_proto.catalog import Catalog, SimpleSession

STATEMENTS = [
    # Unnamed expressions, both ?column?, through every kind of subquery.
    "SELECT * FROM (SELECT 1, 2) s",
    "SELECT s.* FROM (SELECT 1, 2) s",
    "WITH w AS (SELECT 1, 2) SELECT * FROM w",
    "SELECT * FROM (SELECT * FROM (SELECT 1, 2) a) b",
    "SELECT * FROM (SELECT 1, 2 UNION ALL SELECT 3, 4) s ORDER BY 1",
    "SELECT * FROM (VALUES (1, 2)) v(a, a)",
    "SELECT * FROM (SELECT 1, 2) s(a, a)",
    "WITH w(x, x) AS (SELECT 1, 2) SELECT * FROM w",
    "SELECT * FROM (SELECT 'a' || 'b', 1 + 1, 3 * 3) s",
    # Aggregates of the same name.
    "SELECT * FROM (SELECT count(*), count(*) + 1 FROM pg_am) s",
    "SELECT * FROM (SELECT count(*), count(*) FILTER (WHERE amtype = 'i') FROM pg_am) s",
    # Names differing only in case are different in PostgreSQL (SQLite ignores case).
    'SELECT * FROM (SELECT 1 AS "A", 2 AS a) s',
    'SELECT s."A", s.a FROM (SELECT 1 AS "A", 2 AS a) s',
    # A recursive CTE reading its own columns of one name.
    "WITH RECURSIVE r(n, m) AS (SELECT 1, 1 UNION ALL SELECT n + 1, m * 2 FROM r WHERE n < 4) "
    "SELECT * FROM r ORDER BY n",
    # Naming a column several share is ambiguous, qualified or not, in any clause.
    'SELECT "?column?" FROM (SELECT 1, 2) s',
    'SELECT s."?column?" FROM (SELECT 1, 2) s',
    "SELECT count FROM (SELECT count(*), count(*) FROM pg_am) s",
    "WITH w(x, x) AS (SELECT 1, 2) SELECT x FROM w",
    'SELECT * FROM (SELECT 1, 2) s WHERE "?column?" = 1',
    "SELECT oid FROM pg_am, pg_namespace",
    # Output names in ORDER BY/GROUP BY: ambiguous unless the columns are one expression.
    "SELECT 1 AS a, 2 AS a ORDER BY a",
    "SELECT 1 AS a, 1 AS a ORDER BY a",
    "SELECT amname AS a, amtype AS a FROM pg_am GROUP BY a",
    "SELECT * FROM (SELECT 1 AS a, 2 AS a) s ORDER BY a",
    "SELECT 1 AS a, 2 AS a UNION SELECT 3, 4 ORDER BY a",
    # GROUP BY prefers a FROM column over an output column of the same name.
    "SELECT amtype AS amname, count(*) FROM pg_am GROUP BY amname, amtype ORDER BY 1, 2",
    # Not ambiguous: a USING column, a qualified reference, a column of one source.
    "SELECT x FROM (SELECT 1 AS x) a JOIN (SELECT 1 AS x) b USING (x)",
    "SELECT a.x, b.x FROM (SELECT 1 AS x) a, (SELECT 2 AS x) b",
    "SELECT count(*) FROM pg_am a JOIN pg_am b USING (oid)",
]


@pytest.mark.parametrize("sql", STATEMENTS)
def test_same_answer_as_postgresql(
    catalog: Catalog, session: SimpleSession, reference: Reference, sql: str
) -> None:
    assert catalog_outcome(catalog, sql, session) == reference.outcome(sql)


def test_each_column_keeps_its_value(catalog: Catalog, session: SimpleSession) -> None:
    result = catalog.execute("SELECT * FROM (SELECT 1, 2, 3) s", (), session)
    assert [column.name for column in result.columns] == ["?column?"] * 3
    assert result.rows == [(1, 2, 3)]
    result = catalog.execute("WITH w AS (SELECT 'x', 'y') SELECT * FROM w", (), session)
    assert result.rows == [("x", "y")]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ('SELECT "?column?" FROM (SELECT 1, 2) s', 'column reference "?column?" is ambiguous'),
        ("SELECT 1 AS a, 2 AS a ORDER BY a", 'ORDER BY "a" is ambiguous'),
        ("SELECT 1 AS a, 2 AS a GROUP BY a", 'GROUP BY "a" is ambiguous'),
    ],
)
def test_ambiguous_names_are_refused(
    catalog: Catalog, session: SimpleSession, sql: str, message: str
) -> None:
    assert catalog_outcome(catalog, sql, session) == ("error", "42702", message)
