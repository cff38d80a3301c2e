"""PostgreSQL types both ways: parameters into SQLite storage, stored values back out, typing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from tests.sqlite.conftest import Client, fails
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.casts import cast_value
from txpostgres_proto.sqlite.typemap import PgType, pg_type_named, pg_type_of, to_storage
from txpostgres_proto.types import oids

ROUND_TRIPS: list[tuple[str, Any]] = [
    ("boolean", True),
    ("boolean", False),
    ("smallint", -5),
    ("integer", 2**31 - 1),
    ("bigint", -(2**62)),
    ("real", 1.5),
    ("double precision", 0.1),
    ("numeric(10,2)", Decimal("12.30")),
    ("text", "héllo"),
    ("varchar(5)", "abc"),
    ("bytea", b"\x00\xffdata"),
    ("date", date(2024, 2, 29)),
    ("time", time(13, 14, 15, 500000)),
    ("timestamp", datetime(2024, 1, 2, 3, 4, 5, 6)),
    ("timestamptz", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("interval", timedelta(days=2, hours=3)),
    ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("jsonb", {"a": [1, 2.5, None], "b": "x"}),
    ("json", [1, {"k": True}]),
    ("text[]", ["a", "b c", None]),
    ("integer[]", [1, 2, 3]),
]


@pytest.fixture(scope="module")
def typed(module_client: Client) -> Client:
    """A table ``v`` with columns ``c0``… of the types of ROUND_TRIPS, and ``i``, ``b``, ``t``."""
    columns = ", ".join(f"c{index} {declared}" for index, (declared, _) in enumerate(ROUND_TRIPS))
    module_client.run(f"create table v (i int, b bigint, t text, {columns})")
    module_client.run("insert into v (i, b, t) values (1, 2, 'x')")
    return module_client


@pytest.mark.parametrize(
    ("index", "declared", "value"), [(i, *case) for i, case in enumerate(ROUND_TRIPS)]
)
def test_parameter_round_trip(typed: Client, index: int, declared: str, value: Any) -> None:
    result = typed.run(f"insert into v (c{index}) values ($1) returning c{index}", value)
    stored = result.rows[0][0]  # type: ignore[index]
    assert stored == value and type(stored) is type(value)
    expected = pg_type_named(declared)
    assert expected is not None
    assert result.columns is not None and result.columns[0].type_oid == expected.oid
    reread = typed.value(f"select c{index} from v where c{index} is not null")
    assert reread == value
    typed.run(f"delete from v where c{index} is not null")


def test_null_round_trip(client: Client) -> None:
    client.run("create table v (x timestamptz, y jsonb, z int[])")
    client.run("insert into v values ($1, $2, $3)", None, None, None)
    assert client.rows("select * from v") == [(None, None, None)]


def test_aware_timestamps_are_stored_in_utc(client: Client) -> None:
    client.run("create table v (t timestamptz)")
    paris = timezone(timedelta(hours=1))
    client.run("insert into v values ($1)", datetime(2024, 1, 1, 12, 0, tzinfo=paris))
    client.run("insert into v values ('2024-01-01 11:30:00+00')")
    rows = client.rows("select t from v order by t")
    assert rows == [
        (datetime(2024, 1, 1, 11, 0, tzinfo=UTC),),
        (datetime(2024, 1, 1, 11, 30, tzinfo=UTC),),
    ]
    assert client.value("select count(*) from v where t > '2024-01-01 12:15+01'") == 1


def test_text_parameters_are_read_by_the_column_type(client: Client) -> None:
    """Clients that send untyped text parameters get PostgreSQL's input rules."""
    client.run("create table v (flag boolean, at timestamptz, tags text[], doc jsonb)")
    client.run(
        "insert into v values ($1, $2, $3, $4)",
        "yes",
        "2024-05-06 07:08:09+02",
        "{a,b}",
        '{"k": 1}',
    )
    assert client.rows("select * from v") == [
        (True, datetime(2024, 5, 6, 5, 8, 9, tzinfo=UTC), ["a", "b"], {"k": 1})
    ]
    assert client.value("select count(*) from v where flag = $1", "t") == 1


