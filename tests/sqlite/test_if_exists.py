"""``IF [NOT] EXISTS`` DDL on the SQLite default without a real PostgreSQL: the "…, skipping"
NOTICEs reach the session, and a cached plan is not reused once the schema changed (the
same text asked before and after the relation exists).  ``test_if_exists_parity.py`` checks
the same answers against PostgreSQL itself."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sqlite.conftest import Client, fails


@pytest.fixture
def notices(client: Client) -> list[str]:
    """The messages of the notices ``client``'s session is sent."""
    seen: list[str] = []

    def notice(message: str, code: str, **fields: Any) -> None:
        assert code == "00000"
        seen.append(message)

    client.session.notice = notice  # type: ignore[attr-defined]
    return seen


def test_the_same_text_before_and_after_the_table_exists(
    client: Client, notices: list[str]
) -> None:
    for _ in range(3):
        assert client.run("create table if not exists tn (a int)").command_tag == "CREATE TABLE"
    assert notices == ['relation "tn" already exists, skipping'] * 2
    notices.clear()
    for _ in range(2):
        assert client.run("drop table if exists tn").command_tag == "DROP TABLE"
    assert notices == ['table "tn" does not exist, skipping']
    notices.clear()
    client.run("create table if not exists tn (b int)")
    assert notices == []
    assert client.rows("select b from tn") == []


def test_inside_a_transaction(client: Client, notices: list[str]) -> None:
    client.transaction("BEGIN")
    client.run("create table if not exists tx (a int)")
    client.run("create index if not exists tx_a on tx (a)")
    client.run("create index if not exists tx_a on tx (a)")
    client.run("drop index if exists tx_a")
    client.run("drop index if exists tx_a")
    client.transaction("ROLLBACK")
    client.run("drop table if exists tx")
    assert notices == [
        'relation "tx_a" already exists, skipping',
        'index "tx_a" does not exist, skipping',
        'table "tx" does not exist, skipping',
    ]


def test_columns_constraints_types_and_schemas(client: Client, notices: list[str]) -> None:
    client.run("create table tc (a int, b int constraint tc_b_check check (b > 0))")
    client.run("alter table tc add column if not exists a int")
    client.run("alter table tc drop column if exists zz, drop constraint if exists nope")
    client.run("drop type if exists nosuch_t")
    assert client.run("create schema if not exists public").command_tag == "CREATE SCHEMA"
    assert client.run("drop schema if exists nosuch_s").command_tag == "DROP SCHEMA"
    assert notices == [
        'column "a" of relation "tc" already exists, skipping',
        'column "zz" of relation "tc" does not exist, skipping',
        'constraint "nope" of relation "tc" does not exist, skipping',
        'type "nosuch_t" does not exist, skipping',
        'schema "public" already exists, skipping',
        'schema "nosuch_s" does not exist, skipping',
    ]
    assert fails(client, "create schema elsewhere").sqlstate == "0A000"
    error = fails(client, "create view if not exists v as select 1")
    assert (error.sqlstate, error.message) == ("42601", 'syntax error at or near "not"')
