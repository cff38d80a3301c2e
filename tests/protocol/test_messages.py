"""The message codec: exact bytes both ways, every split point, and garbage never crashing it."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import ProtocolError, RemoteProtocolError
from txpostgres_proto.protocol.framing import (
    BACKEND_LARGE_MESSAGES,
    DEFAULT_LARGE_MESSAGE_LIMIT,
    FRONTEND_LARGE_MESSAGES,
    SMALL_MESSAGE_LIMIT,
    MessageBuffer,
    message_limits,
)

# (message, exact wire bytes) — bodies written out by hand from the protocol's message formats.
FRONTEND_TABLE: list[tuple[m.FrontendMessage, bytes]] = [
    (m.Query("SELECT 1"), b"Q\x00\x00\x00\x0dSELECT 1\x00"),
    (
        m.Parse("s1", "select $1", (23,)),
        b"P\x00\x00\x00\x17s1\x00select $1\x00\x00\x01\x00\x00\x00\x17",
    ),
    (
        m.Bind("", "s1", (1,), (b"\x00\x00\x00\x07", None), (1,)),
        b"B\x00\x00\x00\x1e\x00s1\x00\x00\x01\x00\x01\x00\x02"
        b"\x00\x00\x00\x04\x00\x00\x00\x07\xff\xff\xff\xff\x00\x01\x00\x01",
    ),
    (m.Describe("S", "s1"), b"D\x00\x00\x00\x08Ss1\x00"),
    (m.Describe("P", ""), b"D\x00\x00\x00\x06P\x00"),
    (m.Close("S", "x"), b"C\x00\x00\x00\x07Sx\x00"),
    (m.Execute("", 0), b"E\x00\x00\x00\x09\x00\x00\x00\x00\x00"),
    (m.Execute("p", 5), b"E\x00\x00\x00\x0ap\x00\x00\x00\x00\x05"),
    (m.Sync(), b"S\x00\x00\x00\x04"),
    (m.Flush(), b"H\x00\x00\x00\x04"),
    (m.Terminate(), b"X\x00\x00\x00\x04"),
    (m.CopyData(b"1\tx\n"), b"d\x00\x00\x00\x081\tx\n"),
    (m.CopyDone(), b"c\x00\x00\x00\x04"),
    (m.CopyFail("oops"), b"f\x00\x00\x00\x09oops\x00"),
    (
        m.FunctionCall(1598, (0,), (b"7",), 0),
        b"F\x00\x00\x00\x15\x00\x00\x06\x3e\x00\x01\x00\x00\x00\x01\x00\x00\x00\x017\x00\x00",
    ),
    (m.AuthResponse(b"secret\x00"), b"p\x00\x00\x00\x0bsecret\x00"),
]

BACKEND_TABLE: list[tuple[m.BackendMessage, bytes]] = [
    (m.AuthenticationOk(), b"R\x00\x00\x00\x08\x00\x00\x00\x00"),
    (m.AuthenticationCleartextPassword(), b"R\x00\x00\x00\x08\x00\x00\x00\x03"),
    (m.AuthenticationMD5Password(b"abcd"), b"R\x00\x00\x00\x0c\x00\x00\x00\x05abcd"),
    (
        m.AuthenticationSASL(("SCRAM-SHA-256",)),
        b"R\x00\x00\x00\x17\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00",
    ),
    (m.AuthenticationSASLContinue(b"r=ab"), b"R\x00\x00\x00\x0c\x00\x00\x00\x0br=ab"),
    (m.AuthenticationSASLFinal(b"v=xy"), b"R\x00\x00\x00\x0c\x00\x00\x00\x0cv=xy"),
    (m.AuthenticationUnsupported(6), b"R\x00\x00\x00\x08\x00\x00\x00\x06"),
    (m.ParameterStatus("TimeZone", "UTC"), b"S\x00\x00\x00\x11TimeZone\x00UTC\x00"),
    (
        m.BackendKeyData(42, b"\x01\x02\x03\x04"),
        b"K\x00\x00\x00\x0c\x00\x00\x00\x2a\x01\x02\x03\x04",
    ),
    (m.ReadyForQuery(m.TransactionStatus.IDLE), b"Z\x00\x00\x00\x05I"),
    (m.ReadyForQuery(m.TransactionStatus.FAILED), b"Z\x00\x00\x00\x05E"),
    (
        m.RowDescription((m.FieldDescription("id", 23, 16384, 1, 4, -1, 1),)),
        b"T\x00\x00\x00\x1b\x00\x01id\x00\x00\x00\x40\x00\x00\x01\x00\x00\x00\x17"
        b"\x00\x04\xff\xff\xff\xff\x00\x01",
    ),
    (
        m.DataRow((b"1", None, b"")),
        b"D\x00\x00\x00\x13\x00\x03\x00\x00\x00\x011\xff\xff\xff\xff\x00\x00\x00\x00",
    ),
    (m.CommandComplete("INSERT 0 1"), b"C\x00\x00\x00\x0fINSERT 0 1\x00"),
    (m.EmptyQueryResponse(), b"I\x00\x00\x00\x04"),
    (m.ParseComplete(), b"1\x00\x00\x00\x04"),
    (m.BindComplete(), b"2\x00\x00\x00\x04"),
    (m.CloseComplete(), b"3\x00\x00\x00\x04"),
    (m.NoData(), b"n\x00\x00\x00\x04"),
    (m.PortalSuspended(), b"s\x00\x00\x00\x04"),
    (
        m.ParameterDescription((23, 25)),
        b"t\x00\x00\x00\x0e\x00\x02\x00\x00\x00\x17\x00\x00\x00\x19",
    ),
    (
        m.ErrorResponse({"S": "ERROR", "C": "42601", "M": "bad"}),
        b"E\x00\x00\x00\x18SERROR\x00C42601\x00Mbad\x00\x00",
    ),
    (m.NoticeResponse({"S": "NOTICE", "M": "hi"}), b"N\x00\x00\x00\x11SNOTICE\x00Mhi\x00\x00"),
    (m.NotificationResponse(7, "ch", "pl"), b"A\x00\x00\x00\x0e\x00\x00\x00\x07ch\x00pl\x00"),
    (m.CopyInResponse(0, (0, 0)), b"G\x00\x00\x00\x0b\x00\x00\x02\x00\x00\x00\x00"),
    (m.CopyOutResponse(1, (1,)), b"H\x00\x00\x00\x09\x01\x00\x01\x00\x01"),
    (m.CopyBothResponse(0, ()), b"W\x00\x00\x00\x07\x00\x00\x00"),
    (m.CopyData(b"x"), b"d\x00\x00\x00\x05x"),
    (m.CopyDone(), b"c\x00\x00\x00\x04"),
    (m.FunctionCallResponse(None), b"V\x00\x00\x00\x08\xff\xff\xff\xff"),
    (m.FunctionCallResponse(b"ok"), b"V\x00\x00\x00\x0a\x00\x00\x00\x02ok"),
    (
        m.NegotiateProtocolVersion(0, ("_pq_.x",)),
        b"v\x00\x00\x00\x13\x00\x00\x00\x00\x00\x00\x00\x01_pq_.x\x00",
    ),
]


def frontend_buffer() -> MessageBuffer:
    return MessageBuffer(message_limits(FRONTEND_LARGE_MESSAGES, DEFAULT_LARGE_MESSAGE_LIMIT))


def backend_buffer() -> MessageBuffer:
    return MessageBuffer(message_limits(BACKEND_LARGE_MESSAGES, DEFAULT_LARGE_MESSAGE_LIMIT))


def drain(buffer: MessageBuffer, decode) -> list:
    out = []
    while (raw := buffer.next_message()) is not None:
        out.append(decode(*raw))
    return out


@pytest.mark.parametrize(("message", "wire"), FRONTEND_TABLE, ids=lambda v: type(v).__name__)
def test_frontend_bytes_both_ways(message: m.FrontendMessage, wire: bytes) -> None:
    assert message.encode() == wire
    assert m.decode_frontend(wire[0], wire[5:]) == message


@pytest.mark.parametrize(("message", "wire"), BACKEND_TABLE, ids=lambda v: type(v).__name__)
def test_backend_bytes_both_ways(message: m.BackendMessage, wire: bytes) -> None:
    assert message.encode() == wire
    assert m.decode_backend(wire[0], wire[5:]) == message


@pytest.mark.parametrize(
    ("table", "make_buffer", "decode"),
    [
        (FRONTEND_TABLE, frontend_buffer, m.decode_frontend),
        (BACKEND_TABLE, backend_buffer, m.decode_backend),
    ],
    ids=["frontend", "backend"],
)
def test_every_split_point(table, make_buffer, decode) -> None:
    """Feeding the whole stream in two pieces, cut at every byte, yields the same messages."""
    stream = b"".join(wire for _, wire in table)
    expected = [message for message, _ in table]
    for cut in range(len(stream) + 1):
        buffer = make_buffer()
        buffer.feed(stream[:cut])
        got = drain(buffer, decode)
        buffer.feed(stream[cut:])
        got += drain(buffer, decode)
        assert got == expected, cut
        assert buffer.pending == 0


def test_byte_at_a_time() -> None:
    stream = b"".join(wire for _, wire in BACKEND_TABLE)
    buffer = backend_buffer()
    got = []
    for i in range(len(stream)):
        buffer.feed(stream[i : i + 1])
        got += drain(buffer, m.decode_backend)
    assert got == [message for message, _ in BACKEND_TABLE]


STARTUP_TABLE = [
    (
        m.StartupMessage({"user": "u", "database": "d"}),
        b"\x00\x00\x00\x1b\x00\x03\x00\x00user\x00u\x00database\x00d\x00\x00",
    ),
    (m.SSLRequest(), b"\x00\x00\x00\x08\x04\xd2\x16\x2f"),
    (m.GSSENCRequest(), b"\x00\x00\x00\x08\x04\xd2\x16\x30"),
    (
        m.CancelRequest(5, b"\x00\x00\x00\x09"),
        b"\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x00\x05\x00\x00\x00\x09",
    ),
]


@pytest.mark.parametrize(("packet", "wire"), STARTUP_TABLE, ids=lambda v: type(v).__name__)
def test_startup_packets(packet, wire: bytes) -> None:
    assert packet.encode() == wire
    buffer = frontend_buffer()
    for i in range(len(wire)):
        assert buffer.next_startup_packet() is None
        buffer.feed(wire[i : i + 1])
    assert m.decode_startup(buffer.next_startup_packet()) == packet


def test_startup_protocol_version_is_kept() -> None:
    packet = m.StartupMessage({"user": "u", "_pq_.opt": "1"}, m.PROTOCOL_3_2)
    decoded = m.decode_startup(packet.encode()[4:])
    assert decoded.major_version == 3 and decoded.minor_version == 2
    assert decoded.parameters["_pq_.opt"] == "1"


def test_cancel_request_with_long_secret_of_protocol_3_2() -> None:
    packet = m.CancelRequest(9, bytes(range(32)))
    assert m.decode_startup(packet.encode()[4:]) == packet


def test_oversized_length_is_refused_before_the_body_arrives() -> None:
    buffer = frontend_buffer()
    buffer.feed(b"Q" + struct.pack("!i", 1 << 30))  # claims 1 GB, sends nothing more
    with pytest.raises(RemoteProtocolError, match="too large"):
        buffer.next_message()


def test_small_messages_have_the_small_limit() -> None:
    buffer = frontend_buffer()
    buffer.feed(b"S" + struct.pack("!i", SMALL_MESSAGE_LIMIT + 1))
    with pytest.raises(RemoteProtocolError):
        buffer.next_message()


def test_startup_packet_length_is_bounded() -> None:
    buffer = frontend_buffer()
    buffer.feed(struct.pack("!i", 1 << 30))
    with pytest.raises(RemoteProtocolError):
        buffer.next_startup_packet()


def test_negative_and_tiny_lengths_are_refused() -> None:
    for length in (-1, 0, 3):
        buffer = backend_buffer()
        buffer.feed(b"Z" + struct.pack("!i", length))
        with pytest.raises(RemoteProtocolError):
            buffer.next_message()


@pytest.mark.parametrize(
    ("code", "body"),
    [
        (ord("Q"), b"no terminator"),
        (ord("E"), b"\x00\x00"),  # Execute: portal name then a truncated int32
        (ord("D"), b"Xname\x00"),  # Describe with a bad kind
        (ord("B"), b"\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x09ab"),  # value past the end
        (ord("S"), b"junk"),  # Sync has no body
        (ord("Q"), b"\xff\xfe\x00"),  # invalid UTF-8
        (ord("z"), b""),  # unknown type
    ],
)
def test_malformed_frontend_bodies(code: int, body: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        m.decode_frontend(code, body)


def test_invalid_utf8_has_its_own_sqlstate() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        m.decode_frontend(ord("Q"), b"\xff\x00")
    assert info.value.sqlstate == "22021"


def test_data_row_fast_decoder_checks_lengths() -> None:
    with pytest.raises(RemoteProtocolError):
        m.decode_data_row_values(b"\x00\x01\x00\x00\x00\x09ab")
    with pytest.raises(RemoteProtocolError):
        m.decode_data_row_values(b"\x00\x00extra")


def test_command_complete_rowcount() -> None:
    assert m.CommandComplete("INSERT 0 5").rowcount == 5
    assert m.CommandComplete("SELECT 12").rowcount == 12
    assert m.CommandComplete("BEGIN").rowcount is None


def test_protocol_strings_refuse_nul() -> None:
    with pytest.raises(ValueError):
        m.Query("a\x00b").encode()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_only_raise_protocol_errors(data: bytes) -> None:
    for make_buffer, decode in (
        (frontend_buffer, m.decode_frontend),
        (backend_buffer, m.decode_backend),
    ):
        buffer = make_buffer()
        buffer.feed(data)
        try:
            while (raw := buffer.next_message()) is not None:
                decode(*raw)
        except ProtocolError:
            pass
    try:
        m.decode_startup(data)
    except ProtocolError:
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.binary(max_size=40)), max_size=20),
    st.text(max_size=30).filter(lambda s: "\x00" not in s),
)
def test_random_rows_and_strings_round_trip(values: list[bytes | None], text: str) -> None:
    row = m.DataRow(tuple(values))
    wire = row.encode()
    assert m.decode_backend(wire[0], wire[5:]) == row
    query = m.Query(text)
    wire = query.encode()
    assert m.decode_frontend(wire[0], wire[5:]) == query


def test_buffer_compacts_without_losing_data() -> None:
    buffer = backend_buffer()
    message = m.DataRow((b"x" * 1000,)).encode()
    count = 0
    for _ in range(300):  # well past the compaction threshold
        buffer.feed(message)
        while (raw := buffer.next_message()) is not None:
            assert m.decode_backend(*raw) == m.DataRow((b"x" * 1000,))
            count += 1
    assert count == 300


# --------------------------------------------------------------------------- fast decoders
# Parse, Bind, Describe, Close and Execute are read with direct offsets (the hot path of
# extended-query traffic).  The oracle below reads them field by field with BodyReader, the way
# the protocol's message formats describe them; both must agree on every body, well-formed or
# not, down to the error message and SQLSTATE.


def _reference_decode(code: int, body: bytes) -> m.FrontendMessage:
    what = {ord("P"): "Parse", ord("B"): "Bind", ord("E"): "Execute"}.get(code)
    if code in (ord("D"), ord("C")):
        cls = m.Describe if code == ord("D") else m.Close
        reader = m.BodyReader(body, cls.__name__)
        kind = reader.byte()
        if kind not in ("S", "P"):
            raise RemoteProtocolError(f"invalid {cls.__name__} message subtype {kind!r}")
        name = reader.cstring()
        reader.end()
        return cls(kind, name)
    assert what is not None
    reader = m.BodyReader(body, what)
    if code == ord("E"):
        portal = reader.cstring()
        max_rows = reader.int32()
        reader.end()
        return m.Execute(portal, max_rows)
    if code == ord("P"):
        name = reader.cstring()
        query = reader.cstring()
        count = reader.int16()
        if count < 0:
            raise reader._fail("negative parameter count")
        types = tuple(reader.uint32() for _ in range(count))
        reader.end()
        return m.Parse(name, query, types)
    portal = reader.cstring()
    statement = reader.cstring()
    param_formats = reader.int16_list()
    count = reader.int16()
    if count < 0:
        raise reader._fail("negative parameter count")
    params = tuple(reader.sized_value() for _ in range(count))
    result_formats = reader.int16_list()
    reader.end()
    return m.Bind(portal, statement, param_formats, params, result_formats)


def _outcome(decode, code: int, body: bytes) -> object:
    try:
        return decode(code, body)
    except RemoteProtocolError as exc:
        return ("error", str(exc), exc.sqlstate)


_name_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_names = st.text(_name_chars, max_size=6)
_formats = st.lists(st.integers(-1, 2), max_size=3).map(tuple)
_hot_messages = st.one_of(
    st.builds(
        m.Bind,
        _names,
        _names,
        _formats,
        st.lists(st.none() | st.binary(max_size=6), max_size=4).map(tuple),
        _formats,
    ),
    st.builds(m.Parse, _names, _names, st.lists(st.integers(0, 2**32 - 1), max_size=3).map(tuple)),
    st.builds(m.Execute, _names, st.integers(-(2**31), 2**31 - 1)),
    st.builds(m.Describe, st.sampled_from("SP"), _names),
    st.builds(m.Close, st.sampled_from("SP"), _names),
)


@settings(max_examples=600, deadline=None)
@given(
    _hot_messages,
    st.integers(0, 40),
    st.integers(0, 40),
    st.binary(max_size=3),
    st.integers(0, 255),
)
def test_fast_decoders_agree_with_field_by_field_reading(
    message: m.FrontendMessage, cut: int, flip_at: int, extra: bytes, flip_to: int
) -> None:
    wire = message.encode()
    code, body = wire[0], wire[5:]
    assert m.decode_frontend(code, body) == message
    # Near-misses: truncated, a byte changed, trailing bytes.
    variants = [body[: max(len(body) - cut, 0)], body + extra]
    if body:
        index = flip_at % len(body)
        variants.append(body[:index] + bytes([flip_to]) + body[index + 1 :])
    for variant in variants:
        assert _outcome(m.decode_frontend, code, variant) == _outcome(
            _reference_decode, code, variant
        )


@pytest.mark.parametrize(
    ("code", "body", "error"),
    [
        (ord("B"), b"\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09ab\x00\x00", "value longer than"),
        (ord("B"), b"\x00\x00\x00\x00\xff\xff\x00\x00", "negative parameter count"),
        (ord("B"), b"\x00\x00\xff\xff\x00\x00\x00\x00", "bad int16 array"),
        (ord("B"), b"\x00\x00\x00\x00\x00\x01\xff\xff\xff\xfe\x00\x00", "negative value length"),
        (ord("B"), b"\x00\x00\x00\x00\x00\x00\x00\x00\x00", "trailing bytes"),
        (ord("B"), b"\x00\x00\x00\x00\x00\x00", "truncated int16"),
        (ord("B"), b"portal", "missing string terminator"),
        (ord("P"), b"\x00q\x00\xff\xff", "negative parameter count"),
        (ord("P"), b"\x00q\x00\x00\x01\x00\x00", "truncated int32"),
        (ord("E"), b"\x00\x00\x00\x00\x00\x00", "trailing bytes"),
        (ord("E"), b"p\x00\x00\x00", "truncated int32"),
        (ord("D"), b"", "truncated byte"),
        (ord("D"), b"Sname", "missing string terminator"),
        (ord("C"), b"Pa\x00b\x00", "trailing bytes"),
    ],
)
def test_fast_decoders_keep_their_error_messages(code: int, body: bytes, error: str) -> None:
    with pytest.raises(RemoteProtocolError, match=error) as info:
        m.decode_frontend(code, body)
    assert info.value.sqlstate == "08P01"


@pytest.mark.parametrize("code", [ord("B"), ord("P"), ord("E"), ord("D")])
def test_fast_decoders_report_bad_utf8(code: int) -> None:
    body = {
        ord("B"): b"\xff\x00\x00\x00\x00\x00\x00\x00\x00",
        ord("P"): b"\x00\xff\x00\x00\x00",
        ord("E"): b"\xff\x00\x00\x00\x00\x00",
        ord("D"): b"S\xff\x00",
    }[code]
    with pytest.raises(RemoteProtocolError) as info:
        m.decode_frontend(code, body)
    assert info.value.sqlstate == "22021"
