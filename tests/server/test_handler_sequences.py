"""PostgresRequestHandler: reading the sequences of an application's serial columns.

``SELECT last_value, is_called FROM seq`` (pg_dump), ``pg_sequences`` and
``pg_sequence_last_value`` are answered by the catalog from ``sequence_state``: by default the
largest value of the column the sequence numbers, read through ``query_tables``; an application
may report its own counter instead, in any of the hook's return forms.
"""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet import defer

from tests.server.test_handler import (
    columns_of,
    connect,
    describe,
    error_of,
    names_and_types,
    resolved,
    rows_of,
    run,
)
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.handler import (
    Column,
    PostgresRequestHandler,
    SequenceInfo,
    SequenceState,
    Table,
)
from txpostgres_proto.types import oids

READ = "SELECT last_value, is_called FROM public.parts_id_seq"


class Parts(PostgresRequestHandler):
    """A serial key, rows held per class; records the SELECTs it answers."""

    rows: list[dict[str, Any]] = [{"id": 3, "name": "a"}, {"id": 7, "name": "b"}]

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def list_tables(self) -> Any:
        return [Table("parts", (Column("id", "serial", primary_key=True), Column("name", "text")))]

    def query_tables(self, stmt_info: Any) -> Any:
        self.queries.append(stmt_info.sql)
        return list(self.rows), ["id", "name"]


def _parts(rows: list[dict[str, Any]]) -> type[Parts]:
    return type("SomeParts", (Parts,), {"rows": rows})


def test_default_state_is_the_largest_value_of_the_column() -> None:
    handler = connect(Parts)
    result = run(handler, READ)
    assert names_and_types(result) == [("last_value", oids.INT8), ("is_called", oids.BOOL)]
    assert rows_of(result) == [(7, True)]
    # Read as a client would read the column, through the application's own SELECT handling.
    assert handler.queries == ["SELECT id FROM parts"]
    assert result.command_tag == "SELECT 1"


def test_sequence_relation_reads_like_postgresql_s() -> None:
    handler = connect(Parts)
    everything = run(handler, "select * from parts_id_seq")
    assert names_and_types(everything) == [
        ("last_value", oids.INT8),
        ("log_cnt", oids.INT8),
        ("is_called", oids.BOOL),
    ]
    assert rows_of(everything) == [(7, 0, True)]
    sequence_oid = handler.catalog.table_oid("public", "parts") + 1
    assert [(c.table_oid, c.column_attnum) for c in columns_of(everything)] == [
        (sequence_oid, 1),
        (sequence_oid, 2),
        (sequence_oid, 3),
    ]
    computed = run(handler, "SELECT last_value + 1 AS next FROM parts_id_seq s WHERE s.is_called")
    assert rows_of(computed) == [(8,)]


def test_empty_table_and_values_below_the_start_read_as_a_fresh_sequence() -> None:
    assert rows_of(run(connect(_parts([])), READ)) == [(1, False)]
    below = _parts([{"id": 0, "name": "zero"}, {"id": -4, "name": None}])
    assert rows_of(run(connect(below), READ)) == [(1, False)]
    nulls = _parts([{"id": None, "name": "x"}])
    assert rows_of(run(connect(nulls), READ)) == [(1, False)]


def test_describe_does_not_ask_for_the_state() -> None:
    handler = connect(Parts)
    description = describe(handler, READ)
    assert names_and_types(description) == [("last_value", oids.INT8), ("is_called", oids.BOOL)]
    assert handler.queries == []


class Counting(Parts):
    """Reports its own counter, in the form given by ``answer``."""

    answer: Any = 41
    asked: list[SequenceInfo]

    def sequence_state(self, sequence: SequenceInfo) -> Any:
        self.asked = [*getattr(self, "asked", []), sequence]
        return self.answer


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (41, (41, True)),
        ((5, False), (5, False)),
        (SequenceState(9, True), (9, True)),
        (None, (1, False)),
        (defer.succeed(12), (12, True)),
    ],
)
def test_an_application_reports_its_own_state(answer: Any, expected: tuple[int, bool]) -> None:
    handler = connect(type("Answering", (Counting,), {"answer": answer}))
    assert rows_of(run(handler, READ)) == [expected]
    assert handler.queries == []
    (sequence,) = handler.asked
    assert sequence == SequenceInfo("public", "parts_id_seq", sequence.oid, "parts", "id")


