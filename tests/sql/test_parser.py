"""parse_sql: statement types, tables, columns, WHERE conditions, values, errors.

Result column names (COLUMN_NAMES) and error positions were checked against PostgreSQL 15's
RowDescription and ErrorResponse for the same statements.
"""

from __future__ import annotations

import dataclasses

import pytest

from txpostgres_proto.sql import (
    Assignment,
    ColumnRef,
    Condition,
    Expression,
    OrderBy,
    Parameter,
    SqlSyntaxError,
    StatementInfo,
    TableRef,
    parse_sql,
)

STMT_TYPES = [
    ("select 1", "SELECT"),
    ("SELECT * FROM t;", "SELECT"),
    ("table t", "SELECT"),
    ("(select 1) union (select 2)", "SELECT"),
    ("((select 1))", "SELECT"),
    ("values (1), (2)", "VALUES"),
    ("with x as (select 1) select * from x", "SELECT"),
    ("with recursive x(n) as (select 1 union all select n + 1 from x) select * from x", "SELECT"),
    ("with x as (select 1) insert into t select * from x", "INSERT"),
    ("with x as (select 1) update t set a = 1", "UPDATE"),
    ("with x as (select 1) delete from t", "DELETE"),
    ("with x as materialized (select 1) values (1)", "VALUES"),
    ("select * into t2 from t", "SELECT INTO"),
    ("insert into t values (1)", "INSERT"),
    ("update t set a = 1", "UPDATE"),
    ("delete from t", "DELETE"),
    ("merge into t using s on t.a = s.a when matched then do nothing", "MERGE"),
    ("create table t (a int)", "CREATE TABLE"),
    ("create temp table if not exists t (a int)", "CREATE TABLE"),
    ("create unlogged table t (a int)", "CREATE TABLE"),
    ("create table t as select 1", "CREATE TABLE AS"),
    ("create table t (a) as select 1", "CREATE TABLE AS"),
    ("drop table if exists a, b cascade", "DROP TABLE"),
    ("alter table t add column b int", "ALTER TABLE"),
    ("create unique index concurrently i on t (a)", "CREATE INDEX"),
    ("create or replace view v as select 1", "CREATE VIEW"),
    ("create materialized view m as select 1", "CREATE MATERIALIZED VIEW"),
    ("create or replace function f() returns int language sql as 'select 1'", "CREATE FUNCTION"),
    ("create procedure p() language sql begin atomic select 1; end", "CREATE PROCEDURE"),
    (
        "create constraint trigger t after insert on x for each row execute function f()",
        "CREATE TRIGGER",
    ),
    ("create user u", "CREATE ROLE"),
    ("drop user u", "DROP ROLE"),
    ("alter user u set work_mem = '4MB'", "ALTER ROLE"),
    ("create user mapping for u server s", "CREATE USER MAPPING"),
    ("create type mood as enum ('sad', 'ok')", "CREATE TYPE"),
    ("create schema s", "CREATE SCHEMA"),
    ("create extension if not exists hstore", "CREATE EXTENSION"),
    ("create text search configuration c (copy = english)", "CREATE TEXT SEARCH CONFIGURATION"),
    ("create foreign data wrapper w", "CREATE FOREIGN DATA WRAPPER"),
    ("alter default privileges grant select on tables to u", "ALTER DEFAULT PRIVILEGES"),
    ("alter system set work_mem = '4MB'", "ALTER SYSTEM"),
    ("drop owned by u", "DROP OWNED"),
    ("truncate t", "TRUNCATE"),
    ("truncate table a, only b restart identity", "TRUNCATE"),
    ("copy t from stdin", "COPY"),
    ("begin", "BEGIN"),
    ("begin transaction isolation level serializable", "BEGIN"),
    ("start transaction", "BEGIN"),
    ("commit", "COMMIT"),
    ("end", "COMMIT"),
    ("rollback", "ROLLBACK"),
    ("abort", "ROLLBACK"),
    ("savepoint s", "SAVEPOINT"),
    ("release savepoint s", "RELEASE"),
    ("rollback to savepoint s", "ROLLBACK TO"),
    ("rollback work to s", "ROLLBACK TO"),
    ("prepare transaction 'x'", "PREPARE TRANSACTION"),
    ("commit prepared 'x'", "COMMIT PREPARED"),
    ("rollback prepared 'x'", "ROLLBACK PREPARED"),
    ("set x = 1", "SET"),
    ("set session characteristics as transaction read only", "SET"),
    ("set constraints all deferred", "SET CONSTRAINTS"),
    ("show all", "SHOW"),
    ("reset all", "RESET"),
    ("discard all", "DISCARD"),
    ("listen ch", "LISTEN"),
    ("unlisten *", "UNLISTEN"),
    ("notify ch, 'x'", "NOTIFY"),
    ("prepare p as select 1", "PREPARE"),
    ("execute p(1)", "EXECUTE"),
    ("deallocate all", "DEALLOCATE"),
    ("explain analyze select 1", "EXPLAIN"),
    ("declare c cursor for select 1", "DECLARE CURSOR"),
    ("fetch 10 from c", "FETCH"),
    ("move all in c", "MOVE"),
    ("close c", "CLOSE"),
    ("vacuum analyze t", "VACUUM"),
    ("analyze t", "ANALYZE"),
    ("analyse", "ANALYZE"),
    ("lock table t in exclusive mode", "LOCK TABLE"),
    ("grant select on t to u", "GRANT"),
    ("grant r to u", "GRANT ROLE"),
    ("revoke r from u", "REVOKE ROLE"),
    ("comment on table t is 'x'", "COMMENT"),
    ("do $$begin end$$", "DO"),
    ("call p()", "CALL"),
    ("checkpoint", "CHECKPOINT"),
    ("refresh materialized view m", "REFRESH MATERIALIZED VIEW"),
    ("load 'x'", "LOAD"),
    ("-- c\n /* d */ SeLeCt 1", "SELECT"),
]


