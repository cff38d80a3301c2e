"""SQLite errors come out as PostgreSQL's: SQLSTATE, message, and the fields clients read."""

from __future__ import annotations

import sqlite3

import pytest

from tests.sqlite.conftest import Client, fails
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.types import oids

SCHEMA = (
    "create table parent (id int primary key, code text unique)",
    "create table child (id serial primary key, parent_id int references parent (id), "
    "qty int not null check (qty > 0))",
    "insert into parent values (1, 'a')",
    "insert into child (parent_id, qty) values (1, 5)",
)


@pytest.fixture(scope="module")
def db(module_client: Client) -> Client:
    for statement in SCHEMA:
        module_client.run(statement)
    return module_client


def test_primary_key_violation(db: Client) -> None:
    error = fails(db, "insert into parent values ($1, $2)", 1, "b")
    assert error.sqlstate == "23505"
    assert error.message == 'duplicate key value violates unique constraint "parent_pkey"'
    assert error.detail == "Key (id)=(1) already exists."
    assert (error.constraint_name, error.table_name) == ("parent_pkey", "parent")


def test_unique_violation(db: Client) -> None:
    error = fails(db, "insert into parent values (2, 'a')")
    assert error.sqlstate == "23505"
    assert error.constraint_name == "parent_code_key"
    assert error.detail == "Key (code)=(a) already exists."


def test_unique_violation_of_an_update_names_the_key(db: Client) -> None:
    db.run("insert into parent values (3, 'c')")
    error = fails(db, "update parent set code = 'a' where id = 3")
    assert (error.sqlstate, error.detail) == ("23505", "Key (code)=(a) already exists.")
    assert error.constraint_name == "parent_code_key"
    # What has side effects is not computed again: no key then.
    error = fails(db, "update parent set code = case when random() < 2 then 'a' end where id = 3")
    assert (error.sqlstate, error.detail) == ("23505", None)
    db.run("delete from parent where id = 3")


def test_not_null_violation(db: Client) -> None:
    error = fails(db, "insert into child (parent_id) values (1)")
    assert error.sqlstate == "23502"
    assert error.message == (
        'null value in column "qty" of relation "child" violates not-null constraint'
    )
    assert error.column_name == "qty"


def test_check_violation(db: Client) -> None:
    error = fails(db, "insert into child (parent_id, qty) values (1, 0)")
    assert error.sqlstate == "23514"
    assert (
        error.message == 'new row for relation "child" violates check constraint "child_qty_check"'
    )


def test_foreign_key_violations(db: Client) -> None:
    error = fails(db, "insert into child (parent_id, qty) values (42, 1)")
    assert error.sqlstate == "23503"
    assert error.constraint_name == "child_parent_id_fkey"
    assert 'insert or update on table "child"' in error.message
    assert error.detail == 'Key (parent_id)=(42) is not present in table "parent".'
    error = fails(db, "delete from parent where id = 1")
    assert error.sqlstate == "23503"
    assert error.message == (
        'update or delete on table "parent" violates foreign key constraint '
        '"child_parent_id_fkey" on table "child"'
    )


def test_undefined_table_with_position(db: Client) -> None:
    error = fails(db, "select * from nowhere")
    assert (error.sqlstate, error.message) == ("42P01", 'relation "nowhere" does not exist')
    assert error.position == "15"


def test_undefined_column(db: Client) -> None:
    error = fails(db, "select missing from parent")
    assert (error.sqlstate, error.message) == ("42703", 'column "missing" does not exist')
    assert error.position == "8"


def test_syntax_error_with_position(db: Client) -> None:
    error = fails(db, "select from where")
    assert error.sqlstate == "42601"
    assert error.message == 'syntax error at or near "where"'
    assert error.position == "13"


def test_duplicate_table(db: Client) -> None:
    error = fails(db, "create table parent (x int)")
    assert (error.sqlstate, error.message) == ("42P07", 'relation "parent" already exists')


def test_division_by_zero(db: Client) -> None:
    assert fails(db, "select 1/0").sqlstate == "22012"
    assert fails(db, "select id / (id - 1) from parent").sqlstate == "22012"
    assert fails(db, "select 5 % 0").message == "division by zero"


def test_invalid_text_representation(db: Client) -> None:
    assert fails(db, "select * from parent where id = 'one'").sqlstate == "22P02"


def test_undefined_function(db: Client) -> None:
    error = fails(db, "select no_such_function(id) from parent")
    assert (error.sqlstate, error.message) == ("42883", "function no_such_function does not exist")


def test_undefined_type(db: Client) -> None:
    error = fails(db, "create table moody (m mood)")
    assert (error.sqlstate, error.message) == ("42704", 'type "mood" does not exist')


def test_unknown_schema(db: Client) -> None:
    assert fails(db, "create table elsewhere.t (x int)").sqlstate == "3F000"


def test_unsupported_statements(db: Client) -> None:
    for sql in (
        "alter sequence s rename to t",
        "create schema x",
    ):
        error = fails(db, sql)
        assert error.sqlstate == "0A000" and "not supported" in error.message


def test_datatype_mismatch(database: SQLiteDatabase, client: Client) -> None:
    """A table made by another SQLite tool with a rowid primary key refuses text keys."""
    raw = sqlite3.connect(database.path)
    raw.execute("create table raw (id INTEGER PRIMARY KEY)")
    raw.close()
    error = fails(client, "insert into raw values ($1)", "abc", oids=(oids.TEXT,))
    assert error.sqlstate == "42804"


def test_bind_count_mismatch(db: Client) -> None:
    assert fails(db, "select * from parent where id = $1 and code = $2", 1).sqlstate == "08P01"


def test_the_foreign_key_given_in_full_is_the_one_named(client: Client) -> None:
    for statement in (
        "create table parent (id int primary key, code text unique)",
        "create table pair (a int references parent (id), b text references parent (code))",
        "insert into parent values (1, 'x')",
    ):
        client.run(statement)
    by_code = fails(client, "insert into pair values ($1, $2)", None, "zz")
    assert (by_code.sqlstate, by_code.constraint_name) == ("23503", "pair_b_fkey")
    assert by_code.detail == 'Key (b)=(zz) is not present in table "parent".'
    by_id = fails(client, "insert into pair values (5, null)")
    assert (by_id.constraint_name, by_id.detail) == (
        "pair_a_fkey",
        'Key (a)=(5) is not present in table "parent".',
    )
