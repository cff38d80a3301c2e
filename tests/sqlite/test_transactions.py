"""Transactions, savepoints and several sessions sharing one SQLite database."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sqlite.conftest import Client, fails


@pytest.fixture
def pair(connect: Callable[[], Client]) -> tuple[Client, Client]:
    first, second = connect(), connect()
    first.run("create table t (id serial primary key, v text)")
    return first, second


def test_rollback_discards(pair: tuple[Client, Client]) -> None:
    first, _ = pair
    first.transaction("BEGIN")
    first.run("insert into t (v) values ('x')")
    assert first.value("select count(*) from t") == 1
    first.transaction("ROLLBACK")
    assert first.value("select count(*) from t") == 0


def test_committed_data_is_shared_uncommitted_is_not(pair: tuple[Client, Client]) -> None:
    first, second = pair
    first.transaction("BEGIN")
    first.run("insert into t (v) values ('x')")
    assert second.value("select count(*) from t") == 0
    first.transaction("COMMIT")
    assert second.rows("select v from t") == [("x",)]


def test_autocommit_outside_a_block(pair: tuple[Client, Client]) -> None:
    first, second = pair
    first.run("insert into t (v) values ('auto')")
    assert second.value("select v from t") == "auto"


def test_savepoints(pair: tuple[Client, Client]) -> None:
    first, _ = pair
    first.transaction("BEGIN")
    first.run("insert into t (v) values ('kept')")
    first.transaction("SAVEPOINT", "sp")
    first.run("insert into t (v) values ('undone')")
    first.transaction("ROLLBACK TO", "sp")
    first.transaction("SAVEPOINT", "sp2")
    first.run("insert into t (v) values ('released')")
    first.transaction("RELEASE", "sp2")
    first.transaction("COMMIT")
    assert first.rows("select v from t order by id") == [("kept",), ("released",)]


def test_now_is_the_transaction_start(client: Client) -> None:
    client.transaction("BEGIN")
    first = client.value("select now()")
    second = client.value("select now()")
    client.transaction("COMMIT")
    assert first == second
    assert client.value("select now()") > first


def test_sequences_are_not_transactional(pair: tuple[Client, Client]) -> None:
    first, _ = pair
    first.transaction("BEGIN")
    assert first.value("insert into t (v) values ('a') returning id") == 1
    first.transaction("ROLLBACK")
    assert first.value("insert into t (v) values ('b') returning id") == 2


def test_second_writer_gets_lock_error(pair: tuple[Client, Client]) -> None:
    first, second = pair
    first.transaction("BEGIN")
    first.run("insert into t (v) values ('first')")
    assert fails(second, "insert into t (v) values ('second')").sqlstate == "55P03"
    first.transaction("COMMIT")
    second.run("insert into t (v) values ('second')")
    assert second.value("select count(*) from t") == 2


def test_write_after_a_stale_snapshot_is_a_serialization_failure(
    pair: tuple[Client, Client],
) -> None:
    first, second = pair
    first.transaction("BEGIN")
    assert first.value("select count(*) from t") == 0
    second.run("insert into t (v) values ('newer')")
    assert fails(first, "insert into t (v) values ('older')").sqlstate == "40001"
    first.transaction("ROLLBACK")


def test_ddl_in_a_transaction_is_private_until_commit(pair: tuple[Client, Client]) -> None:
    first, second = pair
    catalog_query = "select relname from pg_catalog.pg_class where relname = 'fresh'"
    first.transaction("BEGIN")
    first.run("create table fresh (x int)")
    first.run("insert into fresh values (1)")
    assert first.rows(catalog_query) == [("fresh",)]
    assert second.rows(catalog_query) == []
    first.transaction("ROLLBACK")
    assert first.rows(catalog_query) == []
    assert fails(first, "select * from fresh").sqlstate == "42P01"


def test_a_statement_of_several_steps_is_atomic(pair: tuple[Client, Client]) -> None:
    first, _ = pair
    assert fails(first, "drop table t, missing").sqlstate == "42P01"
    assert first.value("select count(*) from t") == 0  # t is still there


def test_commit_of_nothing_and_begin_twice_are_harmless(client: Client) -> None:
    client.transaction("COMMIT")
    client.transaction("BEGIN")
    client.transaction("BEGIN")
    client.transaction("ROLLBACK")
    assert client.value("select 1") == 1


def test_transaction_statements_sent_as_sql(client: Client) -> None:
    """Without a protocol in front, BEGIN/COMMIT text reaches execute() and still works."""
    client.run("create table s (x int)")
    assert client.run("begin").command_tag == "BEGIN"
    client.run("insert into s values (1)")
    assert client.run("rollback").command_tag == "ROLLBACK"
    assert client.value("select count(*) from s") == 0
