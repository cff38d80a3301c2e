"""ALTER TABLE in place and by rebuilding the table."""

from __future__ import annotations

import pytest

from tests.sqlite.conftest import Client, fails
from txpostgres_proto.types import oids


@pytest.fixture
def tables(client: Client) -> Client:
    client.run("create table parent (id int primary key)")
    client.run("insert into parent values (1), (2)")
    client.run("create table t (id serial, code text, qty int, pid int)")
    client.run("create index t_code_idx on t (code)")
    client.run("create view codes as select code from t")
    client.run("insert into t (code, qty, pid) values ('a', 1, 1), ('b', null, 2)")
    return client


def test_add_constraints_to_existing_rows(tables: Client) -> None:
    tables.run("alter table t add primary key (id)")
    tables.run("alter table t add constraint t_code_uq unique (code)")
    tables.run("alter table t add check (qty > 0)")
    tables.run("alter table t add foreign key (pid) references parent (id)")
    assert fails(tables, "insert into t (id, code) values (1, 'z')").constraint_name == "t_pkey"
    assert fails(tables, "insert into t (code) values ('a')").constraint_name == "t_code_uq"
    assert fails(tables, "insert into t (code, qty) values ('c', 0)").constraint_name == (
        "t_qty_check"
    )
    assert fails(tables, "insert into t (code, pid) values ('d', 9)").sqlstate == "23503"
    # the data, the index and the view survived the rebuilds
    assert tables.rows("select id, code, qty, pid from t order by id") == [
        (1, "a", 1, 1),
        (2, "b", None, 2),
    ]
    assert tables.rows("select * from codes order by code") == [("a",), ("b",)]
    assert tables.value("select count(*) from sqlite_master where name = 't_code_idx'") == 1


def test_adding_a_violated_constraint_fails_and_changes_nothing(tables: Client) -> None:
    assert fails(tables, "alter table t add constraint positive check (qty > 1)").sqlstate == (
        "23514"
    )
    assert (
        fails(
            tables,
            "alter table t add foreign key (pid) references parent (id), "
            "add unique (pid), add check (pid > 1)",
        ).sqlstate
        == "23514"
    )
    tables.run("insert into t (code, qty) values ('c', 0)")  # still no check constraint


def test_column_default_not_null_and_type(tables: Client) -> None:
    tables.run("alter table t alter column qty set default 5")
    assert tables.value("insert into t (code) values ('c') returning qty") == 5
    tables.run("alter table t alter column qty drop default")
    assert tables.value("insert into t (code) values ('d') returning qty") is None
    tables.run("delete from t where qty is null")
    tables.run("alter table t alter column qty set not null")
    assert fails(tables, "insert into t (code) values ('e')").sqlstate == "23502"
    tables.run("alter table t alter column qty drop not null")
    tables.run("alter table t alter column code type varchar(1)")
    result = tables.run("select code from t where id = 1")
    assert result.columns is not None and result.columns[0].type_oid == oids.VARCHAR
    tables.run("alter table t alter column qty type text using qty::text || '!'")
    assert tables.value("select qty from t where id = 1") == "1!"


def test_drop_constraint_and_column(tables: Client) -> None:
    tables.run("alter table t add constraint one_code unique (code)")
    tables.run("alter table t drop constraint one_code")
    tables.run("insert into t (code) values ('a')")
    assert fails(tables, "alter table t drop constraint nothing_here").sqlstate == "42704"
    tables.run("alter table t add foreign key (pid) references parent (id)")
    tables.run("alter table t drop column pid")  # takes its foreign key along
    error = fails(tables, "alter table t drop column code")  # the view codes uses it
    assert (error.sqlstate, error.detail) == (
        "2BP01",
        "view codes depends on column code of table t",
    )
    tables.run("alter table t drop column code cascade")  # drops the view and the index
    assert tables.value("select count(*) from sqlite_master where name = 't_code_idx'") == 0
    assert [column.name for column in tables.run("select * from t").columns or ()] == ["id", "qty"]
    assert fails(tables, "select * from codes").sqlstate == "42P01"


def test_in_place_actions(tables: Client) -> None:
    tables.run("alter table t add column note text default 'n'")
    tables.run("alter table t add column if not exists note text")
    tables.run("alter table t rename column note to remark")
    tables.run("alter table t drop column if exists nothing")
    assert tables.value("select remark from t where id = 1") == "n"
    tables.run("alter table t rename to things")
    assert tables.value("select count(*) from things") == 2


def test_primary_key_columns_stay_not_null(tables: Client) -> None:
    tables.run("alter table t add primary key (id)")
    assert fails(tables, "alter table t alter column id drop not null").sqlstate == "42P16"


def test_alter_inside_a_transaction_rolls_back(tables: Client) -> None:
    tables.transaction("BEGIN")
    tables.run("alter table t add column extra int unique")
    assert "extra" in [c.name for c in tables.run("select * from t").columns or ()]
    tables.transaction("ROLLBACK")
    assert "extra" not in [c.name for c in tables.run("select * from t").columns or ()]
