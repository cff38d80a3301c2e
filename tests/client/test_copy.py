"""COPY FROM STDIN and COPY TO STDOUT against a real PostgreSQL: a million rows each way,
the three formats, every kind of source and target, flow control and failures."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.interfaces import IConsumer, IPushProducer
from twisted.internet.task import Cooperator
from twisted.protocols.basic import FileSender
from twisted.web.client import FileBodyProducer
from zope.interface import implementer

from tests.client.conftest import Database, ReactorThread
from txpostgres_proto.client.connection import Connection
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.sqlstates import (
    QueryCanceled,
    UndefinedTable,
)

MILLION = 1_000_000


async def table(db: Database, columns: str = "id int, name text, v float8") -> Connection:
    connection = await db.connect()
    await connection.execute(f"CREATE TEMP TABLE t ({columns})")
    return connection


def test_a_million_rows_in_and_out(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await table(db)
        rows = ((i, f"row {i}", i * 0.5) for i in range(MILLION))
        copied_in = await connection.copy_from("t", rows)
        stats = await connection.query("SELECT count(*), sum(id), sum(length(name)) FROM t")

        state = {"lines": 0, "ids": 0, "chunks": 0}

        def consume(chunk: bytes) -> None:
            state["chunks"] += 1
            lines = chunk.split(b"\n")
            state["lines"] += len(lines) - 1
            state["ids"] += sum(int(line.split(b"\t", 1)[0]) for line in lines if line)

        copied_out = await connection.copy_to("t", consume)
        return [copied_in, stats, copied_out, state]

    copied_in, stats, copied_out, state = run(body, timeout=120)
    expected_sum = MILLION * (MILLION - 1) // 2
    expected_length = sum(len(f"row {i}") for i in range(MILLION))
    assert copied_in == MILLION
    assert stats == [(MILLION, expected_sum, expected_length)]
    assert copied_out == MILLION
    assert state["lines"] == MILLION and state["ids"] == expected_sum
    assert state["chunks"] > 10  # delivered as it arrived, not in one piece


TRICKY = [
    (1, "plain", 1.5),
    (2, "tab\there", -0.0),
    (3, "new\nline and \r return", None),
    (4, "back\\slash \\N", 1e300),
    (5, "", float("inf")),
    (6, None, 0.1),
    (7, 'quote " and , comma', -2.25),
    (8, "\\.", 3.0),
    (9, "ünïcödé ✓", 4.0),
]


@pytest.mark.parametrize("format", ["text", "csv", "binary"])
def test_formats_keep_every_value(run: ReactorThread, db: Database, format: str) -> None:
    async def body() -> list[Any]:
        connection = await table(db)
        count = await connection.copy_from("t", TRICKY, format=format)
        rows = await connection.query("SELECT id, name, v FROM t ORDER BY id")
        out = io.BytesIO()
        await connection.copy_to("t", out, format=format)
        await connection.execute("TRUNCATE t")
        await connection.copy_from("t", out.getvalue(), format=format)
        again = await connection.query("SELECT id, name, v FROM t ORDER BY id")
        return [count, rows, again]

    count, rows, again = run(body)
    assert count == len(TRICKY)
    assert rows == TRICKY and again == TRICKY


def test_columns_and_statements(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await table(db, "id serial, name text, note text DEFAULT 'default'")
        await connection.copy_from("t", [("a",), ("b",)], columns=["name"])
        await connection.copy_from(
            "COPY t (name, note) FROM STDIN WITH (FORMAT csv, HEADER true)",
            b"name,note\nc,from csv\n",
        )
        out = io.StringIO()
        await connection.copy_to(
            "COPY (SELECT name, note FROM t ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)", out
        )
        return [out.getvalue()]

    (csv_text,) = run(body)
    assert csv_text == "name,note\na,default\nb,default\nc,from csv\n"


def chunks_from_generator() -> Iterator[bytes]:
    for i in range(1000):
        yield f"{i}\tgen\t{i}\n".encode()


def test_every_kind_of_source(run: ReactorThread, db: Database) -> None:
    with tempfile.NamedTemporaryFile("wb", delete=False) as handle:
        handle.write(b"".join(f"{i}\tfile\t0\n".encode() for i in range(5000)))
    try:

        async def body() -> list[Any]:
            connection = await table(db)
            counts = [
                await connection.copy_from("t", b"1\tbytes\t1\n2\tbytes\t2\n"),
                await connection.copy_from("t", "3\tstr\t3\n"),
                await connection.copy_from("t", io.BytesIO(b"4\tbinary file\t4\n")),
                await connection.copy_from("t", io.StringIO("5\ttext file\t5\n")),
                await connection.copy_from("t", chunks_from_generator()),
                await connection.copy_from("t", ["6\tstr chunk", "s\t6\n"]),
                await connection.copy_from("t", []),
            ]
            cooperator = Cooperator(scheduler=lambda work: db.reactor.callLater(0, work))
            with open(handle.name, "rb") as source:
                producer = FileBodyProducer(source, cooperator=cooperator)
                counts.append(await connection.copy_from("t", producer))
            with open(handle.name, "rb") as source:
                sender = FileSender()
                counts.append(
                    await connection.copy_from(
                        "t", lambda consumer: sender.beginFileTransfer(source, consumer)
                    )
                )
            names = await connection.query("SELECT name, count(*) FROM t GROUP BY 1 ORDER BY 1")
            return [counts, names]

        counts, names = run(body)
    finally:
        os.unlink(handle.name)
    assert counts == [2, 1, 1, 1, 1000, 1, 0, 5000, 5000]
    assert dict(names) == {
        "bytes": 2,
        "str": 1,
        "binary file": 1,
        "text file": 1,
        "gen": 1000,
        "str chunks": 1,
        "file": 10000,
    }


@implementer(IConsumer)
class SlowConsumer:
    """An IConsumer that pauses its producer after every write and resumes a bit later."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self.producer: IPushProducer | None = None
        self.data: list[bytes] = []
        self.pauses = 0
        self.unregistered = False

    def registerProducer(self, producer: IPushProducer, streaming: bool) -> None:
        assert streaming
        self.producer = producer

    def unregisterProducer(self) -> None:
        self.unregistered = True

    def write(self, data: bytes) -> None:
        self.data.append(data)
        if self.producer is not None and len(self.data) % 10 == 0:
            self.pauses += 1
            self.producer.pauseProducing()
            self.reactor.callLater(0.001, self.producer.resumeProducing)