@pytest.mark.parametrize(("sql", "stmt_type"), STMT_TYPES)
def test_statement_types(sql: str, stmt_type: str) -> None:
    result, info = parse_sql(sql)
    assert result == stmt_type
    assert info.stmt_type == stmt_type
    assert info.sql == sql


@pytest.mark.parametrize("sql", ["", "  ", ";", "-- only a comment", "/* x */ ;"])
def test_empty_statement(sql: str) -> None:
    assert parse_sql(sql) == ("", StatementInfo(sql=sql, stmt_type=""))


# (select list, PostgreSQL's names for its result columns)
COLUMN_NAMES = [
    ("1", ["?column?"]),
    ("true, null, 'x', -1, 1 + 2, (1), x'1f', b'101'", ["?column?"] * 8),
    (
        "1::int, $$x$$::text, 'a'::varchar(3), 1::double precision",
        ["int4", "text", "varchar", "float8"],
    ),
    (
        "cast(1 as integer), '{1}'::int[], 1::float, 1::float(3)",
        ["int4", "int4", "float8", "float4"],
    ),
    ("1::numeric(3,1), now()::timestamp with time zone", ["numeric", "now"]),
    (
        "'x'::character varying, (1)::text, 1::\"int4\", 'x'::char",
        ["varchar", "text", "int4", "bpchar"],
    ),
    (
        "1::bigint, 1::smallint, 1::real, 1::boolean, 1::dec",
        ["int8", "int2", "float4", "bool", "numeric"],
    ),
    (
        "'1'::bit varying, now()::time with time zone, now()::pg_catalog.text",
        ["varbit", "now", "now"],
    ),
    ("case when true then 1 end, case when true then 1 end::text", ["case", "text"]),
    (
        "case when true then 1 else 2 end, case when true then relname else relname end",
        ["case", "relname"],
    ),
    (
        "exists(select 1), array[1], array(select 1), row(1, 2), (1, 2)",
        ["exists", "array", "array", "row", "row"],
    ),
    ("(select 1 as q), (select y from (select 1 y) z)", ["q", "y"]),
    (
        "coalesce(1), greatest(1, 2), nullif(1, 2), count(*) filter (where true) over ()",
        ["coalesce", "greatest", "nullif", "count"],
    ),
    (
        "current_user, user, current_date, current_schema, localtimestamp",
        ["current_user", "user", "current_date", "current_schema", "localtimestamp"],
    ),
    (
        "session_user, current_role, current_catalog",
        ["session_user", "current_role", "current_catalog"],
    ),
    (
        "'x' collate \"C\", now() at time zone 'utc', interval '1' day",
        ["?column?", "timezone", "interval"],
    ),
    (
        "date '2020-01-01', timestamp with time zone '2020-01-01', double precision '1'",
        ["date", "timestamptz", "float8"],
    ),
    ("(array[1])[1], (row(1, 2)).f1, x.y, t.*", ["array", "f1", "y", "*"]),
    ("x.y is null, x.y isnull, x.y between 1 and 2, x.y in (1, 2), not x.y", ["?column?"] * 5),
    (
        "x.y is distinct from 1 as d, -x.y, x.y + 1 plus, 'a' || 'b'",
        ["d", "?column?", "plus", "?column?"],
    ),
    ('1 as "Foo", 2 Bar, 3 "Baz", 4 as select', ["Foo", "bar", "Baz", "select"]),
    (
        "position('a' in 'b'), extract(year from now()), substring('abc' from 1 for 2)",
        ["position", "extract", "substring"],
    ),
    (
        "trim(both 'x' from 'xax'), trim(leading 'x' from 'xa'), trim(trailing from 'a ')",
        ["btrim", "ltrim", "rtrim"],
    ),
    (
        "x.y = any(array[1]), pg_catalog.version(), $1::text as p, $2::int",
        ["?column?", "version", "p", "int4"],
    ),
    (
        "typinput='pg_catalog.array_in'::regproc as is_array, a.attnotnull or (t.typtype = 'd')",
        ["is_array", "?column?"],
    ),
]


