"""What applications return, normalised: rows, column types, projection, conformance, tags."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from twisted.internet import defer

from tests.server.test_handler import columns_of, connect, names_and_types, resolved, rows_of, run
from txpostgres_proto.server.backend import QueryResult, ResultColumn
from txpostgres_proto.server.handler import Column, PostgresRequestHandler, Table, stmt_handler
from txpostgres_proto.server.results import SAMPLE_ROWS, ResultContext, to_query_result
from txpostgres_proto.server.targets import Target
from txpostgres_proto.types import oids


def normalise(value: Any, context: ResultContext | None = None) -> QueryResult:
    context = context or ResultContext("SELECT")
    return resolved(defer.ensureDeferred(to_query_result(value, context)))


# -- rows ------------------------------------------------------------------------------------


def test_dict_rows_follow_the_column_order_and_missing_keys_are_null() -> None:
    result = normalise(([{"b": 2, "a": 1}, {"a": 3}], ["a", "b"]))
    assert rows_of(result) == [(1, 2), (3, None)]


def test_tuple_and_list_rows_are_kept_in_order() -> None:
    result = normalise(([(1, "x"), [2, "y"]], ["n", "s"]))
    assert rows_of(result) == [(1, "x"), (2, "y")]


def test_a_row_of_the_wrong_width_is_an_application_error() -> None:
    with pytest.raises(ValueError, match="1 values for 2 columns"):
        rows_of(normalise(([(1, "x"), (2,)], ["n", "s"])))
    stream = normalise((iter([(1, "x"), (2,)]), ["n", "s"]))  # typed by the first row
    with pytest.raises(ValueError, match="1 values for 2 columns"):
        rows_of(stream)


def test_columns_may_be_left_out_for_dict_rows() -> None:
    result = normalise(([{"a": 1, "b": "x"}], None))
    assert names_and_types(result) == [("a", oids.INT8), ("b", oids.TEXT)]
    with pytest.raises(TypeError, match="need a list of columns"):
        normalise(([(1, 2)], None))


def test_no_rows_values() -> None:
    insert = ResultContext("INSERT")
    assert normalise(None, insert).command_tag == "INSERT 0 0"
    assert normalise((None, None), insert).command_tag == "INSERT 0 0"
    assert normalise(4, ResultContext("UPDATE")).command_tag == "UPDATE 4"
    assert normalise(None, insert).columns is None
    empty_select = normalise(None)
    assert (empty_select.columns, empty_select.command_tag) == ((), "SELECT 0")
    with pytest.raises(TypeError, match="must return"):
        normalise("rows")


def test_query_results_pass_through_with_their_tag() -> None:
    given = QueryResult([ResultColumn("x", oids.INT4)], [(1,)], command_tag="FETCH 1")
    result = normalise(given)
    assert (names_and_types(result), rows_of(result), result.command_tag) == (
        [("x", oids.INT4)],
        [(1,)],
        "FETCH 1",
    )
    # Names and dict rows are accepted in a QueryResult too.
    names_only = QueryResult(["a"], [{"a": 1.5}], rowcount=9)  # type: ignore[list-item]
    loose = normalise(names_only, ResultContext("INSERT"))
    assert names_and_types(loose) == [("a", oids.FLOAT8)]
    assert loose.command_tag == "INSERT 0 9"
    assert normalise(QueryResult(rowcount=2), ResultContext("DELETE")).command_tag == "DELETE 2"


# -- types -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([True, False], oids.BOOL),
        ([1, 2**40], oids.INT8),
        ([2**70], oids.NUMERIC),
        ([1.5], oids.FLOAT8),
        ([Decimal("1.5")], oids.NUMERIC),
        (["x"], oids.TEXT),
        ([None, None], oids.TEXT),
        ([None, 3], oids.INT8),
        ([1, 2.5], oids.FLOAT8),
        ([1, Decimal("2.5")], oids.NUMERIC),
        ([2.5, Decimal("2.5")], oids.NUMERIC),
        ([date(2024, 1, 2)], oids.DATE),
        ([datetime(2024, 1, 2)], oids.TIMESTAMP),
        ([datetime(2024, 1, 2, tzinfo=UTC)], oids.TIMESTAMPTZ),
        ([uuid.uuid4()], oids.UUID),
        ([b"\x00"], oids.BYTEA),
        ([{"k": 1}], oids.JSONB),
        ([[1, 2]], oids.INT8_ARRAY),
        ([1, "x"], oids.TEXT),
    ],
)
def test_types_of_named_columns_are_inferred_from_values(values: list[Any], expected: int) -> None:
    result = normalise(([(value,) for value in values], ["c"]))
    assert names_and_types(result) == [("c", expected)]


def test_a_mixed_column_is_text_printed_the_way_each_type_prints() -> None:
    result = normalise(([(True,), (1,), ("x",), (None,), (1.5,)], ["c"]))
    assert names_and_types(result) == [("c", oids.TEXT)]
    assert rows_of(result) == [("t",), ("1",), ("x",), (None,), ("1.5",)]


def test_a_list_is_sampled_over_its_first_rows_only() -> None:
    late = [(1,)] * SAMPLE_ROWS + [(2.5,)]
    assert names_and_types(normalise((late, ["c"]))) == [("c", oids.INT8)]
    early = [(1,)] * (SAMPLE_ROWS - 1) + [(2.5,)]
    assert names_and_types(normalise((early, ["c"]))) == [("c", oids.FLOAT8)]


def test_typed_columns_are_used_as_given() -> None:
    columns = [
        Column("id", "integer"),
        Column("code", "varchar(12)"),
        Column("amount", "numeric(10,2)"),
        ResultColumn("raw", oids.BYTEA),
        "guess",
    ]
    result = normalise(([(1, "a", Decimal(1), b"", 1.5)], columns))
    assert [(c.name, c.type_oid, c.type_modifier, c.type_size) for c in columns_of(result)] == [
        ("id", oids.INT4, -1, 4),
        ("code", oids.VARCHAR, 16, -1),
        ("amount", oids.NUMERIC, (10 << 16 | 2) + 4, -1),
        ("raw", oids.BYTEA, -1, -1),
        ("guess", oids.FLOAT8, -1, 8),
    ]


def test_anything_else_as_a_column_is_refused() -> None:
    with pytest.raises(TypeError, match="a name, Column or ResultColumn"):
        normalise(([(1,)], [42]))


# -- streams ---------------------------------------------------------------------------------


def test_an_iterator_is_read_ahead_only_until_every_type_is_known() -> None:
    produced: list[int] = []

    def rows() -> Iterator[tuple[Any, ...]]:
        for n in range(1, 1_000_000):
            produced.append(n)
            yield (n, None if n < 3 else "x")

    result = normalise((rows(), ["n", "s"]))
    assert produced == [1, 2, 3]
    assert names_and_types(result) == [("n", oids.INT8), ("s", oids.TEXT)]
    assert result.command_tag is None  # counted by the protocol while it streams
    assert isinstance(result.rows, Iterator)
    stream = result.rows
    assert [next(stream) for _ in range(4)] == [(1, None), (2, None), (3, "x"), (4, "x")]
    assert produced == [1, 2, 3, 4]


def test_an_async_iterator_streams() -> None:
    async def rows() -> AsyncIterator[dict[str, Any]]:
        for n in range(3):
            await defer.succeed(None)
            yield {"n": n, "half": n / 2}

    result = normalise((rows(), ["half", "n"]))
    assert names_and_types(result) == [("half", oids.FLOAT8), ("n", oids.INT8)]
    assert isinstance(result.rows, AsyncIterator)
    assert rows_of(result) == [(0.0, 0), (0.5, 1), (1.0, 2)]


def test_an_empty_stream_has_text_columns() -> None:
    result = normalise((iter(()), ["a"]))
    assert names_and_types(result) == [("a", oids.TEXT)]
    assert rows_of(result) == []


# -- projection and conformance ----------------------------------------------------------------


def _target(name: str, type_oid: int, source: str | None, declared: bool) -> Target:
    return Target(ResultColumn(name, type_oid, table_oid=99, column_attnum=1), source, declared)


def test_projection_follows_the_select_list_and_aliases() -> None:
    targets = (_target("b", oids.TEXT, "b", False), _target("alias", oids.INT4, "a", True))
    result = normalise(
        ([{"a": 1, "b": "x", "c": 0}], ["a", "b", "c"]), ResultContext("SELECT", targets)
    )
    assert names_and_types(result) == [("b", oids.TEXT), ("alias", oids.INT4)]
    assert rows_of(result) == [("x", 1)]
    assert [c.table_oid for c in columns_of(result)] == [99, 99]


def test_no_projection_when_the_select_list_is_not_all_there() -> None:
    targets = (_target("count", oids.INT8, None, False),)
    result = normalise(([(1, 2)], ["a", "b"]), ResultContext("SELECT", targets))
    assert [c.name for c in columns_of(result)] == ["a", "b"]


def test_a_described_statement_is_conformed_to_its_description() -> None:
    described = (ResultColumn("n", oids.TEXT), ResultColumn("flag", oids.TEXT))
    context = ResultContext("SELECT", described=described)
    result = normalise(([{"flag": True, "n": 7, "other": 0}], ["n", "other", "flag"]), context)
    assert names_and_types(result) == [("n", oids.TEXT), ("flag", oids.TEXT)]
    assert rows_of(result) == [("7", "t")]
    positional = normalise(([(1, 2)], ["x", "y"]), context)
    assert [c.name for c in columns_of(positional)] == ["n", "flag"]
    with pytest.raises(ValueError, match="described with"):
        normalise(([(1,)], ["x"]), context)


def test_duplicate_column_names_are_kept_by_position() -> None:
    targets = (_target("id", oids.INT4, "id", True), _target("id", oids.INT4, "id", True))
    result = normalise(([(1, 2)], ["id", "id"]), ResultContext("SELECT", targets))
    assert rows_of(result) == [(1, 2)]


# -- through the handler: declared table types win over inference --------------------------------


class Typed(PostgresRequestHandler):
    def list_tables(self) -> Any:
        return [Table("t", (Column("small", "int2"), Column("label", "varchar(5)")))]

    def query_tables(self, stmt_info: Any) -> Any:
        return [{"small": 1, "label": "a"}], ["small", "label"]

    @stmt_handler("INSERT")
    def insert(self, stmt_info: Any) -> Any:
        return [(5, "new")], ["small", "label"]


def test_named_columns_of_typed_tables_take_the_declared_types() -> None:
    handler = connect(Typed)
    result = run(handler, "select label, small from t")
    assert [(c.name, c.type_oid, c.type_modifier) for c in columns_of(result)] == [
        ("label", oids.VARCHAR, 9),
        ("small", oids.INT2, -1),
    ]
    assert rows_of(result) == [("a", 1)]


def test_returning_rows_are_projected_and_counted() -> None:
    handler = connect(Typed)
    result = run(handler, "insert into t values (5, 'new') returning label as l")
    assert names_and_types(result) == [("l", oids.VARCHAR)]
    assert rows_of(result) == [("new",)]
    assert result.command_tag == "INSERT 0 1"
