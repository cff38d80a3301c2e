"""Catalog expressions refuse what PostgreSQL refuses (``catalog/literals.py``, ``pgf_divisor``):
bad typed literals and parameters, numbers out of range, division by zero.  Every expected
SQLSTATE and message was read off PostgreSQL 15 running the same statement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from txpostgres_proto.catalog import Catalog, SimpleSession
from txpostgres_proto.protocol.errors import PostgresError


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


@pytest.mark.parametrize(
    ("sql", "params", "sqlstate", "message"),
    [
        ("select 'abc'::int", [], "22P02", 'invalid input syntax for type integer: "abc"'),
        ("select $1::int", ["abc"], "22P02", 'invalid input syntax for type integer: "abc"'),
        ("select $1::numeric", ["x"], "22P02", 'invalid input syntax for type numeric: "x"'),
        ("select 'abc'::numeric", [], "22P02", 'invalid input syntax for type numeric: "abc"'),
        ("select '99999999999'::int4", [], "22003",
         'value "99999999999" is out of range for type integer'),
        ("select '1e400'::float8", [], "22003",
         '"1e400" is out of range for type double precision'),
        ("select '2020-13-01'::date", [], "22008",
         'date/time field value out of range: "2020-13-01"'),
        ("select 'soon'::timestamp", [], "22007",
         'invalid input syntax for type timestamp: "soon"'),
        ("select 'zz'::uuid", [], "22P02", 'invalid input syntax for type uuid: "zz"'),
        ("select 'soon'::timestamptz", [], "22007",
         'invalid input syntax for type timestamp with time zone: "soon"'),
        ("select '99999'::int2", [], "22003", 'value "99999" is out of range for type smallint'),
        ("select 'abc'::real", [], "22P02", 'invalid input syntax for type real: "abc"'),
        ("select '1e50'::real", [], "22003", '"1e50" is out of range for type real'),
        ("select 1/0", [], "22012", "division by zero"),
        ("select 1.0/0", [], "22012", "division by zero"),
        ("select 5 % 0", [], "22012", "division by zero"),
        ("select $1::int / $2::int", ["1", "0"], "22012", "division by zero"),
        ("select 1::numeric / 0", [], "22012", "division by zero"),
        ("select 7.5 % 0", [], "22012", "division by zero"),
        ("select 2147483647 + 1", [], "22003", "integer out of range"),
        ("select -2147483647 - 2", [], "22003", "integer out of range"),
        ("select 9223372036854775807 + 1", [], "22003", "bigint out of range"),
        ("select $1::int8 * 2", ["9223372036854775807"], "22003", "bigint out of range"),
    ],
)  # fmt: skip
def test_refused_as_postgresql_refuses(
    catalog: Catalog, sql: str, params: list[Any], sqlstate: str, message: str
) -> None:
    with pytest.raises(PostgresError) as raised:
        catalog.execute(sql, params, SimpleSession())
    assert (raised.value.sqlstate, raised.value.message) == (sqlstate, message)


@pytest.mark.parametrize(
    ("sql", "params", "value"),
    [
        ("select '42'::int + 1", [], 43),
        ("select $1::int8", ["-9223372036854775808"], -9223372036854775808),
        ("select $1::float8", ["1.5"], 1.5),
        ("select 'infinity'::float8", [], float("inf")),
        ("select 7 / 2", [], 3),
        ("select -7 % 3", [], -1),
        ("select 2147483647::int8 + 1", [], 2147483648),
        ("select -2147483647 - 1", [], -2147483648),
        # Numeric division is decimal even where both values have no fraction.
        ("select 1::numeric / 100", [], Decimal("0.01")),
        ("select 7::numeric(12,2) / 2", [], Decimal("3.5")),
        ("select 7.5 % 2", [], Decimal("1.5")),
        ("select -7.5 % 2", [], Decimal("-1.5")),
        ("select 10.0 / 4", [], Decimal("2.5")),
        ("select $1::numeric / 8", ["1"], Decimal("0.125")),
        ("select '2024-02-29'::date is not null", [], True),
        ("select 'now'::timestamptz is not null", [], True),
    ],
)
def test_accepted_as_postgresql_accepts(
    catalog: Catalog, sql: str, params: list[Any], value: Any
) -> None:
    [row] = catalog.execute(sql, params, SimpleSession()).rows
    assert row[0] == value
