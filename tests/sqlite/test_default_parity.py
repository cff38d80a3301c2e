"""Column defaults of the SQLite default against a real PostgreSQL 15 (``parity.py``).

The catalog must print a column's default as PostgreSQL does (``pg_get_expr(adbin,
adrelid)``, ``information_schema.columns.column_default``, psql's ``\\d``), from the
expression the application wrote, not from its SQLite translation; and the default must still
give the same value on INSERT.  Covered: CREATE TABLE, ALTER TABLE ADD COLUMN, ALTER COLUMN
SET/DROP DEFAULT and TYPE, rebuilds of the table by other actions, renames, serial and
identity columns, sequences OWNED BY a column, and a database file written before the
backend kept the defaults' text.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests.sqlite.parity import answers, connected, parity_servers, same

PSQL = shutil.which("psql")

#: (column definition, expression checking the value its default gave).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("a int default 42", "a"),
    ("b int default -7", "b"),
    ("c bigint default 9000000000", "c"),
    ("d numeric(10,2) default 3.5", "d"),
    ("e numeric default -0.25", "e"),
    ("f real default 1.5", "f"),
    ("g double precision default -2", "g"),
    ("h text default 'hello'", "h"),
    ("i varchar(10) default 'it''s'", "i"),
    ("j char(3) default 'ab'", "j = 'ab'"),  # the padding is not kept: rowconvert's
    ("k text default 5::text", "k"),
    ("l int[] default '{1,2}'", "l"),
    ("m integer[] default '{1,2}'::integer[]", "m"),
    ("n text[] default array['x', 'y']", "n"),
    ("o date default current_date", "o = current_date"),
    ("p timestamptz default current_timestamp", "p <= now()"),
    ("q timestamptz default now()", "q <= now()"),
    ("r timestamp default localtimestamp", "r <= localtimestamp"),
    ("s date default '2024-01-02'", "s"),
    ("t time default '12:34:56'", "t"),
    ("u interval default '1 day'", "u"),
    ("v boolean default true", "v"),
    ("w boolean default 'f'", "w"),
    ("x json default '{\"a\": 1}'", "x::text"),
    ("y jsonb default '[]'::jsonb", "y"),
    ("z int default (1 + 2) * 3", "z"),
    ("aa bigint default nextval('s') + 1", "aa > 1"),
    ("ab bigint default nextval('s')", "ab > 0"),
    ("ac text default upper('abc')", "ac"),
    ("ad text default 'a' || 'b'", "ad"),
    ("ae int default length('abc')", "ae"),
    ("af text default current_user", "af"),
    ("ag numeric(5,1) default 2", "ag"),
    ("ah smallint default -1", "ah"),
    ("ai uuid default '00000000-0000-0000-0000-000000000000'", "ai"),
    ("aj text default null", "aj"),
    ("ak int default abs(-3)", "ak"),
    ("al varchar default 'x'::character varying", "al"),
    ("am int default '12'", "am"),
    ("an text default coalesce(null, 'z')", "an"),
    ("ao double precision default random()", "ao >= 0"),
    ("ap boolean default (not false)", "ap"),
    ("aq numeric default 1.50", "aq = 1.5"),  # nor a numeric's trailing zeros
    ("ar serial", "ar > 0"),
    ("at bigint default -9000000000", "at"),
    ("au text default 'x'::text", "au"),
    ("aw date default current_date + 1", "aw is not null"),  # checked below, too
)
DEFAULTS = """
select a.attname, pg_get_expr(d.adbin, d.adrelid)
from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
where d.adrelid = '{relation}'::regclass order by a.attnum
"""
INFORMATION = """
select column_name, column_default from information_schema.columns
where table_schema = 'public' and table_name = '{table}' order by ordinal_position
"""


def catalog_queries(table: str) -> list[str]:
    """The queries showing the defaults of ``table`` in pg_attrdef and information_schema."""
    relation = table if table == table.lower() else f'"{table}"'
    return [DEFAULTS.format(relation=relation), INFORMATION.format(table=table)]


def describe(dsn: str, table: str) -> str:
    """psql's ``\\d table`` on the server at ``dsn``."""
    assert PSQL is not None
    completed = subprocess.run(
        [PSQL, "-X", "-d", dsn, "-c", f"\\d {table}"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PGCONNECT_TIMEOUT="10"),
        check=True,
    )
    return completed.stdout


ours, theirs = parity_servers("defaults")


def test_create_table_defaults_print_and_work_as_in_postgres(ours: str, theirs: str) -> None:
    columns = ", ".join(definition for definition, _ in COLUMNS)
    checks = ", ".join(check for _, check in COLUMNS)
    same(
        ours,
        theirs,
        [
            "create sequence s",
            f"create table t (id int, {columns})",
            *catalog_queries("t"),
            "insert into t (id) values (1)",
            f"select {checks} from t",
        ],
    )
    assert dumped(ours, "t") == dumped(theirs, "t")


def test_alter_table_defaults(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create sequence s2",
            "create table w (id int primary key, a int, b text default 'x')",
            # In place (a constant) and by a rebuild (an expression).
            "alter table w add column c date default current_date",
            "alter table w add column d int default -5",
            "alter table w add column e int[] default '{3,4}'",
            "alter table w add column f bigint default nextval('s2') * 2",
            "alter table w alter column a set default 7 + 1",
            "alter table w alter column b set default upper('y')",
            *catalog_queries("w"),
            "alter table w alter column b drop default",
            "alter table w alter column a type bigint",
            "alter table w add constraint w_d_check check (d < 100)",
            *catalog_queries("w"),
            "alter table w rename column c to c2",
            "alter table w rename to w2",
            *catalog_queries("w2"),
            "alter table w2 drop column d",
            "alter table w2 alter column a type text",
            "alter table w2 rename column e to e2",
            "alter table w2 add column g text default 'g' || 'h'",
            *catalog_queries("w2"),
            "insert into w2 (id) values (1)",
            "select id, a, b, c2 = current_date, e2, f > 0, g from w2",
        ],
    )


