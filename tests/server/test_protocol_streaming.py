"""Large results stream under backpressure: batched writes, pause/resume, flat memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, succeed
from twisted.internet.testing import StringTransport

from txpostgres_proto.protocol import messages as m

from .test_protocol import Client, connected, errors, kinds

ADDRESS = IPv4Address("TCP", "127.0.0.1", 40000)


class SlowTransport(StringTransport):
    """A transport whose buffer 'fills up': it pauses its producer past ``limit`` bytes, and
    the test plays the network by draining it."""

    def __init__(self, limit: int = 256 * 1024) -> None:
        super().__init__(peerAddress=ADDRESS)
        self.limit = limit
        self.writes = 0
        self.paused = False
        self.largest = 0

    def write(self, data: bytes) -> None:
        super().write(data)
        self.writes += 1
        size = len(self.io.getvalue())
        self.largest = max(self.largest, size)
        if self.producer is not None and size > self.limit and not self.paused:
            self.paused = True
            self.producer.pauseProducing()

    def drain(self) -> bytes:
        data = self.value()
        self.clear()
        if self.paused and self.producer is not None:
            self.paused = False
            self.producer.resumeProducing()
        return data


def endless(closed: list[bool]) -> Iterator[tuple[int]]:
    try:
        number = 0
        while True:
            yield (number,)
            number += 1
    finally:
        closed.append(True)


def data_rows(data: bytes) -> int:
    """How many DataRow messages ``data`` (whole messages) holds."""
    count = position = 0
    while position < len(data):
        if data[position : position + 1] == b"D":
            count += 1
        position += 1 + int.from_bytes(data[position + 1 : position + 5], "big")
    return count


def streaming_client(limit: int = 256 * 1024) -> tuple[Client, SlowTransport]:
    transport = SlowTransport(limit)
    client = Client(transport=transport)
    client.startup()
    transport.drain()
    return client, transport


def test_endless_result_stays_bounded_and_stops_on_disconnect() -> None:
    client, transport = streaming_client()
    closed: list[bool] = []
    client.backend.rows = endless(closed)
    client.send(m.Query("rows"))
    total = 0
    for _ in range(20):
        assert transport.paused  # the protocol waits for the network
        chunk = transport.drain()
        total += data_rows(chunk)
        assert len(chunk) < transport.limit + 128 * 1024
    assert total > 100_000
    assert transport.largest < transport.limit + 128 * 1024
    client.disconnect()
    assert closed == [True]


def test_large_result_completes_with_one_write_per_batch() -> None:
    client, transport = streaming_client()
    client.backend.rows = ((number,) for number in range(50_000))
    client.send(m.Query("rows"))
    received = b""
    while transport.paused:
        received += transport.drain()
    received += transport.drain()
    assert data_rows(received) == 50_000
    assert received.endswith(
        m.CommandComplete("SELECT 50000").encode() + m.ReadyForQuery().encode()
    )
    # ~10 bytes per row, batches of 64 kB: a few dozen writes for 50,000 rows.
    assert transport.writes < 50


def test_cancel_while_paused_closes_the_rows() -> None:
    client, transport = streaming_client()
    closed: list[bool] = []
    client.backend.rows = endless(closed)
    client.send(m.Query("rows"))
    assert transport.paused
    session = client.session
    Client(factory=client.factory).send(m.CancelRequest(session.process_id, session.secret_key))
    assert closed == [True]
    data = transport.drain()
    tail = m.ErrorResponse(
        {
            "S": "ERROR",
            "V": "ERROR",
            "C": "57014",
            "M": "canceling statement due to user request",
        }
    ).encode()
    assert data.endswith(tail + m.ReadyForQuery().encode())
    assert not client.closed


async def counting(limit: int, gate: list[Deferred[None]]) -> AsyncIterator[tuple[int]]:
    for number in range(limit):
        if number == 5:
            waiting: Deferred[None] = Deferred()
            gate.append(waiting)
            await waiting
        else:
            await succeed(None)
        yield (number,)


def test_async_iterator_rows() -> None:
    client = connected()
    gate: list[Deferred[None]] = []
    client.backend.rows = counting(8, gate)
    client.send(m.Query("rows"))
    # The rows produced before the source had to wait are sent at once.
    assert kinds(client.received()) == ["RowDescription"] + ["DataRow"] * 5
    gate[0].callback(None)
    answers = client.received()
    assert kinds(answers) == ["DataRow"] * 3 + ["C:SELECT 8", "Z:I"]


def test_async_iterator_with_portal_suspension() -> None:
    client = connected()
    gate: list[Deferred[None]] = []
    client.backend.rows = counting(7, gate)
    client.query("begin")
    client.send(m.Parse("", "rows"), m.Bind("c", ""), m.Execute("c", 3), m.Sync())
    assert kinds(client.received())[-2:] == ["PortalSuspended", "Z:T"]
    client.send(m.Execute("c", 0), m.Sync())
    gate[0].callback(None)
    answers = client.received()
    values = [a.values[0] for a in answers if isinstance(a, m.DataRow)]
    assert values == [b"3", b"4", b"5", b"6"]
    assert kinds(answers)[-2:] == ["C:SELECT 4", "Z:T"]


def test_encoding_error_mid_stream_is_an_error_response() -> None:
    client = connected()
    client.backend.rows = [(1,), ("not a number",), (3,)]
    answers = client.query("rows")
    assert kinds(answers)[:2] == ["RowDescription", "DataRow"]
    assert errors(answers) and kinds(answers)[-1] == "Z:I"


def test_rows_of_the_wrong_width_fail_cleanly() -> None:
    client = connected()
    client.backend.rows = [(1, 2)]
    answers = client.query("rows")
    assert kinds(answers) == ["RowDescription", "E:XX000", "Z:I"]


def test_generator_of_a_closed_portal_is_closed() -> None:
    client = connected()
    closed: list[bool] = []
    client.backend.rows = endless(closed)
    client.query("begin")
    client.send(m.Parse("", "rows"), m.Bind("c", ""), m.Execute("c", 2), m.Sync())
    client.received()
    assert closed == []
    client.send(m.Close("P", "c"), m.Sync())
    assert closed == [True]
