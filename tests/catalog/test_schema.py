"""The application-facing schema API: Column/Table/Index and how set_tables assigns OIDs."""

from __future__ import annotations

import pytest

from tests.catalog.support import sample_tables
from txpostgres_proto.catalog import Catalog, Column, Index, SimpleSession, Table
from txpostgres_proto.types import oids


@pytest.mark.parametrize(
    ("spelling", "oid", "typmod"),
    [
        ("int4", oids.INT4, -1),
        ("integer", oids.INT4, -1),
        ("varchar(20)", oids.VARCHAR, 24),
        ("character varying(20)", oids.VARCHAR, 24),
        ("numeric(10,2)", oids.NUMERIC, (10 << 16 | 2) + 4),
        ("timestamp with time zone", oids.TIMESTAMPTZ, -1),
        ("timestamp(3) with time zone", oids.TIMESTAMPTZ, 3),
        ("int[]", oids.INT4_ARRAY, -1),
        ("text[]", oids.TEXT_ARRAY, -1),
        ("char", oids.BPCHAR, 5),
        ('"char"', oids.CHAR, -1),
        ("serial", oids.INT4, -1),
        ("bigserial", oids.INT8, -1),
        (oids.UUID, oids.UUID, -1),
    ],
)
def test_column_types(spelling: int | str, oid: int, typmod: int) -> None:
    column = Column("c", spelling)
    assert (column.type_oid, column.typmod) == (oid, typmod)


def test_invalid_definitions_are_rejected() -> None:
    with pytest.raises(ValueError):
        Column("c", "no_such_type")
    with pytest.raises(ValueError):
        Column("c", 999999)
    with pytest.raises(ValueError):
        Table("t", (Column("a"), Column("a")))
    with pytest.raises(ValueError):
        Table("t", (Column("a"),), indexes=(Index("i", ("b",)),))
    with pytest.raises(ValueError):
        Table("t", (Column("a"),), kind="x")


def test_primary_key_from_columns_or_index() -> None:
    by_column = Table("t", (Column("a", primary_key=True), Column("b")))
    assert by_column.primary_key == ("a",)
    assert [index.name for index in by_column.all_indexes()] == ["t_pkey"]
    by_index = Table(
        "t", (Column("a"), Column("b")), indexes=(Index("pk", ("a", "b"), primary=True),)
    )
    assert by_index.primary_key == ("a", "b")
    assert by_index.all_indexes() == by_index.indexes


def test_oids_are_stable_across_set_tables(session: SimpleSession) -> None:
    catalog = Catalog()
    catalog.set_tables(sample_tables())
    first = {name: catalog.table_oid("public", name) for name in ("items", "users")}
    assert all(oid is not None and oid >= 16384 for oid in first.values())
    extra = Table("extra", (Column("x", "int4"),))
    catalog.set_tables([*sample_tables(), extra])
    assert {name: catalog.table_oid("public", name) for name in first} == first
    assert catalog.table_oid("public", "extra") not in first.values()
    catalog.set_tables(sample_tables())
    assert catalog.table_oid("public", "extra") is None
    rows = catalog.execute("SELECT relname FROM pg_class WHERE relname = 'extra'", [], session).rows
    assert rows == []


def test_row_and_array_types_exist(session: SimpleSession) -> None:
    catalog = Catalog()
    catalog.set_tables(sample_tables())
    row_type = catalog.type_oid("public", "items")
    result = catalog.execute(
        "SELECT t.typname, t.typtype, t.typrelid = c.oid, a.typname, a.typelem = t.oid"
        " FROM pg_type t JOIN pg_class c ON c.reltype = t.oid"
        " JOIN pg_type a ON a.oid = t.typarray WHERE c.relname = 'items'",
        [],
        session,
    )
    assert result.rows == [("items", "c", True, "_items", True)]
    assert catalog.execute(f"SELECT {row_type}::regtype::text", [], session).rows == [("items",)]


def test_serial_column_owns_a_sequence(session: SimpleSession) -> None:
    catalog = Catalog()
    catalog.set_tables([Table("t", (Column("id", "bigserial", primary_key=True),))])
    result = catalog.execute(
        "SELECT pg_get_serial_sequence('t', 'id'), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),"
        " s.seqtypid::regtype::text"
        " FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " JOIN pg_sequence s ON s.seqrelid = 'public.t_id_seq'::regclass"
        " WHERE a.attrelid = 't'::regclass AND a.attnum = 1",
        [],
        session,
    )
    assert result.rows == [("public.t_id_seq", True, "nextval('t_id_seq'::regclass)", "bigint")]


def test_comments_views_and_schemas(session: SimpleSession) -> None:
    catalog = Catalog()
    catalog.set_tables(
        [
            Table("t", (Column("a", comment="the a"),), schema="app", comment="a table"),
            Table("v", (Column("a"),), schema="app", kind="v", definition=" SELECT 1 AS a;"),
        ]
    )
    result = catalog.execute(
        "SELECT obj_description('app.t'::regclass, 'pg_class'),"
        " col_description('app.t'::regclass, 1), pg_get_viewdef('app.v'::regclass),"
        " (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        "  WHERE c.oid = 'app.t'::regclass)",
        [],
        session,
    )
    assert result.rows == [("a table", "the a", " SELECT 1 AS a;", "app")]
    views = catalog.execute(
        "SELECT viewname, definition FROM pg_views WHERE schemaname = 'app'", [], session
    )
    assert views.rows == [("v", " SELECT 1 AS a;")]
