"""Reading a serial column's sequence as a relation (what pg_dump sends), and ``FROM ONLY``.

PostgreSQL answers ``SELECT last_value, is_called FROM seq`` with the start value and false for
a sequence never used, and with the last value handed out and true afterwards — also after the
transaction that took it rolled back (sequences are not transactional).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.types import oids

from .conftest import Client, fails


@pytest.fixture
def owner(connect: Callable[[], Client]) -> Client:
    client = connect()
    client.run("create table t (id serial primary key, w int)")
    return client


def test_a_new_sequence_reads_its_start_value_not_called(owner: Client) -> None:
    result = owner.run("SELECT last_value, is_called, log_cnt FROM public.t_id_seq")
    assert [(column.name, column.type_oid) for column in result.columns or ()] == [
        ("last_value", oids.INT8), ("is_called", oids.BOOL), ("log_cnt", oids.INT8)
    ]  # fmt: skip
    assert result.rows == [(1, False, 0)]
    assert result.command_tag == "SELECT 1"


def test_after_nextval_the_last_value_handed_out_is_called(owner: Client) -> None:
    owner.run("insert into t (w) values (1), (2), (3)")
    assert owner.rows("select * from t_id_seq") == [(3, 0, True)]
    assert owner.rows("select s.last_value, s.is_called from t_id_seq as s") == [(3, True)]
    assert owner.value("select nextval('t_id_seq')") == 4
    assert owner.rows("select last_value, is_called from t_id_seq") == [(4, True)]


def test_a_rolled_back_value_still_counts(owner: Client, connect: Callable[[], Client]) -> None:
    owner.transaction("BEGIN")
    assert owner.value("insert into t (w) values (1) returning id") == 1
    owner.transaction("ROLLBACK")
    other = connect()
    assert other.rows("select last_value, is_called from t_id_seq") == [(1, True)]
    assert other.value("insert into t (w) values (2) returning id") == 2


def test_setval_and_restart_are_read_back(owner: Client) -> None:
    owner.value("select setval('t_id_seq', 41)")
    assert owner.rows("select last_value, is_called from t_id_seq") == [(41, True)]
    owner.value("select setval('t_id_seq', 10, false)")
    assert owner.rows("select last_value, is_called from t_id_seq") == [(10, False)]
    assert owner.value("select nextval('t_id_seq')") == 10
    assert owner.rows("select last_value, is_called from t_id_seq") == [(10, True)]
    owner.run("truncate t restart identity")
    assert owner.rows("select last_value, is_called from t_id_seq") == [(1, False)]
    owner.value("select setval('t_id_seq', 1, false)")
    assert owner.rows("select last_value, is_called from t_id_seq") == [(1, False)]


def test_data_written_without_the_sequence_is_where_it_continues(owner: Client) -> None:
    owner.run("insert into t (id, w) values (7, 0)")
    assert owner.rows("select last_value, is_called from t_id_seq") == [(7, True)]
    assert owner.value("insert into t (w) values (1) returning id") == 8


def test_another_process_reads_the_stored_state(tmp_path: Path) -> None:
    path = str(tmp_path / "two.sqlite3")
    first, second = SQLiteDatabase(path, busy_timeout=0), SQLiteDatabase(path, busy_timeout=0)
    one, other = Client(first), Client(second)
    try:
        one.run("create table t (id serial primary key, w int)")
        one.run("insert into t (w) values (1), (2)")
        assert other.rows("select last_value, is_called from public.t_id_seq") == [(2, True)]
    finally:
        one.backend.connection_lost()
        other.backend.connection_lost()
        first.close()
        second.close()


def test_unknown_sequences_and_schemas_are_still_missing(owner: Client) -> None:
    assert fails(owner, "select last_value from nothing_id_seq").sqlstate == "42P01"
    assert fails(owner, "select last_value from other.t_id_seq").sqlstate == "42P01"


def test_only_reads_and_writes_the_table_itself(owner: Client) -> None:
    owner.run("insert into t (w) values (1), (2)")
    assert owner.rows("select id, w from only public.t order by id") == [(1, 1), (2, 2)]
    assert owner.rows("select x.w from only t x where x.id = 2") == [(2,)]
    assert owner.run("update only t set w = 5 where id = 1").command_tag == "UPDATE 1"
    assert owner.run("delete from only t where id = 2").command_tag == "DELETE 1"
    assert owner.rows("select id, w from t") == [(1, 5)]
