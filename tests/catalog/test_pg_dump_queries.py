"""The catalog facts pg_dump reads, for an application schema, without a server.

pg_dump runs with ``search_path = ''`` and asks for: default privileges (``acldefault``),
initdb's privileges (``pg_init_privs``, so built-in ACLs are left out of a dump), the first
character of a type name (``typname[0] = '_'``), column defaults and view definitions as
they read on that empty path, the dependencies of defaults and views (``pg_depend``,
``pg_rewrite``) it orders the dump by, each sequence's type (``pg_sequence``) and the tables' CHECK
constraints (``pg_constraint``).  Expected
values are what PostgreSQL 15 answers for the same schema (checked against a real server in
``tests/catalog_e2e/test_pg_dump.py``).
"""

from __future__ import annotations

import pytest

from txpostgres_proto.catalog import Catalog, Check, Column, ForeignKey, SimpleSession, Table
from txpostgres_proto.catalog.viewsql import qualified_definition, referenced_relations
from txpostgres_proto.protocol.errors import PostgresError

AUTHORS = Table("authors", (Column("id", "serial", primary_key=True), Column("name", "text")))
BOOKS = Table(
    "books",
    (
        Column("id", "integer", primary_key=True, default="nextval('books_id_seq'::regclass)"),
        Column("author_id", "integer"),
        Column("price", "numeric(10,2)"),
    ),
    foreign_keys=(ForeignKey(("author_id",), "authors", ("id",)),),
    checks=(Check("price > 0"), Check("author_id <> id"), Check("'price' <> ''", name="lit")),
)
CHEAP = Table(
    "cheap_books",
    (Column("id", "integer"), Column("price", "numeric(10,2)")),
    kind="v",
    definition="SELECT id, price FROM books WHERE price < 10",
)
COMPUTED = Table("numbers", (Column("n", "bigint"), Column('"odd" name', "text")), kind="v")
EMPTY_PATH = {"search_path": ""}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    catalog = Catalog()
    catalog.set_tables([AUTHORS, BOOKS, CHEAP, COMPUTED])
    return catalog


def _rows(catalog: Catalog, sql: str, **settings: str) -> list[tuple[object, ...]]:
    session = SimpleSession(settings=dict(settings))
    return [tuple(row) for row in catalog.execute(sql, [], session).rows]


def test_acldefault_gives_acl_c_s_defaults(catalog: Catalog) -> None:
    rows = _rows(
        catalog,
        "SELECT acldefault('r', 10)::text, acldefault('f', 10)::text, acldefault('n', 10)::text,"
        " acldefault('c', 10)::text, acldefault('T', 10)::text, acldefault('s', NULL)",
    )
    assert rows == [
        (
            "{postgres=arwdDxt/postgres}", "{=X/postgres,postgres=X/postgres}",
            "{postgres=UC/postgres}", "{}", "{=U/postgres,postgres=U/postgres}", None,
        )
    ]  # fmt: skip
    with pytest.raises(PostgresError, match="unrecognized object type abbreviation"):
        _rows(catalog, "SELECT acldefault('x', 10)")


def test_pg_init_privs_holds_the_built_in_acls(catalog: Catalog) -> None:
    rows = _rows(
        catalog,
        "SELECT classoid::regclass::text, count(*), count(*) FILTER (WHERE objsubid <> 0) "
        "FROM pg_init_privs WHERE privtype = 'i' GROUP BY 1 ORDER BY 1",
    )
    # PostgreSQL 15 after initdb: 139 relations and 13 of their columns, 59 functions, and
    # the schemas pg_catalog and public.
    assert rows == [("pg_class", 152, 13), ("pg_namespace", 2, 0), ("pg_proc", 59, 0)]
    # pg_dump's question "has this built-in function's ACL changed?" is answered "no".
    changed = _rows(
        catalog,
        "SELECT count(*) FROM pg_proc p LEFT JOIN pg_init_privs pip ON p.oid = pip.objoid "
        "AND pip.classoid = 'pg_proc'::regclass AND pip.objsubid = 0 "
        "WHERE p.proacl IS DISTINCT FROM pip.initprivs",
    )
    assert changed == [(0,)]


def test_a_name_subscript_is_one_character(catalog: Catalog) -> None:
    rows = _rows(
        catalog,
        "SELECT typname[0], typname[1], typname[0] = '_' FROM pg_type "
        "WHERE typname IN ('_int4', 'int4') ORDER BY pg_type.typname",
    )
    assert rows == [("_", "i", True), ("i", "n", False)]


def test_defaults_are_qualified_on_an_empty_search_path(catalog: Catalog) -> None:
    sql = (
        "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef "
        "WHERE adrelid = 'public.authors'::regclass"
    )
    assert _rows(catalog, sql) == [("nextval('authors_id_seq'::regclass)",)]
    assert _rows(catalog, sql, **EMPTY_PATH) == [("nextval('public.authors_id_seq'::regclass)",)]


def test_current_schemas_of_an_empty_search_path(catalog: Catalog) -> None:
    assert _rows(catalog, "SELECT current_schemas(false)", **EMPTY_PATH) == [([],)]
    assert _rows(catalog, "SELECT current_schemas(false)") == [(["public"],)]


def test_view_definitions_end_with_a_semicolon_and_qualify_on_the_path(catalog: Catalog) -> None:
    sql = "SELECT pg_get_viewdef('public.cheap_books'::regclass)"
    assert _rows(catalog, sql) == [("SELECT id, price FROM books WHERE price < 10;",)]
    assert _rows(catalog, sql, **EMPTY_PATH) == [
        ("SELECT id, price FROM public.books WHERE price < 10;",)
    ]


