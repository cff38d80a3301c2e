"""Repeated catalog queries give the answers of the first run, through the engine's shortcuts.

`Catalog.execute` works out once per SQL text what it can (the compiled plan, SHOW or not,
parameter binders, row converters, which sequences are read), syncs a session's role and
database only when they change, and does not run SQLite for a query that only returns its
parameters and integer literals (``SELECT $1``, ``SELECT 1``).  Each shortcut is compared here
with the general path: a query of the same values that SQLite must run (the same select list
over a one-row subquery), the unspecialised `_bind`, and fresh catalogs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from txpostgres_proto.catalog import Catalog, SimpleSession
from txpostgres_proto.catalog import pgtypes as t
from txpostgres_proto.catalog.compiler import constant_row
from txpostgres_proto.catalog.engine import _bind, _binder
from txpostgres_proto.catalog.pgtypes import Ty
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import oids


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


def _typed(rows: list[tuple[Any, ...]]) -> list[tuple[tuple[type, Any], ...]]:
    """Rows with every value's type, so 1 and True or 1 and 1.0 differ."""
    return [tuple((type(value), value) for value in row) for row in rows]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT $1",
        "SELECT $1, 1 AS one, $2::int",
        'SELECT 7 AS x, $2 AS "a, b", $1::bool',
        "SELECT 1",
    ],
)
@pytest.mark.parametrize(
    "params",
    [
        ["12345", "42"],
        ["", "-9"],
        ["héllo", "0"],
        [None, None],
        ["a\x00b", "2147483647"],
        ["t", "-2147483648"],
        [],
        ["only one"],
    ],
)
def test_constant_rows_match_sqlite(catalog: Catalog, sql: str, params: list[Any]) -> None:
    session = SimpleSession()
    if "bool" in sql and params and params[0] not in ("t", None):
        params = ["f", *params[1:]]
    general = f"SELECT * FROM ({sql}) AS run_by_sqlite"
    try:
        expected = catalog.execute(general, params, session)
    except PostgresError as error:
        with pytest.raises(PostgresError) as raised:
            catalog.execute(sql, params, session)
        assert (raised.value.message, raised.value.sqlstate) == (error.message, error.sqlstate)
        return
    for _ in range(2):  # the first run compiles, the second takes the remembered plan
        found = catalog.execute(sql, params, session)
        assert found.columns == expected.columns
        assert _typed(found.rows) == _typed(expected.rows)
        assert found.command_tag == expected.command_tag == "SELECT 1"


@pytest.mark.parametrize(
    ("compiled", "row"),
    [
        ('SELECT :p1 AS "?column?"', ("p1",)),
        ('SELECT 1 AS "x", :p2 AS "?column?", :p1 AS "a"", b"', (1, "p2", "p1")),
        ('SELECT 123456789012345678 AS "n"', (123456789012345678,)),
        ('SELECT 1234567890123456789 AS "n"', None),  # SQLite reads it as REAL
        ('SELECT (-1) AS "?column?"', None),
        ('SELECT :p1 AS "?column?" LIMIT 1', None),
        ('SELECT :p1 AS "?column?" WHERE 0', None),
        ('SELECT :p1 AS "x" FROM pg_catalog.pg_class', None),
        ("SELECT 'abc' AS \"?column?\"", None),
        ('SELECT DISTINCT :p1 AS "x"', None),
    ],
)
def test_constant_row_shapes(compiled: str, row: tuple[str | int, ...] | None) -> None:
    assert constant_row(compiled) == row


def test_values_sqlite_would_change_still_run_there(catalog: Catalog) -> None:
    session = SimpleSession()
    huge = 2**63
    with pytest.raises(OverflowError):  # as sqlite3 refuses it, whatever path is taken
        catalog.execute("SELECT $1::int8", [huge], session)
    result = catalog.execute("SELECT $1::float8, $2", [float("nan"), "x"], session)
    assert result.rows == [(None, "x")]  # SQLite stores NaN as NULL


TYPES = [
    t.TEXT,
    Ty(oids.VARCHAR),
    Ty(oids.NAME),
    t.INT4,
    Ty(oids.INT8),
    Ty(oids.OID),
    Ty(oids.BOOL),
    Ty(oids.FLOAT8),
    Ty(oids.NUMERIC),
    Ty(oids.TEXT_ARRAY),
    Ty(oids.INT4_ARRAY),
    Ty(oids.TIMESTAMPTZ),
]
VALUES = [None, "12", " 7 ", "true", "abc", b"34", bytearray(b"on"), 5, 2.5, True,
          Decimal("1.5"), ["a", "b"], ("1", None)]  # fmt: skip