@pytest.mark.parametrize(("select_list", "names"), COLUMN_NAMES)
def test_result_column_names(select_list: str, names: list[str]) -> None:
    _, info = parse_sql(f"select {select_list} from t")
    assert [column.name for column in info.columns] == names


def test_select() -> None:
    _, info = parse_sql(
        'SELECT a.b AS c, count(*) n, t.* FROM S.T1 x JOIN "T2" ON x.id = "T2".id '
        "WHERE a = 'x' AND b IN (1, 2) AND c = $1 GROUP BY 1, a.b ORDER BY a DESC, 2 NULLS FIRST "
        "LIMIT 10 OFFSET $3"
    )
    assert info.tables == (TableRef("s", "t1", "x"), TableRef(None, "T2"))
    assert info.columns == (
        ColumnRef("a.b", "c", "c"),
        ColumnRef("count(*)", "n", "n"),
        ColumnRef("t.*", "*"),
    )
    assert info.where is not None
    assert info.where.text == "a = 'x' AND b IN (1, 2) AND c = $1"
    assert info.where.conditions == (
        Condition("a", "=", "x"),
        Condition("b", "IN", (1, 2)),
        Condition("c", "=", Parameter(1)),
    )
    assert info.where.complete
    assert info.group_by == ("1", "a.b")
    assert info.order_by == (OrderBy("a", False), OrderBy("2", True))
    assert info.limit == 10
    assert info.offset == Parameter(3)
    assert info.params == (1, 3)


def test_star() -> None:
    _, info = parse_sql("select * from items")
    assert info.columns == (ColumnRef("*", "*"),)
    assert info.tables == (TableRef(None, "items"),)


@pytest.mark.parametrize(
    ("from_clause", "tables"),
    [
        ("a, b", [(None, "a", None), (None, "b", None)]),
        ("s.a as x left outer join b y on x.i = y.i", [("s", "a", "x"), (None, "b", "y")]),
        ("only a * natural join b using (i)", [(None, "a", None), (None, "b", None)]),
        ("a cross join lateral (select * from b) s", [(None, "a", None), (None, "b", None)]),
        (
            "(a join b on true) join c on true",
            [(None, "a", None), (None, "b", None), (None, "c", None)],
        ),
        ("generate_series(1, 3) g, a", [(None, "a", None)]),
        ("a tablesample system (10) repeatable (1) where", [(None, "a", None)]),
        ("db.s.a", [("s", "a", None)]),
        ("rows from (f(1)) with ordinality as r(x), a", [(None, "a", None)]),
        ("(values (1)) v(x), a", [(None, "a", None)]),
    ],
)
def test_from_items(from_clause: str, tables: list[tuple[str | None, str, str | None]]) -> None:
    _, info = parse_sql(f"select 1 from {from_clause}")
    assert [(t.schema, t.name, t.alias) for t in info.tables] == tables


