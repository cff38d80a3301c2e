"""Sequences shared by every process serving one database file (``--workers``).

Two `SQLiteDatabase` objects on one file stand for two worker processes: each has its own
connections and its own memory, as two processes do.  Serial values must never collide, a
rolled-back value is never handed out again by the process that took it (as in PostgreSQL),
and setval/TRUNCATE ... RESTART IDENTITY reach the other process too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite.sequences import SEQUENCE_TABLE

from .conftest import Client, fails


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[tuple[Client, Client]]:
    path = str(tmp_path / "shared.sqlite3")
    first, second = SQLiteDatabase(path, busy_timeout=0), SQLiteDatabase(path, busy_timeout=0)
    one, other = Client(first), Client(second)
    one.run("create table t (id serial primary key, w int)")
    yield one, other
    for client in (one, other):
        client.backend.connection_lost()
    first.close()
    second.close()


def test_interleaved_inserts_from_two_processes_never_collide(
    workers: tuple[Client, Client],
) -> None:
    one, other = workers
    ids = []
    for _ in range(20):
        for number, client in enumerate(workers):
            ids.append(client.value("insert into t (w) values ($1) returning id", number))
        ids.append(other.value("select nextval('t_id_seq')"))
    assert ids == list(range(1, 61))
    assert one.value("select count(distinct id) from t") == 40


def test_a_rolled_back_value_is_skipped_and_setval_is_seen_everywhere(
    workers: tuple[Client, Client],
) -> None:
    one, other = workers
    one.transaction("BEGIN")
    assert one.value("insert into t (w) values (1) returning id") == 1
    one.transaction("ROLLBACK")
    assert one.value("insert into t (w) values (2) returning id") == 2
    assert other.value("select setval('t_id_seq', 100)") == 100
    assert one.value("insert into t (w) values (3) returning id") == 101
    one.run("truncate t restart identity")
    assert other.value("insert into t (w) values (4) returning id") == 1


def test_the_sequences_table_is_not_an_application_table(workers: tuple[Client, Client]) -> None:
    one, _ = workers
    one.value("insert into t (w) values (1) returning id")
    names = [
        row[0] for row in one.rows("select tablename from pg_tables where schemaname = 'public'")
    ]
    assert names == ["t"]
    assert SEQUENCE_TABLE.startswith("_txpg_")


def test_options_are_shared_and_a_rolled_back_step_is_skipped(
    workers: tuple[Client, Client],
) -> None:
    one, other = workers
    one.run("create sequence stepped increment by 5 maxvalue 26")
    one.transaction("BEGIN")
    assert one.rows("select nextval('stepped'), nextval('stepped')") == [(1, 6)]
    one.transaction("ROLLBACK")
    assert one.rows("select last_value, is_called from stepped") == [(6, True)]
    assert one.value("select nextval('stepped')") == 11
    assert other.value("select nextval('stepped')") == 16
    other.run("alter sequence stepped increment by -10 minvalue -4")
    assert one.value("select nextval('stepped')") == 6
    one.transaction("BEGIN")
    assert one.value("select nextval('stepped')") == -4
    one.transaction("ROLLBACK")
    assert fails(one, "select nextval('stepped')").sqlstate == "2200H"
    assert other.value("select setval('stepped', 26)") == 26
    assert one.value("select nextval('stepped')") == 16
