"""The sans-IO client against arbitrary byte streams: every split point, and random garbage.

A whole conversation (start-up, a pipelined simple query with rows, an extended query, COPY
out, notices) is fed to fresh clients cut at every byte boundary and byte by byte: the events
must always be the same.  Random backend bytes — arbitrary, or valid messages with random
bodies — may only ever raise `ProtocolError` subclasses, never IndexError, struct.error or the
like.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from txpostgres_proto.protocol.client import NEED_DATA, SansIOClient
from txpostgres_proto.protocol.client_events import DataRows
from txpostgres_proto.protocol.client_rows import make_run_decoder
from txpostgres_proto.protocol.errors import ProtocolError
from txpostgres_proto.protocol.messages import (
    AuthenticationMD5Password,
    AuthenticationOk,
    BackendKeyData,
    Bind,
    BindComplete,
    CommandComplete,
    CopyData,
    CopyDone,
    CopyOutResponse,
    DataRow,
    Describe,
    ErrorResponse,
    Execute,
    FieldDescription,
    NoticeResponse,
    NotificationResponse,
    ParameterDescription,
    ParameterStatus,
    Parse,
    ParseComplete,
    Query,
    ReadyForQuery,
    RowDescription,
    Sync,
    TransactionStatus,
)


def wire(*messages: Any) -> bytes:
    return b"".join(message.encode() for message in messages)


ROWS = RowDescription((FieldDescription("n", 23), FieldDescription("s", 25)))
CONVERSATION = wire(
    AuthenticationMD5Password(b"salt"),
    AuthenticationOk(),
    ParameterStatus("client_encoding", "UTF8"),
    ParameterStatus("TimeZone", "UTC"),
    BackendKeyData(1, b"abcd"),
    ReadyForQuery(),
    # the simple query
    ROWS,
    DataRow((b"1", b"one")),
    NoticeResponse({"S": "NOTICE", "M": "careful"}),
    DataRow((None, b"")),
    CommandComplete("SELECT 2"),
    ReadyForQuery(),
    # the extended query
    ParseComplete(),
    ParameterDescription((23,)),
    ROWS,
    BindComplete(),
    DataRow((b"7", b"seven")),
    CommandComplete("SELECT 1"),
    ReadyForQuery(TransactionStatus.IDLE),
    # COPY out
    CopyOutResponse(0, (0, 0)),
    CopyData(b"1\tone\n"),
    NotificationResponse(9, "chan", "hi"),
    CopyData(b"2\ttwo\n"),
    CopyDone(),
    CommandComplete("COPY 2"),
    ErrorResponse({"S": "ERROR", "C": "42P01", "M": "missing"}),
    ReadyForQuery(TransactionStatus.IDLE),
)


def decode_pair(data: bytes) -> Any:
    return data.decode()


def run(chunks: list[bytes], rows: bool) -> list[Any]:
    """Feed ``chunks`` to a fresh client (submitting its requests once ready); the events."""
    client = SansIOClient("u", "d", "pw")
    client.do_startup()
    decoder = make_run_decoder(["n", "s"], [decode_pair, decode_pair]) if rows else None
    events: list[Any] = []
    submitted = False
    for chunk in chunks:
        client.receive_bytes(chunk)
        while (event := client.next_event()) is not NEED_DATA:
            if isinstance(event, DataRows):
                events.extend(("row", tuple(row)) for row in event.rows)
            elif isinstance(event, DataRow):
                events.append(
                    ("row", tuple(None if v is None else v.decode() for v in event.values))
                )
            else:
                events.append(event)
            if client.ready and not submitted:
                submitted = True
                client.submit([Query("SELECT")], row_decoder=decoder)
                client.submit(
                    [Parse("", "SELECT $1"), Describe("S", ""), Bind("", ""), Execute(), Sync()],
                    row_decoder=decoder,
                )
                client.submit([Query("COPY t TO STDOUT; SELECT missing")])
    assert client.ready
    return events


def test_every_split_point_gives_the_same_events() -> None:
    for rows in (False, True):
        expected = run([CONVERSATION], rows)
        assert len([event for event in expected if isinstance(event, tuple)]) == 3
        for cut in range(1, len(CONVERSATION)):
            assert run([CONVERSATION[:cut], CONVERSATION[cut:]], rows) == expected, cut


def test_byte_by_byte_gives_the_same_events() -> None:
    for rows in (False, True):
        expected = run([CONVERSATION], rows)
        single_bytes = [CONVERSATION[i : i + 1] for i in range(len(CONVERSATION))]
        assert run(single_bytes, rows) == expected


def busy_client(rows: bool) -> SansIOClient:
    client = SansIOClient("u", "d", "pw")
    client.do_startup()
    client.receive_bytes(wire(AuthenticationOk(), ReadyForQuery()))
    while client.next_event() is not NEED_DATA:
        pass
    decoder = make_run_decoder(["a", "b"], [bytes, bytes], ["i", None]) if rows else None
    client.submit([Query("SELECT")], row_decoder=decoder)
    client.submit([Parse("", "x"), Describe("S", ""), Bind("", ""), Execute(), Sync()])
    client.submit([Query("COPY")], batch_copy=True)
    return client


def pump(client: SansIOClient, data: bytes) -> None:
    client.receive_bytes(data)
    try:
        for _ in range(10_000):
            if client.next_event() is NEED_DATA:
                break
    except ProtocolError:
        pass


BACKEND_CODES = list(b"RSKZTDCI123ntsEeNAdcGHWVv!")


@st.composite
def framed_messages(draw: st.DrawFn) -> bytes:
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        code = draw(st.sampled_from(BACKEND_CODES))
        body = draw(st.binary(max_size=40))
        parts.append(bytes((code,)) + (len(body) + 4).to_bytes(4, "big") + body)
    return b"".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=200), rows=st.booleans())
def test_random_bytes_only_raise_protocol_errors(data: bytes, rows: bool) -> None:
    pump(busy_client(rows), data)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=framed_messages(), rows=st.booleans(), prefix=st.sampled_from([b"", None]))
def test_random_messages_only_raise_protocol_errors(
    data: bytes, rows: bool, prefix: bytes | None
) -> None:
    client = busy_client(rows)
    if prefix is None:  # start with a valid result set, then garbage where rows are expected
        client.receive_bytes(wire(RowDescription((FieldDescription("a", 23),))))
    pump(client, data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=framed_messages())
def test_random_messages_during_startup_only_raise_protocol_errors(data: bytes) -> None:
    client = SansIOClient("u", "d", "pw")
    client.do_startup()
    pump(client, data)