def test_a_computed_view_reads_as_its_typed_columns(catalog: Catalog) -> None:
    (row,) = _rows(catalog, "SELECT pg_get_viewdef('public.numbers'::regclass)")
    assert row == (' SELECT NULL::bigint AS n,\n    NULL::text AS """odd"" name"\n  WHERE false;',)


def test_defaults_and_views_carry_their_dependencies(catalog: Catalog) -> None:
    rows = _rows(
        catalog,
        "SELECT classid::regclass::text, refobjid::regclass::text, refobjsubid, deptype "
        "FROM pg_depend WHERE classid IN ('pg_attrdef'::regclass, 'pg_rewrite'::regclass) "
        "ORDER BY objid, deptype, refobjid",
    )
    assert rows == [
        ("pg_attrdef", "authors", 1, "a"),
        ("pg_attrdef", "authors_id_seq", 0, "n"),
        ("pg_attrdef", "books", 1, "a"),
        ("pg_attrdef", "books_id_seq", 0, "n"),
        ("pg_rewrite", "cheap_books", 0, "i"),
        ("pg_rewrite", "books", 0, "n"),
        ("pg_rewrite", "numbers", 0, "i"),
    ]
    rules = _rows(
        catalog,
        "SELECT rulename, ev_class::regclass::text, ev_type, is_instead, ev_enabled "
        "FROM pg_rewrite ORDER BY oid",
    )
    assert rules == [
        ("_RETURN", "cheap_books", "1", True, "O"),
        ("_RETURN", "numbers", "1", True, "O"),
    ]


def test_sequences_take_the_type_of_their_column(catalog: Catalog) -> None:
    rows = _rows(
        catalog,
        "SELECT seqrelid::regclass::text, format_type(seqtypid, NULL) FROM pg_sequence ORDER BY 1",
    )
    assert rows == [("authors_id_seq", "integer"), ("books_id_seq", "integer")]


def test_view_sql_relations_and_qualification() -> None:
    sql = "WITH w AS (SELECT 1 AS x) SELECT * FROM w, items i JOIN s.other o ON true, items"
    assert referenced_relations(sql) == [(None, "items"), ("s", "other")]
    nested = "SELECT * FROM (SELECT a FROM t1) x WHERE EXISTS (SELECT 1 FROM t2)"
    assert referenced_relations(nested) == [(None, "t1"), (None, "t2")]
    assert qualified_definition(sql, lambda schema, name: None) == sql
    rewritten = qualified_definition(sql, lambda schema, name: "public")
    assert "public.items AS i" in rewritten and "s.other" in rewritten
    assert "public.w" not in rewritten and rewritten.endswith(";")
    assert referenced_relations("not sql at all (") == []
    assert qualified_definition("not sql at all (", lambda schema, name: "x") == (
        "not sql at all ("
    )


def test_check_constraints_read_as_in_postgresql(catalog: Catalog) -> None:
    rows = _rows(
        catalog,
        "SELECT conname, conkey, pg_get_constraintdef(oid), pg_get_constraintdef(oid, true), "
        "pg_get_expr(conbin, conrelid) FROM pg_constraint "
        "WHERE conrelid = 'books'::regclass AND contype = 'c' ORDER BY conname",
    )
    # PostgreSQL names a check after the one column it mentions, else after the table alone.
    assert rows == [
        ("books_check", [1, 2], "CHECK ((author_id <> id))", "CHECK (author_id <> id)",
         "(author_id <> id)"),
        ("books_price_check", [3], "CHECK ((price > 0))", "CHECK (price > 0)", "(price > 0)"),
        ("lit", None, "CHECK (('price' <> ''))", "CHECK ('price' <> '')", "('price' <> '')"),
    ]  # fmt: skip
    assert _rows(catalog, "SELECT relchecks FROM pg_class WHERE relname = 'books'") == [(3,)]
    clauses = _rows(
        catalog,
        "SELECT constraint_name, check_clause FROM information_schema.check_constraints ORDER BY 1",
    )
    assert clauses == [
        ("books_check", "((author_id <> id))"),
        ("books_price_check", "((price > 0))"),
        ("lit", "(('price' <> ''))"),
    ]
    used = _rows(
        catalog,
        "SELECT constraint_name, column_name FROM information_schema.constraint_column_usage "
        "WHERE constraint_name LIKE 'books_%check' ORDER BY 1, 2",
    )
    assert used == [
        ("books_check", "author_id"), ("books_check", "id"), ("books_price_check", "price")
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "name"),
    [
        ("price > 0", "t_price_check"),
        ("t.price > 0 AND price < 9", "t_price_check"),
        ("lower(name) <> ''", "t_name_check"),  # lower( is a call, not the column "lower"
        ("'price' <> 'name'", "t_check"),  # string literals name no column
        ('"Mixed" > 0', "t_Mixed_check"),
        ("mixed > 0", "t_check"),  # a bare word folds to lower case: not "Mixed"
        ("price < qty", "t_check"),
    ],
)
def test_check_names_follow_postgresql(expression: str, name: str) -> None:
    columns = ("price", "qty", "name", "lower", "Mixed")
    assert Check(expression).constraint_name("t", columns) == name
    assert Check(expression, name="given").constraint_name("t", columns) == "given"
