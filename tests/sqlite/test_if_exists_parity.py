"""``IF [NOT] EXISTS`` DDL and typed default arithmetic of the SQLite default, against a real
PostgreSQL 15 (``parity.py``).

PostgreSQL answers an ``IF [NOT] EXISTS`` that finds nothing to do with a "…, skipping"
NOTICE and the usual command tag; the same text must be answered again after the schema
changed (plans are cached per schema version).  A column default's date, timestamp and
interval arithmetic must give PostgreSQL's values, as a query's does.
"""

from __future__ import annotations

from tests.sqlite.parity import parity_servers, same

ours, theirs = parity_servers("if_exists")


def test_tables_and_indexes(ours: str, theirs: str) -> None:
    expected = same(
        ours,
        theirs,
        [
            "create table if not exists tn (a int)",
            "create table if not exists tn (a int)",
            "create table if not exists tn (b text)",
            "insert into tn values (1)",
            "select * from tn",
            "create index if not exists tn_i on tn (a)",
            "create index if not exists tn_i on tn (a)",
            "create index if not exists tn on tn (a)",
            "create table if not exists tn_i (a int)",
            "create sequence tn_s",
            "create table if not exists tn_s (a int)",
            "drop index if exists tn_i",
            "drop index if exists tn_i",
            "drop index if exists nosuch_i",
            "drop table if exists nosuch",
            "drop table if exists tn, nosuch2",
            "drop table if exists tn",
            "create table if not exists tn (c int)",
            "select * from tn",
            "drop table tn",
            "drop table nosuch",
            "drop table if exists nosuch, nosuch2",
            "drop index nosuch_i",
            "drop view nosuch_v",
        ],
    )
    assert expected.notices[1] == (("NOTICE", 'relation "tn" already exists, skipping', None),)
    assert expected.notices[15] == (("NOTICE", 'table "nosuch2" does not exist, skipping', None),)


def test_relations_of_another_kind(ours: str, theirs: str) -> None:
    """One namespace for tables, views, indexes and sequences: a name of another kind is an
    error for DROP and CREATE, a skip for CREATE … IF NOT EXISTS."""
    same(
        ours,
        theirs,
        [
            "create table kt (a int)",
            "create view kv as select 1 as one",
            "create index ki on kt (a)",
            "create sequence ks",
            *(
                f"drop {kind}{exists} {name}"
                for kind in ("table", "view", "index")
                for exists in ("", " if exists")
                for name in ("kt", "kv", "ki", "ks")
            ),
            "create index if not exists ks on kt (a)",
            "create table if not exists kv (a int)",
            "create index if not exists kt on kt (a)",
            "create index if not exists ki on nosuch (a)",
            "create table kt (b int)",
            "create view kv as select 2",
            "create index ki on kt (a)",
            "create table ks (a int)",
            "create sequence kt",
            "create sequence if not exists kv",
            "create sequence if not exists ki",
            "create table if not exists kt as select 1 as x",
            "create table if not exists kt2 as select 1 as x",
            "create table kt as select 1 as x",
            "select * from kt2",
            "drop table if exists kt, kv",
            "select * from kt",
        ],
    )


def test_inside_a_transaction(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "begin",
            "create table if not exists tx (a int)",
            "create table if not exists tx (a int)",
            "alter table tx add column if not exists a int",
            "drop table if exists tx",
            "drop table if exists tx",
            "create table if not exists tx (b int)",
            "commit",
            "create table if not exists tx (a int)",
            "select * from tx",
            "begin",
            "drop table tx",
            "create table if not exists tx (c int)",
            "rollback",
            "create table if not exists tx (a int)",
            "drop table if exists tx",
        ],
    )


def test_views_types_and_schemas(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create view vv as select 1 as one",
            "drop view if exists vv",
            "drop view if exists vv",
            "drop view if exists nosuch_v",
            "create view if not exists v as select 1",
            "create or replace view IF NOT exists v as select 1",
            "create type mood as enum ('a', 'b')",
            "drop type if exists mood",
            "drop type if exists mood",
            "drop type if exists nosuch_t, mood",
            "create domain posint as int",
            "drop domain if exists posint",
            "drop domain if exists posint",
            "create schema if not exists public",
            "create schema if not exists pg_catalog",
            "create schema if not exists information_schema",
            "create schema public",
            "drop schema if exists nosuch_s",
            "drop schema nosuch_s",
        ],
    )


def test_columns(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table tc (a int, b text)",
            "alter table tc add column if not exists a int",
            "alter table tc drop column if exists zz",
            "alter table tc add column if not exists c int default 3",
            "alter table tc add column if not exists c int default 4",
            "alter table tc drop column if exists b, drop column if exists b2",
            "alter table tc add column if not exists a int, add column if not exists d int",
            "alter table if exists nosuch add column a int",
            "alter table tc add constraint tc_c_check check (c > 0)",
            "alter table tc drop constraint if exists nosuch",
            "alter table tc drop constraint if exists tc_c_check",
            "alter table tc drop constraint if exists tc_c_check",
            "alter table tc drop constraint tc_c_check",
            "create table if not exists tc (like tc)",
            "insert into tc (a) values (1)",
            "select * from tc",
        ],
    )


def test_default_arithmetic_gives_postgres_values(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table da (id int, "
            "a date default current_date + 1, "
            "b date default current_date - 3, "
            "c date default 7 + current_date, "
            "d timestamp default timestamp '2024-01-31 10:00' + interval '1 month', "
            "e timestamptz default now() + interval '1 day', "
            "f timestamp default localtimestamp - interval '2 hours', "
            "g int default date '2024-03-01' - date '2024-02-01', "
            "h interval default interval '1 day' * 3, "
            "i timestamp default date '2024-01-01' + interval '36 hours', "
            "j numeric default 7::numeric / 2)",
            "alter table da add column k date default current_date + 10",
            "alter table da alter column b set default current_date - 30",
            "insert into da (id) values (1)",
            "select a = current_date + 1, b = current_date - 30, c = current_date + 7, d, "
            "e between now() + interval '23 hours' and now() + interval '1 day', "
            "f between localtimestamp - interval '3 hours' "
            "and localtimestamp - interval '2 hours', "
            "g, h, i, j = 3.5, k = current_date + 10 from da",
            "select pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d "
            "where d.adrelid = 'da'::regclass order by d.adnum",
        ],
    )
