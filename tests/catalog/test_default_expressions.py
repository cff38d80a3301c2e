"""Column defaults read back as PostgreSQL prints them (``defaults.py``): ``pg_get_expr`` on
``pg_attrdef.adbin`` and ``information_schema.columns.column_default``.

The same table, each column with a default written as an application would write it, is made
in the emulated catalog and in a real PostgreSQL 15 database; both must print every default
alike: operators in parentheses, constants typed (``'-1'::integer``, ``'x'::text``), casts as
``(x)::type``, unknown literals typed by the column, operator or function that takes them,
implicit casts shown only inside operators and calls, SQL value functions by keyword, and no
default at all for a NULL constant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pgserver import SUPERUSER, RealPostgres
from txpostgres_proto.catalog import (
    Catalog,
    Column,
    Domain,
    EnumType,
    SequenceDef,
    SimpleSession,
    Table,
)
from txpostgres_proto.catalog.defaults import deparse_default
from txpostgres_proto.types import oids

DATABASE = "catdefaults"
#: (column type, default as written).
DEFAULTS = [
    # nextval, alone and in arithmetic
    ("int", "nextval('s')"),
    ("int", "nextval('s') + 1"),
    ("int", "nextval('s'::regclass) + 1"),
    ("bigint", "nextval('s') * 2 + 1"),
    ("bigint", "nextval('public.s')"),
    ("int", "nextval('public.s'::regclass)"),
    ("bigint", "1 + nextval('s')"),
    # numbers: negative ones are quoted and typed, bigint and non-fractional numeric too
    ("int", "5"),
    ("int", "-1"),
    ("int", "- 3"),
    ("int", "-(3)"),
    ("int", "-0"),
    ("int", "2147483647"),
    ("int", "-2147483648"),
    ("bigint", "5"),
    ("bigint", "-5"),
    ("bigint", "3000000000"),
    ("smallint", "-3"),
    ("numeric", "1.5"),
    ("numeric", "1.50"),
    ("numeric", "-1.5"),
    ("numeric", "1.5e3"),
    ("numeric", "0.0"),
    ("numeric", "99999999999999999999"),
    ("numeric(10,2)", "0"),
    ("real", "1.5"),
    ("real", "-1.5"),
    ("float4", "'1.5'"),
    ("double precision", "2"),
    ("int", "'7'"),
    ("int", "'  7 '"),
    # arithmetic, with implicit casts shown inside operators
    ("int", "1 + 2 * 3"),
    ("int", "(1 + 2) * 3"),
    ("int", "7 % 3"),
    ("int", "-(1 + 2)"),
    ("int", "- 1::int"),
    ("bigint", "-nextval('s')"),
    ("int", "1 + '2'"),
    ("int", "NULL + 1"),
    ("text", "NULL || 'a'"),
    ("numeric", "10 / 4"),
    ("numeric", "1 + 2.5"),
    ("float8", "1 + 1.5::float8"),
    ("int", "2 ^ 3"),
    # casts
    ("int", "5::int"),
    ("int", "(-1)::int"),
    ("bigint", "5::bigint"),
    ("bigint", "'5'::bigint"),
    ("text", "5::text"),
    ("text", "CAST(5 AS text)"),
    ("float8", "'1.5'::float8"),
    ("varchar(10)", "'ab'::varchar(10)"),
    ("numeric(10,2)", "1.5::numeric(10,2)"),
    ("text", "'x'::varchar"),
    ("text", "'x'::varchar::text"),
    ("date", "now()::date"),
    ("text", "now()::text"),
    ("bigint", "NULL::int"),
    ("int", "int4(5)"),
    ("int", "int4(5.5)"),
    ("text", "text('x')"),
    # string literals, typed by the column
    ("text", "'x'"),
    ("text", "'x'::text"),
    ("text", "('x')"),
    ("text", "'it''s a \\ test'"),
    ("text", "''"),
    ("varchar(10)", "'ab'"),
    ("char(3)", "'ab'"),
    ('"char"', "'a'"),
    ("jsonb", "'{}'"),
    ("jsonb", "'{}'::jsonb"),
    ("text[]", "'{}'"),
    ("int[]", "'{1,2}'"),
    ("date", "'2020-01-01'"),
    ("interval", "'1 day'"),
    ("timestamptz", "now() + interval '1 day'"),
    # booleans
    ("boolean", "true"),
    ("boolean", "false"),
    ("boolean", "'t'"),
    ("boolean", "(1 < 2)"),
    ("boolean", "(true AND false)"),
    ("boolean", "(NOT true)"),
    # functions: literal arguments typed by the parameter, implicit casts shown
    ("timestamptz", "now()"),
    ("timestamp", "now()"),
    ("text", "lower('ABC')"),
    ("text", "pg_catalog.lower('A')"),
    ("text", "lower('A') || 'b'"),
    ("text", "'a' || 'b'"),
    ("text", "'a' || 1"),
    ("text", "'a'::text || 'b'::text"),
    ("int", "length('abc')"),
    ("int", "length(md5('x'))"),
    ("int", "abs(-3)"),
    ("int", "round(2.5)"),
    ("text", "to_char(now(), 'YYYY')"),
    ("timestamptz", "date_trunc('day', now())"),
    ("uuid", "gen_random_uuid()"),
    ("text", "gen_random_uuid()::text"),
    ("int", "abs(NULL)"),
    ("numeric", "extract(YEAR from now())"),
    ("text", "concat('a', 'b')"),
    ("text", "upper(CURRENT_USER)"),
    ("text", "COALESCE('a', 'b')"),
    ("int", "COALESCE(1, 2.5)"),
    ("numeric", "GREATEST(1, 2.5)"),
    ("int[]", "ARRAY[1,2]"),
    ("text[]", "ARRAY['a','b']"),
    ("numeric[]", "ARRAY[1, 2.5]"),
    # SQL value functions
    ("timestamptz", "CURRENT_TIMESTAMP"),
    ("timestamp", "CURRENT_TIMESTAMP"),
    ("timestamp", "LOCALTIMESTAMP"),
    ("date", "CURRENT_DATE"),
    ("time", "CURRENT_TIME"),
    ("text", "CURRENT_USER"),
    ("name", "CURRENT_USER"),
    ("text", "SESSION_USER"),
    ("text", "current_schema"),
    # an enum's and domains' columns; NULL defaults (none stored, but kept for a domain)
    ("mood", "'happy'"),
    ("dm", "'x'"),
    ("di", "5"),
    ("di", "NULL"),
    ("text", "NULL"),
    ("int", "NULL::int"),
]
USER_TYPES = {
    "mood": EnumType("mood", ("happy", "sad")),
    "dm": Domain("dm", "text"),
    "di": Domain("di", "int4"),
}
PRINTED = """
SELECT a.attname, coalesce(pg_get_expr(d.adbin, d.adrelid), '<none>'), a.atthasdef
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = 'public.t'::regclass AND a.attnum > 0 ORDER BY a.attnum
"""
INFORMATION_SCHEMA = """
SELECT column_name, coalesce(column_default, '<none>') FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 't' ORDER BY ordinal_position
"""


def _rows(text: str, trailing: int = 0) -> list[tuple[str, ...]]:
    """psql's unaligned rows: a name, a default (which may hold ``|``), ``trailing`` more."""
    rows = []
    for line in text.splitlines():
        name, rest = line.split("|", 1)
        parts = rest.rsplit("|", trailing) if trailing else [rest]
        rows.append((name, *parts))
    return rows