def test_string_literals_meet_typed_columns(client: Client) -> None:
    client.run("create table v (flag boolean default 'true', d date, n numeric(6,1))")
    client.run("insert into v (d, n) values ('2024-01-31', '2.25')")
    assert client.rows("select flag, d, n from v where flag = 't' and d >= '2024-01-01'") == [
        (True, date(2024, 1, 31), Decimal("2.3"))
    ]


@pytest.mark.parametrize(
    ("sql", "oid", "name"),
    [
        ("select count(*) from v", oids.INT8, "count"),
        ("select sum(i) from v", oids.INT8, "sum"),
        ("select sum(b) from v", oids.NUMERIC, "sum"),
        ("select avg(i) from v", oids.NUMERIC, "avg"),
        ("select max(t) from v", oids.TEXT, "max"),
        ("select i + 1 from v", oids.INT4, "?column?"),
        ("select i + b from v", oids.INT8, "?column?"),
        ("select i * 1.5 from v", oids.NUMERIC, "?column?"),
        ("select i > 1 from v", oids.BOOL, "?column?"),
        ("select t || 'x' from v", oids.TEXT, "?column?"),
        ("select upper(t) from v", oids.TEXT, "upper"),
        ("select i::text from v", oids.TEXT, "i"),
        ("select '1'::int", oids.INT4, "int4"),
        ("select 1", oids.INT4, "?column?"),
        ("select 1.5", oids.NUMERIC, "?column?"),
        ("select 'a'", oids.TEXT, "?column?"),
        ("select now()", oids.TIMESTAMPTZ, "now"),
        ("select true", oids.BOOL, "bool"),
        ("select case when i > 0 then 'p' else 'n' end from v", oids.TEXT, "case"),
        ("select (select max(b) from v)", oids.INT8, "max"),
        ("select x.i from (select i from v) x", oids.INT4, "i"),
        ("select array_agg(i) from v", oids.INT4_ARRAY, "array_agg"),
        ("select i as renamed from v", oids.INT4, "renamed"),
    ],
)
def test_result_types_and_names(typed: Client, sql: str, oid: int, name: str) -> None:
    result = typed.run(sql)
    assert result.columns is not None
    assert (result.columns[0].type_oid, result.columns[0].name) == (oid, name)


def test_columns_carry_their_table(typed: Client) -> None:
    columns = typed.run("select t, i, i + 1 from v").columns
    assert columns is not None
    assert columns[0].table_oid >= 16384 and columns[0].table_oid == columns[1].table_oid
    assert (columns[0].column_attnum, columns[1].column_attnum) == (3, 1)
    assert (columns[2].table_oid, columns[2].column_attnum) == (0, 0)


@pytest.mark.parametrize(
    "spelling",
    ["int4", "varchar(20)", "numeric(10,2)", "text[]", "timestamptz(3)", "bpchar(4)", "jsonb"],
)
def test_declarations_round_trip(spelling: str) -> None:
    pg_type = pg_type_named(spelling)
    assert pg_type is not None
    assert pg_type_of(pg_type.declaration()) == pg_type


@pytest.mark.parametrize(
    ("declared", "oid"),
    [
        ("INTEGER", oids.INT8),
        ("", oids.TEXT),
        ("DATETIME", oids.TIMESTAMP),
        ("VARCHAR(255)", oids.VARCHAR),
        ("BLOB", oids.BYTEA),
        ("REAL", oids.FLOAT8),
        ("unsigned whatever int", oids.INT8),
        ("decimal(8,3)", oids.NUMERIC),
    ],
)
def test_foreign_sqlite_declarations(declared: str, oid: int) -> None:
    assert pg_type_of(declared).oid == oid


