"""``DISTINCT`` in ``array_agg``/``string_agg``/``json_agg``/``count`` calls
(``aggregates.py``'s ``_distinct`` collectors, ``ExpressionCompiler._ordered_aggregate``).

PostgreSQL aggregates equal arguments once, sorts DISTINCT input by its arguments when the call
has no ORDER BY (so the result is in ascending order), and refuses an ORDER BY expression that
is not an argument (42P10).  Every statement runs on the emulated catalog and on a real
PostgreSQL 15 (``reference``), which must give the same rows or the same error."""

from __future__ import annotations

import pytest

from tests.catalog.support import Reference, catalog_outcome
from txpostgres_proto.catalog import Catalog, SimpleSession

LETTERS = "(VALUES ('b'), ('a'), (NULL), ('b'), ('c'), ('a')) v(x)"
NUMBERS = "(VALUES (3), (1), (NULL), (3), (2), (10)) v(n)"
PAIRS = "(VALUES ('b', ','), ('a', ';'), ('b', ';'), ('b', ',')) v(x, sep)"

STATEMENTS = [
    f"SELECT string_agg(DISTINCT x, ',') FROM {LETTERS}",
    f"SELECT string_agg(DISTINCT x, ',' ORDER BY x) FROM {LETTERS}",
    f"SELECT string_agg(DISTINCT x, ',' ORDER BY x DESC) FROM {LETTERS}",
    f"SELECT string_agg(DISTINCT x, sep) FROM {PAIRS}",
    f"SELECT string_agg(x, sep) FROM {PAIRS}",
    f"SELECT string_agg(DISTINCT n::text, '-' ORDER BY n::text) FROM {NUMBERS}",
    f"SELECT array_agg(DISTINCT x) FROM {LETTERS}",
    f"SELECT array_agg(DISTINCT x ORDER BY x DESC) FROM {LETTERS}",
    f"SELECT array_agg(DISTINCT x ORDER BY x DESC NULLS LAST) FROM {LETTERS}",
    f"SELECT array_agg(DISTINCT n) FROM {NUMBERS}",
    f"SELECT array_agg(DISTINCT (n)) FROM {NUMBERS}",
    f"SELECT array_agg(DISTINCT n ORDER BY (n)) FROM {NUMBERS}",
    f"SELECT json_agg(DISTINCT n) FROM {NUMBERS}",
    f"SELECT json_agg(DISTINCT n ORDER BY n DESC) FROM {NUMBERS}",
    f"SELECT count(DISTINCT x), count(x), count(*) FROM {LETTERS}",
    f"SELECT count(DISTINCT n) FILTER (WHERE n > 1) FROM {NUMBERS}",
    "SELECT array_agg(DISTINCT amtype) FROM pg_am",
    "SELECT string_agg(DISTINCT amtype::text, ',') FROM pg_am",
    # Without DISTINCT, duplicates stay and the input order is kept or the ORDER BY applies.
    f"SELECT string_agg(x, ',' ORDER BY x) FROM {LETTERS}",
    f"SELECT array_agg(n ORDER BY n DESC) FROM {NUMBERS}",
    # With DISTINCT, ORDER BY may only sort by arguments.
    f"SELECT string_agg(DISTINCT x, ',' ORDER BY length(x)) FROM {LETTERS}",
    f"SELECT array_agg(DISTINCT n ORDER BY n, 1) FROM {NUMBERS}",
    f"SELECT array_agg(DISTINCT n ORDER BY -n) FROM {NUMBERS}",
    f"SELECT json_agg(DISTINCT x ORDER BY upper(x)) FROM {LETTERS}",
]


@pytest.mark.parametrize("sql", STATEMENTS)
def test_same_answer_as_postgresql(
    catalog: Catalog, session: SimpleSession, reference: Reference, sql: str
) -> None:
    assert catalog_outcome(catalog, sql, session) == reference.outcome(sql)


def test_distinct_values_once_in_ascending_order(catalog: Catalog, session: SimpleSession) -> None:
    sql = f"SELECT string_agg(DISTINCT x, ','), array_agg(DISTINCT x) FROM {LETTERS}"
    assert catalog.execute(sql, (), session).rows == [("a,b,c", ["a", "b", "c", None])]


def test_order_by_outside_the_arguments_is_refused(
    catalog: Catalog, session: SimpleSession
) -> None:
    sql = f"SELECT string_agg(DISTINCT x, ',' ORDER BY length(x)) FROM {LETTERS}"
    message = "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list"
    assert catalog_outcome(catalog, sql, session) == ("error", "42P10", message)