def test_subquery_and_cte_tables_come_after_the_statements_own() -> None:
    _, info = parse_sql(
        "with w as (select * from c) "
        "select (select max(x) from a), * from w join b on b.i in (select i from d)"
    )
    assert [t.name for t in info.tables] == ["b", "c", "a", "d"]


def test_compound_select() -> None:
    _, info = parse_sql(
        "select a, b from t where x = 1 union all select c, d from u order by 1 limit 5"
    )
    assert [c.name for c in info.columns] == ["a", "b"]
    assert [t.name for t in info.tables] == ["t", "u"]
    assert info.where is None  # a WHERE of one branch does not filter the union
    assert info.order_by == (OrderBy("1"),)
    assert info.limit == 5


@pytest.mark.parametrize(
    ("tail", "limit", "offset"),
    [
        ("limit 5", 5, None),
        ("limit all", None, None),
        ("limit $1 offset $2", Parameter(1), Parameter(2)),
        ("offset 10 rows fetch first 3 rows only", 3, 10),
        ("fetch next row only", 1, None),
        ("limit (2 + 3)", Expression("(2 + 3)"), None),
        ("limit 5 for update skip locked", 5, None),
    ],
)
def test_limit_and_offset(tail: str, limit: object, offset: object) -> None:
    _, info = parse_sql(f"select * from t order by a {tail}")
    assert info.limit == limit
    assert info.offset == offset


@pytest.mark.parametrize(
    ("where", "conditions", "complete"),
    [
        ("id = 5", [Condition("id", "=", 5)], True),
        ("t.name = 'x'", [Condition("name", "=", "x", "t")], True),
        ("id = $1", [Condition("id", "=", Parameter(1))], True),
        ("id = $1::int8", [Condition("id", "=", Parameter(1, "int8"))], True),
        ("5 < id", [Condition("id", ">", 5)], True),
        ("a != 1 and b <> 2", [Condition("a", "<>", 1), Condition("b", "<>", 2)], True),
        (
            "a >= -1.5 and b <= 1e3",
            [Condition("a", ">=", -1.5), Condition("b", "<=", 1000.0)],
            True,
        ),
        ("x in (1, 'a', null, true)", [Condition("x", "IN", (1, "a", None, True))], True),
        ("x not in ($1, $2)", [Condition("x", "NOT IN", (Parameter(1), Parameter(2)))], True),
        (
            "x between 1 and 3 and y = 2",
            [Condition("x", "BETWEEN", (1, 3)), Condition("y", "=", 2)],
            True,
        ),
        ("x not between 1 and 3", [Condition("x", "NOT BETWEEN", (1, 3))], True),
        (
            "x is null and y is not null",
            [Condition("x", "IS", None), Condition("y", "IS NOT", None)],
            True,
        ),
        ("x is true", [Condition("x", "IS", True)], True),
        (
            "n like 'a%' and m not ilike 'b'",
            [Condition("n", "LIKE", "a%"), Condition("m", "NOT ILIKE", "b")],
            True,
        ),
        (
            "(a = 1 and (b = 2)) and c = 'x'",
            [Condition("a", "=", 1), Condition("b", "=", 2), Condition("c", "=", "x")],
            True,
        ),
        ("d = date '2024-01-01'", [Condition("d", "=", "2024-01-01")], True),
        ("d = '5'::int", [Condition("d", "=", 5)], True),
        ("a = 1 or b = 2", [], False),
        ("a = 1 and lower(b) = 'x'", [Condition("a", "=", 1)], False),
        ("a = b", [], False),
        ("a in (select x from u)", [], False),
        ("a = now()", [], False),
        ('"Id" = 1', [Condition("Id", "=", 1)], True),
    ],
)
def test_where_conditions(where: str, conditions: list[Condition], complete: bool) -> None:
    _, info = parse_sql(f"select * from t where {where}")
    assert info.where is not None
    assert info.where.text == where
    assert list(info.where.conditions) == conditions
    assert info.where.complete is complete