def test_async_hook() -> None:
    class Async(Parts):
        async def sequence_state(self, sequence: SequenceInfo) -> Any:
            return (await super().sequence_state(sequence)).last_value + 100, True

    assert rows_of(run(connect(Async), READ)) == [(107, True)]


@pytest.mark.parametrize("answer", ["many", (3, "yes"), (True, True), 2.5, (1, 2, 3)])
def test_a_wrong_answer_is_a_type_error(answer: Any) -> None:
    handler = connect(type("Wrong", (Counting,), {"answer": answer}))
    with pytest.raises(TypeError, match="sequence_state"):
        resolved(handler.execute(READ, (), ()))


def test_an_error_reading_the_column_is_the_error_of_the_query() -> None:
    class Failing(Parts):
        def query_tables(self, stmt_info: Any) -> Any:
            raise PostgresError("the store is offline", "58000")

    error = error_of(connect(Failing).execute(READ, (), ()))
    assert (error.sqlstate, error.message) == ("58000", "the store is offline")


def test_only_the_sequences_a_query_reads_are_asked_for() -> None:
    class Two(Counting):
        def list_tables(self) -> Any:
            serial = Column("id", "bigserial", primary_key=True)
            return [Table("parts", (serial,)), Table("bins", (serial, Column("n", "int4")))]

    handler = connect(Two)
    run(handler, "select relname from pg_class where relkind = 'S' order by 1")
    assert getattr(handler, "asked", []) == []
    run(handler, "select last_value from bins_id_seq")
    assert [sequence.name for sequence in handler.asked] == ["bins_id_seq"]
    handler.asked = []
    listed = run(handler, "SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
    assert rows_of(listed) == [("bins_id_seq", 41), ("parts_id_seq", 41)]
    assert sorted(sequence.name for sequence in handler.asked) == ["bins_id_seq", "parts_id_seq"]


def test_pg_sequences_and_pg_sequence_last_value_follow_is_called() -> None:
    called = connect(Parts)
    query = "SELECT last_value, pg_sequence_last_value('parts_id_seq') FROM pg_sequences"
    assert rows_of(run(called, query)) == [(7, 7)]
    fresh = connect(_parts([]))
    assert rows_of(run(fresh, query)) == [(None, None)]


def test_names_that_need_quoting_are_quoted_in_the_query_the_application_gets() -> None:
    class Quoted(Parts):
        def list_tables(self) -> Any:
            return [Table("Line Items", (Column("Order", "serial"),))]

        def query_tables(self, stmt_info: Any) -> Any:
            self.queries.append(stmt_info.sql)
            return [{"Order": 4}], ["Order"]

    handler = connect(Quoted)
    result = run(handler, 'SELECT last_value FROM "Line Items_Order_seq"')
    assert rows_of(result) == [(4,)]
    assert handler.queries == ['SELECT "Order" FROM "Line Items"']


def test_sequences_outside_public_are_read_qualified() -> None:
    class Inventory(Parts):
        def list_tables(self) -> Any:
            return [Table("parts", (Column("id", "serial"),), schema="stock")]

    handler = connect(Inventory)
    assert rows_of(run(handler, "SELECT last_value FROM stock.parts_id_seq")) == [(7,)]
    assert handler.queries == ["SELECT id FROM stock.parts"]


def test_a_table_only_the_application_knows_stays_the_application_s() -> None:
    handler = connect(Parts)
    result = run(handler, "SELECT id FROM parts")
    assert rows_of(result) == [(3,), (7,)]
    assert handler.queries == ["SELECT id FROM parts"]