@pytest.fixture(scope="module")
def postgres(reference_server: RealPostgres) -> Iterator[RealPostgres]:
    columns = ", ".join(f"c{i} {ty} DEFAULT {default}" for i, (ty, default) in enumerate(DEFAULTS))
    reference_server.psql(f"CREATE DATABASE {DATABASE}", dbname="postgres")
    reference_server.psql(
        "CREATE SEQUENCE s; CREATE TYPE mood AS ENUM ('happy', 'sad'); "
        f"CREATE DOMAIN dm AS text; CREATE DOMAIN di AS int; CREATE TABLE t ({columns})",
        dbname=DATABASE,
    )
    yield reference_server
    reference_server.psql(f"DROP DATABASE {DATABASE}", dbname="postgres")


@pytest.fixture(scope="module")
def emulated() -> Catalog:
    columns = tuple(
        Column(f"c{i}", USER_TYPES.get(ty, ty), default=default)
        for i, (ty, default) in enumerate(DEFAULTS)
    )
    catalog = Catalog(database=DATABASE)
    catalog.set_tables([Table("t", columns)], sequences=[SequenceDef("s")])
    return catalog


def _emulated_rows(catalog: Catalog, sql: str) -> list[tuple[str, ...]]:
    session = SimpleSession(user=SUPERUSER, database=DATABASE)
    return [
        tuple("t" if v is True else "f" if v is False else str(v) for v in row)
        for row in catalog.execute(sql, (), session).rows
    ]


