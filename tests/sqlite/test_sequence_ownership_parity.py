"""Sequence ownership and identity columns under ALTER TABLE, against a real PostgreSQL 15
(``parity.py``: the same tags and rows, or the same SQLSTATE, message, detail and hint, and
the same notices).

Covered: ``OWNED BY`` a quoted mixed-case table; ``DROP COLUMN`` and ``DROP TABLE`` with other
columns' defaults drawing from a sequence they own (2BP01, or with ``CASCADE`` the defaults
dropped too, and the views of a dropped column); ``ALTER COLUMN ... TYPE`` of identity and
serial columns (what happens to their sequences' type and bounds); a serial's sequence given
to a column with ``OWNED BY`` going with it; a serial column added to a table with rows;
several identity actions in one ALTER TABLE; statements failing half way changing nothing.
"""

from __future__ import annotations

from tests.sqlite.parity import parity_servers, same
from tests.sqlite.test_identity_parity import ATTRIBUTES, OWNERS, SEQUENCES

#: The columns that have a default.
DEFAULTS = """
select c.relname, a.attname from pg_attrdef d join pg_class c on c.oid = d.adrelid
join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
where c.relnamespace = 'public'::regnamespace order by 1, 2
"""
#: `ATTRIBUTES` without the columns PostgreSQL keeps for dropped ones.
COLUMNS = ATTRIBUTES.replace("attnum > 0", "attnum > 0 and not attisdropped")


ours, theirs = parity_servers("ownership")


def test_owned_by_a_quoted_mixed_case_table(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            'create table "Tickets" (no int, "Label" text)',
            "create sequence ticket_no",
            "alter table \"Tickets\" alter column no set default nextval('ticket_no')",
            'alter sequence ticket_no owned by "Tickets".no',
            OWNERS,
            'alter sequence ticket_no owned by public."Tickets"."Label"',
            OWNERS,
            'create sequence ticket_two owned by "Tickets".no',
            OWNERS,
            'drop table "Tickets"',
            "select sequencename from pg_sequences order by 1",
        ],
    )


def test_drop_column_cascade_drops_defaults_using_its_sequence(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table dc (a serial, b int, c int, d int)",
            "alter table dc alter column b set default nextval('dc_a_seq')",
            "alter table dc alter column c set default nextval('dc_a_seq'::regclass) + 1",
            "insert into dc (d) values (1) returning a, b, c",
            "alter table dc drop column a",
            "alter table dc drop column a restrict",
            "create table dc2 (id serial, v int)",
            "create table dc3 (w int default nextval('dc2_id_seq'), x int)",
            "alter table dc2 drop column id",
            "alter table dc3 alter column x set default nextval('dc2_id_seq')",
            "alter table dc2 drop column id, drop column v cascade",
            "alter table dc3 alter column x drop default",
            DEFAULTS,
            "create table dcv (a int, b int)",
            "create view dcv_a as select a, b from dcv",
            "create table dt (id serial, v int)",
            "create table dt2 (w int default nextval('dt_id_seq'), x int default 1)",
            "insert into dt2 (x) values (5) returning w",
            "drop table dt",
            "drop table dt restrict",
            "insert into dt2 (x) values (6) returning w",
        ],
    )
    cascades = [
        "alter table dc drop column a cascade",
        "alter table dc2 drop column id cascade",
        "alter table dcv drop column a cascade",
        "drop table dt cascade",
    ]
    sent = same(
        ours,
        theirs,
        [
            cascades[0],
            cascades[1],
            cascades[2],
            cascades[3],
            "insert into dt2 (x) values (7) returning w, x",
            "select nextval('dt_id_seq')",
            "create table dt (id serial)",
            "create table dt4 (w int default nextval('dt_id_seq'))",
            "drop table dt4, dt",
            "select nextval('dt_id_seq')",
            DEFAULTS,
            COLUMNS,
            "select sequencename from pg_sequences order by 1",
            "insert into dc (d) values (2) returning b, c, d",
            "select b, c, d from dc order by d",
            "insert into dc3 default values returning w",
            "select nextval('dc_a_seq')",
        ],
    ).notices
    assert sent[0] == (
        (
            "NOTICE",
            "drop cascades to 2 other objects",
            "drop cascades to default value for column b of table dc\n"
            "drop cascades to default value for column c of table dc",
        ),
    )
    assert sent[1] == (
        ("NOTICE", "drop cascades to default value for column w of table dc3", None),
    )


