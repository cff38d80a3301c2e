"""Targeted checks: what psql, drivers and ORMs learn about the sample schema, value by value.

No server needed: these call the Catalog API directly and assert the answers PostgreSQL gives
for the same schema (the live comparisons are in test_corpus/test_extra_statements/...).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.catalog.support import corpus_statements
from txpostgres_proto.catalog import Catalog, RegOid, SimpleSession
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import oids

PSQL_FIND = """SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(items)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3;"""


def _psql_describe_query(fragment: str) -> str:
    return next(s.sql for s in corpus_statements() if fragment in s.sql)


def test_psql_finds_items_by_regex(catalog: Catalog, session: SimpleSession) -> None:
    result = catalog.execute(PSQL_FIND, [], session)
    assert [(c.name, c.type_oid) for c in result.columns] == [
        ("oid", oids.OID), ("nspname", oids.NAME), ("relname", oids.NAME),
    ]  # fmt: skip
    assert result.rows == [(catalog.table_oid("public", "items"), "public", "items")]


def test_psql_describe_columns_of_items(catalog: Catalog, session: SimpleSession) -> None:
    sql = _psql_describe_query("a.attstattarget=-1").replace(
        "'16385'", f"'{catalog.table_oid('public', 'items')}'"
    )
    result = catalog.execute(sql, [], session)
    rows = [row[:4] for row in result.rows]
    assert rows == [
        ("id", "integer", "nextval('items_id_seq'::regclass)", True),
        ("name", "text", "'x'::text", True),
        ("ts", "timestamp with time zone", None, False),
        ("amount", "numeric(10,2)", None, False),
        ("tags", "text[]", None, False),
        ("data", "jsonb", None, False),
    ]
    assert [c.type_oid for c in result.columns[:4]] == [oids.NAME, oids.TEXT, oids.TEXT, oids.BOOL]


def test_psql_describe_indexes_of_items(catalog: Catalog, session: SimpleSession) -> None:
    sql = _psql_describe_query("i.indisprimary DESC, c2.relname").replace(
        "'16385'", f"'{catalog.table_oid('public', 'items')}'"
    )
    result = catalog.execute(sql, [], session)
    assert [row[:7] for row in result.rows] == [
        ("items_pkey", True, True, False, True,
         "CREATE UNIQUE INDEX items_pkey ON public.items USING btree (id)", "PRIMARY KEY (id)"),
        ("items_name_idx", False, False, False, True,
         "CREATE INDEX items_name_idx ON public.items USING btree (name)", None),
    ]  # fmt: skip
    assert result.rows[0][7] == "p"


def test_psql_lists_relations(catalog: Catalog, session: SimpleSession) -> None:
    sql = _psql_describe_query("WHEN 'I' THEN 'partitioned index' END as \"Type\"")
    result = catalog.execute(sql, [], session)
    assert [c.name for c in result.columns] == ["Schema", "Name", "Type", "Owner"]
    assert ("public", "items", "table", "postgres") in result.rows
    assert ("public", "v_items", "view", "postgres") in result.rows


def test_information_schema_columns(catalog: Catalog, session: SimpleSession) -> None:
    result = catalog.execute(
        "SELECT column_name, data_type, is_nullable, character_maximum_length, numeric_precision,"
        " numeric_scale, column_default FROM information_schema.columns"
        " WHERE table_name = $1 ORDER BY ordinal_position",
        ["users"],
        session,
    )
    assert result.rows == [
        ("id", "bigint", "NO", None, 64, 0, None),
        ("email", "character varying", "NO", 200, None, None, None),
    ]
    assert catalog.parameter_types(
        "SELECT 1 FROM information_schema.columns WHERE table_name = $1"
    ) == [oids.NAME]


def test_information_schema_lists_tables_and_keys(catalog: Catalog, session: SimpleSession) -> None:
    tables = catalog.execute(
        "SELECT table_name, table_type FROM information_schema.tables"
        " WHERE table_schema = 'public' ORDER BY 1",
        [],
        session,
    )
    assert tables.rows == [("items", "BASE TABLE"), ("users", "BASE TABLE"), ("v_items", "VIEW")]
    keys = catalog.execute(
        "SELECT tc.constraint_type, kcu.column_name FROM information_schema.table_constraints tc"
        " JOIN information_schema.key_column_usage kcu USING (constraint_name)"
        " WHERE tc.table_name = 'users' ORDER BY 1",
        [],
        session,
    )
    assert keys.rows == [("PRIMARY KEY", "id"), ("UNIQUE", "email")]


def test_reg_casts_and_format_type(catalog: Catalog, session: SimpleSession) -> None:
    result = catalog.execute(
        "SELECT 'items'::regclass, 'public.items'::regclass::oid, to_regtype('integer'),"
        " to_regclass('nope'), format_type(1700, 655366), 'int4'::regtype::text,"
        " 'pg_catalog.array_in'::regproc, 99999::regclass::text",
        [],
        session,
    )
    reg, oid, regtype, missing, formatted, text, regproc, unknown = result.rows[0]
    items = catalog.table_oid("public", "items")
    assert isinstance(reg, RegOid) and str(reg) == "items" and reg == items
    assert oid == items
    assert isinstance(regtype, RegOid) and str(regtype) == "integer" and regtype == oids.INT4
    assert missing is None
    assert formatted == "numeric(10,2)"
    assert text == "integer"
    assert regproc == 750 and str(regproc) == "array_in"
    assert unknown == "99999"
    assert [c.type_oid for c in result.columns] == [
        oids.REGCLASS, oids.OID, oids.REGTYPE, oids.REGCLASS, oids.TEXT, oids.TEXT,
        oids.REGPROC, oids.TEXT,
    ]  # fmt: skip


def test_missing_relation_in_regclass_cast_is_an_error(
    catalog: Catalog, session: SimpleSession
) -> None:
    with pytest.raises(PostgresError) as raised:
        catalog.execute("SELECT 'nope'::regclass", [], session)
    assert raised.value.sqlstate == "42P01"


def test_set_config_changes_the_session(catalog: Catalog, session: SimpleSession) -> None:
    before = catalog.execute("SELECT current_setting('jit')", [], session).rows
    assert before == [("on",)]
    result = catalog.execute("SELECT set_config('jit', $1, false)", ["off"], session)
    assert result.rows == [("off",)]
    assert session.settings["jit"] == "off"
    assert catalog.execute("SHOW jit", [], session).rows == [("off",)]
    settings = catalog.execute("SELECT setting FROM pg_settings WHERE name = 'jit'", [], session)
    assert settings.rows == [("off",)]
    assert catalog.parameter_types("SELECT set_config('jit', $1, false)") == [oids.TEXT]


def test_search_path_controls_visibility(catalog: Catalog, session: SimpleSession) -> None:
    catalog.set_tables([*_tables(catalog), _other_schema_table()])
    try:
        query = "SELECT pg_table_is_visible('audit.log'::regclass), current_schemas(false)"
        assert catalog.execute(query, [], session).rows == [(False, ["public"])]
        catalog.execute("SELECT set_config('search_path', 'audit, public', false)", [], session)
        assert catalog.execute(query, [], session).rows == [(True, ["audit", "public"])]
        assert catalog.execute("SELECT current_schema()", [], session).rows == [("audit",)]
        schemas = catalog.execute(
            "SELECT schema_name FROM information_schema.schemata ORDER BY 1", [], session
        )
        assert ("audit",) in schemas.rows
    finally:
        catalog.set_tables(_tables(catalog))


def _tables(catalog: Catalog) -> list:
    from tests.catalog.support import sample_tables

    return sample_tables()


def _other_schema_table():  # type: ignore[no-untyped-def]
    from txpostgres_proto.catalog import Column, Table

    return Table("log", (Column("at", "timestamptz"),), schema="audit")


def test_session_facts(catalog: Catalog) -> None:
    session = SimpleSession(user="alice", database="shop", backend_pid=777)
    result = catalog.execute(
        "SELECT current_user, session_user, current_database(), pg_backend_pid(),"
        " pg_get_userbyid(10)",
        [],
        session,
    )
    assert result.rows == [("alice", "alice", "shop", 777, "postgres")]
    roles = catalog.execute("SELECT rolname FROM pg_roles WHERE rolname = 'alice'", [], session)
    assert roles.rows == [("alice",)]
    databases = catalog.execute("SELECT datname FROM pg_database ORDER BY 1", [], session)
    assert ("shop",) in databases.rows
    catalogs = catalog.execute(
        "SELECT DISTINCT table_catalog FROM information_schema.tables", [], session
    )
    assert catalogs.rows == [("shop",)]
    activity = catalog.execute(
        "SELECT pid, usename, datname, state, query FROM pg_stat_activity", [], session
    )
    assert activity.rows[0][:4] == (777, "alice", "shop", "active")
    assert "pg_stat_activity" in activity.rows[0][4]


def test_parameters_are_typed_and_bound(catalog: Catalog, session: SimpleSession) -> None:
    by_oid = "SELECT typname FROM pg_catalog.pg_type WHERE oid = $1"
    assert catalog.parameter_types(by_oid) == [oids.OID]
    assert catalog.execute(by_oid, ["23"], session).rows == [("int4",)]
    assert catalog.execute(by_oid, [25], session).rows == [("text",)]
    any_oid = "SELECT typname FROM pg_type WHERE oid = any($1::oid[]) ORDER BY 1"
    assert catalog.parameter_types(any_oid) == [oids.OID_ARRAY]
    assert catalog.execute(any_oid, ["{23,25}"], session).rows == [("int4",), ("text",)]
    assert catalog.execute(any_oid, [[16, 17]], session).rows == [("bool",), ("bytea",)]
    flags = "SELECT pg_get_constraintdef(oid, $1) FROM pg_constraint WHERE conrelid = $2::regclass"
    assert catalog.parameter_types(flags) == [oids.BOOL, oids.REGCLASS]
    assert catalog.execute(flags, ["t", "users"], session).rows[0][0] in (
        "PRIMARY KEY (id)", "UNIQUE (email)",
    )  # fmt: skip


def test_result_columns_carry_their_table(catalog: Catalog) -> None:
    columns = catalog.describe("SELECT c.relname, c.oid, 1 AS one FROM pg_catalog.pg_class c")
    assert [(c.name, c.type_oid, c.table_oid, c.attnum) for c in columns] == [
        ("relname", oids.NAME, 1259, 2), ("oid", oids.OID, 1259, 1), ("one", oids.INT4, 0, 0),
    ]  # fmt: skip


def test_values_have_python_types(catalog: Catalog, session: SimpleSession) -> None:
    result = catalog.execute(
        "SELECT true, 1.5, '{1,2}'::int2[], json_build_object('a', 1), ARRAY['x', NULL],"
        " a.attnotnull, i.indkey FROM pg_attribute a, pg_index i"
        " WHERE a.attrelid = 'items'::regclass AND a.attnum = 1 AND i.indrelid = a.attrelid"
        " AND i.indisprimary",
        [],
        session,
    )
    assert result.rows == [(True, Decimal("1.5"), [1, 2], {"a": 1}, ["x", None], True, [1])]
    assert [c.type_oid for c in result.columns] == [
        oids.BOOL, oids.NUMERIC, oids.INT2_ARRAY, oids.JSON, oids.TEXT_ARRAY, oids.BOOL,
        oids.INT2VECTOR,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", True),
        ("select version()", True),
        ("SELECT current_setting('x')", True),
        ("select $1::int", True),
        ("SHOW transaction isolation level", True),
        ("select * from pg_catalog.pg_class", True),
        ("SELECT * FROM information_schema.tables", True),
        ("select oid from pg_type where typname = 'lo'", True),
        ("SELECT * FROM generate_series(1, 3)", True),
        ("WITH t AS (SELECT 1) SELECT * FROM t", True),
        ("select id, name from items where id < 3", False),
        ("select tags, 'ok'::mood from items limit 1", False),
        ("SELECT 'ok'::mood", False),
        ("select my_function()", False),
        ("select * from items join pg_class on true", False),
        ("select * from public.pg_class", False),
        ("SELECT * FROM tables", False),
        ("insert into items values (1)", False),
        ("select substring('abc' from 2)", True),
        ("select from where", False),
    ],
)
def test_routing(catalog: Catalog, sql: str, expected: bool) -> None:
    assert catalog.handles(sql) is expected


@pytest.mark.parametrize(
    ("sql", "sqlstate"),
    [
        ("SELECT * FROM pg_catalog.nope", "42P01"),
        ("SELECT nope FROM pg_class", "42703"),
        ("SELECT x.relname FROM pg_class c", "42P01"),
        ("SELECT pg_nosuch_function()", "42883"),
        ("SELECT current_setting('no.such_setting')", "42704"),
        ("SELECT relname FROM pg_class WHERE", "42601"),
        ("SELECT 1::nosuchtype", "42704"),
    ],
)
def test_errors_carry_postgresql_sqlstates(
    catalog: Catalog, session: SimpleSession, sql: str, sqlstate: str
) -> None:
    with pytest.raises(PostgresError) as raised:
        catalog.execute(sql, [], session)
    assert raised.value.sqlstate == sqlstate