def test_every_kind_of_target(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await table(db)
        await connection.copy_from("t", ((i, "x" * 50, i) for i in range(50_000)))
        consumer = SlowConsumer(db.reactor)
        slow_chunks: list[bytes] = []

        def slow_callback(chunk: bytes) -> Deferred[None]:
            slow_chunks.append(chunk)
            waiter: Deferred[None] = Deferred()
            db.reactor.callLater(0, waiter.callback, None)
            return waiter

        binary = io.BytesIO()
        counts = await gatherResults(
            [
                connection.copy_to("t", consumer),
                connection.copy_to("t", slow_callback),
                connection.copy_to("t", binary, format="binary"),
            ]
        )
        return [counts, consumer, b"".join(slow_chunks), binary.getvalue()]

    counts, consumer, slow, binary = run(body)
    assert counts == [50_000] * 3
    text = b"".join(consumer.data)
    assert text.count(b"\n") == 50_000 and text == slow
    assert consumer.pauses > 0 and consumer.unregistered
    assert binary.startswith(b"PGCOPY\n\xff\r\n\x00") and binary.endswith(b"\xff\xff")


def test_failures_leave_the_connection_usable(run: ReactorThread, db: Database) -> None:
    def failing_rows() -> Iterator[tuple[int, str, float]]:
        for i in range(100_000):
            if i == 60_000:
                raise RuntimeError("source broke")
            yield (i, "partial", 0.0)

    async def body() -> list[Any]:
        connection = await table(db)
        outcomes: list[Any] = []
        for call in (
            connection.copy_from("no_such_table", [(1,)]),
            connection.copy_from("t", b"not\ta number\tx\n"),
            connection.copy_from("t", failing_rows()),
            connection.query("COPY t FROM STDIN"),
            connection.copy_to("no_such_table", io.BytesIO()),
        ):
            try:
                await call
            except Exception as error:
                outcomes.append(error)
        outcomes.append(await connection.query("SELECT count(*) FROM t"))
        return outcomes

    missing, bad_data, broken, unsupported, missing_out, count = run(body)
    assert isinstance(missing, UndefinedTable)
    assert isinstance(bad_data, PostgresError) and bad_data.sqlstate == "22P02"
    assert isinstance(broken, RuntimeError) and str(broken) == "source broke"
    assert isinstance(unsupported, PostgresError)
    assert "use copy_from" in unsupported.message
    assert isinstance(missing_out, UndefinedTable)
    assert count == [(0,)]


def test_calls_around_a_copy_stay_in_order(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await table(db)
        calls = [
            connection.query("SELECT count(*) FROM t"),
            connection.copy_from("t", ((i, "ordered", 0.0) for i in range(20_000))),
            connection.query("SELECT count(*) FROM t"),
            connection.copy_to("t", io.BytesIO()),
            connection.execute("DELETE FROM t"),
            connection.query("SELECT count(*) FROM t"),
        ]
        return await gatherResults(calls)

    assert run(body) == [[(0,)], 20_000, [(20_000,)], 20_000, "DELETE 20000", [(0,)]]


def test_cancelling_a_copy_in(run: ReactorThread, db: Database) -> None:
    def endless() -> Iterator[bytes]:
        while True:
            yield b"1\tforever\t1\n" * 1000

    async def body() -> list[Any]:
        connection = await table(db)
        copying = connection.copy_from("t", endless())
        db.reactor.callLater(0.2, copying.cancel)
        with pytest.raises(QueryCanceled):
            await copying
        return await connection.query("SELECT count(*) FROM t")

    assert run(body) == [(0,)]
