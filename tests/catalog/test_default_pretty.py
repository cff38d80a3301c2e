"""Column defaults in ``pg_get_expr``'s pretty form, constants in their output form, and the
sequences a default draws from, against a real PostgreSQL 15 (``defaults.py``,
``application.py``).

psql's ``\\d`` calls ``pg_get_expr(adbin, adrelid, true)``: PostgreSQL then prints an operator
or connective without parentheses of its own and puts an operand in parentheses only where
precedence or associativity needs them.  Every default here is made in the emulated catalog
and in a real database, and both print forms must agree, as must the constants' output forms
(``'2 hours'::interval`` is ``'02:00:00'::interval``), ``regclass`` names (``'Items'`` folds
to ``items``) and the ``pg_depend`` rows that tie a default to every sequence it calls
``nextval`` on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.catalog.test_default_expressions import DEFAULTS as BASIC_DEFAULTS
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
from txpostgres_proto.catalog.defaults import deparse_default, relation_name_parts

DATABASE = "catpretty"
SEPARATOR = "\x1f"
USER_TYPES: dict[str, EnumType | Domain] = {
    "mood": EnumType("mood", ("happy", "sad")),
    "dm": Domain("dm", "text"),
    "di": Domain("di", "int4"),
}
#: (column type, default as written), beyond those of ``test_default_expressions``.
DEFAULTS = [
    # precedence and associativity of arithmetic
    ("int", "1 + 2 * 3"),
    ("int", "(1 + 2) * 3"),
    ("int", "1 * 2 + 3"),
    ("int", "1 * (2 + 3)"),
    ("int", "(1 - 2) - 3"),
    ("int", "1 - (2 - 3)"),
    ("int", "1 - 2 + 3"),
    ("int", "1 - (2 + 3)"),
    ("int", "(8 / 2) / 2"),
    ("int", "8 / (2 / 2)"),
    ("int", "8 / 2 * 3"),
    ("int", "8 % (3 * 2)"),
    ("int", "(2 ^ 3)::int + 1"),
    ("float8", "2 ^ 3 ^ 2"),
    ("int", "-(1 + 2) * 3"),
    ("int", "3 - -1"),
    ("int", "- - 3"),
    ("int", "-(-(3))"),
    ("bigint", "nextval('s') * (2 + 3)"),
    ("bigint", "-nextval('s') * 2"),
    ("bigint", "(nextval('s') + 1) * 2 - 1"),
    # other operators always take parentheses below an operator
    ("text", "'a' || 'b' || 'c'"),
    ("text", "'a' || ('b' || 'c')"),
    ("text", "'a' || 5::text"),
    ("text", "('x' || 1) || 2"),
    ("boolean", "((1 < 2) = true)"),
    ("boolean", "(1 + 1 = 2)"),
    ("boolean", "(1 < 2 AND 2 < 3)"),
    ("boolean", "((1 < 2) AND (2 < 3) OR NOT true)"),
    ("boolean", "((true OR false) AND true)"),
    ("boolean", "(true AND (false OR true))"),
    ("boolean", "(NOT (true AND false))"),
    ("boolean", "(NOT NOT true)"),
    ("boolean", "(true OR false OR true)"),
    ("boolean", "((true AND false) = false)"),
    # casts: ``arg::type`` for a simple argument, parentheses around an operator
    ("text", "(1 + 2)::text"),
    ("text", "(1 + 2)::varchar::text"),
    ("numeric", "(1 + 2)::int8::numeric"),
    ("text", "abs(1 + 2)::text"),
    ("text", "'x'::varchar::text"),
    ("text", "upper('a' || 'b')"),
    ("text", "coalesce('a' || 'b', 'c')"),
    ("int[]", "ARRAY[1 + 2, 3 * 4]"),
    ("bigint", "(5 + 1)::bigint * 2"),
    ("numeric", "(1 + 2)::numeric / 4"),
    ("date", "CURRENT_DATE + 1"),
    ("date", "CURRENT_DATE - (1 + 1)"),
    ("timestamptz", "now() - interval '1 hour' * 2"),
    ("numeric", "extract(year from now()) + 1"),
    # constants in their type's output form
    ("interval", "'2 hours'"),
    ("interval", "'1.5 days'"),
    ("interval", "'1 year 2 mons 3 days -04:05:06.5'"),
    ("interval", "'@ 1 hour ago'"),
    ("interval", "'90 minutes'::interval"),
    ("interval", "'1 week'"),
    ("interval", "'P1D'"),
    ("interval", "'1 day 12:00'"),
    ("interval", "interval '3 days'"),
    ("timestamptz", "now() + '1.5 hours'"),
    ("date", "'Jan 2 2024'"),
    ("date", "'20240102'"),
    ("date", "'1/2/2024'"),
    ("date", "'epoch'"),
    ("time", "'3:04 pm'"),
    ("time", "'01:02:03.1234567'"),
    ("timestamp", "'2024-01-02 3:04'"),
    ("timestamp", "'2024-01-02T03:04:05.5'"),
    ("timestamp", "'2024-01-02'"),
    ("uuid", "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'"),
    ("uuid", "'{a0eebc99-9c0b4ef8-bb6d6bb9bd380a11}'"),
    ("jsonb", """'{"b": 1, "a": [1, 2.50, 1e3], "a": null}'"""),
    ("jsonb", """' {"aa":true,"b":"x\\ny"} '"""),
    ("numeric", "'1.5e3'"),
    ("numeric", "1.5e-3"),
    ("boolean", "'yes'"),
    ("boolean", "'off'"),
    ("float8", "'1e15'"),
    ("float8", "'0.00001'"),
    ("real", "'1234567'"),
    ("real", "'3.14159265358979'"),
    ("int[]", "'{ 1 , 2 }'"),
    ("text[]", """'{"a","b c", x }'"""),
    ("bool[]", "'{true,no}'"),
    ("numeric[]", "'{1.50,1e3}'"),
    ("date[]", "'{2024-1-2}'"),
    ("text[]", """'{NULL,"NULL","","q\\"", "\\\\"}'"""),
    ("float8[]", "'{1e15, 0.1}'"),
    ("interval[]", """'{"2 hours"}'"""),
    ("text[]", "'{ a b }'"),
    ("int[]", "'{{1,2},{3,4}}'"),
    # regclass names fold as identifiers do
    ("bigint", "nextval('S')"),
    ("bigint", "nextval('\"Items\"')"),
    ("bigint", "nextval('Public.S') + 1"),
    ("bigint", "2 * nextval('\"Items\"'::regclass)"),
]
ALL_DEFAULTS = [*BASIC_DEFAULTS, *DEFAULTS]
PRINTED = f"""
SELECT a.attname || E'{SEPARATOR}' || pg_get_expr(d.adbin, d.adrelid)
       || E'{SEPARATOR}' || pg_get_expr(d.adbin, d.adrelid, true)
FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = 'public.t'::regclass ORDER BY a.attnum
"""
DEPENDS = f"""
SELECT coalesce(a.attname, c.relname) || E'{SEPARATOR}' || r.relname || E'{SEPARATOR}'
       || d.refobjsubid || E'{SEPARATOR}' || d.deptype::text
FROM pg_depend d JOIN pg_class r ON r.oid = d.refobjid
LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
LEFT JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
WHERE r.relkind = 'S' OR c.relkind = 'S'
ORDER BY 1
"""
#: Sequences drawn from by serial, identity and expression defaults, and their owners.
SEQUENCE_TABLES = [
    Table(
        "u",
        (
            Column("id", "serial"),
            Column("n", "int", identity="a"),
            Column("a", "bigint", default="nextval('s') + 1"),
            Column("b", "bigint", default="nextval('Items') * 2"),
            Column("c", "bigint", default="abs(nextval('\"Items\"'))"),
            Column("d", "bigint", default="coalesce(nextval('s'), 0)"),
        ),
    ),
    Table("Mixed", (Column("id", "bigserial"),)),
]
SEQUENCE_DDL = """
CREATE TABLE u (id serial, n int GENERATED ALWAYS AS IDENTITY,
                a bigint DEFAULT nextval('s') + 1, b bigint DEFAULT nextval('Items') * 2,
                c bigint DEFAULT abs(nextval('"Items"')),
                d bigint DEFAULT coalesce(nextval('s'), 0));
