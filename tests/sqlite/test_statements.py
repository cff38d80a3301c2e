"""DDL, DML and queries in PostgreSQL's dialect, run by the SQLite backend through its API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.sqlite.conftest import Client
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import oids

ITEMS = """
create table items (
    id serial primary key,
    name varchar(20) not null unique,
    qty int default 0 check (qty >= 0),
    price numeric(10,2),
    added timestamptz default now()
)
"""


@pytest.fixture
def items(client: Client) -> Client:
    client.run(ITEMS)
    client.run("insert into items (name, qty, price) values ('apple', 3, 1.5), ('pear', 0, 2.25)")
    return client


def test_create_insert_select(items: Client) -> None:
    result = items.run("select id, name, qty, price from items order by id")
    assert result.command_tag == "SELECT 2"
    assert [column.name for column in result.columns or ()] == ["id", "name", "qty", "price"]
    assert [str(row[3]) for row in result.rows] == ["1.50", "2.25"]  # type: ignore[union-attr]
    assert [row[:3] for row in result.rows] == [(1, "apple", 3), (2, "pear", 0)]  # type: ignore[union-attr]


def test_command_tags(items: Client) -> None:
    assert items.run("insert into items (name) values ('fig')").command_tag == "INSERT 0 1"
    assert items.run("update items set qty = qty + 1").command_tag == "UPDATE 3"
    assert items.run("delete from items where qty > 1").command_tag == "DELETE 1"
    assert items.run("create index items_qty on items (qty)").command_tag == "CREATE INDEX"
    assert items.run("truncate items").command_tag == "TRUNCATE TABLE"
    assert items.run("drop table items").command_tag == "DROP TABLE"


def test_serial_counts_on_from_existing_rows(items: Client) -> None:
    assert items.value("insert into items (name) values ('fig') returning id") == 3
    items.run("insert into items (id, name) values (10, 'kiwi')")
    # Like PostgreSQL, an explicit id does not move the sequence.
    assert items.value("insert into items (name) values ('lime') returning id") == 4
    assert items.value("select currval('items_id_seq')") == 4


def test_truncate_restart_identity(items: Client) -> None:
    items.run("truncate items restart identity")
    assert items.value("insert into items (name) values ('new') returning id") == 1


def test_returning_insert_update_delete(items: Client) -> None:
    inserted = items.run(
        "insert into items (name, qty) values ($1, $2) returning id, name", "fig", 7
    )
    assert inserted.command_tag == "INSERT 0 1"
    assert inserted.rows == [(3, "fig")]
    updated = items.run("update items set qty = qty * 2 where name = $1 returning qty", "fig")
    assert updated.rows == [(14,)] and updated.command_tag == "UPDATE 1"
    deleted = items.run("delete from items where qty = 0 returning name")
    assert deleted.rows == [("pear",)] and deleted.command_tag == "DELETE 1"


def test_on_conflict(items: Client) -> None:
    nothing = items.run("insert into items (name) values ('apple') on conflict do nothing")
    assert nothing.command_tag == "INSERT 0 0"
    upsert = items.run(
        "insert into items (name, qty) values ('apple', 9) "
        "on conflict (name) do update set qty = excluded.qty + items.qty returning id, qty"
    )
    assert upsert.rows == [(1, 12)]
    by_name = items.run(
        "insert into items (name, qty) values ('pear', 5) "
        "on conflict on constraint items_name_key do update set qty = excluded.qty returning qty"
    )
    assert by_name.rows == [(5,)]


def test_repeated_parameter(items: Client) -> None:
    rows = items.rows("select name from items where name = $1 or $1 = 'all' order by id", "all")
    assert rows == [("apple",), ("pear",)]


def test_joins_aggregates_grouping(items: Client) -> None:
    items.run("create table tags (item_id int references items (id), tag text)")
    items.run("insert into tags values (1, 'red'), (1, 'fruit'), (2, 'fruit')")
    rows = items.rows(
        "select t.tag, count(*), sum(i.qty), string_agg(i.name, ',') from tags t "
        "join items i on i.id = t.item_id group by t.tag having count(*) > 0 order by 1"
    )
    assert rows == [("fruit", 2, 3, "apple,pear"), ("red", 1, 3, "apple")]
    left = items.rows(
        "select i.name, t.tag from items i left join tags t on t.item_id = i.id "
        "and t.tag = 'red' order by i.id"
    )
    assert left == [("apple", "red"), ("pear", None)]


def test_limit_offset_and_order_nulls_last(client: Client) -> None:
    client.run("create table n (v int)")
    client.run("insert into n values (3), (null), (1), (2)")
    assert client.rows("select v from n order by v") == [(1,), (2,), (3,), (None,)]
    assert client.rows("select v from n order by v desc limit 2") == [(None,), (3,)]
    assert client.rows("select v from n order by v limit $1 offset $2", 2, 1) == [(2,), (3,)]


def test_expressions(client: Client) -> None:
    row = client.rows(
        "select 7 / 2, 7 % 3, 'ab' || 'cd', upper('x'), length('abc'), 'Abc' ilike 'a%', "
        "'Abc' like 'a%', 'abc' ~ '^a', coalesce(null, 4), greatest(1, null, 3), "
        "split_part('a,b,c', ',', 2), left('hello', 2), md5('x'), position('c' in 'abc'), "
        "substring('abcdef' from 2 for 3), 2 between 1 and 3, null is null"
    )[0]
    assert row == (
        3, 1, "abcd", "X", 3, True, False, True, 4, 3, "b", "he",
        "9dd4e461268c8034f5c8564e155c67a6", 3, "bcd", True, True,
    )  # fmt: skip


def test_casts(client: Client) -> None:
    row = client.rows(
        "select '12'::int, 3::text, '2024-01-02'::date, 't'::boolean, '1.239'::numeric(5,2), "
        "cast('{1,2}' as int[]), '{\"a\": 1}'::jsonb"
    )[0]
    assert str(row[2]) == "2024-01-02" and str(row[4]) == "1.24"
    assert row[:2] == (12, "3") and row[3] is True and row[5:] == ([1, 2], {"a": 1})


def test_generate_series_and_unnest(client: Client) -> None:
    assert client.rows("select g from generate_series(1, 7, 3) g") == [(1,), (4,), (7,)]
    assert client.rows("select * from generate_series(3, 1, -1) s(n)") == [(3,), (2,), (1,)]
    assert client.rows("select x from unnest(array['a', 'b']) as x") == [("a",), ("b",)]
    client.run("create table t (v int)")
    client.run("insert into t select g * 10 from generate_series(1, 3) g")
    assert client.value("select sum(v) from t") == 60


def test_arrays(client: Client) -> None:
    client.run("create table a (id int, tags text[])")
    client.run("insert into a values (1, '{x,y}'), (2, array['z']), ($1, $2)", 3, ["p", "q"])
    assert client.rows("select tags[1], array_length(tags, 1) from a order by id") == [
        ("x", 2),
        ("z", 1),
        ("p", 2),
    ]
    assert client.rows("select id from a where 'y' = any(tags)") == [(1,)]
    assert client.rows("select id from a where id = any($1) order by id", [1, 3]) == [(1,), (3,)]
    assert client.value("select array_agg(id) from a") == [1, 2, 3]


def test_json(client: Client) -> None:
    client.run("create table j (doc jsonb)")
    client.run("insert into j values ($1)", {"a": {"b": [1, 2]}, "s": "x"})
    assert client.value("select doc -> 'a' from j") == {"b": [1, 2]}
    assert client.value("select doc ->> 's' from j") == "x"
    assert client.value("select jsonb_build_object('k', 1)") == {"k": 1}


def test_dates_and_intervals(client: Client) -> None:
    client.run("create table ev (at timestamptz, d date, dur interval)")
    client.run("insert into ev values ('2024-01-31 10:00+00', '2024-01-31', '1 day 02:00')")
    row = client.rows(
        "select at + interval '1 month', at - dur, d + 7, d - date '2024-01-01', dur * 2, "
        "dur + interval '1 hour', at - timestamptz '2024-01-01 00:00+00', "
        "extract(year from at), date_trunc('month', at), to_char(at, 'YYYY-MM-DD HH24:MI') from ev"
    )[0]
    assert row == (
        datetime(2024, 2, 29, 10, tzinfo=UTC),
        datetime(2024, 1, 30, 8, tzinfo=UTC),
        date(2024, 2, 7),
        30,
        timedelta(days=2, hours=4),
        timedelta(days=1, hours=3),
        timedelta(days=30, hours=10),
        Decimal(2024),
        datetime(2024, 1, 1, tzinfo=UTC),
        "2024-01-31 10:00",
    )
    assert client.value("select count(*) from ev where at > now() - interval '100 years'") == 1


def test_pattern_matching(client: Client) -> None:
    row = client.rows(
        "select 'abc' similar to 'a%', 'Abc' ilike any (array['x%', 'a%']), 'a_c' like 'a\\_c', "
        "'abc' like 'a\\_c', 'ABC' ~* 'b', regexp_replace('a1b2', '[0-9]', '#', 'g')"
    )[0]
    assert row == (True, True, True, False, True, "a#b#")


def test_plain_expressions_run_here_not_in_the_catalog(client: Client) -> None:
    """Statements without application tables are run by SQLite (cancellable, with PostgreSQL's
    division by zero), except what needs the catalog or the session."""
    assert client.value("select count(*) from generate_series(1, 1000)") == 1000
    assert client.rows("select * from (values (1, 'a')) v (n, s)") == [(1, "a")]
    assert client.value("select current_user") == "postgres"
    assert client.value("select version()").startswith("PostgreSQL 15")


def test_distinct_on_and_cte(client: Client) -> None:
    client.run("create table s (g text, v int)")
    client.run("insert into s values ('a', 2), ('a', 1), ('b', 5)")
    assert client.rows("select distinct on (g) g, v from s order by g, v") == [("a", 1), ("b", 5)]
    rows = client.rows(
        "with totals as (select g, sum(v) as total from s group by g) "
        "select g, total from totals where total > $1 order by g",
        2,
    )
    assert rows == [("a", 3), ("b", 5)]


def test_alter_table(items: Client) -> None:
    assert items.run("alter table items add column note text").command_tag == "ALTER TABLE"
    items.run("alter table items rename column note to remark")
    items.run("update items set remark = 'ok' where id = 1")
    assert items.value("select remark from items where id = 1") == "ok"
    items.run("alter table items drop column remark")
    items.run("alter table items rename to goods")
    assert items.value("select count(*) from goods") == 2


def test_views(items: Client) -> None:
    assert items.run(
        "create view cheap as select name, price from items where price < 2"
    ).command_tag == ("CREATE VIEW")
    result = items.run("select * from cheap")
    assert result.rows == [("apple", pytest.approx(1.5))]
    assert [column.type_oid for column in result.columns or ()] == [oids.VARCHAR, oids.NUMERIC]


def test_delete_using(items: Client) -> None:
    items.run("create table gone (name text)")
    items.run("insert into gone values ('pear')")
    assert items.run("delete from items using gone where gone.name = items.name").command_tag == (
        "DELETE 1"
    )
    assert items.rows("select name from items") == [("apple",)]


def test_utility_statements(client: Client) -> None:
    assert client.run("vacuum").command_tag == "VACUUM"
    assert client.run("analyze").command_tag == "ANALYZE"
    assert client.run("comment on table x is 'y'").command_tag == "COMMENT"
    explained = client.run("explain select 1")
    assert explained.command_tag == "EXPLAIN"
    assert [column.name for column in explained.columns or ()] == ["QUERY PLAN"]


@pytest.mark.parametrize("sql", ["copy items from stdin", "listen ch", "notify ch"])
def test_not_supported_yet(client: Client, sql: str) -> None:
    with pytest.raises(PostgresError) as raised:
        client.run(sql)
    assert raised.value.sqlstate == "0A000"
    assert "not supported" in raised.value.message


def test_catalog_sees_new_tables(connect: Callable[[], Client]) -> None:
    first, second = connect(), connect()
    first.run(ITEMS)
    names = second.rows(
        "select c.relname from pg_catalog.pg_class c where c.relkind = 'r' "
        "and c.relnamespace = 'public'::regnamespace"
    )
    assert names == [("items",)]
    first.run("drop table items")
    assert second.rows("select relname from pg_class where relname = 'items'") == []
