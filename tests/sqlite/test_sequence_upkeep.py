"""What ALTER TABLE does to the sequences of a database file written by other tools: a serial
column whose sequence has no row yet (its first value comes after the column's largest) keeps
its sequence's type when the column's type changes, and carries on after its data; a serial
column added to a table with rows numbers them; a dropped table's sequence is gone for
``nextval`` but a table made again under the name starts afresh."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.sqlite.conftest import Client, fails
from txpostgres_proto.sqlite.database import SQLiteDatabase

OPTIONS = "select data_type::text, max_value from pg_sequences where sequencename = 'items_id_seq'"


def test_a_serial_column_written_by_another_tool_keeps_its_sequence(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute(
        'CREATE TABLE "items" ("id" int4 NOT NULL DEFAULT (nextval(\'items_id_seq\')), "v" text)'
    )
    raw.executemany("INSERT INTO items VALUES (?, ?)", [(1, "a"), (41, "b")])
    raw.commit()
    raw.close()
    database = SQLiteDatabase(str(path))
    client = Client(database)
    try:
        assert client.rows(OPTIONS) == [("integer", 2**31 - 1)]
        client.run("alter table items alter column id type bigint")
        assert client.rows(OPTIONS) == [("integer", 2**31 - 1)]
        assert client.value("insert into items (v) values ('c') returning id") == 42
        client.run("alter table items alter column id type smallint")
        assert client.rows(OPTIONS) == [("integer", 2**31 - 1)]
        assert client.value("insert into items (v) values ('d') returning id") == 43
    finally:
        client.backend.connection_lost()
        database.close()


def test_serial_columns_added_and_tables_dropped(client: Client) -> None:
    client.run("create table t (v int)")
    client.run("insert into t values (10), (20)")
    client.run("alter table t add column id smallserial")
    assert client.rows("select v, id from t order by v") == [(10, 1), (20, 2)]
    assert client.rows(
        "select data_type::text, max_value from pg_sequences where sequencename = 't_id_seq'"
    ) == [("smallint", 2**15 - 1)]
    client.run("drop table t")
    for sql in (
        "select nextval('t_id_seq')",
        "select setval('t_id_seq', 3)",
        "select last_value from t_id_seq",
        "alter sequence t_id_seq restart",
    ):
        assert fails(client, sql).sqlstate == "42P01", sql
    client.run("create table t (id serial, v int)")
    assert client.value("insert into t (v) values (1) returning id") == 1