def test_insert_values() -> None:
    _, info = parse_sql(
        "INSERT INTO s.t AS x (a, \"B\", c) VALUES (1, 'it''s', -2.5), ($1, null, true), "
        "(DEFAULT, now(), e'\\n') RETURNING id, a + 1 AS next"
    )
    assert info.stmt_type == "INSERT"
    assert info.tables == (TableRef("s", "t", "x"),)
    assert [c.name for c in info.columns] == ["a", "B", "c"]
    assert info.values == (
        (1, "it's", -2.5),
        (Parameter(1), None, True),
        (Expression("DEFAULT"), Expression("now()"), "\n"),
    )
    assert info.returning == (ColumnRef("id", "id"), ColumnRef("a + 1", "next", "next"))
    assert info.params == (1,)


def test_huge_numbers() -> None:
    digits = "9" * 5000
    _, info = parse_sql(f"insert into t values ({digits}, '{digits}'::int, 12345678901234567890)")
    assert info.values == ((float("inf"), Expression(f"'{digits}'::int"), 1.2345678901234567e19),)


def test_insert_select_and_upsert() -> None:
    _, info = parse_sql(
        "insert into t select * from u where u.a > 1 "
        "on conflict (a) do update set b = excluded.b, c = 3 where t.c < 3"
    )
    assert [t.name for t in info.tables] == ["t", "u"]
    assert info.values == ()
    assert info.assignments == (
        Assignment("b", Expression("excluded.b")),
        Assignment("c", 3),
    )


def test_insert_default_values() -> None:
    _, info = parse_sql("insert into t default values")
    assert info.tables == (TableRef(None, "t"),)
    assert info.values == ()


def test_update() -> None:
    _, info = parse_sql(
        "update only t as x set a = 1, b = $2, (c, d) = (3, 'x'), e = default "
        "from u where x.id = $1 and u.k = x.k returning *"
    )
    assert [t.name for t in info.tables] == ["t", "u"]
    assert info.tables[0].alias == "x"
    assert info.assignments == (
        Assignment("a", 1),
        Assignment("b", Parameter(2)),
        Assignment("c", 3),
        Assignment("d", "x"),
        Assignment("e", Expression("default")),
    )
    assert [c.name for c in info.columns] == ["a", "b", "c", "d", "e"]
    assert info.where is not None
    assert info.where.conditions == (Condition("id", "=", Parameter(1), "x"),)
    assert not info.where.complete
    assert info.returning == (ColumnRef("*", "*"),)


def test_delete() -> None:
    _, info = parse_sql("delete from t using u where t.a = u.a and t.b between $1 and $2")
    assert [t.name for t in info.tables] == ["t", "u"]
    assert info.where is not None
    assert info.where.conditions == (Condition("b", "BETWEEN", (Parameter(1), Parameter(2)), "t"),)


def test_values_statement() -> None:
    _, info = parse_sql("values (1, 'a'), (2, 'b') order by 1 limit 1")
    assert info.values == ((1, "a"), (2, "b"))
    assert [c.name for c in info.columns] == ["column1", "column2"]
    assert info.limit == 1


def test_copy() -> None:
    _, info = parse_sql('copy public.items (id, "Name") from stdin with (format csv)')
    assert info.tables == (TableRef("public", "items"),)
    assert [c.name for c in info.columns] == ["id", "Name"]
    _, info = parse_sql("copy (select * from a join b on true) to stdout")
    assert [t.name for t in info.tables] == ["a", "b"]