def test_changing_the_type_of_identity_and_serial_columns(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table ty (i int generated always as identity, b bigint generated by "
            "default as identity (maxvalue 1000), s serial, bs bigserial, v int)",
            "insert into ty (v) values (1)",
            SEQUENCES,
            "alter table ty alter column i type bigint",
            "alter table ty alter column b type smallint",
            "alter table ty alter column s type bigint",
            "alter table ty alter column bs type int",
            SEQUENCES,
            "insert into ty (v) values (2) returning i, b, s, bs",
            "alter table ty alter column i type smallint, alter column b type int",
            SEQUENCES,
            "alter sequence ty_i_seq maxvalue 100",
            "alter table ty alter column i type int",
            SEQUENCES,
            "alter table ty alter column b restart with 40000",
            "alter table ty alter column b set maxvalue 50000, alter column b type smallint",
            "alter table ty alter column v type smallint, alter column i type smallint, "
            "alter column b type smallint",
            "alter table ty alter column i type text",
            SEQUENCES,
            COLUMNS,
            "create table ty2 (s smallserial, v int)",
            "alter table ty2 alter column s type bigint",
            "insert into ty2 (v) values (1) returning s",
            "alter table ty2 alter column s type int, alter column v type bigint",
            "alter table ty2 rename column s to s2",
            "alter table ty2 alter column s2 type bigint",
            SEQUENCES,
            OWNERS,
            "insert into ty2 (v) values (2) returning s2",
            "drop table ty2",
            "select nextval('ty2_s_seq')",
        ],
    )


def test_a_serial_sequence_owned_by_its_column_goes_with_it(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table ob (id serial, v int)",
            "alter sequence ob_id_seq owned by ob.id",
            "insert into ob (v) values (1) returning id",
            OWNERS,
            "drop table ob",
            "select nextval('ob_id_seq')",
            "select sequencename from pg_sequences order by 1",
            "create table ob2 (id serial, v int)",
            "alter sequence ob2_id_seq owned by ob2.id",
            "insert into ob2 (v) values (1) returning id",
            "alter table ob2 drop column id",
            "select nextval('ob2_id_seq')",
            "select sequencename from pg_sequences order by 1",
            "create table ob3 (id serial, v int)",
            "alter sequence ob3_id_seq owned by ob3.v",
            "insert into ob3 (v) values (1) returning id",
            "alter table ob3 drop column v",
            "select nextval('ob3_id_seq')",
            "insert into ob3 default values returning id",
            "drop table ob3",
            "select nextval('ob3_id_seq')",
            "select setval('ob3_id_seq', 5)",
            "alter sequence ob3_id_seq restart",
            "select last_value from ob3_id_seq",
            "create table ob3 (v int)",
            "insert into ob3 values (10), (20)",
            "alter table ob3 add column id serial",
            "insert into ob3 (v) values (30) returning id",
            "select id, v from ob3 order by v",
            "select sequencename from pg_sequences order by 1",
        ],
    )


def test_several_identity_actions_in_one_statement(ours: str, theirs: str) -> None:
    missing = [
        "alter table if exists nosuch alter column id set generated always, "
        "alter column id restart",
        "alter table if exists nosuch add column z int",
    ]
    sent = same(
        ours,
        theirs,
        [
            *missing,
            "create table many (id int generated by default as identity, v text)",
            "insert into many (v) values ('a') returning id",
            "alter table many alter column id set generated always, "
            "alter column id restart with 10",
            "insert into many (v) values ('b') returning id",
            "insert into many (id, v) values (3, 'c')",
            "alter table many alter column id set generated by default, alter column id "
            "set increment by 5, alter column v set default 'x'",
            "insert into many (id) values (default), (4) returning id, v",
            "alter table many alter column id set generated always, alter column nosuch "
            "restart with 100",
            "insert into many (v) values ('d') returning id",
            "insert into many (id, v) values (5, 'e') returning id",
            "alter table many alter column id restart with 100, alter column v "
            "add generated always as identity",
            "insert into many (v) values ('f') returning id",
            "alter table many alter column id set generated by default, alter column id "
            "set maxvalue 5",
            "insert into many (id, v) values (6, 'g') returning id",
            "alter table many alter column v set not null, alter column id set maxvalue 5",
            "insert into many (id) values (default) returning id, v",
            "alter table many alter column id restart with 100, add column z int generated "
            "always as identity (start with 7), add column y int default 3",
            "insert into many (id) values (default) returning id, v, z, y",
            "alter table many alter column id drop identity, alter column id set not null",
            COLUMNS,
            SEQUENCES,
            OWNERS,
        ],
    ).notices
    assert sent[0] == (("NOTICE", 'relation "nosuch" does not exist, skipping', None),)
