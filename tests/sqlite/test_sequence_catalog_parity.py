"""Sequences' states in the catalog of the SQLite default, against a real PostgreSQL 15
(``parity.py``: the same tags and rows, or the same SQLSTATE, message, detail and hint).

``pg_sequences.last_value`` and ``pg_sequence_last_value(regclass)`` are NULL until a value is
taken (and again after ``setval(..., false)``, ``ALTER SEQUENCE ... RESTART`` and ``TRUNCATE
... RESTART IDENTITY``), then the last value taken, whoever took it, also in a transaction
rolled back; queries of sequences alone (pg_dump's ``SELECT last_value, is_called FROM seq``)
are answered by the catalog with the same states.
"""

from __future__ import annotations

from tests.sqlite.parity import parity_servers, same

LAST_VALUES = "select sequencename, last_value from pg_sequences order by 1"
FUNCTION = (
    "select pg_sequence_last_value('plain'), pg_sequence_last_value('public.stepped'::regclass), "
    "pg_sequence_last_value('items_id_seq'), pg_sequence_last_value('counted_n_seq')"
)


ours, theirs = parity_servers("sequence_catalog")


def test_last_values_follow_nextval_setval_and_restarts(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create sequence plain",
            "create sequence stepped as integer start 5 increment 5",
            "create table items (id serial primary key, v int)",
            "create table counted (n int generated always as identity (start 100), v int)",
            LAST_VALUES,
            FUNCTION,
            "select pg_sequence_last_value('plain')",
            "select last_value, is_called from plain",
            "select nextval('plain'), nextval('stepped'), nextval('stepped')",
            "select pg_sequence_last_value('plain')",
            "insert into items (v) values (1), (2), (3)",
            "insert into counted (v) values (1)",
            LAST_VALUES,
            FUNCTION,
            "select setval('plain', 10, false), setval('stepped', 42)",
            LAST_VALUES,
            FUNCTION,
            "select last_value, is_called from public.plain",
            "select * from stepped",
            "select nextval('plain')",
            "begin",
            "select nextval('plain')",
            "insert into items (v) values (4)",
            "rollback",
            LAST_VALUES,
            "alter sequence stepped restart",
            "truncate counted restart identity",
            LAST_VALUES,
            FUNCTION,
            "select last_value, is_called from stepped",
        ],
    )


def test_catalog_queries_reading_states(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create sequence joined start 3",
            "create table looked (id bigserial, v int)",
            "select nextval('joined')",
            (
                "select s.sequencename, s.last_value, c.relkind from pg_sequences s "
                "join pg_class c on c.relname = s.sequencename "
                "where s.sequencename in (%s, %s) order by 1",
                ("joined", "looked_id_seq"),
            ),
            (
                "select c.relname, pg_sequence_last_value(c.oid) from pg_class c "
                "where c.relkind = 'S' and c.relname = %s",
                ("joined",),
            ),
            "select last_value from pg_sequences where last_value is not null "
            "and sequencename = 'joined'",
            "select count(*) from pg_sequences where sequencename = 'looked_id_seq' "
            "and last_value is null",
            "select pg_sequence_last_value('looked_id_seq'), count(*) from looked",
            "insert into looked (v) values (7)",
            "select pg_sequence_last_value('looked_id_seq'), count(*) from looked",
            "select sequencename, last_value, start_value, increment_by from pg_sequences "
            "where sequencename like 'looked%'",
            "drop table looked",
            "select sequencename, last_value from pg_sequences where sequencename like 'look%'",
            "select last_value from looked_id_seq",
        ],
    )