@pytest.mark.parametrize("ty", TYPES, ids=lambda ty: str(ty.oid))
def test_binders_bind_like_bind(ty: Ty) -> None:
    bind = _binder(ty)
    for value in VALUES:
        try:
            expected: Any = ("value", _bind(value, ty))
        except (ValueError, TypeError, PostgresError) as error:
            expected = ("error", type(error))
        try:
            found: Any = ("value", bind(value))
        except (ValueError, TypeError, PostgresError) as error:
            found = ("error", type(error))
        assert found == expected, value
        if found[0] == "value":
            assert type(found[1]) is type(expected[1]), value


def test_results_of_one_statement_share_their_columns(catalog: Catalog) -> None:
    session = SimpleSession()
    first = catalog.execute("SELECT $1 AS shared", ["a"], session)
    second = catalog.execute("SELECT $1 AS shared", ["b"], session)
    assert first.columns is second.columns
    assert [c.name for c in first.columns] == ["shared"]
    assert (first.rows, second.rows) == ([("a",)], [("b",)])
    assert list(catalog.describe("SELECT $1 AS shared")) == list(first.columns)


def test_show_and_errors_are_remembered_as_what_they_are(catalog: Catalog) -> None:
    session = SimpleSession(settings={"application_name": "repeats"})
    for _ in range(2):
        shown = catalog.execute("SHOW application_name", [], session)
        assert (shown.rows, shown.command_tag) == ([("repeats",)], "SHOW")
        assert catalog.parameter_types("SHOW application_name") == []
        assert [c.name for c in catalog.describe("SHOW application_name")] == ["application_name"]
        assert catalog.sequences("SHOW application_name") == ()
    errors = []
    for _ in range(2):
        with pytest.raises(PostgresError) as raised:
            catalog.execute("SELECT nosuchcolumn FROM pg_class", [], session)
        errors.append((raised.value.message, raised.value.sqlstate))
    assert errors[0] == errors[1]
    assert errors[0][1] == "42703"


def test_sessions_switching_user_and_database() -> None:
    catalog = Catalog(database="first")
    query = (
        "SELECT current_user, current_database(), "
        "(SELECT count(*) FROM pg_roles WHERE rolname = current_user), "
        "(SELECT min(table_catalog) || max(table_catalog) FROM information_schema.tables)"
    )
    answers = [
        catalog.execute(query, [], SimpleSession(user=user, database=database)).rows
        for user, database in [
            ("alice", "first"), ("alice", "first"), ("bob", "second"),
            ("alice", "first"), ("bob", "first"), ("bob", "second"),
        ]
    ]  # fmt: skip
    assert answers == [
        [("alice", "first", 1, "firstfirst")],
        [("alice", "first", 1, "firstfirst")],
        [("bob", "second", 1, "secondsecond")],
        [("alice", "first", 1, "firstfirst")],
        [("bob", "first", 1, "firstfirst")],
        [("bob", "second", 1, "secondsecond")],
    ]
    # Each answer is what a catalog that never saw the other sessions gives.
    fresh = Catalog(database="first").execute(query, [], SimpleSession("bob", "second")).rows
    assert fresh == answers[-1]


def test_pg_settings_follows_each_session() -> None:
    catalog = Catalog()
    query = "SELECT setting FROM pg_settings WHERE name = $1"
    quiet = SimpleSession(settings={"application_name": "quiet"})
    loud = SimpleSession(settings={"application_name": "loud"})
    plain = SimpleSession()
    found = [
        catalog.execute(query, ["application_name"], session).rows
        for session in (quiet, quiet, loud, plain, quiet)
    ]
    assert found == [[("quiet",)], [("quiet",)], [("loud",)], [("",)], [("quiet",)]]
    quiet.settings["application_name"] = "changed"
    assert catalog.execute(query, ["application_name"], quiet).rows == [("changed",)]


@pytest.mark.parametrize(
    ("statement", "column"),
    [
        ("SHOW timezone", "TimeZone"),
        ("show   TIME   ZONE", "TimeZone"),
        ('SHOW "DateStyle";', "DateStyle"),
        ("SHOW server_version", "server_version"),
        ("SHOW transaction isolation level", "transaction_isolation"),
    ],
)
def test_show_spells_settings_as_postgresql(catalog: Catalog, statement: str, column: str) -> None:
    for _ in range(2):
        result = catalog.execute(statement, [], SimpleSession())
        assert [c.name for c in result.columns] == [column]
        assert result.rows[0][0]
