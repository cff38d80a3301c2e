"""The example applications (examples/), driven through the handler API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from examples import app_example
from examples.app_example import InventoryHandler, InventoryStore
from examples.csv_example import CsvHandler, load_csv
from examples.dict_example import DictHandler
from examples.rowfilter import coerce, select_rows
from tests.server.test_handler import (
    columns_of,
    connect,
    describe,
    error_of,
    names_and_types,
    rows_of,
    run,
)
from txpostgres_proto.server.params import bind
from txpostgres_proto.sql import parse_sql
from txpostgres_proto.types import oids

# -- rowfilter -------------------------------------------------------------------------------

PEOPLE: list[dict[str, Any]] = [
    {"name": "ann", "age": 31, "city": "Paris"},
    {"name": "bob", "age": None, "city": "Lyon"},
    {"name": "cy", "age": 25, "city": None},
    {"name": "Dee", "age": 40, "city": "Paris"},
]


def _names(sql: str, *params: Any) -> list[str]:
    _, stmt_info = parse_sql(sql)
    return [row["name"] for row in select_rows(PEOPLE, bind(stmt_info, params))]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("age > 30", ["ann", "Dee"]),
        ("age <> 31", ["cy", "Dee"]),
        ("age = '25'", ["cy"]),
        ("age in (25, 40, null)", ["cy", "Dee"]),
        ("age not in (25)", ["ann", "Dee"]),
        ("age between 25 and 31", ["ann", "cy"]),
        ("age not between 25 and 31", ["Dee"]),
        ("age is null", ["bob"]),
        ("city is not null and age >= 31", ["ann", "Dee"]),
        ("name like '_o%'", ["bob"]),
        ("name not like 'a%'", ["bob", "cy", "Dee"]),
        ("name ilike 'd%'", ["Dee"]),
        ("city = 'Paris'", ["ann", "Dee"]),
    ],
)
def test_where_conditions(where: str, expected: list[str]) -> None:
    assert _names(f"select * from people where {where}") == expected


def test_parameters_order_and_limits() -> None:
    assert _names("select * from people where age > $1 order by age desc", "26") == ["Dee", "ann"]
    assert _names("select * from people order by age") == ["cy", "ann", "Dee", "bob"]
    assert _names("select * from people order by age desc, name") == ["bob", "Dee", "ann", "cy"]
    assert _names("select * from people order by name limit $1 offset $2", 2, 1) == ["ann", "bob"]


def test_clauses_the_filter_cannot_evaluate_are_refused() -> None:
    with pytest.raises(Exception) as info:
        _names("select * from people where age > 30 or city = 'Lyon'")
    assert getattr(info.value, "sqlstate", None) == "0A000"
    with pytest.raises(Exception) as info:
        _names("select * from people where nope = 1")
    assert getattr(info.value, "sqlstate", None) == "42703"


def test_limit_stops_reading_a_stream() -> None:
    produced: list[int] = []

    def rows() -> Iterator[dict[str, int]]:
        for n in range(10**9):
            produced.append(n)
            yield {"n": n}

    _, stmt_info = parse_sql("select * from numbers where n > 2 limit 2")
    assert [row["n"] for row in select_rows(rows(), stmt_info)] == [3, 4]
    assert produced == [0, 1, 2, 3, 4]


def test_coerce_converts_strings_to_the_column_type() -> None:
    assert coerce("5", 1) == 5
    assert coerce("yes", False) is True
    assert coerce("2024-02-03", date(2000, 1, 1)) == date(2024, 2, 3)
    assert coerce("1.25", Decimal(0)) == Decimal("1.25")
    assert coerce(5, "text") == 5
    with pytest.raises(Exception) as info:
        coerce("five", 1)
    assert getattr(info.value, "sqlstate", None) == "22P02"


# -- dict_example ------------------------------------------------------------------------------


def test_dict_example() -> None:
    handler = connect(DictHandler)
    result = run(handler, "select * from table1")
    assert names_and_types(result) == [("id", oids.INT8), ("title", oids.TEXT)]
    assert rows_of(result) == [(1, "hello world")]
    assert rows_of(run(handler, "select title from table1")) == [("hello world",)]
    tables = run(
        handler, "select table_name from information_schema.tables where table_schema = 'public'"
    )
    assert rows_of(tables) == [("table1",)]
    assert error_of(handler.execute("select * from nope", (), ())).sqlstate == "42P01"


# -- csv_example -------------------------------------------------------------------------------


def test_csv_columns_get_the_narrowest_type_that_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "Mixed.csv"
    path.write_text("i,f,b,d,ts,t,empty\n1,1.5,true,2024-01-02,2024-01-02 03:04:05,x,\n,2,f,,,7,\n")
    csv_table = load_csv(path)
    assert csv_table.table.name == "mixed"
    assert [(c.name, c.type) for c in csv_table.table.columns] == [
        ("i", "bigint"),
        ("f", "double precision"),
        ("b", "boolean"),
        ("d", "date"),
        ("ts", "timestamp"),
        ("t", "text"),
        ("empty", "text"),
    ]
    assert csv_table.rows[0] == {
        "i": 1,
        "f": 1.5,
        "b": True,
        "d": date(2024, 1, 2),
        "ts": datetime(2024, 1, 2, 3, 4, 5),
        "t": "x",
        "empty": None,
    }
    assert csv_table.rows[1]["i"] is None and csv_table.rows[1]["t"] == "7"


def test_csv_example_serves_the_sample_data() -> None:
    handler = connect(CsvHandler)
    result = run(
        handler,
        "select name, population from cities where population > $1 order by 2 desc",
        5000000,
    )
    assert result.columns is not None
    assert rows_of(result) == [("Tokyo", 13960236), ("Sydney", 5297089)]
    described = describe(handler, "select * from weather where observed_at > $1")
    assert names_and_types(described) == [
        ("city", oids.TEXT),
        ("observed_at", oids.TIMESTAMP),
        ("temperature_c", oids.FLOAT8),
        ("humidity_pct", oids.INT8),
        ("condition", oids.TEXT),
    ]
    assert described.param_oids == (oids.TIMESTAMP,)
    columns = run(
        handler,
        "select column_name, data_type from information_schema.columns "
        "where table_name = 'cities' order by ordinal_position",
    )
    assert rows_of(columns)[2:4] == [("population", "bigint"), ("area_km2", "double precision")]


def test_csv_example_reads_the_directory_it_is_given(tmp_path: Path) -> None:
    (tmp_path / "pets.csv").write_text("name,legs\ncat,4\nbird,2\n")

    class Pets(CsvHandler):
        directory = tmp_path

    handler = connect(Pets)
    assert rows_of(run(handler, "select name from pets where legs = 2")) == [("bird",)]
    assert error_of(handler.execute("select * from cities", (), ())).sqlstate == "42P01"


# -- app_example -------------------------------------------------------------------------------


@pytest.fixture
def inventory(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(InventoryHandler, "store", InventoryStore())
    return connect(InventoryHandler)


def test_inventory_insert_returning_and_select(inventory: Any) -> None:
    inserted = run(
        inventory,
        "insert into items (name, price, quantity) values ('bolt', 0.25, 100), ($1, $2, $3) "
        "returning id, name as label",
        "nut",
        Decimal("0.1"),
        5,
    )
    assert names_and_types(inserted) == [("id", oids.INT4), ("label", oids.TEXT)]
    assert rows_of(inserted) == [(1, "bolt"), (2, "nut")]
    assert inserted.command_tag == "INSERT 0 2"
    assert run(inventory, "insert into items (name) values ('washer')").command_tag == "INSERT 0 1"
    result = run(inventory, "select id, name, price, active from items where quantity >= $1", 5)
    assert rows_of(result) == [
        (1, "bolt", Decimal("0.25"), True),
        (2, "nut", Decimal("0.10"), True),
    ]
    assert [c.type_oid for c in columns_of(result)] == [
        oids.INT4,
        oids.TEXT,
        oids.NUMERIC,
        oids.BOOL,
    ]


def test_inventory_update_and_delete(inventory: Any) -> None:
    run(inventory, "insert into items (name, quantity) values ('a', 1), ('b', 2), ('c', 3)")
    updated = run(inventory, "update items set quantity = $1 where quantity < 3 returning name", 9)
    assert (rows_of(updated), updated.command_tag) == ([("a",), ("b",)], "UPDATE 2")
    assert run(inventory, "delete from items where name = 'c'").command_tag == "DELETE 1"
    assert rows_of(run(inventory, "select name, quantity from items order by name")) == [
        ("a", 9),
        ("b", 9),
    ]
    assert inventory.session.notices == []
    assert run(inventory, "delete from items").command_tag == "DELETE 2"
    assert inventory.session.notices == [
        {"message": "deleting all 2 rows of items", "sqlstate": "01000", "severity": "WARNING"}
    ]


def test_inventory_errors(inventory: Any) -> None:
    run(inventory, "insert into items (id, name) values (1, 'x')")
    duplicate = error_of(inventory.execute("insert into items (id, name) values (1, 'y')", (), ()))
    assert (duplicate.sqlstate, duplicate.constraint_name) == ("23505", "items_pkey")
    assert error_of(inventory.execute("insert into items (price) values (1)", (), ())).sqlstate == (
        "23502"
    )
    assert error_of(
        inventory.execute("delete from items where id = 1 or id = 2", (), ())
    ).sqlstate == ("0A000")
    assert error_of(inventory.execute("delete from numbers", (), ())).sqlstate == "42809"
    assert error_of(inventory.execute("truncate items", (), ())).sqlstate == "0A000"
    assert run(inventory, "vacuum").command_tag == "VACUUM"


def test_inventory_describes_with_its_declared_types(inventory: Any) -> None:
    description = describe(
        inventory, "insert into items (name, price, quantity) values ($1, $2, $3)"
    )
    assert description.param_oids == (oids.TEXT, oids.NUMERIC, oids.INT4)
    assert description.columns is None
    select = describe(inventory, "select * from items where id = $1")
    assert select.param_oids == (oids.INT4,)
    assert [c.name for c in columns_of(select)] == [c.name for c in app_example.ITEMS.columns]


def test_inventory_numbers_stream(inventory: Any) -> None:
    result = run(inventory, "select n, square from numbers where n > 10 limit 3")
    assert names_and_types(result) == [("n", oids.INT8), ("square", oids.INT8)]
    assert rows_of(result) == [(11, 121), (12, 144), (13, 169)]
    everything = run(inventory, "select * from numbers")
    assert not isinstance(everything.rows, list)
    assert isinstance(everything.rows, Iterator)
    stream = everything.rows
    assert [next(stream) for _ in range(2)] == [(1, 1), (2, 4)]