def test_create_table() -> None:
    _, info = parse_sql(
        "create table if not exists items (id serial primary key, name text not null "
        "default 'x', amount numeric(10,2), constraint c check (id > 0), unique (name))"
    )
    assert info.tables == (TableRef(None, "items"),)
    assert info.columns == (
        ColumnRef("serial primary key", "id"),
        ColumnRef("text not null default 'x'", "name"),
        ColumnRef("numeric(10,2)", "amount"),
    )


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ("drop table if exists a, s.b cascade", ["a", "b"]),
        ("truncate table only a, b restart identity", ["a", "b"]),
        ("alter table if exists only a add column x int", ["a"]),
        ("create index i on only s.t using btree (a)", ["t"]),
        ("create view v as select * from a", ["v", "a"]),
        ("create table n as select * from a", ["n", "a"]),
        ("select * into n from a", ["n", "a"]),
        ("lock table a, b in share mode", ["a", "b"]),
        ("vacuum (verbose) a, b (x)", ["a", "b"]),
        ("explain (analyze, format json) select * from a", ["a"]),
        ("explain insert into a select * from b", ["a", "b"]),
        ("prepare p (int) as update a set x = $1", ["a"]),
        ("declare c cursor with hold for select * from a", ["a"]),
        (
            "merge into a using (select * from b) s on a.i = s.i when matched then delete",
            ["a", "b"],
        ),
        ("with x as (select * from a) delete from b where b.i in (select i from x)", ["b", "a"]),
    ],
)
def test_tables_of_other_statements(sql: str, tables: list[str]) -> None:
    assert [t.name for t in parse_sql(sql)[1].tables] == tables


def test_parameters_and_casts() -> None:
    _, info = parse_sql("select $2::int, $1, $2::text, $3::varchar(5)[], $4::double precision")
    assert info.params == (1, 2, 3, 4)
    assert info.param_casts == ((2, "int4"), (3, "_varchar"), (4, "float8"))


def test_info_is_frozen_and_hashable() -> None:
    _, info = parse_sql("insert into t values (1, 'a') returning *")
    assert hash(info) == hash(parse_sql("insert into t values (1, 'a') returning *")[1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.stmt_type = "x"  # type: ignore[misc]


def test_deeply_nested_statements_are_classified_without_details() -> None:
    sql = "select " + "(" * 500 + "1" + ")" * 500 + " from t"
    stmt_type, info = parse_sql(sql)
    assert stmt_type == "SELECT"
    assert info.tables == ()
    _, info = parse_sql("select " + "(" * 50 + "x" + ")" * 50 + " from t")
    assert info.tables == (TableRef(None, "t"),)
    assert [c.name for c in info.columns] == ["x"]


def test_a_trailing_semicolon_is_allowed() -> None:
    assert parse_sql("select 1;")[0] == "SELECT"
    assert parse_sql("select 1 ;; ")[0] == "SELECT"
    assert parse_sql("create rule r as on insert to t do also (select 1; select 2)")[0] == (
        "CREATE RULE"
    )


ERRORS = [
    ("select (1", "syntax error at end of input", 10),
    ("select 1)", 'syntax error at or near ")"', 9),
    ("select (1]", 'syntax error at or near "]"', 10),
    ("select (select 1", "syntax error at end of input", 17),
    ("foo bar", 'syntax error at or near "foo"', 1),
    ("  create foo", 'syntax error at or near "foo"', 10),
    ("start", "syntax error at end of input", 6),
    ("with x as select 1 select 2", 'syntax error at or near "select"', 11),
    ("select 1 limit 1, 2", "LIMIT #,# syntax is not supported", 10),
    ("select 'abc", 'unterminated quoted string at or near "\'abc"', 8),
    ("select 1; select 2", "cannot insert multiple commands into a prepared statement", 11),
]


@pytest.mark.parametrize(("sql", "message", "position"), ERRORS)
def test_errors(sql: str, message: str, position: int) -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        parse_sql(sql)
    assert (caught.value.message, caught.value.position) == (message, position)


def test_error_positions_shift_by_the_statement_offset() -> None:
    from txpostgres_proto.sql import split_statements_with_offsets

    query = "select 1;\n  select (2"
    offset, statement = split_statements_with_offsets(query)[1]
    with pytest.raises(SqlSyntaxError) as caught:
        parse_sql(statement)
    assert offset + caught.value.position == len(query) + 1
