"""Describe without executing: result columns and parameter types of a statement."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.test_handler import (
    columns_of,
    connect,
    describe,
    error_of,
    names_and_types,
    rows_of,
    run,
)
from txpostgres_proto.server.backend import ResultColumn
from txpostgres_proto.server.handler import Column, PostgresRequestHandler, Table, stmt_handler
from txpostgres_proto.types import oids

ITEMS = Table(
    "items",
    (
        Column("id", "serial", primary_key=True),
        Column("name", "varchar(40)"),
        Column("price", "numeric(8,2)"),
        Column("seen", "timestamptz"),
    ),
)


class Shop(PostgresRequestHandler):
    """A typed table (items), a names-only table (notes); counts calls that run statements."""

    ignore_missing_statement_types = ("CREATE TABLE",)

    def __init__(self) -> None:
        super().__init__()
        self.executed = 0

    def list_tables(self) -> Any:
        return [ITEMS, "notes"]

    def describe_table(self, table_name: str) -> Any:
        return ["id", "body"]

    def query_tables(self, stmt_info: Any) -> Any:
        self.executed += 1
        if stmt_info.tables[0].name == "notes":
            return [{"id": 1, "body": "hi"}], ["id", "body"]
        return [(1, "pen", None, None)], ["id", "name", "price", "seen"]

    @stmt_handler("INSERT", "UPDATE", "DELETE")
    def change(self, stmt_info: Any) -> Any:
        self.executed += 1
        return 1


def test_select_star_of_a_typed_table() -> None:
    handler = connect(Shop)
    description = describe(handler, "select * from items")
    table_oid = handler.catalog.table_oid("public", "items")
    assert [
        (c.name, c.type_oid, c.type_modifier, c.table_oid, c.column_attnum)
        for c in columns_of(description)
    ] == [
        ("id", oids.INT4, -1, table_oid, 1),
        ("name", oids.VARCHAR, 44, table_oid, 2),
        ("price", oids.NUMERIC, (8 << 16 | 2) + 4, table_oid, 3),
        ("seen", oids.TIMESTAMPTZ, -1, table_oid, 4),
    ]
    assert description.param_oids == ()
    assert handler.executed == 0


def test_columns_given_by_name_only_are_text() -> None:
    handler = connect(Shop)
    description = describe(handler, "select n.body, n.id from notes n")
    assert names_and_types(description) == [("body", oids.TEXT), ("id", oids.TEXT)]
    assert handler.executed == 0


def test_select_list_items_aliases_and_expressions() -> None:
    handler = connect(Shop)
    description = describe(
        handler,
        "select i.name as label, items.price, 1, 'x' as s, 2.5 as d, true as b, "
        "count(*), $1::int8 as p, cast(id as text) as t, 3000000000 as big from items i",
    )
    assert names_and_types(description) == [
        ("label", oids.VARCHAR),
        ("price", oids.NUMERIC),
        ("?column?", oids.INT4),
        ("s", oids.TEXT),
        ("d", oids.NUMERIC),
        ("b", oids.BOOL),
        ("count", oids.INT8),
        ("p", oids.INT8),
        ("t", oids.TEXT),
        ("big", oids.INT8),
    ]
    assert description.param_oids == (oids.INT8,)


def test_star_of_several_tables_and_of_one_alias() -> None:
    handler = connect(Shop)
    joined = describe(handler, "select * from items i join notes n on n.id = i.id")
    assert [c.name for c in columns_of(joined)] == ["id", "name", "price", "seen", "id", "body"]
    one = describe(handler, "select n.* from items i join notes n on n.id = i.id")
    assert [c.name for c in columns_of(one)] == ["id", "body"]


def test_unknown_tables_cannot_be_described() -> None:
    handler = connect(Shop)
    error = error_of(handler.describe("select * from nowhere", ()))
    assert (error.sqlstate, error.message) == ("42P01", 'relation "nowhere" does not exist')
    assert error_of(handler.describe("select x.* from items", ())).sqlstate == "42P01"


def test_statements_without_rows_describe_as_no_data() -> None:
    handler = connect(Shop)
    assert describe(handler, "delete from items where id = 1").columns is None
    assert describe(handler, "create table z (a int)").columns is None
    returning = describe(handler, "delete from items where id = 1 returning id, name")
    assert names_and_types(returning) == [("id", oids.INT4), ("name", oids.VARCHAR)]
    assert handler.executed == 0


def test_describe_reports_parse_and_support_errors() -> None:
    handler = connect(Shop)
    assert error_of(handler.describe("select (1 from items", ())).sqlstate == "42601"
    assert error_of(handler.describe("truncate items", ())).sqlstate == "0A000"


# -- parameter types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "given", "expected"),
    [
        ("select * from items where id = $1", (), (oids.INT4,)),
        (
            "select * from items i where i.price > $1 and $2 = name and name like $3",
            (),
            (oids.NUMERIC, oids.TEXT, oids.TEXT),
        ),
        ("select * from items where id in ($1, $2)", (), (oids.INT4, oids.INT4)),
        ("select * from items where seen between $1 and $2", (), (oids.TIMESTAMPTZ,) * 2),
        ("select * from items limit $1 offset $2", (), (oids.INT8, oids.INT8)),
        ("select * from notes where id = $1", (), (oids.TEXT,)),
        ("select * from items where id = $1", (oids.INT8,), (oids.INT8,)),
        ("select * from items where id = $1::text", (), (oids.TEXT,)),
        ("select * from items where id = $2", (0, 0), (oids.TEXT, oids.INT4)),
        ("select * from items where id = 1", (oids.INT2,), (oids.INT2,)),
        ("select $1", (), (oids.TEXT,)),
        ("insert into items (price, name) values ($1, $2)", (), (oids.NUMERIC, oids.VARCHAR)),
        ("insert into items values ($1, $2, $3)", (), (oids.INT4, oids.VARCHAR, oids.NUMERIC)),
        ("update items set price = $2 where id = $1", (), (oids.INT4, oids.NUMERIC)),
        ("select $1::int[] from items", (), (oids.INT4_ARRAY,)),
    ],
)
def test_parameter_types(sql: str, given: tuple[int, ...], expected: tuple[int, ...]) -> None:
    handler = connect(Shop)
    assert describe(handler, sql, given).param_oids == expected
    assert handler.executed == 0


# -- catalog queries ------------------------------------------------------------------------------


def test_catalog_queries_are_described_by_the_catalog() -> None:
    handler = connect(Shop)
    description = describe(
        handler, "select t.oid, t.typname from pg_catalog.pg_type t where t.oid = any($1::oid[])"
    )
    assert names_and_types(description) == [("oid", oids.OID), ("typname", oids.NAME)]
    assert description.param_oids == (oids.OID_ARRAY,)
    columns = describe(handler, "select column_name from information_schema.columns")
    assert columns.columns is not None and columns.columns[0].name == "column_name"
    assert describe(handler, "select relname from pg_class where relname = $1").param_oids == (
        oids.NAME,
    )
    assert handler.executed == 0


# -- describe, then execute -------------------------------------------------------------------


def test_execution_after_describe_matches_the_description() -> None:
    handler = connect(Shop)
    sql = "select * from notes"
    assert names_and_types(describe(handler, sql)) == [("id", oids.TEXT), ("body", oids.TEXT)]
    result = run(handler, sql)
    assert names_and_types(result) == [("id", oids.TEXT), ("body", oids.TEXT)]
    assert rows_of(result) == [("1", "hi")]
    fresh = run(handler, "select * from notes where true")  # never described: inferred
    assert names_and_types(fresh) == [("id", oids.INT8), ("body", oids.TEXT)]


class Custom(Shop):
    """Describes a statement only it understands."""

    def describe_query(self, stmt_info: Any) -> Any:
        if stmt_info.tables and stmt_info.tables[0].name == "magic":
            return ["word", Column("number", "int2"), ResultColumn("raw", oids.BYTEA)]
        return super().describe_query(stmt_info)

    def query_tables(self, stmt_info: Any) -> Any:
        if stmt_info.tables[0].name == "magic":
            return [("abra", 7, b"\x01")], ["word", "number", "raw"]
        return super().query_tables(stmt_info)


def test_describe_query_can_be_overridden() -> None:
    handler = connect(Custom)
    description = describe(handler, "select * from magic")
    expected = [("word", oids.TEXT), ("number", oids.INT2), ("raw", oids.BYTEA)]
    assert names_and_types(description) == expected
    assert names_and_types(describe(handler, "select id from items")) == [("id", oids.INT4)]
    result = run(handler, "select * from magic")
    assert names_and_types(result) == expected
    assert rows_of(result) == [("abra", 7, b"\x01")]


class Altering(PostgresRequestHandler):
    """ALTER TABLE gives the names-only table a typed column list."""

    def __init__(self) -> None:
        super().__init__()
        self.typed = False

    def list_tables(self) -> Any:
        return [Table("x", (Column("n", "int8"),))] if self.typed else ["x"]

    def describe_table(self, table_name: str) -> Any:
        return ["n"]

    def query_tables(self, stmt_info: Any) -> Any:
        return [(1,)], ["n"]

    @stmt_handler("ALTER TABLE")
    def alter(self, stmt_info: Any) -> Any:
        self.typed = True


def test_descriptions_are_forgotten_when_the_tables_change() -> None:
    handler = connect(Altering)
    assert names_and_types(describe(handler, "select * from x")) == [("n", oids.TEXT)]
    assert rows_of(run(handler, "select * from x")) == [("1",)]
    run(handler, "alter table x alter column n type bigint")
    result = run(handler, "select * from x")
    assert (names_and_types(result), rows_of(result)) == ([("n", oids.INT8)], [(1,)])
    assert names_and_types(describe(handler, "select * from x")) == [("n", oids.INT8)]
