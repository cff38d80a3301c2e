"""Sequences with options, and the keys unique and foreign key violations name, as PostgreSQL 15
has them: the same statements through our server and through a real PostgreSQL
(``parity.py``) must give the same command tags and rows, or the same SQLSTATE, message,
detail and hint, and the same notices.

Also: a sequence's state survives a restart of the server, and a database file written before
sequences kept their options is taken over as it is.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from tests.sqlite.parity import connected, parity_servers, same

ours, theirs = parity_servers("parity")


def test_sequence_options_nextval_setval_currval(ours: str, theirs: str) -> None:
    got = same(
        ours,
        theirs,
        [
            "create sequence sq_up increment by 2 minvalue 1 maxvalue 5",
            "select currval('sq_up')",
            "select nextval('sq_up'), nextval('sq_up'), nextval('sq_up')",
            "select nextval('sq_up')",
            "select last_value, is_called, log_cnt from sq_up",
            "select setval('sq_up', 0)",
            "select setval('sq_up', 6)",
            "select currval('sq_up'), lastval()",
            "select setval('sq_up', 2, false)",
            "select last_value, is_called from sq_up",
            "select nextval('sq_up'), currval('sq_up')",
            "select setval('sq_up', 4), currval('sq_up')",
            "create sequence sq_down increment by -1 minvalue -3 maxvalue -1",
            "select nextval('sq_down'), nextval('sq_down'), nextval('sq_down')",
            "select nextval('sq_down')",
            "create sequence sq_cycle increment by 3 minvalue 1 maxvalue 7 cycle",
            "select nextval('sq_cycle'), nextval('sq_cycle'), nextval('sq_cycle'), "
            "nextval('sq_cycle')",
            "create sequence sq_back increment by -3 minvalue 1 maxvalue 7 cycle",
            "select nextval('sq_back'), nextval('sq_back'), nextval('sq_back'), nextval('sq_back')",
            "create sequence sq_small as smallint start with 32766",
            "select nextval('sq_small'), nextval('sq_small')",
            "select nextval('sq_small')",
            "create sequence sq_big start 9223372036854775806",
            "select nextval('sq_big'), nextval('sq_big')",
            "select nextval('sq_big')",
            "create sequence sq_neg as integer increment -2 start -1",
            "select nextval('sq_neg'), nextval('sq_neg'), lastval()",
            "select setval('sq_neg', -2147483648)",
            "select nextval('sq_neg')",
        ],
    ).outcomes
    assert (
        got[3][1] == "2200H"
        and got[3][2] == 'nextval: reached maximum value of sequence "sq_up" (5)'
    )
    assert got[1][1] == "55000"
    assert got[5][1] == "22003"


def test_create_and_alter_sequence_errors_and_restart(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create sequence bad increment 0",
            "create sequence bad minvalue 5 maxvalue 3",
            "create sequence bad start 10 maxvalue 5",
            "create sequence bad start 0",
            "create sequence bad as integer maxvalue 3000000000",
            "create sequence bad as integer minvalue -3000000000",
            "create sequence bad as text",
            "create sequence bad cache 0",
            "create sequence alt increment by 2 maxvalue 5",
            "create sequence alt",
            "create sequence if not exists alt start 100",
            "select nextval('alt'), nextval('alt'), nextval('alt')",
            "alter sequence alt maxvalue 3",
            "alter sequence alt maxvalue 10 increment by 3",
            "select nextval('alt')",
            "alter sequence alt restart",
            "select last_value, is_called from alt",
            "alter sequence alt restart with 20",
            "alter sequence alt restart with 0",
            "alter sequence alt start with 0",
            "alter sequence alt start with 4 restart",
            "select last_value, is_called from alt",
            "select nextval('alt'), nextval('alt')",
            "alter sequence alt minvalue 5",
            "alter sequence alt increment by -1",
            "select nextval('alt'), nextval('alt')",
            "alter sequence alt no maxvalue cycle",
            "alter sequence no_such_seq restart",
            "alter sequence if exists no_such_seq restart",
            "select nextval('no_such_seq')",
            "select setval('no_such_seq', 1)",
            "drop sequence alt",
            "drop sequence alt",
            "drop sequence if exists alt",
        ],
    )


def test_serial_and_identity_columns_use_their_altered_sequences(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table ser (id serial primary key, v text)",
            "insert into ser (v) values ('a') returning id",
            "alter sequence ser_id_seq increment by 10",
            "insert into ser (v) values ('b'), ('c') returning id",
            "create sequence ser_id_seq",
            "drop sequence ser_id_seq",
            "alter sequence ser_id_seq restart with 100",
            "insert into ser (v) values ('d') returning id",
            "select last_value, is_called from ser_id_seq",
            "truncate ser restart identity",
            "insert into ser (v) values ('e') returning id",
            "alter sequence ser_id_seq maxvalue 11",
            "insert into ser (v) values ('f'), ('g') returning id",
            "select id, v from ser order by id",
            "create table ident (id int generated always as identity, v text)",
            "alter sequence ident_id_seq increment by -5 minvalue -100 maxvalue 1000 restart",
            "insert into ident (v) values ('a'), ('b') returning id",
            "select currval('ident_id_seq'), lastval()",
            "create table ident_opts (id int generated always as identity "
            "(start with 10 increment by 5 maxvalue 20), v text)",
            "insert into ident_opts (v) values ('a'), ('b'), ('c') returning id",
            "insert into ident_opts (v) values ('d')",
            "create table small (id smallserial primary key)",
            "select setval('small_id_seq', 32766)",
            "insert into small default values returning id",
            "insert into small default values returning id",
            "select id from small",
            'create table "Mixed" (id serial primary key)',
            'insert into "Mixed" default values returning id',
            """select nextval('"Mixed_id_seq"'), currval('public."Mixed_id_seq"')""",
            'select last_value, is_called from "Mixed_id_seq"',
            "select nextval('mixed_id_seq')",
        ],
    )


def test_multi_row_insert_names_the_duplicate_key(ours: str, theirs: str) -> None:
    got = same(
        ours,
        theirs,
        [
            "create table uq (id int primary key, k int unique, note text)",
            "insert into uq values (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c')",
            "insert into uq values (4, 40, 'd'), (2, 50, 'e')",
            "insert into uq values (5, 40, 'd'), (6, 50, 'e'), (7, 50, 'f')",
            "insert into uq values (8, 80, 'g'), (8, 81, 'h')",
            "insert into uq (k, id) values (90, 9), (91, 1)",
            ("insert into uq values (%s, %s, 'p'), (%s, %s, 'q')", (11, 110, 3, 111)),
            "insert into uq select id + 1, k + 1, note from uq",
            "insert into uq select id + 100, 20, note from uq where id = 3",
            "select id, k, note from uq order by id",
            "create table uq_serial (id serial primary key, v text unique)",
            "insert into uq_serial (v) values ('a')",
            "insert into uq_serial (id, v) values (3, 'x')",
            "insert into uq_serial (v) values ('b'), ('c')",
            "insert into uq_serial (v) values ('y'), ('x')",
            "select id, v from uq_serial order by id",
        ],
    ).outcomes
    assert got[2] == (
        "error",
        "23505",
        'duplicate key value violates unique constraint "uq_pkey"',
        "Key (id)=(2) already exists.",
        None,
    )


def test_deleting_or_updating_a_referenced_row_names_it(ours: str, theirs: str) -> None:
    got = same(
        ours,
        theirs,
        [
            "create table parent (id int primary key, k int unique)",
            "create table child (id int primary key, pid int references parent(id), "
            "pk int references parent(k))",
            "insert into parent values (1, 10), (2, 20), (3, 30)",
            "insert into child values (1, 2, null), (2, null, 30)",
            "delete from parent where id = 2",
            "delete from parent",
            ("delete from parent where id = %s", (2,)),
            "update parent set id = id + 10",
            "update parent set k = 99 where id = 3",
            "update parent set k = k where id = 3",
            "delete from parent where id = 1",
            "update child set pid = 7",
            "insert into child values (5, 9, null), (6, 8, null)",
            "insert into child select id + 10, id + 100, null from parent",
            "select id, k from parent order by id",
            "select id, pid, pk from child order by id",
        ],
    ).outcomes
    assert got[4] == (
        "error",
        "23503",
        'update or delete on table "parent" violates foreign key constraint "child_pid_fkey" '
        'on table "child"',
        'Key (id)=(2) is still referenced from table "child".',
        None,
    )


def test_cascades_self_references_and_composite_keys(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table top (id int primary key)",
            "create table mid (id int primary key, tid int references top(id) on delete cascade)",
            "create table low (id int primary key, mid_id int references mid(id))",
            "insert into top values (1), (2)",
            "insert into mid values (1, 1), (2, 2)",
            "insert into low values (1, 2)",
            "delete from top where id = 1",
            "delete from top where id = 2",
            "select id from mid order by id",
            "create table tree (id int primary key, up int references tree(id))",
            "insert into tree values (1, null), (2, 1), (3, 2)",
            "delete from tree where id = 2",
            "delete from tree where id >= 2",
            "update tree set up = 9 where id = 3",
            "create table pair (a int, b int, primary key (a, b))",
            "create table pair_ref (x int, y int, foreign key (x, y) references pair (a, b))",
            "insert into pair values (1, 2), (3, 4)",
            "insert into pair_ref values (1, 2), (3, 4)",
            "insert into pair values (5, 6), (1, 2)",
            "delete from pair where a > 2",
            "update pair set b = 7",
            "insert into pair_ref values (1, 2), (7, 8)",
            "select a, b from pair order by a",
            "create table strict (id int primary key)",
            "create table strict_ref (id int primary key, sid int references strict(id) "
            "on delete restrict on update restrict)",
            "insert into strict values (1), (2)",
            "insert into strict_ref values (1, 2)",
            "delete from strict",
            ("update strict set id = %s where id = %s", (5, 2)),
            "update strict set id = id where id = 2",
            "delete from strict where id = 1",
            "select id from strict",
        ],
    )


def test_failed_statements_leave_the_data_as_before(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table whole (id int primary key)",
            "create table whole_ref (id int references whole(id))",
            "insert into whole values (1), (2)",
            "insert into whole_ref values (2)",
            "begin",
            "insert into whole values (3)",
            "savepoint before_bad",
            "insert into whole values (4), (5), (1)",
            "rollback to savepoint before_bad",
            "delete from whole",
            "rollback to savepoint before_bad",
            "update whole set id = id * 10",
            "rollback to savepoint before_bad",
            "select id from whole order by id",
            "commit",
            "insert into whole values (6), (7), (3)",
            "delete from whole where id in (1, 2)",
            "select id from whole order by id",
            "select id from whole_ref",
        ],
    )


def test_sequence_state_survives_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "restart.sqlite3"
    with connected(database) as conn:
        conn.execute("create sequence kept increment by 5 minvalue 3 maxvalue 30 start 3")
        conn.execute("create table rows (id serial primary key, v text)")
        conn.execute("alter sequence rows_id_seq increment by 2")
        conn.execute("insert into rows (v) values ('a'), ('b')")
        assert conn.execute("select nextval('kept'), nextval('kept')").fetchone() == (3, 8)
    with connected(database) as conn:
        assert conn.execute("select last_value, is_called from kept").fetchone() == (8, True)
        assert conn.execute("select nextval('kept')").fetchone() == (13,)
        assert conn.execute("select setval('kept', 30), currval('kept')").fetchone() == (
            30,
            30,
        )
        with pytest.raises(psycopg.errors.SequenceGeneratorLimitExceeded):
            conn.execute("select nextval('kept')")
        ids = conn.execute("insert into rows (v) values ('c') returning id").fetchall()
        assert ids == [(5,)]
        assert conn.execute("select last_value, is_called from rows_id_seq").fetchone() == (
            5,
            True,
        )


def test_a_database_file_from_before_sequence_options_is_taken_over(tmp_path: Path) -> None:
    """The table of sequences had (name, last_value, generation), and a sequence not yet
    called stored the value before its next one."""
    database = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(database)
    raw.execute(
        "CREATE TABLE _txpg_sequences "
        "(name TEXT PRIMARY KEY, last_value INTEGER NOT NULL, generation INTEGER NOT NULL)"
    )
    raw.execute(
        """CREATE TABLE "t" ("id" int4 NOT NULL DEFAULT (nextval('t_id_seq')) PRIMARY KEY, """
        '"v" text)'
    )
    raw.execute("INSERT INTO t VALUES (7, 'old')")
    raw.execute("INSERT INTO _txpg_sequences VALUES ('t_id_seq', 7, 12345), ('u_id_seq', 9, -5)")
    raw.commit()
    raw.close()
    with connected(database) as conn:
        assert conn.execute("select last_value, is_called from t_id_seq").fetchone() == (
            7,
            True,
        )
        assert conn.execute("insert into t (v) values ('new') returning id").fetchone() == (8,)
        assert conn.execute("select nextval('u_id_seq')").fetchone() == (10,)
        conn.execute("alter sequence t_id_seq increment by 10")
        assert conn.execute("select nextval('t_id_seq')").fetchone() == (18,)