def test_storage_forms() -> None:
    assert to_storage(True) == 1
    assert to_storage(Decimal("2.50")) == 2.5 and to_storage(Decimal("7")) == 7
    assert to_storage(datetime(2024, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == (
        "2024-01-01 00:00:00+00:00"
    )
    assert to_storage(["a", {"b": 1}]) == '["a",{"b":1}]'
    assert to_storage(bytearray(b"x")) == b"x"


@pytest.mark.parametrize(
    ("value", "spelling", "sqlstate"),
    [
        ("abc", "int4", "22P02"),
        (2**40, "int4", "22003"),
        ("12345.6", "numeric(5,2)", "22003"),
        ("maybe", "bool", "22P02"),
        ("2024-13-45", "date", "22P02"),
        ("{not json", "jsonb", "22P02"),
        ("nope", "uuid", "22P02"),
        ("x", "int4[]", "22P02"),
    ],
)
def test_invalid_input(value: Any, spelling: str, sqlstate: str) -> None:
    pg_type = pg_type_named(spelling)
    assert pg_type is not None
    with pytest.raises(PostgresError) as raised:
        cast_value(value, pg_type)
    assert raised.value.sqlstate == sqlstate


def test_casts_in_sql_report_invalid_input(client: Client) -> None:
    raised = fails(client, "select 'abc'::integer")
    assert raised.sqlstate == "22P02"
    assert raised.message == 'invalid input syntax for type integer: "abc"'


def test_cast_truncates_varchar_and_rounds_numeric() -> None:
    assert cast_value("abcdef", PgType(oids.VARCHAR, 3 + 4)) == "abc"
    assert cast_value(2.5, pg_type_named("int") or PgType(oids.INT4)) == 2
    assert cast_value("1.005", pg_type_named("numeric(4,2)") or PgType(oids.NUMERIC)) == 1.01


def test_numeric_division_is_decimal_not_integer(client: Client) -> None:
    # Integral numerics are stored as SQLite integers: their quotients must still be decimal.
    client.run("create table amounts (x numeric, i int)")
    client.run("insert into amounts values (1, 3), (2.5, 4), (7, 2)")
    assert client.rows("select x / 100, x / i, x % 2 from amounts order by x") == [
        (Decimal("0.01"), Decimal(repr(1 / 3)), Decimal(1)),
        (Decimal("0.025"), Decimal("0.625"), Decimal("0.5")),
        (Decimal("0.07"), Decimal("3.5"), Decimal(1)),
    ]
    assert client.value("select 1::numeric / 100") == Decimal("0.01")
    assert client.value("select (7::numeric(12,2)) / 2") == Decimal("3.5")
    assert client.value("select -7.5 % 2") == Decimal("-1.5")
    assert client.value("select sum(x) / 2 from amounts") == Decimal("5.25")
    assert client.value("select 'NaN'::numeric / 0").is_nan()
    assert client.value("select 10 / 4") == 2  # integers still divide as integers
    assert fails(client, "select x / 0 from amounts").sqlstate == "22012"


def test_integer_arithmetic_out_of_range_is_22003(client: Client) -> None:
    client.run("create table counters (n int, b bigint, s smallint)")
    client.run("insert into counters values (2147483647, 9223372036854775807, 32767)")
    for sql, message in (
        ("select n + 1 from counters", "integer out of range"),
        ("update counters set n = n * 2", "integer out of range"),
        ("select b + 1 from counters", "bigint out of range"),
        ("select -b - 2 from counters", "bigint out of range"),
    ):
        error = fails(client, sql)
        assert (error.sqlstate, error.message) == ("22003", message), sql
    # The wider type decides, as in PostgreSQL: these fit.
    assert client.rows("select n::int8 + 1, s + 1, b - 1 from counters") == [
        (2147483648, 32768, 9223372036854775806)
    ]
    assert client.value("select n from counters") == 2147483647  # the UPDATE changed nothing