def test_pg_get_expr_prints_as_postgresql(postgres: RealPostgres, emulated: Catalog) -> None:
    expected = _rows(postgres.psql(PRINTED, dbname=DATABASE), trailing=1)
    assert len(expected) == len(DEFAULTS)
    assert _emulated_rows(emulated, PRINTED) == expected


def test_information_schema_shows_the_same(postgres: RealPostgres, emulated: Catalog) -> None:
    expected = _rows(postgres.psql(INFORMATION_SCHEMA, dbname=DATABASE))
    assert _emulated_rows(emulated, INFORMATION_SCHEMA) == expected


def test_a_few_answers_spelled_out(emulated: Catalog) -> None:
    printed = {name: text for name, text, _ in _emulated_rows(emulated, PRINTED)}
    for (ty, default), answer in [
        (("int", "nextval('s') + 1"), "(nextval('s'::regclass) + 1)"),
        (("int", "-1"), "'-1'::integer"),
        (("text", "5::text"), "(5)::text"),
        (("timestamptz", "CURRENT_TIMESTAMP"), "CURRENT_TIMESTAMP"),
        (("text", "upper(CURRENT_USER)"), "upper((CURRENT_USER)::text)"),
        (("text", "NULL"), "<none>"),
    ]:
        assert printed[f"c{DEFAULTS.index((ty, default))}"] == answer


def test_printing_reads_back_as_itself() -> None:
    for ty, default in DEFAULTS:
        if ty in USER_TYPES or default == "- 1::int":  # PostgreSQL reads ``(- 1)`` as -1
            continue
        column = Column("c", ty)
        once = deparse_default(default, column.type_oid, column.typmod)
        if once is not None:
            assert deparse_default(once, column.type_oid, column.typmod) == once


@pytest.mark.parametrize(
    "text",
    [
        "pg_cast('s', 2205, -1)",  # functions PostgreSQL does not have
        "no_such_function(1)",
        "'abc'::no_such_type",
        "CASE WHEN true THEN 1 END",  # constructs not modelled
    ],
)
def test_what_it_cannot_read_is_kept_as_given(text: str) -> None:
    assert deparse_default(text, oids.INT4, -1) == text


def test_value_functions_called_with_parentheses_are_the_keywords() -> None:
    # PostgreSQL's grammar has no ``current_user()``; an application may write it so.
    assert deparse_default("upper(current_user())", oids.TEXT, -1) == "upper((CURRENT_USER)::text)"
    assert deparse_default("current_timestamp()", oids.TIMESTAMPTZ, -1) == "CURRENT_TIMESTAMP"