def test_serial_identity_and_owned_sequence_defaults(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create sequence s3",
            "create table x (id serial, n int generated always as identity, m bigserial, "
            "o int default nextval('public.s3'::regclass), p int default nextval('s3') + 1)",
            *catalog_queries("x"),
            "create sequence x_q_seq owned by x.id",
            "alter table x add column q int default nextval('x_q_seq')",
            "alter table x alter column n drop identity",
            *catalog_queries("x"),
            "alter table x alter column n add generated by default as identity",
            "alter table x alter column o set default nextval('x_q_seq'::regclass) - 1",
            *catalog_queries("x"),
            "insert into x default values",
            "select * from x",
            'create table "Items" (id serial, k text)',
            *catalog_queries("Items"),
        ],
    )


def test_enum_and_domain_defaults(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create domain posint as int default 1 check (value > 0)",
            "create type mood as enum ('a', 'b')",
            "create table dm (id int, p posint, q posint default 5, m mood default 'a', "
            "n mood default 'b'::mood, \"Mixed\" text default 'M')",
            *catalog_queries("dm"),
            "insert into dm (id) values (1)",
            "select * from dm",
        ],
    )


@pytest.mark.skipif(PSQL is None, reason="psql is not installed")
def test_psql_describe_shows_the_defaults(ours: str, theirs: str) -> None:
    columns = ", ".join(definition for definition, _ in COLUMNS)
    for dsn in (ours, theirs):
        created = answers(dsn, [f"create table plain (id int, {columns})"])
        assert created.outcomes == [("CREATE TABLE", None)]
    assert describe(ours, "plain") == describe(theirs, "plain")


@pytest.mark.skipif(PSQL is None, reason="psql is not installed")
def test_psql_describe_prints_operators_as_postgres_pretty_does(ours: str, theirs: str) -> None:
    for dsn in (ours, theirs):
        answers(dsn, ["create table pretty (a int default (1 + 2) * 3, b text default 5::text)"])
    assert describe(ours, "pretty") == describe(theirs, "pretty")


def test_date_arithmetic_in_a_default_gives_postgres_value(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table dates (id int, d date default current_date + 1)",
            "insert into dates (id) values (1)",
            "select d = current_date + 1 from dates",
        ],
    )


def test_a_database_file_without_the_kept_texts_still_shows_its_defaults(
    tmp_path: Path,
) -> None:
    """A file written before the PostgreSQL texts were kept: its defaults are read back from
    their SQLite text, work, and take the kept form once set again."""
    database = tmp_path / "old.sqlite3"
    with connected(database) as conn:
        conn.execute("create sequence old_s")
        conn.execute(
            "create table old (id int, a int default -1, b text default 5::text, "
            "c date default current_date, d serial, e text[] default '{1,\"x y\"}', "
            "f bigint default nextval('old_s') + 1, g text[] default array['p', 'q'])"
        )
    with sqlite3.connect(database) as raw:
        raw.execute('DROP TABLE "_txpg_defaults"')
    with connected(database) as conn:
        query = DEFAULTS.format(relation="old")
        assert conn.execute(query).fetchall() == [
            ("a", "'-1'::integer"),
            ("b", "'5'::text"),  # the cast was applied when the table was made
            ("c", "CURRENT_DATE"),
            ("d", "nextval('old_d_seq'::regclass)"),
            ("e", "'{1,\"x y\"}'::text[]"),
            ("f", "(nextval('old_s'::regclass) + 1)"),
            ("g", "ARRAY['p'::text, 'q'::text]"),
        ]
        conn.execute("insert into old (id) values (1)")
        row = conn.execute("select a, b, c = current_date, d, f, g from old").fetchone()
        assert row == (-1, "5", True, 1, 2, ["p", "q"])
        conn.execute("alter table old alter column b set default 5::text")
        assert conn.execute(query).fetchall()[1] == ("b", "(5)::text")


def dumped(dsn: str, table: str) -> str:
    """The CREATE TABLE of ``table`` in a schema-only pg_dump of the server at ``dsn``."""
    completed = subprocess.run(
        ["pg_dump", "--schema-only", "-t", table, "-d", dsn],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    text = completed.stdout
    start = text.index(f"CREATE TABLE public.{table} (")
    return text[start : text.index(");", start)]


def test_create_table_if_not_exists_keeps_the_defaults_there(ours: str) -> None:
    with psycopg.connect(ours, autocommit=True) as conn:
        conn.execute("create table kept (id int, a text default 'a' || 'b')")
        query = DEFAULTS.format(relation="kept")
        before = conn.execute(query).fetchall()
        conn.execute("create table if not exists kept (id int, a text default 'zz')")
        assert conn.execute(query).fetchall() == before == [("a", "('a'::text || 'b'::text)")]
        conn.execute(
            "create table if not exists fresh (a text default 5::text, b int default -1, "
            "c int[] default '{1}', d date default current_date + 1)"
        )
        assert conn.execute(DEFAULTS.format(relation="fresh")).fetchall() == [
            ("a", "(5)::text"),
            ("b", "'-1'::integer"),
            ("c", "'{1}'::integer[]"),
            ("d", "(CURRENT_DATE + 1)"),
        ]
