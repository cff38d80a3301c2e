"""The sans-IO server state machine: byte tables, state transitions, limits and fuzzing."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from txpostgres_proto.protocol.server import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    EncryptionResponse,
    ServerConnection,
    ServerState,
    negotiate_protocol,
)

STARTUP = m.StartupMessage({"user": "alice", "database": "db"})
FATAL = m.ErrorResponse({"S": "FATAL", "V": "FATAL", "C": "08P01", "M": "bye"})
ERROR = m.ErrorResponse({"S": "ERROR", "V": "ERROR", "C": "42000", "M": "no"})


def ready_connection(**options: int) -> ServerConnection:
    """A connection past authentication, in READY."""
    conn = ServerConnection(**options)
    conn.receive_data(STARTUP.encode())
    assert conn.next_event() == STARTUP
    conn.send(m.AuthenticationOk())
    conn.send(m.ParameterStatus("client_encoding", "UTF8"))
    conn.send(m.BackendKeyData(1, b"abcd"))
    conn.send(m.ReadyForQuery())
    assert conn.state is ServerState.READY
    return conn


def events(conn: ServerConnection) -> list[object]:
    found: list[object] = []
    while True:
        event = conn.next_event()
        found.append(event)
        if event is NEED_DATA or event is PAUSED or isinstance(event, ConnectionClosed):
            return found


# -- startup ------------------------------------------------------------------------------


def test_startup_message_byte_table() -> None:
    wire = b"\x00\x00\x00\x20\x00\x03\x00\x00user\x00alice\x00database\x00db\x00\x00"
    assert STARTUP.encode() == wire
    conn = ServerConnection()
    assert conn.next_event() is NEED_DATA
    conn.receive_data(wire)
    assert conn.next_event() == STARTUP
    assert conn.state is ServerState.AUTHENTICATING
    # Nothing is read during authentication until an authentication request was sent.
    assert conn.next_event() is PAUSED


@pytest.mark.parametrize("split", range(1, len(STARTUP.encode())))
def test_startup_split_at_every_byte(split: int) -> None:
    wire = STARTUP.encode()
    conn = ServerConnection()
    conn.receive_data(wire[:split])
    assert conn.next_event() is NEED_DATA
    conn.receive_data(wire[split:])
    assert conn.next_event() == STARTUP


def test_ssl_request_accepted_then_startup() -> None:
    conn = ServerConnection()
    conn.receive_data(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")
    assert conn.next_event() == m.SSLRequest()
    assert conn.state is ServerState.SSL_NEGOTIATION
    assert conn.next_event() is PAUSED
    assert conn.send(EncryptionResponse(True)) == b"S"
    assert conn.state is ServerState.AWAITING_STARTUP
    conn.receive_data(STARTUP.encode())  # (decrypted by the TLS layer)
    assert conn.next_event() == STARTUP


def test_ssl_request_refused() -> None:
    conn = ServerConnection()
    conn.receive_data(m.SSLRequest().encode())
    conn.next_event()
    assert conn.send(EncryptionResponse(False)) == b"N"
    conn.receive_data(STARTUP.encode())
    assert conn.next_event() == STARTUP


def test_plaintext_pipelined_after_ssl_request_is_refused() -> None:
    """CVE-2021-23214: bytes sent before the TLS handshake must not be trusted."""
    conn = ServerConnection()
    conn.receive_data(m.SSLRequest().encode() + STARTUP.encode())
    with pytest.raises(RemoteProtocolError, match="unencrypted data after SSL request"):
        conn.next_event()
    assert conn.state is ServerState.ERROR
    conn.send(FATAL)
    assert conn.state is ServerState.CLOSED


def test_plaintext_arriving_before_the_ssl_answer_is_refused() -> None:
    conn = ServerConnection()
    conn.receive_data(m.SSLRequest().encode())
    assert conn.next_event() == m.SSLRequest()
    conn.receive_data(b"Q")
    with pytest.raises(RemoteProtocolError, match="unencrypted"):
        conn.send(EncryptionResponse(True))


def test_gss_then_ssl_in_any_order_but_once_each() -> None:
    conn = ServerConnection()
    conn.receive_data(m.GSSENCRequest().encode())
    assert conn.next_event() == m.GSSENCRequest()
    assert conn.send(EncryptionResponse(False)) == b"N"
    conn.receive_data(m.SSLRequest().encode())
    assert conn.next_event() == m.SSLRequest()
    assert conn.send(EncryptionResponse(False)) == b"N"
    conn.receive_data(m.SSLRequest().encode())
    with pytest.raises(RemoteProtocolError) as caught:
        conn.next_event()
    assert caught.value.sqlstate == "0A000"
    assert caught.value.message == (
        "unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0"
    )


def test_gss_encryption_cannot_be_accepted() -> None:
    conn = ServerConnection()
    conn.receive_data(m.GSSENCRequest().encode())
    conn.next_event()
    with pytest.raises(LocalProtocolError):
        conn.send(EncryptionResponse(True))
    assert conn.state is ServerState.ERROR


def test_protocol_major_version_2_is_refused_like_postgresql() -> None:
    conn = ServerConnection()
    conn.receive_data(m.StartupMessage({"user": "u"}, 2 << 16).encode())
    with pytest.raises(RemoteProtocolError) as caught:
        conn.next_event()
    assert caught.value.sqlstate == "0A000"
    assert str(caught.value) == "unsupported frontend protocol 2.0: server supports 3.0 to 3.0"


def test_negotiate_protocol() -> None:
    assert negotiate_protocol(STARTUP) is None
    newer = m.StartupMessage({"user": "u", "_pq_.a": "1", "_pq_.b": "2"}, m.PROTOCOL_3_2)
    answer = negotiate_protocol(newer)
    assert answer == m.NegotiateProtocolVersion(m.PROTOCOL_3_0, ("_pq_.a", "_pq_.b"))
    assert negotiate_protocol(m.StartupMessage({"user": "u"}, m.PROTOCOL_3_2)) == (
        m.NegotiateProtocolVersion(m.PROTOCOL_3_0, ())
    )
    conn = ServerConnection()
    conn.receive_data(newer.encode())
    assert conn.next_event() == newer
    assert conn.send(answer).startswith(b"v")


def test_cancel_request() -> None:
    conn = ServerConnection()
    wire = struct.pack("!iiI", 16, m.CANCEL_REQUEST_CODE, 4242) + b"\x01\x02\x03\x04"
    conn.receive_data(wire)
    assert conn.next_event() == m.CancelRequest(4242, b"\x01\x02\x03\x04")
    assert conn.state is ServerState.CLOSED
    assert isinstance(conn.next_event(), ConnectionClosed)


@pytest.mark.parametrize("length", [0, 7, 10_001, 2**30])
def test_bad_startup_lengths(length: int) -> None:
    conn = ServerConnection()
    conn.receive_data(struct.pack("!i", length) + b"\x00\x03\x00\x00")
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


# -- authentication -----------------------------------------------------------------------


def authenticating() -> ServerConnection:
    conn = ServerConnection()
    conn.receive_data(STARTUP.encode())
    conn.next_event()
    return conn


def test_password_response_decoded_after_cleartext_request() -> None:
    conn = authenticating()
    conn.receive_data(m.PasswordMessage("secret").encode())
    assert conn.next_event() is PAUSED  # not asked yet
    conn.send(m.AuthenticationCleartextPassword())
    assert conn.next_event() == m.PasswordMessage("secret")
    assert conn.next_event() is PAUSED


def test_sasl_exchange_decodes_each_step() -> None:
    conn = authenticating()
    conn.send(m.AuthenticationSASL(("SCRAM-SHA-256",)))
    conn.receive_data(m.SASLInitialResponse("SCRAM-SHA-256", b"n,,n=,r=abc").encode())
    assert conn.next_event() == m.SASLInitialResponse("SCRAM-SHA-256", b"n,,n=,r=abc")
    conn.send(m.AuthenticationSASLContinue(b"r=abcdef,s=c2FsdA==,i=4096"))
    conn.receive_data(m.SASLResponse(b"c=biws,r=abcdef,p=xyz").encode())
    assert conn.next_event() == m.SASLResponse(b"c=biws,r=abcdef,p=xyz")
    conn.send(m.AuthenticationSASLFinal(b"v=sig"))
    assert conn.next_event() is PAUSED
    conn.send(m.AuthenticationOk())
    assert conn.state is ServerState.STARTING


def test_query_during_authentication_is_a_protocol_error() -> None:
    conn = authenticating()
    conn.send(m.AuthenticationMD5Password(b"salt"))
    conn.receive_data(m.Query("select 1").encode())
    with pytest.raises(RemoteProtocolError, match="expected password response"):
        conn.next_event()


def test_terminate_during_authentication_closes() -> None:
    conn = authenticating()
    conn.send(m.AuthenticationCleartextPassword())
    conn.receive_data(m.Terminate().encode())
    assert conn.next_event() == m.Terminate()
    assert conn.state is ServerState.CLOSED


def test_messages_before_authentication_are_small() -> None:
    conn = authenticating()
    conn.send(m.AuthenticationCleartextPassword())
    conn.receive_data(b"p" + struct.pack("!i", 70_000))
    with pytest.raises(RemoteProtocolError, match="too large"):
        conn.next_event()


def test_fatal_error_closes_during_authentication() -> None:
    conn = authenticating()
    conn.send(m.AuthenticationCleartextPassword())
    conn.send(FATAL)
    assert conn.state is ServerState.CLOSED
    with pytest.raises(LocalProtocolError):
        conn.send(FATAL)


# -- limits -------------------------------------------------------------------------------


def test_one_gigabyte_length_is_refused_from_the_header() -> None:
    conn = ready_connection()
    conn.receive_data(b"Q" + struct.pack("!i", 2**30))
    with pytest.raises(RemoteProtocolError) as caught:
        conn.next_event()
    assert caught.value.sqlstate == "08P01"
    assert conn.buffered_bytes == 5
    conn.send(FATAL)
    assert conn.state is ServerState.CLOSED


def test_configurable_large_message_limit() -> None:
    conn = ready_connection(max_message_size=1000)
    conn.receive_data(m.Query("x" * 2000).encode())
    with pytest.raises(RemoteProtocolError, match="too large"):
        conn.next_event()
    conn = ready_connection(max_message_size=1000)
    conn.receive_data(m.Query("x" * 900).encode())
    assert conn.next_event() == m.Query("x" * 900)


def test_small_messages_keep_the_small_limit() -> None:
    conn = ready_connection()
    conn.receive_data(b"S" + struct.pack("!i", 20_000))
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


# -- simple query -------------------------------------------------------------------------


def test_simple_query_cycle_and_pipelining() -> None:
    conn = ready_connection()
    conn.receive_data(m.Query("select 1").encode() + m.Query("select 2").encode())
    assert conn.next_event() == m.Query("select 1")
    assert conn.state is ServerState.IN_SIMPLE_QUERY
    assert conn.next_event() is PAUSED  # the second query waits for ReadyForQuery
    conn.send(m.RowDescription((m.FieldDescription("x", 23),)))
    assert conn.send_encoded(m.DataRow, b"D-rows") == b"D-rows"
    conn.send(m.CommandComplete("SELECT 1"))
    conn.send(m.NoticeResponse({"S": "NOTICE", "M": "hi"}))
    conn.send(m.ParameterStatus("application_name", "x"))
    conn.send(ERROR)  # an error does not end the simple query cycle
    conn.send(m.ReadyForQuery(m.TransactionStatus.IN_TRANSACTION))
    assert conn.state is ServerState.READY
    assert conn.next_event() == m.Query("select 2")


def test_local_protocol_errors() -> None:
    conn = ready_connection()
    with pytest.raises(LocalProtocolError):
        conn.send(m.ReadyForQuery())
    assert conn.state is ServerState.ERROR
    conn = ready_connection()
    with pytest.raises(LocalProtocolError):
        conn.send_encoded(m.DataRow, b"")
    conn = ready_connection()
    with pytest.raises(LocalProtocolError):
        conn.send(ERROR)  # an ERROR needs a command to belong to


def test_terminate_closes() -> None:
    conn = ready_connection()
    conn.receive_data(m.Terminate().encode())
    assert conn.next_event() == m.Terminate()
    assert isinstance(conn.next_event(), ConnectionClosed)


def test_eof() -> None:
    conn = ready_connection()
    conn.receive_data(b"")
    assert isinstance(conn.next_event(), ConnectionClosed)
    conn = ready_connection()
    conn.receive_data(b"Q\x00\x00")
    conn.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="EOF"):
        conn.next_event()


def test_unknown_message_type() -> None:
    conn = ready_connection()
    conn.receive_data(b"Y\x00\x00\x00\x04")
    with pytest.raises(RemoteProtocolError, match="invalid frontend message type 89"):
        conn.next_event()
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


# -- extended query -----------------------------------------------------------------------


def test_extended_pipeline_and_error_until_sync() -> None:
    conn = ready_connection()
    batch = [
        m.Parse("", "select $1", (23,)),
        m.Bind("", "", (), (b"1",)),
        m.Describe("P"),
        m.Execute(),
        m.Sync(),
        m.Parse("s1", "bad"),
        m.Bind("", "s1"),
        m.Execute(),
        m.Query("ignored too"),
        m.Sync(),
        m.Query("select 3"),
    ]
    conn.receive_data(b"".join(message.encode() for message in batch))
    for message in batch[:4]:
        assert conn.next_event() == message
        assert conn.state is ServerState.IN_EXTENDED
    conn.send(m.ParseComplete())
    conn.send(m.BindComplete())
    conn.send(m.RowDescription((m.FieldDescription("x", 23),)))
    conn.send(m.DataRow((b"1",)))
    conn.send(m.CommandComplete("SELECT 1"))
    assert conn.next_event() == m.Sync()
    assert conn.next_event() is PAUSED
    conn.send(m.ReadyForQuery())
    assert conn.next_event() == m.Parse("s1", "bad")
    conn.send(ERROR)
    assert conn.state is ServerState.FAILED_UNTIL_SYNC
    assert conn.next_event() == m.Sync()  # Bind, Execute and Query were discarded
    conn.send(m.ReadyForQuery())
    assert conn.next_event() == m.Query("select 3")


def test_flush_and_describe_without_sync() -> None:
    conn = ready_connection()
    conn.receive_data(
        m.Parse("s", "select 1").encode() + m.Describe("S", "s").encode() + m.Flush().encode()
    )
    assert [type(event) for event in events(conn)] == [
        m.Parse,
        m.Describe,
        m.Flush,
        type(NEED_DATA),
    ]
    conn.send(m.ParseComplete())
    conn.send(m.ParameterDescription(()))
    conn.send(m.NoData())
    conn.send(m.PortalSuspended())
    conn.send(m.CloseComplete())


def test_copy_in_cycle() -> None:
    conn = ready_connection()
    conn.receive_data(m.Query("copy t from stdin").encode())
    conn.next_event()
    conn.send(m.CopyInResponse())
    assert conn.state is ServerState.IN_COPY_IN
    conn.receive_data(
        m.CopyData(b"1\n").encode()
        + m.Flush().encode()
        + m.Sync().encode()
        + m.CopyData(b"2\n").encode()
        + m.CopyDone().encode()
    )
    assert conn.next_event() == m.CopyData(b"1\n")
    assert conn.next_event() == m.CopyData(b"2\n")  # Flush and Sync are ignored in COPY
    assert conn.next_event() == m.CopyDone()
    assert conn.state is ServerState.IN_SIMPLE_QUERY
    conn.send(m.CommandComplete("COPY 2"))
    conn.send(m.ReadyForQuery())


def test_copy_in_failed_by_server_then_leftover_data_is_ignored() -> None:
    conn = ready_connection()
    conn.receive_data(m.Query("copy t from stdin").encode())
    conn.next_event()
    conn.send(m.CopyInResponse())
    conn.send(ERROR)
    conn.send(m.ReadyForQuery())
    conn.receive_data(m.CopyData(b"x").encode() + m.CopyDone().encode() + m.Query("q").encode())
    assert conn.next_event() == m.Query("q")


def test_copy_out_cycle() -> None:
    conn = ready_connection()
    conn.receive_data(m.Parse("", "copy t to stdout").encode() + m.Execute().encode())
    conn.next_event()
    conn.next_event()
    conn.send(m.CopyOutResponse())
    assert conn.state is ServerState.IN_COPY_OUT
    conn.send(m.CopyData(b"1\n"))
    conn.send(m.CopyDone())
    assert conn.state is ServerState.IN_EXTENDED
    conn.send(m.CommandComplete("COPY 1"))


def test_copy_data_outside_copy_in_is_refused() -> None:
    conn = ready_connection()
    conn.receive_data(m.Query("q").encode())
    conn.next_event()
    conn.send(m.CopyOutResponse())
    with pytest.raises(LocalProtocolError):
        conn.send(m.ReadyForQuery())


# -- every frontend message, split at every byte boundary ---------------------------------

FRONTEND_MESSAGES = [
    m.Query("select 'é', 1"),
    m.Parse("stmt", "select $1, $2", (23, 0)),
    m.Bind("portal", "stmt", (0, 1), (b"1", None), (1,)),
    m.Describe("S", "stmt"),
    m.Describe("P", ""),
    m.Execute("portal", 10),
    m.Close("P", "portal"),
    m.Flush(),
    m.Sync(),
    m.FunctionCall(1234, (1,), (b"\x00\x00\x00\x01",), 1),
    m.Terminate(),
]


@pytest.mark.parametrize("message", FRONTEND_MESSAGES, ids=lambda message: type(message).__name__)
def test_frontend_message_split_at_every_byte(message: m.FrontendMessage) -> None:
    wire = message.encode()
    for split in range(1, len(wire) + 1):
        conn = ready_connection()
        conn.receive_data(wire[:split])
        if split < len(wire):
            assert conn.next_event() is NEED_DATA
            conn.receive_data(wire[split:])
        assert conn.next_event() == message


def test_many_messages_in_one_chunk_one_byte_at_a_time() -> None:
    wire = b"".join(message.encode() for message in FRONTEND_MESSAGES[1:7])
    conn = ready_connection()
    seen: list[object] = []
    for byte in wire:
        conn.receive_data(bytes([byte]))
        event = conn.next_event()
        if event is not NEED_DATA:
            seen.append(event)
    assert seen == FRONTEND_MESSAGES[1:7]


# -- fuzzing ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.booleans())
def test_random_bytes_only_raise_protocol_errors(data: bytes, authenticated: bool) -> None:
    conn = ready_connection() if authenticated else ServerConnection()
    conn.receive_data(data)
    try:
        for _ in range(100):
            event = conn.next_event()
            if event is NEED_DATA or event is PAUSED or isinstance(event, ConnectionClosed):
                break
            if isinstance(event, m.SSLRequest | m.GSSENCRequest):
                conn.send(EncryptionResponse(False))
    except ProtocolError:
        assert conn.state is ServerState.ERROR


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FRONTEND_MESSAGES[:-1]), max_size=8), st.binary(max_size=40))
def test_valid_messages_then_garbage(messages: list[m.FrontendMessage], garbage: bytes) -> None:
    conn = ready_connection()
    conn.receive_data(b"".join(message.encode() for message in messages) + garbage)
    try:
        for _ in range(50):
            event = conn.next_event()
            if event is NEED_DATA or isinstance(event, ConnectionClosed):
                break
            if event is PAUSED:
                conn.send(m.ReadyForQuery())
    except ProtocolError:
        assert conn.state is ServerState.ERROR


def test_pgbench_extended_transactions_back_to_back() -> None:
    """The hot path of ``pgbench -M extended``: Parse/Bind/Describe/Execute/Sync, many times."""
    statements = [
        ("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;", (b"-42", b"7")),
        ("SELECT abalance FROM pgbench_accounts WHERE aid = $1;", (b"7",)),
    ]
    conn = ready_connection()
    for query, params in statements * 3:
        sent = [
            m.Parse("", query),
            m.Bind("", "", (), params, ()),
            m.Describe("P", ""),
            m.Execute("", 0),
            m.Sync(),
        ]
        conn.receive_data(b"".join(message.encode() for message in sent))
        assert events(conn) == [*sent, PAUSED]
        assert conn.state is ServerState.SYNCING
        conn.send(m.ReadyForQuery())
        assert conn.state is ServerState.READY
        assert conn.next_event() is NEED_DATA
    conn.receive_data(m.frame(b"B", m.Bind("", "", (), (b"1",), ()).encode()[5:] + b"\x00"))
    with pytest.raises(RemoteProtocolError, match="invalid Bind message format: trailing bytes"):
        conn.next_event()
    assert conn.state is ServerState.ERROR


def test_quiet_kinds_leave_the_state_alone() -> None:
    conn = ready_connection()
    assert m.ReadyForQuery not in conn.quiet  # not allowed at all while ready
    conn.receive_data(m.Parse("", "select 1").encode())
    conn.next_event()
    assert conn.state is ServerState.IN_EXTENDED
    assert {m.ParseComplete, m.BindComplete, m.DataRow, m.CommandComplete} <= conn.quiet
    assert m.ErrorResponse not in conn.quiet  # its severity decides where it leads
    assert m.CopyOutResponse not in conn.quiet
    for kind in conn.quiet:
        assert conn.send_encoded(kind, b"x") == b"x"
        assert conn.state is ServerState.IN_EXTENDED
    conn.send(ERROR)
    assert conn.state is ServerState.FAILED_UNTIL_SYNC
    assert m.DataRow not in conn.quiet
