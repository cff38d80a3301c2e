"""The statements of a PostgreSQL plain dump that only restoring one needs (pg_dump's forms):
owners, sequences made apart from their column, schema-qualified types and function calls,
constraints added afterwards to a table with enum and domain columns."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .conftest import Client, fails


@pytest.fixture
def restored(connect: Callable[[], Client]) -> Client:
    client = connect()
    for sql in (
        "CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy')",
        "ALTER TYPE public.mood OWNER TO postgres",
        "CREATE DOMAIN public.posint AS integer CONSTRAINT posint_check CHECK ((VALUE > 0))",
        "ALTER DOMAIN public.posint OWNER TO postgres",
        "CREATE TABLE public.a (id integer NOT NULL, rank public.posint)",
        "CREATE TABLE public.t (id integer NOT NULL, a_id integer, feeling public.mood)",
        "ALTER TABLE public.t OWNER TO postgres",
        "CREATE SEQUENCE public.t_id_seq AS integer START WITH 1 INCREMENT BY 1 "
        "NO MINVALUE NO MAXVALUE CACHE 1",
        'ALTER TABLE public.t_id_seq OWNER TO "postgres"',
        "ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id",
        "ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT "
        "nextval('public.t_id_seq'::regclass)",
        "INSERT INTO a VALUES (1, 5)",
        "INSERT INTO t VALUES (1, 1, 'ok'), (7, NULL, 'sad')",
        "SELECT pg_catalog.setval('public.t_id_seq', 7, true)",
        "ALTER TABLE ONLY public.a ADD CONSTRAINT a_pkey PRIMARY KEY (id)",
        "ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id)",
        "ALTER TABLE ONLY public.t ADD CONSTRAINT t_a_id_fkey FOREIGN KEY (a_id) "
        "REFERENCES public.a(id) ON DELETE CASCADE",
    ):
        client.run(sql)
    return client


def test_the_restored_tables_work_as_written(restored: Client) -> None:
    assert restored.rows("select id, a_id, feeling from t order by id") == [
        (1, 1, "ok"), (7, None, "sad")
    ]  # fmt: skip
    assert restored.rows("select last_value, is_called from t_id_seq") == [(7, True)]
    assert restored.value("insert into t (feeling) values ('happy') returning id") == 8
    # The enum's check survives the rebuilds (the backend reports it as a check violation).
    assert fails(restored, "insert into t (feeling) values ('angry')").sqlstate == "23514"
    assert fails(restored, "insert into a values (2, 0)").sqlstate == "23514"
    assert fails(restored, "insert into t (a_id) values (99)").sqlstate == "23503"
    assert fails(restored, "insert into t (id) values (1)").sqlstate == "23505"
    restored.run("delete from a where id = 1")
    assert restored.rows("select id from t order by id") == [(7,), (8,)]


def test_owner_statements_are_accepted_and_nothing_else_is_mistaken_for_one(
    client: Client,
) -> None:
    client.run("create table o (id int, owner text)")
    assert client.run("ALTER TABLE o OWNER TO someone").command_tag == "ALTER TABLE"
    assert client.run("alter function public.f(integer) owner to x").command_tag == (
        "ALTER FUNCTION"
    )
    client.run("alter table o rename column owner to x")
    assert [column.name for column in client.run("select * from o").columns or ()] == ["id", "x"]


def test_create_and_alter_sequence(client: Client) -> None:
    client.run("create table s (id integer not null, v text)")
    assert client.run("create sequence s_id_seq start 100").command_tag == "CREATE SEQUENCE"
    client.run("alter table s alter column id set default nextval('s_id_seq'::regclass)")
    assert client.rows("select last_value, is_called from s_id_seq") == [(100, False)]
    assert client.value("insert into s (v) values ('a') returning id") == 100
    assert client.run("alter sequence s_id_seq restart with 5").command_tag == "ALTER SEQUENCE"
    assert client.value("insert into s (v) values ('b') returning id") == 5
    client.run("create sequence if not exists s_id_seq start 1000")  # exists: unchanged
    assert client.value("insert into s (v) values ('c') returning id") == 6
    client.run("create sequence other_seq increment by 2")
    assert client.rows("select nextval('other_seq'), nextval('other_seq')") == [(1, 3)]
    assert fails(client, "create sequence other_seq").sqlstate == "42P07"
