"""Rows of a synchronous source are encoded a batch at a time (``server/rows.py`` with the
registry's rows encoder): the bytes on the wire are those of the codecs, one ``write`` per
batch, Execute row limits suspend the portal at exactly the right row, and a source that fails
midway delivers its earlier rows before the error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.server.backend import QueryResult, ResultColumn, StatementDescription
from txpostgres_proto.server.rows import ROW_BATCH_BYTES
from txpostgres_proto.types import DEFAULT_REGISTRY, oids

from .test_protocol import Client, errors, kinds

COLUMNS = (
    ResultColumn("i", oids.INT4),
    ResultColumn("t", oids.TEXT),
    ResultColumn("f", oids.FLOAT8),
    ResultColumn("ts", oids.TIMESTAMP),
    ResultColumn("b", oids.BOOL),
    ResultColumn("n", oids.NUMERIC),
)
START = datetime(2024, 1, 1)


def row(g: int) -> tuple[Any, ...]:
    """Row ``g``: mixed types, a NULL in some column every seventh row."""
    values = [
        g,
        f"row {g} ✓",
        g * 0.25 - 3,
        START + timedelta(seconds=g, microseconds=g % 3 * 500),
        g % 2 == 0,
        Decimal(g - 50).scaleb(-2),
    ]
    if g % 7 == 0:
        values[g % 6] = None
    return tuple(values)


class RowsBackend:
    """Every statement returns ``rows`` (a list, or a fresh generator from ``make``)."""

    def __init__(self) -> None:
        self.rows: Any = [row(g) for g in range(1, 5001)]

    def connection_made(self, session: Any) -> None:
        pass

    def connection_lost(self) -> None:
        pass

    def transaction(self, command: str, savepoint: str | None = None) -> None:
        pass

    def describe(self, sql: str, param_oids: Any) -> StatementDescription:
        return StatementDescription((), COLUMNS)

    def execute(self, sql: str, params: Any, param_oids: Any) -> QueryResult:
        rows = self.rows() if callable(self.rows) else self.rows
        return QueryResult(COLUMNS, rows)


class CountingTransport(StringTransport):
    def __init__(self) -> None:
        super().__init__(peerAddress=IPv4Address("TCP", "127.0.0.1", 40000))
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        super().write(data)


def client() -> tuple[Client, CountingTransport]:
    transport = CountingTransport()
    connection = Client(backend_factory=RowsBackend, transport=transport)
    assert kinds(connection.startup())[-1] == "Z:I"
    return connection, transport


def expected_rows(rows: list[tuple[Any, ...]], fmt: int) -> list[m.DataRow]:
    return [
        m.DataRow(
            tuple(
                None if value is None else DEFAULT_REGISTRY.encoder(column.type_oid, fmt)(value)
                for column, value in zip(COLUMNS, values, strict=True)
            )
        )
        for values in rows
    ]


def data_rows(messages: list[m.BackendMessage]) -> list[m.DataRow]:
    return [message for message in messages if isinstance(message, m.DataRow)]


@pytest.mark.parametrize("fmt", [0, 1])
def test_rows_are_the_codecs_bytes_written_one_batch_at_a_time(fmt: int) -> None:
    connection, transport = client()
    transport.writes = 0
    connection.send(m.Parse("", "rows"), m.Bind("", "", result_formats=(fmt,)), m.Execute())
    connection.send(m.Sync())
    wire = connection.raw()
    answers = _decode(wire)
    assert data_rows(answers) == expected_rows(connection.backend.rows, fmt)
    assert kinds(answers)[-2:] == ["C:SELECT 5000", "Z:I"]
    batches = -(-len(wire) // ROW_BATCH_BYTES)
    assert len(wire) > 3 * ROW_BATCH_BYTES
    assert transport.writes <= batches + 2  # the rows, then the reply to Sync


def _decode(wire: bytes) -> list[m.BackendMessage]:
    """The whole messages in ``wire``."""
    found: list[m.BackendMessage] = []
    position = 0
    while position < len(wire):
        length = int.from_bytes(wire[position + 1 : position + 5], "big")
        found.append(m.decode_backend(wire[position], wire[position + 5 : position + 1 + length]))
        position += 1 + length
    return found


@pytest.mark.parametrize("limit", [1, 7, 2500, 5000])
def test_execute_row_limits_suspend_exactly(limit: int) -> None:
    connection, _ = client()
    connection.send(m.Parse("", "rows"), m.Bind("", ""))
    received: list[m.DataRow] = []
    for _ in range(5000 // limit + 1):
        connection.send(m.Execute("", limit), m.Flush())
        answers = connection.received()
        rows = data_rows(answers)
        received += rows
        if isinstance(answers[-1], m.PortalSuspended):
            assert len(rows) == limit
        else:
            assert kinds(answers)[-1] == f"C:SELECT {5000 % limit}"
            break
    assert received == expected_rows(connection.backend.rows, 0)


def test_a_failing_source_sends_its_earlier_rows_then_the_error() -> None:
    def failing() -> Iterator[tuple[Any, ...]]:
        for g in range(1, 2001):
            yield row(g)
        raise RuntimeError("source broke")

    connection, _ = client()
    connection.backend.rows = failing
    answers = connection.query("rows")
    assert data_rows(answers) == expected_rows([row(g) for g in range(1, 2001)], 0)
    assert len(errors(answers)) == 1
    assert kinds(answers)[-1] == "Z:I"


def test_a_value_the_codec_refuses_ends_the_result_with_an_error() -> None:
    connection, _ = client()
    connection.backend.rows = [row(1), row(2), (3, "x", 1.0, START, True, Decimal("sNaN"))]
    answers = connection.query("rows")
    assert data_rows(answers) == expected_rows([row(1), row(2)], 0)
    assert len(errors(answers)) == 1
    assert kinds(answers)[-1] == "Z:I"


SHORT = [row(g) for g in range(1, 41)]
#: A short result sent the way each protocol sends one: simple Query, an extended cycle
#: (binary and text results, with and without Describe) and a prepared one repeated.
EXCHANGES: dict[str, list[list[m.FrontendMessage]]] = {
    "simple": [[m.Query("rows")], [m.Query("rows; rows")]],
    "extended": [
        [m.Parse("", "rows"), m.Bind("", "", result_formats=(fmt,)), m.Describe("P", "")]
        + [m.Execute(), m.Sync()]
        for fmt in (0, 1, 0)
    ],
    "prepared": [[m.Parse("s", "rows"), m.Describe("S", "s"), m.Sync()]]
    + [[m.Bind("", "s", result_formats=(1,)), m.Execute(), m.Sync()]] * 3,
}


@pytest.mark.parametrize("exchange", list(EXCHANGES))
def test_a_short_list_result_is_sent_like_the_same_rows_streamed(exchange: str) -> None:
    """A short list of rows goes out in one piece (``rows.RowsPlan``), a generator is streamed
    (``ResultStream``): the answers must be the same bytes, rows with NULLs and every type."""
    listed, _ = client()
    listed.backend.rows = SHORT
    streamed, _ = client()
    streamed.backend.rows = lambda: iter(SHORT)
    for messages in EXCHANGES[exchange]:
        listed.send(*messages)
        streamed.send(*messages)
        wire = listed.raw()
        assert wire == streamed.raw()
        assert len(data_rows(_decode(wire))) in (0, 40, 80)


def test_a_short_list_with_a_value_the_codec_refuses_sends_the_rows_before_it() -> None:
    bad = (3, "x", 1.0, START, True, Decimal("sNaN"))
    listed, _ = client()
    listed.backend.rows = [row(1), row(2), bad, row(4)]
    streamed, _ = client()
    streamed.backend.rows = lambda: iter([row(1), row(2), bad, row(4)])
    for messages in EXCHANGES["simple"] + EXCHANGES["extended"]:
        listed.send(*messages)
        streamed.send(*messages)
        wire = listed.raw()
        assert wire == streamed.raw()
        answers = _decode(wire)
        assert len(data_rows(answers)) == 2 and len(errors(answers)) == 1