CREATE TABLE "Mixed" (id bigserial);
"""


def _split(text: str) -> list[tuple[str, ...]]:
    return [tuple(line.split(SEPARATOR)) for line in text.splitlines()]


@pytest.fixture(scope="module")
def postgres(reference_server: RealPostgres) -> Iterator[RealPostgres]:
    columns = ", ".join(
        f"c{i} {ty} DEFAULT {default}" for i, (ty, default) in enumerate(ALL_DEFAULTS)
    )
    reference_server.psql(f"CREATE DATABASE {DATABASE}", dbname="postgres")
    reference_server.psql(
        'CREATE SEQUENCE s; CREATE SEQUENCE items; CREATE SEQUENCE "Items"; '
        "CREATE TYPE mood AS ENUM ('happy', 'sad'); CREATE DOMAIN dm AS text; "
        f"CREATE DOMAIN di AS int; CREATE TABLE t ({columns}); {SEQUENCE_DDL}",
        dbname=DATABASE,
    )
    yield reference_server
    reference_server.psql(f"DROP DATABASE {DATABASE}", dbname="postgres")


@pytest.fixture(scope="module")
def emulated() -> Catalog:
    columns = tuple(
        Column(f"c{i}", USER_TYPES.get(ty, ty), default=default)
        for i, (ty, default) in enumerate(ALL_DEFAULTS)
    )
    catalog = Catalog(database=DATABASE)
    sequences = [SequenceDef("s"), SequenceDef("items"), SequenceDef("Items")]
    catalog.set_tables([Table("t", columns), *SEQUENCE_TABLES], sequences=sequences)
    return catalog


def _emulated(catalog: Catalog, sql: str) -> list[tuple[str, ...]]:
    session = SimpleSession(user=SUPERUSER, database=DATABASE)
    return _split("\n".join(str(row[0]) for row in catalog.execute(sql, (), session).rows))


def test_plain_and_pretty_forms_print_as_postgresql(
    postgres: RealPostgres, emulated: Catalog
) -> None:
    expected = _split(postgres.psql(PRINTED, dbname=DATABASE))
    assert len(expected) == len(ALL_DEFAULTS) - 2  # two NULL defaults are not stored
    actual = _emulated(emulated, PRINTED)
    mismatches = [
        (ALL_DEFAULTS[int(want[0][1:])], got, want)
        for got, want in zip(actual, expected, strict=True)
        if got != want
    ]
    assert mismatches == [], mismatches


def test_sequence_dependencies_are_postgresqls(postgres: RealPostgres, emulated: Catalog) -> None:
    expected = _split(postgres.psql(DEPENDS, dbname=DATABASE))
    assert ("a", "s", "0", "n") in expected  # a default with nextval inside an expression
    assert ("id", "Mixed", "1", "a") not in expected  # the sequence owns nothing: it is owned
    assert _emulated(emulated, DEPENDS) == expected


def test_pretty_form_spelled_out() -> None:
    for (ty, default), plain, pretty in [
        (("int", "(1 + 2) * 3"), "((1 + 2) * 3)", "(1 + 2) * 3"),
        (("int", "1 - (2 - 3)"), "(1 - (2 - 3))", "1 - (2 - 3)"),
        (("text", "5::text"), "(5)::text", "5::text"),
        (("boolean", "(not false)"), "(NOT false)", "NOT false"),
        (("bigint", "nextval('s') + 1"), "(nextval('s'::regclass) + 1)", None),
        (("int", "1 + 2.5"), "((1)::numeric + 2.5)", "(1::numeric + 2.5)"),
        (("interval", "'2 hours'"), "'02:00:00'::interval", None),
    ]:
        column = Column("c", ty)
        assert deparse_default(default, column.type_oid, column.typmod) == plain
        printed = deparse_default(default, column.type_oid, column.typmod, pretty=True)
        assert printed == (pretty or plain.removeprefix("(").removesuffix(")"))


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Items", ("items",)),
        ('"Items"', ("Items",)),
        (" Public . S ", ("public", "s")),
        ('"a""b".C', ('a"b', "c")),
        ("a..b", None),
        ("a b", None),
        ('""', None),
        ("a.b.c.d", None),
    ],
)
def test_relation_names_read_as_regclassin_does(text: str, parts: tuple[str, ...] | None) -> None:
    assert relation_name_parts(text) == parts


def test_unreadable_constants_keep_their_text() -> None:
    column = Column("c", "interval")
    assert deparse_default("'2 fortnights'", column.type_oid, -1) == "'2 fortnights'::interval"
    column = Column("c", "date")
    assert deparse_default("'2024-02-30'", column.type_oid, -1) == "'2024-02-30'::date"
